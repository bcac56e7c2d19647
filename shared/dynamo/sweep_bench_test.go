package dynamo_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	smithymw "github.com/aws/smithy-go/middleware"

	ah "github.com/accesshive/accesshive/shared/accesshive"
	"github.com/accesshive/accesshive/shared/dynamo"
	"github.com/accesshive/accesshive/shared/testenv"
)

// BenchmarkExpirySweep measures what one sweep reads when few of many pending
// requests have expired: the sparse GSI3 keyed by expiry makes the sweep read the
// expired items only, whatever the number pending. Run with make bench.
func BenchmarkExpirySweep(b *testing.B) {
	for _, pending := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprintf("pending=%d/expired=10", pending), func(b *testing.B) {
			e := testenv.New(b)
			var queries int
			db := dynamodb.NewFromConfig(e.Stack.AWS, func(o *dynamodb.Options) {
				o.APIOptions = append(o.APIOptions, func(st *smithymw.Stack) error {
					return st.Deserialize.Add(smithymw.DeserializeMiddlewareFunc("count", func(ctx context.Context, in smithymw.DeserializeInput, next smithymw.DeserializeHandler) (smithymw.DeserializeOutput, smithymw.Metadata, error) {
						if middleware.GetOperationName(ctx) == "Query" {
							queries++
						}
						return next.HandleDeserialize(ctx, in)
					}), smithymw.After)
				})
			})
			store := dynamo.NewStore(db, e.Stack.Tables["Table"])
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
			b.ResetTimer()
			for range b.N {
				queries, read = 0, 0
				// The sweep's reads: every shard of the index, only entries before now.
				for shard := range dynamo.PendingShards {
					got, _, err := store.ExpiredPending(context.Background(), shard, cut, dynamo.Page{Limit: 100})
					if err != nil {
						b.Fatal(err)
					}
					read += len(got)
				}
			}
			b.StopTimer()
			if read != 10 {
				b.Fatalf("read %d, want the 10 expired", read)
			}
			b.ReportMetric(float64(read), "items/sweep")
			b.ReportMetric(float64(queries), "queries/sweep")
		})
	}
}
