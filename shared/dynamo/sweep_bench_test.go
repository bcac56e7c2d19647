package dynamo_test

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	smithymw "github.com/aws/smithy-go/middleware"

	"github.com/accesshive/accesshive/infra/benchresult"
	"github.com/accesshive/accesshive/infra/testenv"
	ah "github.com/accesshive/accesshive/shared/accesshive"
	"github.com/accesshive/accesshive/shared/dynamo"
	"github.com/accesshive/accesshive/shared/service"
)

// countingStore is a store whose DynamoDB client counts Query calls and items.
func countingStore(e *testenv.Env, queries, items *int) *dynamo.Store {
	db := dynamodb.NewFromConfig(e.Stack.AWS, func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(st *smithymw.Stack) error {
			return st.Initialize.Add(smithymw.InitializeMiddlewareFunc("count", func(ctx context.Context, in smithymw.InitializeInput, next smithymw.InitializeHandler) (smithymw.InitializeOutput, smithymw.Metadata, error) {
				out, md, err := next.HandleInitialize(ctx, in)
				if middleware.GetOperationName(ctx) == "Query" {
					*queries++
					if q, ok := out.Result.(*dynamodb.QueryOutput); ok {
						*items += len(q.Items)
					}
				}
				return out, md, err
			}), smithymw.After)
		})
	})
	return dynamo.NewStore(db, e.Stack.Tables["Table"])
}

func p50(d []time.Duration) float64 {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return float64(s[len(s)/2]) / float64(time.Millisecond)
}

var sizes = []int{100, 1000, 10000}

// BenchmarkExpirySweep measures what one sweep reads when few of many pending
// requests have expired: the sparse GSI3 keyed by expiry makes the sweep read the
// expired items only, whatever the number pending. Run with make bench.
func BenchmarkExpirySweep(b *testing.B) {
	results := map[int]benchresult.Scale{} // by size; the last run of each wins
	for _, pending := range sizes {
		b.Run(fmt.Sprintf("pending=%d/expired=10", pending), func(b *testing.B) {
			e := testenv.New(b)
			var queries, items int
			store := countingStore(e, &queries, &items)
			base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			reqs := make([]ah.AccessRequest, pending)
			for i := range reqs {
				reqs[i] = ah.AccessRequest{ID: fmt.Sprintf("req_%06d", i), AgencyID: e.Seed.AgencyID, ClientID: e.Seed.ClientID,
					PlatformID: "plt_bench", RequesterID: fmt.Sprintf("mbr_%06d", i), IdentityType: ah.IdentityStandard,
					Justification: "bench", Status: ah.RequestPending, ExpiresAt: base.Add(time.Duration(i) * time.Second),
					History: []ah.RequestEvent{}, Meta: ah.Meta{Version: 1, CreatedAt: base, UpdatedAt: base}}
			}
			if err := store.ImportRequests(context.Background(), reqs); err != nil {
				b.Fatal(err)
			}
			cut := base.Add(10*time.Second - time.Nanosecond) // requests 0..9 have expired
			var read int
			var lat []time.Duration
			b.ResetTimer()
			for range b.N {
				queries, items, read = 0, 0, 0
				start := time.Now()
				// The sweep's reads: every shard of the index, only entries before now.
				if err := store.ExpiredPending(context.Background(), cut, func(ah.AccessRequest) error { read++; return nil }); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
			}
			b.StopTimer()
			if read != 10 {
				b.Fatalf("read %d, want the 10 expired", read)
			}
			b.ReportMetric(float64(read), "items/sweep")
			b.ReportMetric(float64(queries), "queries/sweep")
			results[pending] = (benchresult.Scale{Read: "expiry sweep (pending requests)", Size: pending, Due: 10, Queries: queries, ItemsRead: items, P50Ms: p50(lat), Samples: b.N, ResultSize: read})
		})
	}
	testenv.WriteBench(b, "sweep.json", bySize(results))
}

// BenchmarkEffectiveAccess measures the Effective Access read of a client with
// 100, 1,000 and 10,000 live grants: one Query of the client's partition (detail,
// grants, identities), paginated by DynamoDB's 1 MB pages as the partition
// grows; no read per cell.
func BenchmarkEffectiveAccess(b *testing.B) {
	results := map[int]benchresult.Scale{}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("grants=%d", n), func(b *testing.B) {
			e := testenv.New(b)
			var queries, items int
			store := countingStore(e, &queries, &items)
			now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
			grants := make([]ah.AccessGrant, n)
			for i := range grants {
				end := now.Add(time.Duration(i+1) * time.Minute)
				grants[i] = ah.AccessGrant{RequestID: fmt.Sprintf("req_%06d", i), ClientID: e.Seed.ClientID, PlatformID: e.Seed.Platforms["googleAds"],
					IdentityID: "idn_bench", RequesterID: fmt.Sprintf("mbr_%06d", i), IdentityType: ah.IdentityStandard,
					Policy:    ah.AppliedPolicy{Name: "Built-in rules", Source: ah.PolicyBuiltIn, PolicyRules: ah.BuiltInRules()},
					Approvals: []ah.Approval{{By: "mbr_admin", Role: ah.RoleAdmin, At: now}}, GrantedAt: now, EndsAt: &end}
			}
			if err := store.ImportGrants(context.Background(), e.Seed.AgencyID, grants); err != nil {
				b.Fatal(err)
			}
			var cells int
			var lat []time.Duration
			b.ResetTimer()
			for range b.N {
				queries, items = 0, 0
				start := time.Now()
				d, err := store.ReadClientAccess(context.Background(), e.Seed.AgencyID, e.Seed.ClientID)
				if err != nil {
					b.Fatal(err)
				}
				cells = len(service.EffectiveAccessOf(d, d.Identities, now).Cells)
				lat = append(lat, time.Since(start))
			}
			b.StopTimer()
			if cells < n {
				b.Fatalf("%d cells for %d grants", cells, n)
			}
			b.ReportMetric(float64(queries), "queries/read")
			b.ReportMetric(float64(items), "items/read")
			results[n] = (benchresult.Scale{Read: "effective access (live grants)", Size: n, Queries: queries, ItemsRead: items, P50Ms: p50(lat), Samples: b.N, ResultSize: cells})
		})
	}
	testenv.WriteBench(b, "effective-access.json", bySize(results))
}

func bySize(m map[int]benchresult.Scale) []benchresult.Scale {
	var out []benchresult.Scale
	for _, n := range sizes {
		if r, ok := m[n]; ok {
			out = append(out, r)
		}
	}
	return out
}

// BenchmarkReminderSweep measures what the reminder part of the sweep reads when
// 10 of many planned reviewer reminders are due: the planned items have a sparse
// GSI3 of their own keyed by due time, so the sweep reads the due ones only.
func BenchmarkReminderSweep(b *testing.B) {
	results := map[int]benchresult.Scale{}
	for _, pending := range sizes {
		b.Run(fmt.Sprintf("planned=%d/due=10", pending), func(b *testing.B) {
			e := testenv.New(b)
			var queries, items int
			store := countingStore(e, &queries, &items)
			base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			reqs := make([]ah.AccessRequest, pending)
			for i := range reqs {
				reqs[i] = ah.AccessRequest{ID: fmt.Sprintf("req_%06d", i), AgencyID: e.Seed.AgencyID, ClientID: e.Seed.ClientID,
					ExpiresAt: base.Add(time.Hour + time.Duration(i)*time.Second), ReminderLeads: []int{60}}
			}
			if err := store.ImportReminders(context.Background(), reqs); err != nil {
				b.Fatal(err)
			}
			cut := base.Add(10*time.Second - time.Nanosecond) // the first 10 are due
			var read int
			var lat []time.Duration
			b.ResetTimer()
			for range b.N {
				queries, items, read = 0, 0, 0
				start := time.Now()
				if err := store.DueReminders(context.Background(), cut, func(ah.ReminderDue) error { read++; return nil }); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
			}
			b.StopTimer()
			if read != 10 {
				b.Fatalf("read %d, want the 10 due", read)
			}
			b.ReportMetric(float64(read), "items/sweep")
			b.ReportMetric(float64(queries), "queries/sweep")
			results[pending] = benchresult.Scale{Read: "reminder sweep (planned reminders)", Size: pending, Due: 10, Queries: queries, ItemsRead: items, P50Ms: p50(lat), Samples: b.N, ResultSize: read}
		})
	}
	testenv.WriteBench(b, "reminders.json", bySize(results))
}

// BenchmarkReviewOpening measures what opening access reviews reads when 10 of
// many clients have a review due: clients with a review due carry a sparse GSI3
// entry keyed by its time, so the sweep reads the due ones only.
func BenchmarkReviewOpening(b *testing.B) {
	results := map[int]benchresult.Scale{}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("clients=%d/due=10", n), func(b *testing.B) {
			e := testenv.New(b)
			var queries, items int
			store := countingStore(e, &queries, &items)
			base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			clients := make([]ah.Client, n)
			for i := range clients {
				next := base.Add(time.Duration(i) * time.Second)
				clients[i] = ah.Client{ID: fmt.Sprintf("cli_%06d", i), AgencyID: e.Seed.AgencyID, Name: fmt.Sprintf("Bench %06d", i),
					Lifecycle: ah.ClientActive, NextReviewAt: &next}
			}
			if err := store.ImportClients(context.Background(), clients); err != nil {
				b.Fatal(err)
			}
			cut := base.Add(10*time.Second - time.Nanosecond) // the first 10 are due
			var read int
			var lat []time.Duration
			b.ResetTimer()
			for range b.N {
				queries, items, read = 0, 0, 0
				start := time.Now()
				if err := store.DueReviews(context.Background(), cut, func(ah.Client) error { read++; return nil }); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
			}
			b.StopTimer()
			if read != 10 {
				b.Fatalf("read %d, want the 10 due", read)
			}
			b.ReportMetric(float64(read), "items/sweep")
			b.ReportMetric(float64(queries), "queries/sweep")
			results[n] = benchresult.Scale{Read: "review opening (clients)", Size: n, Due: 10, Queries: queries, ItemsRead: items, P50Ms: p50(lat), Samples: b.N, ResultSize: read}
		})
	}
	testenv.WriteBench(b, "reviews.json", bySize(results))
}
