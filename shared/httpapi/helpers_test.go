package httpapi_test

import "github.com/accesshive/accesshive/infra/authn"

func authnOpts(sub, email string, verified bool) authn.TokenOpts {
	return authn.TokenOpts{Subject: sub, Extra: map[string]any{"email": email, "email_verified": verified}}
}
