package memstore

import (
	"context"
	"errors"
	"strings"
	"sync"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// In-memory fakes of the service's other ports, for its own tests. Each records
// what it was asked and can be told to fail.

// Workflows records the workflows started, stopped and run. Run calls Runner when
// set (a test wires it to the service's own steps), else succeeds.
type Workflows struct {
	mu      sync.Mutex
	started map[string]ah.StepInput
	order   []string
	stopped []string
	Runner  func(ctx context.Context, workflow string, in ah.StepInput) error
	// StartErr, when set, is what Start answers (once).
	StartErr error
}

var _ ah.Workflows = (*Workflows)(nil)

// Start records the start; a second start of the same execution is a no-op (as
// Step Functions refuses a name in use).
func (w *Workflows) Start(_ context.Context, workflow string, in ah.StepInput) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.StartErr; err != nil {
		w.StartErr = nil
		return err
	}
	if w.started == nil {
		w.started = map[string]ah.StepInput{}
	}
	name := in.ExecutionName(workflow)
	if _, ok := w.started[name]; !ok {
		w.started[name] = in
		w.order = append(w.order, name)
	}
	return nil
}

// Stop records the stop.
func (w *Workflows) Stop(_ context.Context, workflow, resourceID string, attempt int) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopped = append(w.stopped, ah.ExecutionName(workflow, resourceID, attempt))
	return nil
}

// Run runs an attempt through Runner.
func (w *Workflows) Run(ctx context.Context, workflow string, in ah.StepInput) error {
	w.mu.Lock()
	run := w.Runner
	w.mu.Unlock()
	if run == nil {
		return nil
	}
	return run(ctx, workflow, in)
}

// Started returns the inputs of the executions started, in order.
func (w *Workflows) Started() []ah.StepInput {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]ah.StepInput, len(w.order))
	for i, n := range w.order {
		out[i] = w.started[n]
	}
	return out
}

// Stopped returns the execution names stopped, in order.
func (w *Workflows) Stopped() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.stopped...)
}

// Vault keeps secrets by name with every version written.
type Vault struct {
	mu       sync.Mutex
	versions map[string][]string
	deleted  map[string]bool
	// FailPut, when set, is what the next Put answers.
	FailPut error
}

var _ ah.Vault = (*Vault)(nil)

// Get returns a secret's current value.
func (v *Vault) Get(_ context.Context, name string) (string, bool, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	vs := v.versions[name]
	if len(vs) == 0 || v.deleted[name] {
		return "", false, nil
	}
	return vs[len(vs)-1], true, nil
}

// Put stores a new current value.
func (v *Vault) Put(_ context.Context, name, value string) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if err := v.FailPut; err != nil {
		v.FailPut = nil
		return err
	}
	if v.versions == nil {
		v.versions = map[string][]string{}
	}
	v.versions[name] = append(v.versions[name], value)
	return nil
}

// Create stores value unless the secret exists, and returns the secret's value.
func (v *Vault) Create(ctx context.Context, name, value, _ string) (string, error) {
	if cur, ok, _ := v.Get(ctx, name); ok {
		return cur, nil
	}
	return value, v.Put(ctx, name, value)
}

// Exists reports whether the secret has a value.
func (v *Vault) Exists(ctx context.Context, name string) (bool, error) {
	_, ok, err := v.Get(ctx, name)
	return ok, err
}

// Delete marks the secret deleted.
func (v *Vault) Delete(_ context.Context, name string) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.deleted == nil {
		v.deleted = map[string]bool{}
	}
	v.deleted[name] = true
	return nil
}

// Forget removes a secret and its versions, as if it had never been written.
func (v *Vault) Forget(name string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	delete(v.versions, name)
	delete(v.deleted, name)
}

// Versions returns how many values a secret has had.
func (v *Vault) Versions(name string) int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.versions[name])
}

// Mail is one email sent.
type Mail struct{ To, Subject, Body string }

// Mailer records the email sent; FailNext makes the next n sends fail.
type Mailer struct {
	mu       sync.Mutex
	sent     []Mail
	attempts int
	FailNext int
}

var _ ah.Mailer = (*Mailer)(nil)

// Send records an email, or fails as told.
func (m *Mailer) Send(_ context.Context, to, subject, body string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.attempts++
	if m.FailNext > 0 {
		m.FailNext--
		return errors.New("injected email failure")
	}
	m.sent = append(m.sent, Mail{to, subject, body})
	return nil
}

// Sent returns the email sent, in order.
func (m *Mailer) Sent() []Mail {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Mail(nil), m.sent...)
}

// Attempts counts every send, failed ones included.
func (m *Mailer) Attempts() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.attempts
}

// Directory is a fake Workspace directory: users by email with their password and
// suspension.
type Directory struct {
	mu    sync.Mutex
	users map[string]*DirUser
	// Fail, when set, is what the next call answers.
	Fail  error
	calls int
}

// DirUser is one Workspace user.
type DirUser struct {
	Password  string
	Suspended bool
}

var _ ah.Directory = (*Directory)(nil)

func (d *Directory) enter() error {
	d.calls++
	if d.users == nil {
		d.users = map[string]*DirUser{}
	}
	if err := d.Fail; err != nil {
		d.Fail = nil
		return err
	}
	return nil
}

// EnsureUser creates a user; one that exists already is success.
func (d *Directory) EnsureUser(_ context.Context, u ah.DirectoryUser) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.enter(); err != nil {
		return false, err
	}
	k := strings.ToLower(u.PrimaryEmail)
	if cur, ok := d.users[k]; ok {
		cur.Password, cur.Suspended = u.Password, false
		return false, nil
	}
	d.users[k] = &DirUser{Password: u.Password}
	return true, nil
}

// SetPassword changes a user's password.
func (d *Directory) SetPassword(_ context.Context, email, password string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.enter(); err != nil {
		return err
	}
	u, ok := d.users[strings.ToLower(email)]
	if !ok {
		return ah.Permanent("no Workspace user %s", email)
	}
	u.Password = password
	return nil
}

// Suspend suspends a user; a missing one is success.
func (d *Directory) Suspend(_ context.Context, email string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.enter(); err != nil {
		return err
	}
	if u, ok := d.users[strings.ToLower(email)]; ok {
		u.Suspended = true
	}
	return nil
}

// User returns a copy of a user.
func (d *Directory) User(email string) (DirUser, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	u, ok := d.users[strings.ToLower(email)]
	if !ok {
		return DirUser{}, false
	}
	return *u, true
}

// Calls counts the calls made.
func (d *Directory) Calls() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.calls
}

// Metrics records the counts the service reports.
type Metrics struct {
	mu     sync.Mutex
	counts map[string]int
}

var _ ah.Metrics = (*Metrics)(nil)

// Count records n of a count.
func (m *Metrics) Count(name string, n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.counts == nil {
		m.counts = map[string]int{}
	}
	m.counts[name] += n
}

// Of returns a count's total.
func (m *Metrics) Of(name string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.counts[name]
}
