// Package localstack runs AccessHive on one machine the way it runs in AWS: tables,
// functions, roles, routes and event sources all come from template.yaml; DynamoDB
// is moto_server (or AWS_ENDPOINT_URL); the HTTP API and the Lambda Invoke API are
// served on loopback; functions run in process through their real handlers. Every
// AWS call a function makes goes through the front (infra/awsfront), which holds
// it to the function's IAM role and to DynamoDB's rules before it is served.
package localstack

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/accesshive/accesshive/infra/apigw"
	"github.com/accesshive/accesshive/infra/asl"
	"github.com/accesshive/accesshive/infra/authn"
	"github.com/accesshive/accesshive/infra/awsfront"
	"github.com/accesshive/accesshive/infra/fakedirectory"
	"github.com/accesshive/accesshive/infra/fakeslack"
	"github.com/accesshive/accesshive/infra/iam"
	"github.com/accesshive/accesshive/infra/motoserver"
	"github.com/accesshive/accesshive/infra/samtemplate"
	"github.com/accesshive/accesshive/shared/lambdaenv"
)

// Options configure a local stack.
type Options struct {
	TemplatePath string // default template.yaml
	// Endpoint is a DynamoDB-compatible endpoint; empty starts moto_server.
	Endpoint string
	// Prefix makes physical names unique; default "accesshive-".
	Prefix string
	Issuer *authn.Issuer
	Logger *slog.Logger
	// Template, when set, is used instead of the file at TemplatePath (whose
	// directory still anchors DefinitionUri); tests run edited copies.
	Template []byte
	// RetryScale multiplies state machine retry delays (1 is real time; tests use
	// a small fraction). Default 1.
	RetryScale float64
	// Output receives what the functions write to standard output (their
	// embedded-metric-format lines); default discarded.
	Output io.Writer
	// AWSAddr and DirectoryAddr are where the AWS front (every local AWS API) and
	// the fake Workspace Directory listen; default a free loopback port each.
	// make run fixes them, so sam local's env file can name them.
	AWSAddr, DirectoryAddr string
	// SlackAddr is where the fake Slack Web API listens (default a free port).
	SlackAddr string
}

// Stack is a running local AccessHive.
type Stack struct {
	Template  *samtemplate.Template
	AWS       aws.Config
	DB        *dynamodb.Client
	Endpoint  string
	Tables    map[string]string // logical id -> physical name
	Functions map[string]lambda.Handler
	Gateway   *apigw.Gateway
	Issuer    *authn.Issuer
	// Calls counts the AWS calls the functions make (not the stack's own setup).
	Calls *Calls
	// StepFunctions runs the template's state machines.
	StepFunctions *asl.Service
	// Clock is what every function takes as now (set before Start); tests move
	// it while the stack runs with SetClock.
	Clock   func() time.Time
	clockMu sync.RWMutex
	// Directory is the fake Google Workspace Directory API the functions call.
	Directory *fakedirectory.Directory
	// Bus is the local EventBridge: the events the functions published.
	Bus *EventBus
	// Slack is the fake Slack Web API the functions call.
	Slack    *fakeslack.Slack
	slackURL string

	// Roles are the IAM roles of the functions and state machines, by logical id.
	Roles map[string]*iam.Principal
	// AWSURL is the front every function's AWS calls go to.
	AWSURL string

	log          *slog.Logger
	out          io.Writer
	opts         Options
	moto         *motoserver.Server
	resolver     samtemplate.Resolver
	machines     []string
	servers      []*http.Server
	dir          string
	directoryURL string
	streams      streamState
}

// Start builds the stack: engine, tables, functions and gateway.
func Start(ctx context.Context, o Options) (*Stack, error) {
	if o.TemplatePath == "" {
		o.TemplatePath = "template.yaml"
	}
	if o.Prefix == "" {
		o.Prefix = "accesshive-"
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Issuer == nil {
		return nil, errors.New("localstack: an issuer is required")
	}
	s := &Stack{Issuer: o.Issuer, log: o.Logger, Endpoint: o.Endpoint, Tables: map[string]string{},
		Functions: map[string]lambda.Handler{}, out: o.Output, opts: o}
	if s.out == nil {
		s.out = io.Discard
	}
	if s.Endpoint == "" {
		m, err := motoserver.Start(ctx)
		if err != nil {
			return nil, err
		}
		s.moto, s.Endpoint = m, m.URL
	}
	var err error
	s.resolver = samtemplate.Resolver{Prefix: o.Prefix, Region: Region, Account: Account, Parameters: map[string]string{
		"JwtIssuer": o.Issuer.URL, "JwtAudience": o.Issuer.Audience, "WorkspaceDomain": LocalWorkspaceDomain, "EmailSender": LocalSender,
	}}
	if o.Template == nil {
		s.Template, err = samtemplate.Load(o.TemplatePath, s.resolver)
	} else {
		s.Template, err = samtemplate.Parse(o.Template, s.resolver)
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	s.dir = filepath.Dir(o.TemplatePath)
	if err := s.startFront(); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.startServices(ctx, o); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.createTables(ctx); err != nil {
		s.Close()
		return nil, err
	}
	s.Calls = &Calls{}
	if s.Clock == nil {
		s.Clock = time.Now
	}
	if err := s.buildFunctions(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.buildGateway(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// The local region and account.
const (
	Region  = "us-east-1"
	Account = "000000000000"
)

// Config is the AWS configuration for a local endpoint: static credentials, one
// region. The access key "local" acts as an administrator (the stack's own setup).
func Config(endpoint string) aws.Config {
	return ConfigAs(endpoint, "local")
}

// ConfigAs is the AWS configuration of one role: its calls are signed with the
// access key the front knows the role by (its logical id).
func ConfigAs(endpoint, accessKey string) aws.Config {
	return aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider(accessKey, "local", ""),
		BaseEndpoint: aws.String(endpoint),
		// StartSyncExecution prefixes the host with "sync-" on AWS; the local
		// endpoint is one host.
		APIOptions: []func(*middleware.Stack) error{func(st *middleware.Stack) error {
			return st.Initialize.Add(middleware.InitializeMiddlewareFunc("LocalNoHostPrefix",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					return next.HandleInitialize(smithyhttp.DisableEndpointHostPrefix(ctx, true), in)
				}), middleware.Before)
		}},
	}
}

// startFront serves the front every AWS call goes through, with the template's
// roles, and points the stack's own clients at it.
func (s *Stack) startFront() error {
	roles, err := s.Template.Roles()
	if err != nil {
		return err
	}
	s.Roles = roles
	buses, err := s.Template.EventBuses()
	if err != nil {
		return err
	}
	s.Bus = newEventBus(Region, Account, buses)
	front, err := awsfront.New(awsfront.Options{Engine: s.Endpoint, Region: Region, Account: Account, Principals: roles,
		StepFunctions: s.StepFunctionsAPI(), Lambda: s.LambdaAPI(), Events: s.Bus, Logger: s.log})
	if err != nil {
		return err
	}
	if s.AWSURL, err = s.serve(s.opts.AWSAddr, front); err != nil {
		return err
	}
	s.AWS = Config(s.AWSURL)
	s.DB = dynamodb.NewFromConfig(s.AWS)
	return nil
}

// Close stops what the stack started.
func (s *Stack) Close() {
	for _, srv := range s.servers {
		_ = srv.Close()
	}
	s.moto.Stop()
}

// DemoSlackToken is a bot token the local fake Slack knows (make run, tests).
const DemoSlackToken = "xoxb-0000000000-0000000000-localdemo00"

// Local values of template parameters.
const (
	LocalWorkspaceDomain = "workspace.local"
	LocalSender          = "accesshive@agency.local"
)

// serve runs h on addr (a free loopback port when empty) and returns its URL.
func (s *Stack) serve(addr string, h http.Handler) (string, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	s.servers = append(s.servers, srv)
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), nil
}

// startServices starts what the functions call besides DynamoDB: Step Functions
// (the template's machines on the ASL executor), the fake Workspace Directory, and
// SES with the sender verified.
func (s *Stack) startServices(ctx context.Context, o Options) error {
	scale := o.RetryScale
	if scale == 0 {
		scale = 1
	}
	runner := &asl.Runner{Invoker: asl.InvokerFunc(s.invokeARN), Sleep: func(ctx context.Context, d time.Duration) error {
		t := time.NewTimer(time.Duration(float64(d) * scale))
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			return nil
		}
	}}
	s.StepFunctions = asl.NewService(runner)
	s.StepFunctions.Log = s.log
	sms, err := s.Template.StateMachines(s.dir)
	if err != nil {
		return err
	}
	for _, sm := range sms {
		m, err := asl.Parse(sm.Definition)
		if err != nil {
			return fmt.Errorf("state machine %s: %w", sm.LogicalID, err)
		}
		s.StepFunctions.AddMachine(sm.ARN, m)
		s.machines = append(s.machines, sm.ARN)
	}
	s.Slack = fakeslack.New()
	s.Slack.AddWorkspace(DemoSlackToken, "T0LOCALDEMO", "Local Demo")
	s.Slack.AddChannel("C0ACMEREQS1", true)
	if s.slackURL, err = s.serve(s.opts.SlackAddr, s.Slack); err != nil {
		return err
	}
	s.Directory = fakedirectory.New()
	if s.directoryURL, err = s.serve(s.opts.DirectoryAddr, s.Directory); err != nil {
		return err
	}
	_, err = sesv2.NewFromConfig(s.AWS).CreateEmailIdentity(ctx, &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String(LocalSender)})
	var exists *sestypes.AlreadyExistsException
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("verify the local sender in SES: %w", err)
	}
	return nil
}

func (s *Stack) createTables(ctx context.Context) error {
	// The template's secrets, with a generated value (GenerateSecretString).
	sm := secretsmanager.NewFromConfig(s.AWS)
	for _, id := range s.Template.Secrets() {
		_, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(s.resolver.PhysicalName(id)), SecretString: aws.String(randomHex(32))})
		var exists *smtypes.ResourceExistsException
		if err != nil && !errors.As(err, &exists) {
			return fmt.Errorf("create secret %s: %w", id, err)
		}
	}
	q := sqs.NewFromConfig(s.AWS)
	for _, name := range s.Template.Queues() {
		if _, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)}); err != nil {
			return fmt.Errorf("create queue %s: %w", name, err)
		}
	}
	for _, t := range s.Template.Tables() {
		name := *t.Create.TableName
		s.Tables[t.LogicalID] = name
		_, err := s.DB.CreateTable(ctx, t.Create)
		var inUse *ddbtypes.ResourceInUseException
		if errors.As(err, &inUse) {
			continue // a persistent endpoint keeps its tables
		}
		if err != nil {
			return fmt.Errorf("create table %s: %w", name, err)
		}
		if t.TTLAttribute != "" {
			if _, err := s.DB.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: &name,
				TimeToLiveSpecification: &ddbtypes.TimeToLiveSpecification{AttributeName: &t.TTLAttribute, Enabled: aws.Bool(true)}}); err != nil {
				return fmt.Errorf("enable TTL on %s: %w", name, err)
			}
		}
	}
	return nil
}

// buildFunctions constructs every function the template declares through its
// builder, with the template's environment; a function without a builder is an error.
func (s *Stack) buildFunctions(ctx context.Context) error {
	fns, err := s.Template.Functions()
	if err != nil {
		return err
	}
	ids := make([]string, 0, len(fns))
	for id := range fns {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		b, ok := builders[id]
		if !ok {
			return fmt.Errorf("template function %s has no local builder in infra/localstack/functions.go", id)
		}
		env := map[string]string{}
		for k, v := range fns[id].Env {
			env[k] = v
		}
		if id == "WorkspaceFunction" || id == "RotateCredentialFunction" {
			env["WORKSPACE_ENDPOINT"] = s.directoryURL + "/"
		}
		if _, ok := env["SLACK_API_URL"]; ok {
			env["SLACK_API_URL"] = s.slackURL + "/api/"
		}
		if _, ok := env["WEBHOOKS_ALLOW_LOOPBACK"]; ok {
			env["WEBHOOKS_ALLOW_LOOPBACK"] = "true" // test receivers listen on 127.0.0.1
		}
		fnCfg := ConfigAs(s.AWSURL, id)
		fnCfg.APIOptions = append(fnCfg.APIOptions, s.Calls.middleware(id))
		h, err := b(ctx, lambdaenv.Function{Env: func(k string) string { return env[k] }, AWS: fnCfg, Log: s.log.With("function", id), Now: s.Now,
			Out: s.out})
		if err != nil {
			return fmt.Errorf("build %s: %w", id, err)
		}
		s.Functions[id] = timed{id: id, calls: s.Calls, h: lambda.NewHandler(h)}
	}
	return nil
}

func (s *Stack) buildGateway() error {
	routes, err := s.Template.HTTPRoutes()
	if err != nil {
		return err
	}
	var rs []apigw.Route
	for _, r := range routes {
		fn, ok := s.Functions[r.Function]
		if !ok {
			return fmt.Errorf("route %s %s: no function %s", r.Method, r.Path, r.Function)
		}
		rs = append(rs, apigw.Route{Method: r.Method, Path: r.Path, Public: r.Public, Function: httpFunction(fn)})
	}
	s.Gateway = apigw.New(rs, s.Issuer)
	cors, err := s.Template.HTTPCors()
	if err != nil {
		return err
	}
	if cors != nil {
		c := apigw.CORS(*cors)
		s.Gateway.CORS = &c
	}
	return nil
}

// timed is a function's handler that records each invocation's duration in Calls.
type timed struct {
	id    string
	calls *Calls
	h     lambda.Handler
}

func (t timed) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	start := time.Now()
	out, err := t.h.Invoke(ctx, payload)
	d := time.Since(start)
	t.calls.metric(t.id, func(m *FunctionMetrics) {
		m.Handler += d
		m.Invocations++
		m.Durations = append(m.Durations, d)
	})
	return out, err
}

// httpFunction invokes a handler with a JSON-serialized event, as Lambda does.
func httpFunction(h lambda.Handler) apigw.Function {
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		var resp events.APIGatewayV2HTTPResponse
		payload, err := json.Marshal(ev)
		if err != nil {
			return resp, err
		}
		out, err := h.Invoke(ctx, payload)
		if err != nil {
			return resp, err
		}
		return resp, json.Unmarshal(out, &resp)
	}
}

// Invoke runs a function by logical id with a JSON payload.
func (s *Stack) Invoke(ctx context.Context, logicalID string, payload []byte) ([]byte, error) {
	h, ok := s.Functions[logicalID]
	if !ok {
		return nil, fmt.Errorf("no function %s", logicalID)
	}
	return h.Invoke(ctx, payload)
}

// LambdaAPI serves the Lambda Invoke API (as `sam local start-lambda` does), so
// `aws lambda invoke --endpoint-url ...` runs any function.
func (s *Stack) LambdaAPI() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2015-03-31/functions/{name}/invocations", func(w http.ResponseWriter, r *http.Request) {
		name := s.functionID(r.PathValue("name"))
		if _, ok := s.Functions[name]; !ok {
			w.Header().Set("X-Amzn-ErrorType", "ResourceNotFoundException")
			w.WriteHeader(http.StatusNotFound)
			_ = json.NewEncoder(w).Encode(map[string]string{"Type": "User", "Message": "Function not found: " + name})
			return
		}
		payload, err := readAll(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		out, err := s.Invoke(r.Context(), name, payload)
		if err != nil {
			w.Header().Set("X-Amz-Function-Error", "Unhandled")
			w.WriteHeader(http.StatusOK)
			_ = json.NewEncoder(w).Encode(map[string]string{"errorMessage": err.Error(), "errorType": fmt.Sprintf("%T", err)})
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(out)
	})
	return mux
}

// functionID resolves what a caller names a function by (logical id, physical
// name, or ARN, as Lambda accepts) to its logical id.
func (s *Stack) functionID(name string) string {
	for id := range s.Functions {
		if name == id || name == s.resolver.PhysicalName(id) || name == s.resolver.FunctionARN(id) {
			return id
		}
	}
	return name
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Now is the stack's clock (functions built locally read it).
func (s *Stack) Now() time.Time {
	s.clockMu.RLock()
	defer s.clockMu.RUnlock()
	return s.Clock()
}

// SetClock moves the stack's clock (safe while functions run).
func (s *Stack) SetClock(now func() time.Time) {
	s.clockMu.Lock()
	defer s.clockMu.Unlock()
	s.Clock = now
}

// SecretName is the full name of a secret the functions keep under the stack's
// prefix (SECRETS_PREFIX), e.g. an identity's credential.
func (s *Stack) SecretName(rel string) string {
	fns, err := s.Template.Functions()
	if err != nil {
		return rel
	}
	return fns["ApiFunction"].Env["SECRETS_PREFIX"] + rel
}

// DeleteTables removes the stack's tables and queues (tests sharing one engine
// clean up).
func (s *Stack) DeleteTables(ctx context.Context) {
	for _, name := range s.Tables {
		_, _ = s.DB.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	}
	q := sqs.NewFromConfig(s.AWS)
	for _, name := range s.Template.Queues() {
		if u, err := q.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)}); err == nil {
			_, _ = q.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: u.QueueUrl})
		}
	}
}
