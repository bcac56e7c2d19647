package metrics

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// TestEMFLine: one line per count, in the shape CloudWatch's embedded metric
// format documents: the directive under _aws, the dimension and the value as
// top-level members.
func TestEMFLine(t *testing.T) {
	var buf bytes.Buffer
	m := &EMF{W: &buf, Stack: "prod", Now: func() time.Time { return time.UnixMilli(1700000000000) }}
	m.Count("RequestsSubmitted", 2)
	m.Count("Nothing", 0)
	var line struct {
		AWS struct {
			Timestamp         int64 `json:"Timestamp"`
			CloudWatchMetrics []struct {
				Namespace  string     `json:"Namespace"`
				Dimensions [][]string `json:"Dimensions"`
				Metrics    []struct{ Name, Unit string }
			} `json:"CloudWatchMetrics"`
		} `json:"_aws"`
		Stack string  `json:"Stack"`
		Value float64 `json:"RequestsSubmitted"`
	}
	if n := bytes.Count(buf.Bytes(), []byte("\n")); n != 1 {
		t.Fatalf("%d lines, want 1 (a zero count writes nothing)", n)
	}
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatal(err)
	}
	d := line.AWS.CloudWatchMetrics
	if line.AWS.Timestamp != 1700000000000 || len(d) != 1 || d[0].Namespace != "AccessHive" || d[0].Dimensions[0][0] != "Stack" ||
		d[0].Metrics[0].Name != "RequestsSubmitted" || d[0].Metrics[0].Unit != "Count" || line.Stack != "prod" || line.Value != 2 {
		t.Fatalf("line = %s", buf.String())
	}
}
