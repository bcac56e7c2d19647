// Command local runs the whole AccessHive system on this machine (make run) and
// mints tokens for local users (go run ./infra/local token <userId>).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/accesshive/accesshive/infra/authn"
	"github.com/accesshive/accesshive/infra/localstack"
)

const (
	stateDir = ".local"
	audience = "accesshive-local"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "local:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) > 0 && args[0] == "token" {
		return tokenCmd(args[1:])
	}
	fs := flag.NewFlagSet("local", flag.ContinueOnError)
	apiAddr := fs.String("api", "127.0.0.1:3000", "HTTP API listen address (loopback only)")
	lambdaAddr := fs.String("lambda", "127.0.0.1:3001", "Lambda Invoke API listen address (loopback only)")
	awsAddr := fs.String("aws", "127.0.0.1:4566", "every local AWS API (DynamoDB, Secrets Manager, SES, SQS, Step Functions), IAM-checked (loopback only)")
	directoryAddr := fs.String("directory", "127.0.0.1:4567", "the fake Google Workspace Directory API (loopback only)")
	template := fs.String("template", "template.yaml", "SAM template")
	verbose := fs.Bool("v", false, "log every request")
	consoleDir := fs.String("console", "console/dist", "the built console, served on the API's origin")
	scheduleEvery := fs.Duration("schedule-every", 0, "fire the template's schedules this often instead of their rate (e.g. 10s for demos)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	for _, a := range []string{*apiAddr, *lambdaAddr, *awsAddr, *directoryAddr} {
		if err := loopbackOnly(a); err != nil {
			return err
		}
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	iss, err := issuer(*apiAddr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// Bind the ports first: a second `make run` fails at once, not after seeding.
	var listeners []net.Listener
	for _, addr := range []string{*apiAddr, *lambdaAddr} {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("listen on %s: %w (is another `make run` still running?)", addr, err)
		}
		defer ln.Close()
		listeners = append(listeners, ln)
	}
	endpoint := os.Getenv("AWS_ENDPOINT_URL")
	fmt.Fprintln(os.Stderr, "starting AccessHive locally...")
	stack, err := localstack.Start(ctx, localstack.Options{TemplatePath: *template, Endpoint: endpoint, Issuer: iss, Logger: log, Output: metricsOut(*verbose),
		AWSAddr: *awsAddr, DirectoryAddr: *directoryAddr})
	if err != nil {
		return err
	}
	defer stack.Close()
	seeded, err := stack.Seed(ctx)
	if err != nil {
		return fmt.Errorf("seed demo data: %w", err)
	}
	if err := writeTokens(seeded); err != nil {
		return err
	}
	if _, err := stack.StartSchedules(ctx, *scheduleEvery); err != nil {
		return err
	}
	stack.StartStreams(ctx, 250*time.Millisecond)
	servers := []*http.Server{
		{Addr: *apiAddr, Handler: withConsole(withJWKS(stack.Gateway, iss), *consoleDir, iss, seeded), ReadHeaderTimeout: 10 * time.Second},
		{Addr: *lambdaAddr, Handler: stack.LambdaAPI(), ReadHeaderTimeout: 10 * time.Second},
	}
	errc := make(chan error, len(servers))
	for i, srv := range servers {
		go func(srv *http.Server, ln net.Listener) {
			if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				errc <- err
			}
		}(srv, listeners[i])
	}
	printGuide(*apiAddr, *lambdaAddr, stack.AWSURL, seeded)
	select {
	case <-ctx.Done():
	case err := <-errc:
		return err
	}
	fmt.Fprintln(os.Stderr, "\nstopping...")
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, srv := range servers {
		_ = srv.Shutdown(shutdown)
	}
	return nil
}

func loopbackOnly(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("address %q: the local stack listens on loopback only", addr)
	}
	return nil
}

func issuer(apiAddr string) (*authn.Issuer, error) {
	return authn.LoadOrCreateIssuer("http://"+apiAddr+"/local-issuer", audience, filepath.Join(stateDir, "jwt-key.pem"))
}

func writeTokens(s localstack.Seeded) error {
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return err
	}
	tokens := map[string]map[string]string{}
	for h, u := range s.Users {
		tokens[h] = map[string]string{"userId": u.UserID, "token": u.Token}
	}
	data, _ := json.MarshalIndent(tokens, "", "  ")
	if err := os.WriteFile(filepath.Join(stateDir, "tokens.json"), data, 0o600); err != nil {
		return err
	}
	data, _ = json.MarshalIndent(s, "", "  ")
	return os.WriteFile(filepath.Join(stateDir, "seed.json"), data, 0o600)
}

func tokenCmd(args []string) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	email := fs.String("email", "", "verified email claim (binds an invited member at first sign-in)")
	ttl := fs.Duration("ttl", 12*time.Hour, "token lifetime")
	apiAddr := fs.String("api", "127.0.0.1:3000", "HTTP API address the issuer URL names")
	var userID string
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		userID, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if userID == "" && fs.NArg() > 0 {
		userID = fs.Arg(0)
	}
	if userID == "" {
		return errors.New("usage: go run ./infra/local token <userId> [--email address] [--ttl 12h]")
	}
	iss, err := issuer(*apiAddr)
	if err != nil {
		return err
	}
	tok, err := iss.Mint(authn.TokenOpts{Subject: userID, Email: *email, TTL: *ttl})
	if err != nil {
		return err
	}
	fmt.Println(tok)
	return nil
}

func printGuide(apiAddr, lambdaAddr, awsURL string, s localstack.Seeded) {
	base := "http://" + apiAddr
	fmt.Printf(`
AccessHive is running locally.

  Console          %[1]s/        (open it in a browser; development sign-in lists the seeded users)
  HTTP API         %[1]s        (API Gateway HTTP API with the JWT authorizer)
  Lambda Invoke    http://%[2]s   (aws lambda invoke --endpoint-url http://%[2]s ...)
  AWS              %[3]s   (DynamoDB and the other services; each function's calls are
                                            held to its IAM role in template.yaml and to DynamoDB's rules)
  Tokens           .local/tokens.json  (owner, admin, manager, member, auditor, clientUser, otherOwner)

Try it:

  TOKEN=$(jq -r .owner.token .local/tokens.json)
  curl -s %[1]s/v1/me -H "Authorization: Bearer $TOKEN"
  curl -s %[1]s/v1/platforms -H "Authorization: Bearer $TOKEN"
  curl -s %[1]s/v1/clients/%[4]s -H "Authorization: Bearer $TOKEN"

Integrations (README "Integrations"): webhooks may target http://127.0.0.1 here; Slack is a
local fake (bot token %[5]s, channel C0ACMEREQS1); SCIM at %[1]s/scim/v2.

Seeded ids: .local/seed.json.  The README has a longer tour.
sam local (Docker): --env-vars testdata/sam/env.json points functions at these ports.
A token for any user:  go run ./infra/local token <userId> [--email address]
Stop with Ctrl-C.
`, base, lambdaAddr, awsURL, s.ClientID, localstack.DemoSlackToken)
}

// metricsOut is where the functions' embedded-metric-format lines go: the
// terminal with -v, nowhere otherwise.
func metricsOut(verbose bool) io.Writer {
	if verbose {
		return os.Stdout
	}
	return io.Discard
}

// jwksPath is where the local issuer publishes its key set (sam local's API
// verifies tokens against it).
const jwksPath = "/local-issuer/.well-known/jwks.json"

func withJWKS(gateway http.Handler, iss *authn.Issuer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == jwksPath && r.Method == http.MethodGet {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(iss.JWKS())
			return
		}
		gateway.ServeHTTP(w, r)
	})
}
