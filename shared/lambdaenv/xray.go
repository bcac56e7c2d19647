package lambdaenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// X-Ray subsegments for every AWS call, so a trace shows the function's calls to
// DynamoDB, Step Functions, Secrets Manager and SES under the Lambda segment.
//
// With active tracing Lambda runs the X-Ray daemon and gives each invocation a
// trace header (the context's "x-amzn-trace-id": Root, Parent, Sampled). For a
// sampled invocation each SDK call sends one subsegment document, over UDP to the
// daemon (AWS_XRAY_DAEMON_ADDRESS), in the documented format: the header line
// {"format":"json","version":1} and the document. Written here rather than
// taken from aws-xray-sdk-go, whose core links the v1 SDK and fasthttp into
// every function (a few megabytes and its own init) for these forty lines; an
// OpenTelemetry exporter would need a collector layer beside each function.

// traceHeader is the parsed trace header of an invocation.
type traceHeader struct {
	root, parent string
	sampled      bool
}

func parseTraceHeader(h string) traceHeader {
	var t traceHeader
	for _, part := range strings.Split(h, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Root":
			t.root = v
		case "Parent":
			t.parent = v
		case "Sampled":
			t.sampled = v == "1"
		}
	}
	return t
}

// xray sends subsegments to the daemon.
type xray struct {
	mu   sync.Mutex
	conn net.Conn
	now  func() time.Time
}

func newXRay(addr string) (*xray, error) {
	conn, err := net.Dial("udp", addr)
	if err != nil {
		return nil, err
	}
	return &xray{conn: conn, now: time.Now}, nil
}

// instrument adds the subsegment middleware to an AWS configuration.
func (x *xray) instrument(cfg *aws.Config) {
	cfg.APIOptions = append(cfg.APIOptions, func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("AccessHiveXRay", x.handle), middleware.Before)
	})
}

type subsegment struct {
	Type      string  `json:"type"`
	ID        string  `json:"id"`
	TraceID   string  `json:"trace_id"`
	ParentID  string  `json:"parent_id"`
	Name      string  `json:"name"`
	Namespace string  `json:"namespace"`
	StartTime float64 `json:"start_time"`
	EndTime   float64 `json:"end_time"`
	Error     bool    `json:"error,omitempty"`
	Fault     bool    `json:"fault,omitempty"`
	Throttle  bool    `json:"throttle,omitempty"`
	AWS       struct {
		Operation string `json:"operation"`
		Region    string `json:"region,omitempty"`
		RequestID string `json:"request_id,omitempty"`
		TableName string `json:"table_name,omitempty"`
	} `json:"aws"`
	HTTP *struct {
		Response struct {
			Status int `json:"status"`
		} `json:"response"`
	} `json:"http,omitempty"`
}

func (x *xray) handle(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	h, _ := ctx.Value("x-amzn-trace-id").(string)
	th := parseTraceHeader(h)
	if !th.sampled || th.root == "" || th.parent == "" {
		return next.HandleInitialize(ctx, in)
	}
	start := x.now()
	out, md, err := next.HandleInitialize(ctx, in)
	s := subsegment{Type: "subsegment", ID: newSegmentID(), TraceID: th.root, ParentID: th.parent,
		Name: awsmiddleware.GetServiceID(ctx), Namespace: "aws", StartTime: seconds(start), EndTime: seconds(x.now())}
	s.AWS.Operation = awsmiddleware.GetOperationName(ctx)
	s.AWS.Region = awsmiddleware.GetRegion(ctx)
	s.AWS.RequestID, _ = awsmiddleware.GetRequestIDMetadata(md)
	s.AWS.TableName = tableName(in.Parameters)
	if resp, ok := awsmiddleware.GetRawResponse(md).(*smithyhttp.Response); ok && resp != nil {
		s.HTTP = &struct {
			Response struct {
				Status int `json:"status"`
			} `json:"response"`
		}{}
		s.HTTP.Response.Status = resp.StatusCode
		switch {
		case resp.StatusCode == 429:
			s.Error, s.Throttle = true, true
		case resp.StatusCode >= 500:
			s.Fault = true
		case resp.StatusCode >= 400:
			s.Error = true
		}
	} else if err != nil {
		s.Fault = true
	}
	x.send(s)
	return out, md, err
}

func (x *xray) send(s subsegment) {
	doc, err := json.Marshal(s)
	if err != nil {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	_, _ = x.conn.Write(append([]byte("{\"format\":\"json\",\"version\":1}\n"), doc...))
}

// tableName is the DynamoDB table an input names, if it names one (a TableName
// field: GetItem, PutItem, Query and the like).
func tableName(params any) string {
	v := reflect.ValueOf(params)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return ""
	}
	f := v.Elem().FieldByName("TableName")
	if f.IsValid() && f.Kind() == reflect.Pointer && !f.IsNil() && f.Elem().Kind() == reflect.String {
		return f.Elem().String()
	}
	return ""
}

func seconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

func newSegmentID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
