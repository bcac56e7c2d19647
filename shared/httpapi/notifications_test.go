package httpapi_test

import (
	"sort"
	"strings"
	"testing"

	"github.com/accesshive/accesshive/infra/testenv"
)

// kinds lists a user's notification kinds once the table's stream has been
// delivered: notifications are written by NotifyFunction from the stream.
func kinds(t *testing.T, e *testenv.Env, handle string) string {
	t.Helper()
	drain(t, e)
	var list struct{ Items []map[string]any }
	e.As(handle).Get("/v1/notifications").JSON(t, &list)
	var out []string
	for _, n := range list.Items {
		if n["emailStatus"] != "sent" {
			t.Errorf("%s notification %v: email %v", handle, n["kind"], n["emailStatus"])
		}
		out = append(out, n["kind"].(string))
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

func TestRequestNotifications(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	base := "/v1/clients/" + e.Seed.ClientID + "/access-requests"
	a := submit(t, e, e.Seed.Platforms["googleAds"], "standard")["id"].(string)
	b := submit(t, e, e.Seed.Platforms["meta"], "standard")["id"].(string)
	for _, h := range []string{"owner", "admin"} {
		if got := kinds(t, e, h); got != "access_request.pending,access_request.pending" {
			t.Errorf("%s notifications = %s, want two pending", h, got)
		}
	}
	for _, h := range []string{"manager", "member"} {
		if got := kinds(t, e, h); got != "" {
			t.Errorf("%s was notified: %s", h, got)
		}
	}
	e.As("admin").Post(base+"/"+a+"/approve", nil)
	e.As("admin").Post(base+"/"+b+"/reject", map[string]any{"reason": "Not this quarter"})
	waitExecutions(t, e)
	if got := kinds(t, e, "clientUser"); got != "access_request.approved,access_request.rejected" {
		t.Fatalf("requester notifications before the credential = %s", got)
	}
	idn := e.As("admin").Get(base + "/" + a).Map(t)["identityId"].(string)
	if r := e.As("admin").Send("PUT", "/v1/clients/"+e.Seed.ClientID+"/identities/"+idn+"/credentials",
		map[string]any{"username": "ops@acme-outdoor.example", "password": "Str0ng-enough-pass!"}); r.Status != 200 {
		t.Fatalf("supply the credential: %d %s", r.Status, r.Body)
	}
	if got := kinds(t, e, "clientUser"); got != "access_request.approved,access_request.provisioned,access_request.rejected" {
		t.Fatalf("requester notifications = %s", got)
	}
	var list struct{ Items []map[string]any }
	e.As("clientUser").Get("/v1/notifications").JSON(t, &list)
	for _, n := range list.Items {
		if n["kind"] == "access_request.rejected" && !strings.Contains(n["body"].(string), "Not this quarter") {
			t.Errorf("rejection does not carry the reason: %v", n["body"])
		}
	}
	sent := 0
	for _, op := range e.Stack.Calls.Names() {
		if op == "SESv2.SendEmail" {
			sent++
		}
	}
	if sent != 7 {
		t.Errorf("SendEmail calls = %d, want one per notification (7)", sent)
	}
}
