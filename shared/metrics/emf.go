// Package metrics records the product's counts as CloudWatch metrics in the
// embedded metric format: one JSON line per count on the function's standard
// output, which CloudWatch Logs turns into a metric (namespace AccessHive,
// dimension Stack). No API call, no client, nothing to wait for.
package metrics

import (
	"encoding/json"
	"io"
	"sync"
	"time"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// Namespace is the CloudWatch namespace of every AccessHive metric.
const Namespace = "AccessHive"

// EMF writes embedded-metric-format lines to W.
type EMF struct {
	mu    sync.Mutex
	W     io.Writer
	Stack string
	Now   func() time.Time
}

var _ ah.Metrics = (*EMF)(nil)

type directive struct {
	Namespace  string     `json:"Namespace"`
	Dimensions [][]string `json:"Dimensions"`
	Metrics    []struct {
		Name string `json:"Name"`
		Unit string `json:"Unit"`
	} `json:"Metrics"`
}

// Count records n of the named count.
func (m *EMF) Count(name string, n int) {
	if m == nil || m.W == nil || n == 0 {
		return
	}
	now := time.Now
	if m.Now != nil {
		now = m.Now
	}
	d := directive{Namespace: Namespace, Dimensions: [][]string{{"Stack"}}}
	d.Metrics = append(d.Metrics, struct {
		Name string `json:"Name"`
		Unit string `json:"Unit"`
	}{name, "Count"})
	line, err := json.Marshal(map[string]any{
		"_aws":  map[string]any{"Timestamp": now().UnixMilli(), "CloudWatchMetrics": []directive{d}},
		"Stack": m.Stack,
		name:    n,
	})
	if err != nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	_, _ = m.W.Write(append(line, '\n'))
}
