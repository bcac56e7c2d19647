package gworkspace_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"

	"google.golang.org/api/option"

	"github.com/accesshive/accesshive/infra/fakedirectory"
	ah "github.com/accesshive/accesshive/shared/accesshive"
	"github.com/accesshive/accesshive/shared/gworkspace"
)

func newPair(t *testing.T) (*gworkspace.Client, *fakedirectory.Directory) {
	fake := fakedirectory.New()
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	c, err := gworkspace.New(context.Background(), option.WithEndpoint(srv.URL+"/"), option.WithoutAuthentication())
	if err != nil {
		t.Fatal(err)
	}
	return c, fake
}

func TestEnsureUser(t *testing.T) {
	c, fake := newPair(t)
	ctx := context.Background()
	u := ah.DirectoryUser{PrimaryEmail: "ah.idn1@northwind.example", GivenName: "Acme", FamilyName: "Ads", Password: "S3cret!pass-word"}
	created, err := c.EnsureUser(ctx, u)
	if err != nil || !created {
		t.Fatalf("first insert: created=%v err=%v", created, err)
	}
	got, ok := fake.User(u.PrimaryEmail)
	if !ok || got["password"] != u.Password {
		t.Fatalf("stored user = %v", got)
	}
	t.Run("ConflictIsSuccess", func(t *testing.T) {
		created, err := c.EnsureUser(ctx, u)
		if err != nil || created {
			t.Fatalf("second insert: created=%v err=%v", created, err)
		}
	})
	t.Run("5xxIsTransient", func(t *testing.T) {
		fake.Fail(503, 1)
		_, err := c.EnsureUser(ctx, ah.DirectoryUser{PrimaryEmail: "x@northwind.example", Password: "p"})
		var te *ah.TransientError
		if !errors.As(err, &te) {
			t.Fatalf("err = %T %v, want TransientError", err, err)
		}
	})
	t.Run("403IsPermanent", func(t *testing.T) {
		fake.Fail(403, 1)
		_, err := c.EnsureUser(ctx, ah.DirectoryUser{PrimaryEmail: "y@northwind.example", Password: "p"})
		var pe *ah.PermanentError
		if !errors.As(err, &pe) {
			t.Fatalf("err = %T %v, want PermanentError", err, err)
		}
	})
	t.Run("SetPasswordAndSuspend", func(t *testing.T) {
		if err := c.SetPassword(ctx, u.PrimaryEmail, "N3w!password-here"); err != nil {
			t.Fatal(err)
		}
		if err := c.Suspend(ctx, u.PrimaryEmail); err != nil {
			t.Fatal(err)
		}
		got, _ := fake.User(u.PrimaryEmail)
		if got["password"] != "N3w!password-here" || got["suspended"] != true {
			t.Fatalf("user = %v", got)
		}
		if err := c.Suspend(ctx, "gone@northwind.example"); err != nil {
			t.Fatalf("suspending a missing user: %v", err)
		}
	})
}
