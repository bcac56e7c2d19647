// Package testenv gives tests the real pieces: one moto_server per test binary, a
// fresh local stack (own tables, built from template.yaml) per test, and an HTTP
// client that goes through the API Gateway emulation into the real handlers.
package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/accesshive/accesshive/infra/authn"
	"github.com/accesshive/accesshive/infra/benchresult"
	"github.com/accesshive/accesshive/infra/localstack"
	"github.com/accesshive/accesshive/infra/motoserver"
)

var (
	once     sync.Once
	moto     *motoserver.Server
	motoErr  error
	issuer   *authn.Issuer
	counter  atomic.Int64
	endpoint string
)

// Main runs a package's tests and stops the shared engine afterwards. Use it from
// TestMain: func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }.
func Main(m *testing.M) int {
	code := m.Run()
	moto.Stop()
	return code
}

// Endpoint returns the DynamoDB-compatible endpoint: AWS_ENDPOINT_URL if set,
// otherwise a moto_server started once for this test binary. Tests fail (never
// skip) with the install hint when no engine can run.
func Endpoint(t testing.TB) string {
	t.Helper()
	once.Do(func() {
		issuer, motoErr = authn.NewIssuer("http://127.0.0.1/local-issuer", "accesshive-test")
		if motoErr != nil {
			return
		}
		if endpoint = os.Getenv("AWS_ENDPOINT_URL"); endpoint != "" {
			return
		}
		moto, motoErr = motoserver.Start(context.Background())
		if motoErr == nil {
			endpoint = moto.URL
		}
	})
	if motoErr != nil {
		t.Fatalf("no DynamoDB-compatible engine: %v", motoErr)
	}
	return endpoint
}

// Issuer is the token issuer every test stack trusts.
func Issuer(t testing.TB) *authn.Issuer {
	Endpoint(t)
	return issuer
}

// TemplatePath finds template.yaml at the module root.
func TemplatePath() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "template.yaml")
}

// Env is a test's own stack with demo data and a server for its gateway.
type Env struct {
	T      testing.TB
	Stack  *localstack.Stack
	Seed   localstack.Seeded
	Server *httptest.Server
	Logs   *SyncBuffer
}

// SyncBuffer is a goroutine-safe log sink.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything logged so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// New starts a stack with its own tables on the shared engine, seeds it and serves
// its gateway. Everything is torn down when the test ends.
func New(t testing.TB) *Env {
	t.Helper()
	return NewWithTemplate(t, nil)
}

// NewWithTemplate is New with an edited copy of template.yaml (nil: the file).
func NewWithTemplate(t testing.TB, template []byte) *Env {
	t.Helper()
	ep := Endpoint(t)
	logs := &SyncBuffer{}
	prefix := fmt.Sprintf("t%d-%s-", counter.Add(1), sanitize(t.Name()))
	stack, err := localstack.Start(context.Background(), localstack.Options{
		TemplatePath: TemplatePath(), Template: template, Endpoint: ep, Prefix: prefix, Issuer: issuer,
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo})), RetryScale: 0.001, Output: logs,
	})
	if err != nil {
		t.Fatalf("start local stack: %v", err)
	}
	seed, err := stack.Seed(context.Background())
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	srv := httptest.NewServer(stack.Gateway)
	t.Cleanup(func() {
		srv.Close()
		stack.DeleteTables(context.Background())
		stack.Close()
	})
	return &Env{T: t, Stack: stack, Seed: seed, Server: srv, Logs: logs}
}

func sanitize(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
		if b.Len() >= 40 {
			break
		}
	}
	return b.String()
}

// Response is a captured HTTP response.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test on error.
func (r *Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %d response %q: %v", r.Status, r.Body, err)
	}
}

// Map decodes the body as a JSON object.
func (r *Response) Map(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	r.JSON(t, &m)
	return m
}

// Problem is the subset of a problem details body tests assert on.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Code   string `json:"code"`
	Errors []struct {
		Field   string `json:"field"`
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"errors"`
	Current map[string]any `json:"current"`
}

// Problem decodes an RFC 9457 body, checking its content type and status.
func (r *Response) Problem(t testing.TB) Problem {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("content type %q, want application/problem+json (status %d, body %s)", ct, r.Status, r.Body)
	}
	var p Problem
	r.JSON(t, &p)
	if p.Status != r.Status || p.Code == "" || p.Type == "" || p.Title == "" {
		t.Fatalf("problem %+v does not match status %d or lacks fields", p, r.Status)
	}
	return p
}

// Request describes a call.
type Request struct {
	Method  string
	Path    string
	Token   string
	Body    any // []byte and string are sent as is; anything else as JSON
	Headers map[string]string
}

// Do sends a request through the gateway.
func (e *Env) Do(req Request) *Response {
	e.T.Helper()
	var body io.Reader
	switch b := req.Body.(type) {
	case nil:
	case []byte:
		body = bytes.NewReader(b)
	case string:
		body = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			e.T.Fatalf("encode body: %v", err)
		}
		body = bytes.NewReader(data)
	}
	hr, err := http.NewRequest(req.Method, e.Server.URL+req.Path, body)
	if err != nil {
		e.T.Fatalf("new request: %v", err)
	}
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if req.Token != "" {
		hr.Header.Set("Authorization", "Bearer "+req.Token)
	}
	for k, v := range req.Headers {
		if v == "" {
			hr.Header.Del(k)
		} else {
			hr.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		e.T.Fatalf("%s %s: %v", req.Method, req.Path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: data}
}

// As returns a caller bound to a seeded user's token ("owner", "admin", ...).
func (e *Env) As(handle string) *Caller {
	u, ok := e.Seed.Users[handle]
	if !ok {
		e.T.Fatalf("no seeded user %q", handle)
	}
	return &Caller{e: e, Token: u.Token}
}

// With returns a caller bound to any token (a member who is not seeded).
func (e *Env) With(token string) *Caller { return &Caller{e: e, Token: token} }

// Caller sends requests with one token.
type Caller struct {
	e     *Env
	Token string
}

// Get sends GET path.
func (c *Caller) Get(path string) *Response {
	c.e.T.Helper()
	return c.e.Do(Request{Method: "GET", Path: path, Token: c.Token})
}

// Post sends POST path with a JSON body.
func (c *Caller) Post(path string, body any, headers ...string) *Response {
	c.e.T.Helper()
	return c.e.Do(Request{Method: "POST", Path: path, Token: c.Token, Body: body, Headers: pairs(headers)})
}

// Patch sends PATCH path with a JSON body.
func (c *Caller) Patch(path string, body any, headers ...string) *Response {
	c.e.T.Helper()
	return c.e.Do(Request{Method: "PATCH", Path: path, Token: c.Token, Body: body, Headers: pairs(headers)})
}

// Send sends any method.
func (c *Caller) Send(method, path string, body any, headers ...string) *Response {
	c.e.T.Helper()
	return c.e.Do(Request{Method: method, Path: path, Token: c.Token, Body: body, Headers: pairs(headers)})
}

func pairs(kv []string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// Token mints a token for any subject (with a verified email when given).
func (e *Env) Token(subject, email string) string {
	tok, err := issuer.Mint(authn.TokenOpts{Subject: subject, Email: email})
	if err != nil {
		e.T.Fatalf("mint: %v", err)
	}
	return tok
}

// WriteBench writes a benchmark's results as JSON into ACCESSHIVE_BENCH_DIR.
func WriteBench(tb testing.TB, name string, v any) { benchresult.Write(tb, name, v) }
