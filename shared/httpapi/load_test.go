package httpapi_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/accesshive/accesshive/infra/testenv"
)

// TestConcurrentMixedRequests sends 200 mixed requests at once: no answer is a 5xx,
// and the final state matches exactly what was acknowledged (every 201 member
// exists, every 200 client patch is counted in the client's version).
func TestConcurrentMixedRequests(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	acme := e.Seed.ClientID
	start := e.As("admin").Get("/v1/clients/" + acme).Map(t)["version"].(float64)
	var created, patched, fiveXX atomic.Int64
	var mu sync.Mutex
	emails := map[string]bool{}
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var r *testenv.Response
			switch i % 5 {
			case 0:
				email := fmt.Sprintf("load%d@northwind.example", i)
				r = e.As("admin").Post("/v1/members", map[string]any{"email": email, "name": "Load", "role": "member"})
				if r.Status == 201 {
					created.Add(1)
					mu.Lock()
					emails[email] = true
					mu.Unlock()
				}
			case 1:
				r = e.As("manager").Patch("/v1/clients/"+acme, map[string]any{"description": fmt.Sprint("load ", i)})
				if r.Status == 200 {
					patched.Add(1)
				}
			case 2:
				r = e.As("member").Get("/v1/clients/" + acme)
			case 3:
				r = e.As("owner").Get("/v1/platforms")
			default:
				r = e.As("clientUser").Get("/v1/clients/" + acme + "/access-requests")
			}
			if r.Status >= 500 {
				fiveXX.Add(1)
				t.Errorf("request %d answered %d: %s", i, r.Status, r.Body)
			}
		}()
	}
	wg.Wait()
	if fiveXX.Load() > 0 {
		t.Fatalf("%d answers were 5xx", fiveXX.Load())
	}
	var list struct{ Items []map[string]any }
	e.As("admin").Get("/v1/members?limit=100").JSON(t, &list)
	found := 0
	for _, m := range list.Items {
		if emails[m["email"].(string)] {
			found++
		}
	}
	if int64(found) != created.Load() || created.Load() != 40 {
		t.Fatalf("%d members acknowledged, %d stored, want 40", created.Load(), found)
	}
	end := e.As("admin").Get("/v1/clients/" + acme).Map(t)["version"].(float64)
	if int64(end-start) != patched.Load() {
		t.Fatalf("client version moved %v, %d patches acknowledged", end-start, patched.Load())
	}
}
