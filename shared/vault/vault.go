// Package vault keeps identity credentials in AWS Secrets Manager.
package vault

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// API is the part of the Secrets Manager client used here.
type API interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
	PutSecretValue(ctx context.Context, in *secretsmanager.PutSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error)
	CreateSecret(ctx context.Context, in *secretsmanager.CreateSecretInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.CreateSecretOutput, error)
	DescribeSecret(ctx context.Context, in *secretsmanager.DescribeSecretInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
	DeleteSecret(ctx context.Context, in *secretsmanager.DeleteSecretInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.DeleteSecretOutput, error)
}

// Delete schedules a secret's deletion (7-day recovery window); a missing secret
// is already gone.
func (v *Vault) Delete(ctx context.Context, name string) error {
	_, err := v.API.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: v.name(name), RecoveryWindowInDays: aws.Int64(7)})
	var nf *types.ResourceNotFoundException
	if err != nil && !errors.As(err, &nf) {
		return fmt.Errorf("delete secret: %w", err)
	}
	return nil
}

// Vault reads and writes secrets by name. Prefix (the stack's name and a slash,
// from SECRETS_PREFIX) goes before every name, so two stacks in one account keep
// apart and each function's IAM policy names only its own stack's secrets.
type Vault struct {
	API    API
	Prefix string
	// KMSKeyID, when set, is the customer-managed key new secrets are encrypted
	// with (otherwise Secrets Manager's AWS-managed key).
	KMSKeyID string
}

// FromEnv is the vault a function's environment configures: secrets under
// SECRETS_PREFIX (the stack's name), encrypted with SECRETS_KMS_KEY_ID if set.
func FromEnv(api API, env func(string) string) *Vault {
	return &Vault{API: api, Prefix: env("SECRETS_PREFIX"), KMSKeyID: env("SECRETS_KMS_KEY_ID")}
}

// kmsKey is the KmsKeyId of a new secret: nil leaves Secrets Manager's default.
func (v *Vault) kmsKey() *string {
	if v.KMSKeyID == "" {
		return nil
	}
	return &v.KMSKeyID
}

func (v *Vault) name(n string) *string {
	full := v.Prefix + n
	return &full
}

// Get returns a secret's current value; found is false when there is none.
func (v *Vault) Get(ctx context.Context, name string) (value string, found bool, err error) {
	out, err := v.API.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: v.name(name)})
	var nf *types.ResourceNotFoundException
	if errors.As(err, &nf) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read secret: %w", err)
	}
	return aws.ToString(out.SecretString), true, nil
}

// Put stores a new current value, creating the secret the first time.
func (v *Vault) Put(ctx context.Context, name, value string) error {
	_, err := v.API.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: v.name(name), SecretString: &value})
	var nf *types.ResourceNotFoundException
	if errors.As(err, &nf) {
		_, err = v.API.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: v.name(name), SecretString: &value, KmsKeyId: v.kmsKey()})
	}
	if err != nil {
		return fmt.Errorf("store secret: %w", err)
	}
	return nil
}

// Create stores value unless the secret exists, and returns the secret's value:
// the one given, or (a retried step, a concurrent creator) the one stored.
func (v *Vault) Create(ctx context.Context, name, value, description string) (string, error) {
	if cur, found, err := v.Get(ctx, name); err != nil || found {
		return cur, err
	}
	_, err := v.API.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: v.name(name), SecretString: &value, Description: &description, KmsKeyId: v.kmsKey()})
	var exists *types.ResourceExistsException
	if errors.As(err, &exists) { // a concurrent creator won: use its value
		cur, _, err := v.Get(ctx, name)
		return cur, err
	}
	if err != nil {
		return "", fmt.Errorf("create secret: %w", err)
	}
	return value, nil
}

// Exists reports whether a secret exists.
func (v *Vault) Exists(ctx context.Context, name string) (bool, error) {
	_, err := v.API.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: v.name(name)})
	var nf *types.ResourceNotFoundException
	if errors.As(err, &nf) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("describe secret: %w", err)
	}
	return true, nil
}

var _ ah.Vault = (*Vault)(nil)

// CursorKeys reads the cursor signing keys from one secret: its current value
// first, then its previous one (while Secrets Manager keeps it as AWSPREVIOUS), so
// the secret can be rotated without a redeploy.
type CursorKeys struct {
	API      API
	SecretID string
}

// Keys returns the current key and, when there is one, the previous. The two
// stages are read at once (one round trip of latency, at the API's init).
func (k CursorKeys) Keys(ctx context.Context) ([][]byte, error) {
	stages := []string{"AWSCURRENT", "AWSPREVIOUS"}
	values := make([]string, len(stages))
	errs := make([]error, len(stages))
	var wg sync.WaitGroup
	for i, stage := range stages {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := k.API.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &k.SecretID, VersionStage: aws.String(stage)})
			if err == nil {
				values[i] = aws.ToString(v.SecretString)
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	if errs[0] != nil {
		return nil, fmt.Errorf("read AWSCURRENT of the cursor secret: %w", errs[0])
	}
	out := [][]byte{[]byte(values[0])}
	var nf *types.ResourceNotFoundException
	switch {
	case errs[1] == nil:
		out = append(out, []byte(values[1]))
	case !errors.As(errs[1], &nf):
		return nil, fmt.Errorf("read AWSPREVIOUS of the cursor secret: %w", errs[1])
	}
	return out, nil
}
