package httpapi_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/accesshive/accesshive/infra/fakeslack"
	"github.com/accesshive/accesshive/infra/testenv"
)

const (
	slackToken   = "xoxb-1111111111-2222222222-northwindlocal"
	slackSigning = "8f742231b10e8888abcd99aaabbb85a5"
	slackTeam    = "T0NORTHWIND"
	slackChannel = "C0ACMEREQS1"
)

// slackClick posts a button click as Slack would: signed with the app's signing
// secret at a timestamp (now, unless given).
func slackClick(e *testenv.Env, signing string, at time.Time, team, user, ts, action, value string) *testenv.Response {
	e.T.Helper()
	body := fakeslack.InteractionBody(team, user, slackChannel, ts, action, value)
	return e.Do(testenv.Request{Method: "POST", Path: "/integrations/slack/" + e.Seed.AgencyID + "/interactions", Body: body, Headers: map[string]string{
		"Content-Type":              "application/x-www-form-urlencoded",
		"X-Slack-Request-Timestamp": fmt.Sprint(at.Unix()),
		"X-Slack-Signature":         fakeslack.Sign(signing, at.Unix(), body),
	}})
}

func requestStatus(t *testing.T, e *testenv.Env, id string) map[string]any {
	t.Helper()
	return e.As("owner").Get("/v1/clients/" + e.Seed.ClientID + "/access-requests/" + id).Map(t)
}

// TestSlackApprovals: a connected agency's pending requests are posted to the
// client's channel with Approve and Reject; a click signed by the agency's Slack
// app, from a Slack user whose confirmed email is a member allowed to review,
// runs the same path as the API (roles, distinct approvers, quorum) and the card
// shows the outcome; a bad or stale signature is 401 and changes nothing; a
// refusal is told only to the user who clicked.
func TestSlackApprovals(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	admin := e.As("admin")
	sl := e.Stack.Slack
	sl.AddWorkspace(slackToken, slackTeam, "Northwind")
	sl.AddChannel(slackChannel, true)
	sl.AddUser(fakeslack.User{ID: "U0ADMIN", Email: "admin@northwind.example", Confirmed: true})
	sl.AddUser(fakeslack.User{ID: "U0OWNER", Email: "Owner@Northwind.example", Confirmed: true})
	sl.AddUser(fakeslack.User{ID: "U0MEMBER", Email: "member@northwind.example", Confirmed: true})
	sl.AddUser(fakeslack.User{ID: "U0IMPOSTOR", Email: "admin@northwind.example", Confirmed: false})

	// Connecting: shapes checked here, the token by Slack; secrets never shown.
	if r := admin.Send("PUT", "/v1/integrations/slack", map[string]any{"botToken": "xoxp-user-token", "signingSecret": slackSigning}); r.Status != 422 {
		t.Fatalf("user token: %d %s", r.Status, r.Body)
	}
	if r := admin.Send("PUT", "/v1/integrations/slack", map[string]any{"botToken": "xoxb-9999999999-unknown-token", "signingSecret": slackSigning}); r.Status != 422 || !strings.Contains(string(r.Body), "invalid_auth") {
		t.Fatalf("token Slack refuses: %d %s", r.Status, r.Body)
	}
	r := admin.Send("PUT", "/v1/integrations/slack", map[string]any{"botToken": slackToken, "signingSecret": slackSigning})
	if r.Status != 200 || r.Map(t)["teamId"] != slackTeam || strings.Contains(string(r.Body), slackSigning) || strings.Contains(string(r.Body), slackToken) {
		t.Fatalf("connect: %d %s", r.Status, r.Body)
	}
	if r := e.As("member").Send("PUT", "/v1/clients/"+e.Seed.ClientID+"/slack-channel", map[string]any{"channelId": slackChannel}); r.Status != 403 {
		t.Fatalf("member sets the channel: %d", r.Status)
	}
	if r := e.As("manager").Send("PUT", "/v1/clients/"+e.Seed.ClientID+"/slack-channel", map[string]any{"channelId": "#general"}); r.Status != 422 {
		t.Fatalf("channel name: %d %s", r.Status, r.Body)
	}
	if r := e.As("manager").Send("PUT", "/v1/clients/"+e.Seed.ClientID+"/slack-channel", map[string]any{"channelId": slackChannel}); r.Status != 200 {
		t.Fatalf("set channel: %d %s", r.Status, r.Body)
	}

	// A pending request is posted with its buttons.
	req := submit(t, e, e.Seed.Platforms["googleAds"], "standard")["id"].(string)
	drain(t, e)
	msgs := sl.Messages(slackChannel)
	if len(msgs) != 1 {
		t.Fatalf("messages: %d", len(msgs))
	}
	card := string(msgs[0].Blocks)
	value := e.Seed.ClientID + "/" + req
	if !strings.Contains(card, `"action_id":"accesshive_approve"`) || !strings.Contains(card, `"action_id":"accesshive_reject"`) || !strings.Contains(card, value) {
		t.Fatalf("card: %s", card)
	}
	ts := msgs[0].TS
	now := time.Now()

	// Refused, nothing changed: a wrong secret, a stale timestamp, no signature.
	for name, resp := range map[string]*testenv.Response{
		"wrong secret":    slackClick(e, "0000000000000000000000000000dead", now, slackTeam, "U0ADMIN", ts, "accesshive_approve", value),
		"stale timestamp": slackClick(e, slackSigning, now.Add(-6*time.Minute), slackTeam, "U0ADMIN", ts, "accesshive_approve", value),
		"no signature": e.Do(testenv.Request{Method: "POST", Path: "/integrations/slack/" + e.Seed.AgencyID + "/interactions",
			Body: fakeslack.InteractionBody(slackTeam, "U0ADMIN", slackChannel, ts, "accesshive_approve", value), Headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}),
	} {
		if resp.Status != 401 || resp.Problem(t).Code != "unauthenticated" {
			t.Errorf("%s: %d %s", name, resp.Status, resp.Body)
		}
	}
	// Signed, but by nobody AccessHive may trust: another workspace, an unconfirmed
	// email, a member whose role may not review.
	for _, c := range []struct{ team, user string }{{"T0ELSEWHERE", "U0ADMIN"}, {slackTeam, "U0IMPOSTOR"}, {slackTeam, "U0MEMBER"}} {
		if r := slackClick(e, slackSigning, now, c.team, c.user, ts, "accesshive_approve", value); r.Status != 200 {
			t.Fatalf("%v: %d %s", c, r.Status, r.Body)
		}
	}
	if st := requestStatus(t, e, req)["status"]; st != "pending" {
		t.Fatalf("after refused clicks: %v", st)
	}
	told := sl.Ephemerals()
	if len(told) != 2 || told[0].User != "U0IMPOSTOR" || !strings.Contains(told[0].Text, "not confirmed") || told[1].User != "U0MEMBER" {
		t.Fatalf("told: %+v", told)
	}

	// The admin approves in Slack: the same path as the API, and the card shows it.
	if r := slackClick(e, slackSigning, now, slackTeam, "U0ADMIN", ts, "accesshive_approve", value); r.Status != 200 {
		t.Fatalf("approve: %d %s", r.Status, r.Body)
	}
	got := requestStatus(t, e, req)
	if got["status"] != "approved" && got["status"] != "provisioned" {
		t.Fatalf("after approve: %v", got["status"])
	}
	if ap := got["approvals"].([]any); len(ap) != 1 || ap[0].(map[string]any)["byName"] != "Adam Admin" {
		t.Fatalf("approvals: %v", got["approvals"])
	}
	drain(t, e)
	msgs = sl.Messages(slackChannel)
	if len(msgs) != 1 || msgs[0].Edits == 0 || strings.Contains(string(msgs[0].Blocks), "accesshive_approve") || !strings.Contains(string(msgs[0].Blocks), "Approved by Adam Admin") {
		t.Fatalf("card after approval: %+v", msgs)
	}

	// Quorum and distinct approvers hold in Slack as in the API.
	two := policy(t, e, map[string]any{"name": "Two in Slack", "approval": map[string]any{"requiredApprovals": 2, "approverRoles": []string{"agency_owner", "admin"}}})
	assign(t, e, map[string]any{"policyId": two, "scope": "client"})
	req2 := submit(t, e, e.Seed.Platforms["meta"], "standard")["id"].(string)
	drain(t, e)
	msgs = sl.Messages(slackChannel)
	ts2, value2 := msgs[len(msgs)-1].TS, e.Seed.ClientID+"/"+req2
	slackClick(e, slackSigning, now, slackTeam, "U0ADMIN", ts2, "accesshive_approve", value2)
	if st := requestStatus(t, e, req2)["status"]; st != "pending" {
		t.Fatalf("one of two approvals: %v", st)
	}
	drain(t, e)
	if last := sl.Messages(slackChannel)[len(msgs)-1]; !strings.Contains(string(last.Blocks), "1 of 2 approvals") || !strings.Contains(string(last.Blocks), "accesshive_approve") {
		t.Fatalf("card at one approval: %s", last.Blocks)
	}
	slackClick(e, slackSigning, now, slackTeam, "U0ADMIN", ts2, "accesshive_approve", value2)
	if told := sl.Ephemerals(); len(told) != 3 || told[2].User != "U0ADMIN" {
		t.Fatalf("a second approval by the same admin: %+v", told)
	}
	slackClick(e, slackSigning, now, slackTeam, "U0OWNER", ts2, "accesshive_approve", value2)
	if st := requestStatus(t, e, req2)["status"]; st != "approved" && st != "provisioned" {
		t.Fatalf("two approvals: %v", st)
	}

	// Reject.
	third := admin.Post("/v1/platforms", map[string]any{"name": "Slack-reviewed tool", "kind": "other", "status": "operational"}).Map(t)["id"].(string)
	if r := admin.Send("PUT", "/v1/clients/"+e.Seed.ClientID+"/platforms/"+third, nil); r.Status >= 300 {
		t.Fatalf("add a platform: %d %s", r.Status, r.Body)
	}
	req3 := submit(t, e, third, "standard")["id"].(string)
	drain(t, e)
	msgs = sl.Messages(slackChannel)
	slackClick(e, slackSigning, now, slackTeam, "U0OWNER", msgs[len(msgs)-1].TS, "accesshive_reject", e.Seed.ClientID+"/"+req3)
	if got := requestStatus(t, e, req3); got["status"] != "rejected" {
		t.Fatalf("reject: %v", got["status"])
	}
	drain(t, e)
	if last := sl.Messages(slackChannel)[len(msgs)-1]; !strings.Contains(string(last.Blocks), "Rejected by Olivia Owner") {
		t.Fatalf("card after rejection: %s", last.Blocks)
	}

	// Slack refusing a card (the bot is not in the channel) holds nothing up.
	sl.AddChannel("C0NOBOT1234", false)
	if r := e.As("manager").Send("PUT", "/v1/clients/"+e.Seed.ClientID+"/slack-channel", map[string]any{"channelId": "C0NOBOT1234"}); r.Status != 200 {
		t.Fatalf("set channel: %d %s", r.Status, r.Body)
	}
	submit(t, e, third, "standard")
	if got := kinds(t, e, "owner"); strings.Count(got, "access_request.pending") != 4 {
		t.Fatalf("the owner's notifications when Slack refused: %s", got)
	}
	if len(sl.Messages("C0NOBOT1234")) != 0 {
		t.Fatal("posted to a channel the bot is not in")
	}

	// Disconnected: callbacks find no connection (404).
	if r := admin.Send("DELETE", "/v1/integrations/slack", nil); r.Status != 204 {
		t.Fatalf("disconnect: %d %s", r.Status, r.Body)
	}
	if r := slackClick(e, slackSigning, now, slackTeam, "U0OWNER", ts, "accesshive_approve", value); r.Status != 404 {
		t.Fatalf("click after disconnecting: %d %s", r.Status, r.Body)
	}
	if fails := e.Stack.StreamFailures(); len(fails) != 0 {
		t.Fatalf("stream failures: %+v", fails)
	}
}
