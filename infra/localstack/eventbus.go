package localstack

// The local EventBridge: the template's buses, PutEvents held to what the
// EventBridge API reference documents (1 to 10 entries; Source, DetailType and a
// JSON-object Detail on each; a request of at most 256 KB; a bus that exists),
// failures answered per entry as EventBridge does (FailedEntryCount, ErrorCode),
// and every accepted event kept so tests read back what was published. A test
// can make the next entries fail (InternalFailure, as a throttled or failed entry
// answers) to watch the publisher retry.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// BusEvent is one event a bus accepted.
type BusEvent struct {
	ID         string          `json:"id"`
	Bus        string          `json:"bus"`
	Source     string          `json:"source"`
	DetailType string          `json:"detailType"`
	Detail     json.RawMessage `json:"detail"`
	Time       time.Time       `json:"time"`
}

// EventBus is the local EventBridge service.
type EventBus struct {
	region, account string
	mu              sync.Mutex
	buses           map[string]bool
	events          []BusEvent
	failNext        int
	seq             int
}

// maxPutEventsSize is PutEvents' limit on a request's entries (256 KB).
const maxPutEventsSize = 256 << 10

func newEventBus(region, account string, names []string) *EventBus {
	b := &EventBus{region: region, account: account, buses: map[string]bool{"default": true}}
	for _, n := range names {
		b.buses[n] = true
	}
	return b
}

// Events returns what the buses accepted, in order.
func (b *EventBus) Events() []BusEvent {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]BusEvent(nil), b.events...)
}

// FailNext makes the next n entries fail with InternalFailure.
func (b *EventBus) FailNext(n int) {
	b.mu.Lock()
	b.failNext = n
	b.mu.Unlock()
}

// busName resolves an EventBusName (a name or an ARN; empty is the default bus).
func (b *EventBus) busName(n string) string {
	if n == "" {
		return "default"
	}
	if i := strings.LastIndex(n, ":event-bus/"); strings.HasPrefix(n, "arn:") && i >= 0 {
		return n[i+len(":event-bus/"):]
	}
	return n
}

type putEntry struct {
	Source       string   `json:"Source"`
	DetailType   string   `json:"DetailType"`
	Detail       string   `json:"Detail"`
	EventBusName string   `json:"EventBusName"`
	Resources    []string `json:"Resources"`
	Time         *float64 `json:"Time"`
}

func (b *EventBus) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AWSEvents.")
	if op != "PutEvents" {
		eventsError(w, "UnknownOperationException", "the local EventBridge serves PutEvents only, not "+op)
		return
	}
	var in struct {
		Entries []putEntry `json:"Entries"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		eventsError(w, "ValidationException", "malformed request: "+err.Error())
		return
	}
	if len(in.Entries) < 1 || len(in.Entries) > 10 {
		eventsError(w, "ValidationException", fmt.Sprintf("1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and 10 (got %d)", len(in.Entries)))
		return
	}
	size := 0
	for _, e := range in.Entries {
		// The documented entry size: Time (14), Source, DetailType, Detail, Resources.
		size += 14 + len(e.Source) + len(e.DetailType) + len(e.Detail)
		for _, res := range e.Resources {
			size += len(res)
		}
	}
	if size > maxPutEventsSize {
		eventsError(w, "ValidationException", fmt.Sprintf("Total size of the entries in the request is over the limit (%d bytes; limit %d)", size, maxPutEventsSize))
		return
	}
	type result struct {
		EventID      string `json:"EventId,omitempty"`
		ErrorCode    string `json:"ErrorCode,omitempty"`
		ErrorMessage string `json:"ErrorMessage,omitempty"`
	}
	out := struct {
		FailedEntryCount int      `json:"FailedEntryCount"`
		Entries          []result `json:"Entries"`
	}{}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range in.Entries {
		bus := b.busName(e.EventBusName)
		var obj map[string]any
		var res result
		switch {
		case !b.buses[bus]:
			res = result{ErrorCode: "ResourceNotFoundException", ErrorMessage: "Event bus " + bus + " does not exist."}
		case e.Source == "" || e.DetailType == "" || e.Detail == "":
			res = result{ErrorCode: "InvalidArgument", ErrorMessage: "Parameters Source, DetailType and Detail are required."}
		case json.Unmarshal([]byte(e.Detail), &obj) != nil || obj == nil:
			res = result{ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed: it must be a JSON object."}
		case b.failNext > 0:
			b.failNext--
			res = result{ErrorCode: "InternalFailure", ErrorMessage: "Internal service error (injected by the local stack)."}
		default:
			b.seq++
			id := fmt.Sprintf("%08x-0000-4000-8000-%012x", b.seq, time.Now().UnixNano()&0xffffffffffff)
			at := time.Now().UTC()
			if e.Time != nil {
				at = time.Unix(int64(*e.Time), 0).UTC()
			}
			b.events = append(b.events, BusEvent{ID: id, Bus: bus, Source: e.Source, DetailType: e.DetailType, Detail: json.RawMessage(e.Detail), Time: at})
			res = result{EventID: id}
		}
		if res.ErrorCode != "" {
			out.FailedEntryCount++
		}
		out.Entries = append(out.Entries, res)
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(out)
}

func eventsError(w http.ResponseWriter, typ, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", typ)
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": msg})
}
