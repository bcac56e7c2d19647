// Package gworkspace creates and manages Google Workspace domain users for managed
// identities through the Admin SDK Directory API (google.golang.org/api). Errors are
// classified in the workflow kit's vocabulary: ah.TransientError (retry with
// backoff) or ah.PermanentError.
package gworkspace

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"golang.org/x/oauth2/google"
	admin "google.golang.org/api/admin/directory/v1"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// Client manages domain users.
type Client struct {
	users *admin.UsersService
}

// New returns a client; opts carry credentials (domain-wide delegation in AWS) or,
// locally, option.WithEndpoint and option.WithoutAuthentication.
func New(ctx context.Context, opts ...option.ClientOption) (*Client, error) {
	svc, err := admin.NewService(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("directory client: %w", err)
	}
	return &Client{users: svc.Users}, nil
}

// EnsureUser creates the user. A 409 (it exists) is success: the step is retried
// with the same email and password, so the existing user is the one we created.
func (c *Client) EnsureUser(ctx context.Context, u ah.DirectoryUser) (created bool, err error) {
	_, err = c.users.Insert(&admin.User{
		PrimaryEmail:              u.PrimaryEmail,
		Name:                      &admin.UserName{GivenName: u.GivenName, FamilyName: u.FamilyName},
		Password:                  u.Password,
		OrgUnitPath:               u.OrgUnitPath,
		ChangePasswordAtNextLogin: u.ChangePasswordAtNextLogin,
	}).Context(ctx).Do()
	if isStatus(err, http.StatusConflict) {
		// It exists: a retried step, or a user deprovisioned when its identity's
		// last grant ended. Either way it ends active with this password.
		_, err = c.users.Update(u.PrimaryEmail, &admin.User{Suspended: false, Password: u.Password, OrgUnitPath: u.OrgUnitPath,
			ChangePasswordAtNextLogin: u.ChangePasswordAtNextLogin, ForceSendFields: []string{"Suspended"}}).Context(ctx).Do()
		return false, classify("reactivate user "+u.PrimaryEmail, err)
	}
	return err == nil, classify("create user "+u.PrimaryEmail, err)
}

// SetPassword replaces a user's password (credential rotation).
func (c *Client) SetPassword(ctx context.Context, email, password string) error {
	_, err := c.users.Update(email, &admin.User{Password: password}).Context(ctx).Do()
	return classify("set password of "+email, err)
}

// Suspend suspends a user (offboarding); a missing user is already gone.
func (c *Client) Suspend(ctx context.Context, email string) error {
	_, err := c.users.Update(email, &admin.User{Suspended: true, ForceSendFields: []string{"Suspended"}}).Context(ctx).Do()
	if isStatus(err, http.StatusNotFound) {
		return nil
	}
	return classify("suspend "+email, err)
}

func isStatus(err error, code int) bool {
	var gerr *googleapi.Error
	return errors.As(err, &gerr) && gerr.Code == code
}

func classify(what string, err error) error {
	if err == nil {
		return nil
	}
	var gerr *googleapi.Error
	if errors.As(err, &gerr) {
		msg := fmt.Sprintf("%s: Workspace answered %d: %s", what, gerr.Code, gerr.Message)
		if gerr.Code >= 500 || gerr.Code == http.StatusTooManyRequests {
			return ah.Transient("%s", msg)
		}
		return ah.Permanent("%s", msg)
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	return ah.Transient("%s: %w", what, err)
}

// FromEnv builds the client the environment describes: the local fake when
// WORKSPACE_ENDPOINT is set; domain-wide delegation with the service account key
// stored in the secret WORKSPACE_CREDENTIALS_SECRET, impersonating
// WORKSPACE_ADMIN_SUBJECT; or nil when no key is configured.
func FromEnv(ctx context.Context, getenv func(string) string, readSecret func(ctx context.Context, id string) (string, error)) (*Client, error) {
	if ep := getenv("WORKSPACE_ENDPOINT"); ep != "" {
		return New(ctx, option.WithEndpoint(ep), option.WithoutAuthentication())
	}
	secretID := getenv("WORKSPACE_CREDENTIALS_SECRET")
	if secretID == "" {
		return nil, nil
	}
	key, err := readSecret(ctx, secretID)
	if err != nil {
		return nil, fmt.Errorf("read Workspace service account key: %w", err)
	}
	conf, err := google.JWTConfigFromJSON([]byte(key), admin.AdminDirectoryUserScope)
	if err != nil {
		return nil, fmt.Errorf("parse Workspace service account key: %w", err)
	}
	conf.Subject = getenv("WORKSPACE_ADMIN_SUBJECT")
	return New(ctx, option.WithHTTPClient(conf.Client(ctx)))
}
