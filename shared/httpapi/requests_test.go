package httpapi_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/accesshive/accesshive/infra/testenv"
	ah "github.com/accesshive/accesshive/shared/accesshive"
	"github.com/accesshive/accesshive/shared/service"
)

func submit(t testing.TB, e *testenv.Env, platform, identityType string) map[string]any {
	t.Helper()
	r := e.As("clientUser").Post("/v1/clients/"+e.Seed.ClientID+"/access-requests",
		map[string]any{"platformId": platform, "identityType": identityType, "justification": "Run the spring campaign"})
	if r.Status != 201 {
		t.Fatalf("submit: %d %s", r.Status, r.Body)
	}
	return r.Map(t)
}

func waitExecutions(t *testing.T, e *testenv.Env) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.Stack.WaitForExecutions(ctx); err != nil {
		t.Fatal(err)
	}
}

func stepStatuses(t *testing.T, idn map[string]any) map[string]string {
	out := map[string]string{}
	for _, s := range idn["provisioning"].(map[string]any)["steps"].([]any) {
		s := s.(map[string]any)
		out[s["name"].(string)] = s["status"].(string)
	}
	return out
}

func TestManagedRequestFlow(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	acme, ads := e.Seed.ClientID, e.Seed.Platforms["googleAds"]
	base := "/v1/clients/" + acme + "/access-requests"
	req := submit(t, e, ads, "managed")
	id := req["id"].(string)
	if req["status"] != "pending" || req["requesterId"] != e.Seed.Users["clientUser"].UserID {
		t.Fatalf("request = %v", req)
	}
	exp, _ := time.Parse(time.RFC3339Nano, req["expiresAt"].(string))
	if d := time.Until(exp); d < 71*time.Hour || d > 73*time.Hour {
		t.Errorf("expiresAt in %v, want the agency's 72h window", d)
	}
	t.Run("ErrSecondPending", func(t *testing.T) {
		r := e.As("clientUser").Post(base, map[string]any{"platformId": ads, "identityType": "managed", "justification": "again"})
		if r.Status != 409 || r.Problem(t).Code != "request_pending" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("PendingShownOnPlatform", func(t *testing.T) {
		var list struct{ Items []map[string]any }
		e.As("admin").Get("/v1/clients/"+acme+"/platforms").JSON(t, &list)
		for _, p := range list.Items {
			if p["platformId"] == ads && p["pendingRequests"] != float64(1) {
				t.Fatalf("pendingRequests = %v", p["pendingRequests"])
			}
		}
	})
	t.Run("ListedAsPending", func(t *testing.T) {
		var list struct{ Items []map[string]any }
		e.As("manager").Get(base+"?status=pending").JSON(t, &list)
		if len(list.Items) != 1 || list.Items[0]["id"] != id {
			t.Fatalf("pending = %v", list.Items)
		}
	})
	t.Run("ErrClientUserCannotApprove", func(t *testing.T) {
		if r := e.As("clientUser").Post(base+"/"+id+"/approve", map[string]any{}); r.Status != 403 {
			t.Fatalf("%d", r.Status)
		}
	})
	t.Run("ErrManagerCannotApprove", func(t *testing.T) {
		if r := e.As("manager").Post(base+"/"+id+"/approve", map[string]any{}); r.Status != 403 {
			t.Fatalf("%d", r.Status)
		}
	})
	r := e.As("admin").Post(base+"/"+id+"/approve", map[string]any{"reason": "Campaign approved"})
	if r.Status != 200 || r.Map(t)["status"] != "approved" || r.Map(t)["identityId"] == nil {
		t.Fatalf("approve: %d %s", r.Status, r.Body)
	}
	identityID := r.Map(t)["identityId"].(string)
	waitExecutions(t, e)

	t.Run("Provisioned", func(t *testing.T) {
		got := e.As("clientUser").Get(base + "/" + id).Map(t)
		if got["status"] != "provisioned" || got["reason"] != "Campaign approved" {
			t.Fatalf("request = %v", got)
		}
		var actions []string
		for _, h := range got["history"].([]any) {
			actions = append(actions, h.(map[string]any)["action"].(string))
		}
		if strings.Join(actions, ",") != "submitted,approved,provisioned" {
			t.Fatalf("history = %v", actions)
		}
	})
	t.Run("IdentityActiveWithSteps", func(t *testing.T) {
		idn := e.As("admin").Get("/v1/clients/" + acme + "/identities/" + identityID).Map(t)
		if idn["status"] != "active" || idn["credentialStatus"] != "stored" || idn["identityType"] != "managed" {
			t.Fatalf("identity = %v", idn)
		}
		for name, st := range stepStatuses(t, idn) {
			if st != "done" {
				t.Errorf("step %s = %s, want done", name, st)
			}
		}
		email := service.ManagedEmail(identityID, "workspace.local")
		if idn["email"] != email {
			t.Errorf("email = %v, want %s", idn["email"], email)
		}
		user, ok := e.Stack.Directory.User(email)
		if !ok {
			t.Fatalf("no Workspace user %s", email)
		}
		secret, err := secretsmanager.NewFromConfig(e.Stack.AWS).GetSecretValue(context.Background(),
			&secretsmanager.GetSecretValueInput{SecretId: new(e.Stack.SecretName(ah.CredentialSecretName(e.Seed.AgencyID, acme, identityID)))})
		if err != nil || *secret.SecretString != user["password"] {
			t.Fatalf("stored credential does not match the Workspace user's password (%v)", err)
		}
		if strings.Contains(string(e.As("admin").Get("/v1/clients/"+acme+"/identities").Body), user["password"].(string)) {
			t.Fatal("a credential appears in a list response")
		}
		if strings.Contains(e.Logs.String(), user["password"].(string)) {
			t.Fatal("a credential appears in the logs")
		}
	})
	t.Run("RequesterNotified", func(t *testing.T) {
		if got := kinds(t, e, "clientUser"); got != "access_request.approved,access_request.provisioned" {
			t.Fatalf("notifications = %s", got)
		}
	})
	t.Run("Metrics", func(t *testing.T) {
		// embedded-metric-format lines on the functions' standard output
		for _, m := range []string{"RequestsSubmitted", "RequestsApproved", "RequestsProvisioned"} {
			if !strings.Contains(e.Logs.String(), `"Name":"`+m+`","Unit":"Count"`) || !strings.Contains(e.Logs.String(), `"`+m+`":1`) {
				t.Errorf("no %s metric in the functions' output", m)
			}
		}
	})
	t.Run("PlatformProvisioned", func(t *testing.T) {
		var list struct{ Items []map[string]any }
		e.As("admin").Get("/v1/clients/"+acme+"/platforms").JSON(t, &list)
		for _, p := range list.Items {
			if p["platformId"] == ads && (p["provisioningStatus"] != "provisioned" || p["pendingRequests"] != float64(0)) {
				t.Fatalf("platform entry = %v", p)
			}
		}
	})
	t.Run("DuplicateStartHarmless", func(t *testing.T) {
		prov := e.Stack.MachineARN("ProvisioningStateMachine")
		n := len(e.Stack.StepFunctions.Executions(prov))
		if err := e.Stack.StartProvisioningAgain(context.Background(), e.Seed.AgencyID, acme, identityID, id, 1); err != nil {
			t.Fatalf("second start: %v", err)
		}
		if m := len(e.Stack.StepFunctions.Executions(prov)); m != n || n == 0 {
			t.Fatalf("%d executions after a duplicate start, want %d", m, n)
		}
	})
	t.Run("SecondRequestReusesActiveIdentity", func(t *testing.T) {
		admin := e.As("admin")
		r := admin.Post("/v1/clients/"+acme+"/users", map[string]any{"email": "second@acme-outdoor.example", "name": "Second"})
		if r.Status != 201 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		tok := e.Token("idp|second", "second@acme-outdoor.example")
		r = e.Do(testenv.Request{Method: "POST", Path: base, Token: tok, Body: map[string]any{"platformId": ads, "identityType": "managed", "justification": "me too"}})
		if r.Status != 201 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		got := admin.Post(base+"/"+r.Map(t)["id"].(string)+"/approve", nil).Map(t)
		if got["status"] != "provisioned" || got["identityId"] != identityID {
			t.Fatalf("second approval = %v", got)
		}
	})
}

func TestStandardRequestAndReviews(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	acme, meta, ads := e.Seed.ClientID, e.Seed.Platforms["meta"], e.Seed.Platforms["googleAds"]
	base := "/v1/clients/" + acme + "/access-requests"
	admin, user := e.As("admin"), e.As("clientUser")
	t.Run("Standard", func(t *testing.T) {
		id := submit(t, e, meta, "standard")["id"].(string)
		r := admin.Post(base+"/"+id+"/approve", nil)
		if r.Status != 200 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		waitExecutions(t, e)
		got := user.Get(base + "/" + id).Map(t)
		if got["status"] != "approved" {
			t.Fatalf("status %v, want approved until the credential is supplied (TestStandardIdentityWaitsForItsCredential)", got["status"])
		}
		idn := admin.Get("/v1/clients/" + acme + "/identities/" + got["identityId"].(string)).Map(t)
		st := stepStatuses(t, idn)
		if idn["status"] != "active" || idn["credentialStatus"] != "none" || st["create_workspace_user"] != "skipped" || st["store_credential"] != "skipped" {
			t.Fatalf("standard identity = %v %v", idn["status"], st)
		}
	})
	t.Run("RejectWithReason", func(t *testing.T) {
		id := submit(t, e, ads, "managed")["id"].(string)
		r := admin.Post(base+"/"+id+"/reject", map[string]any{"reason": "Use the shared account"})
		if r.Status != 200 || r.Map(t)["status"] != "rejected" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		got := user.Get(base + "/" + id).Map(t)
		if got["reason"] != "Use the shared account" {
			t.Fatalf("requester sees %v", got)
		}
		if r := admin.Post(base+"/"+id+"/approve", nil); r.Status != 409 || r.Problem(t).Code != "request_not_pending" || r.Problem(t).Current["status"] != "rejected" {
			t.Fatalf("approve after reject: %d %s", r.Status, r.Body)
		}
		if r := e.As("owner").Post(base+"/"+id+"/reject", map[string]any{"reason": strings.Repeat("x", 1001)}); r.Status != 422 {
			t.Fatalf("overlong reason: %d", r.Status)
		}
		// Resubmitting is allowed once nothing is pending.
		submit(t, e, ads, "managed")
	})
	t.Run("CancelOwnPending", func(t *testing.T) {
		var list struct{ Items []map[string]any }
		user.Get(base+"?status=pending").JSON(t, &list)
		if len(list.Items) != 1 {
			t.Fatalf("pending = %v", list.Items)
		}
		id := list.Items[0]["id"].(string)
		if r := user.Post(base+"/"+id+"/cancel", nil); r.Status != 200 || r.Map(t)["status"] != "cancelled" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		if r := user.Post(base+"/"+id+"/cancel", nil); r.Status != 409 {
			t.Fatalf("cancel twice: %d", r.Status)
		}
	})
	t.Run("ErrInput", func(t *testing.T) {
		for name, body := range map[string]map[string]any{
			"platformId":    {"identityType": "managed", "justification": "x"},
			"identityType":  {"platformId": ads, "identityType": "borrowed", "justification": "x"},
			"justification": {"platformId": ads, "identityType": "managed"},
		} {
			if r := user.Post(base, body); r.Status != 422 || !hasField(r.Problem(t), name) {
				t.Errorf("%s: %d %s", name, r.Status, r.Body)
			}
		}
		r := user.Post(base, map[string]any{"platformId": e.Seed.Platforms["linkedin"], "identityType": "standard", "justification": "x"})
		if r.Status != 422 || !hasField(r.Problem(t), "platformId") {
			t.Errorf("unconfigured platform: %d %s", r.Status, r.Body)
		}
		if r := user.Get(base + "?status=refused"); r.Status != 422 {
			t.Errorf("unknown status filter: %d", r.Status)
		}
	})
	t.Run("ClientUserSeesOnlyOwn", func(t *testing.T) {
		if r := admin.Post("/v1/clients/"+acme+"/users", map[string]any{"email": "other@acme-outdoor.example", "name": "Other"}); r.Status != 201 {
			t.Fatalf("%d", r.Status)
		}
		other := e.Token("idp|other", "other@acme-outdoor.example")
		r := e.Do(testenv.Request{Method: "GET", Path: base, Token: other})
		if r.Status != 200 || strings.Contains(string(r.Body), `"id"`) {
			t.Fatalf("another client user sees: %d %s", r.Status, r.Body)
		}
		var mine struct{ Items []map[string]any }
		user.Get(base).JSON(t, &mine)
		if r := e.Do(testenv.Request{Method: "GET", Path: base + "/" + mine.Items[0]["id"].(string), Token: other}); r.Status != 404 {
			t.Fatalf("reading another user's request: %d", r.Status)
		}
	})
	t.Run("ErrOtherClient", func(t *testing.T) {
		r := admin.Post("/v1/clients", newClientBody("Elsewhere"))
		other := r.Map(t)["id"].(string)
		if r := user.Post("/v1/clients/"+other+"/access-requests", map[string]any{"platformId": ads, "identityType": "standard", "justification": "x"}); r.Status != 404 {
			t.Fatalf("%d", r.Status)
		}
	})
}

func TestProvisioningFailures(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	acme, ads := e.Seed.ClientID, e.Seed.Platforms["googleAds"]
	base := "/v1/clients/" + acme + "/access-requests"
	admin := e.As("admin")

	// Workspace answers 403: not retried, the identity fails at that step and the
	// client needs attention.
	e.Stack.Directory.Fail(403, 1)
	id := submit(t, e, ads, "managed")["id"].(string)
	ar := admin.Post(base+"/"+id+"/approve", nil)
	identityID, ok := ar.Map(t)["identityId"].(string)
	if ar.Status != 200 || !ok {
		t.Fatalf("approve: %d %s\nlogs: %s", ar.Status, ar.Body, e.Logs.String()[max(0, len(e.Logs.String())-3000):])
	}
	waitExecutions(t, e)
	ipath := "/v1/clients/" + acme + "/identities/" + identityID
	idn := admin.Get(ipath).Map(t)
	st := stepStatuses(t, idn)
	if idn["status"] != "failed" || st["prepare_identity"] != "done" || st["create_workspace_user"] != "failed" || st["activate_identity"] != "pending" {
		t.Fatalf("failed identity = %v %v", idn["status"], st)
	}
	for _, s := range idn["provisioning"].(map[string]any)["steps"].([]any) {
		s := s.(map[string]any)
		if errMsg, _ := s["error"].(string); s["name"] == "create_workspace_user" && !strings.Contains(errMsg, "403") {
			t.Errorf("failed step error = %v in %v", s["error"], idn)
		}
	}
	c := admin.Get("/v1/clients/" + acme).Map(t)
	if c["status"] != "needs_attention" || c["attention"].([]any)[0].(map[string]any)["reason"] != "failed_provisioning" {
		t.Fatalf("client = %v %v", c["status"], c["attention"])
	}
	if got := admin.Get(base + "/" + id).Map(t)["status"]; got != "approved" {
		t.Fatalf("request status %v, want approved (stuck until provisioned)", got)
	}
	// Transient 5xx on the retry are retried with backoff, then it succeeds.
	e.Stack.Directory.Fail(503, 2)
	r := admin.Post(ipath+"/retry-provisioning", nil)
	if r.Status != 202 || r.Map(t)["status"] != "provisioning" {
		t.Fatalf("retry: %d %s", r.Status, r.Body)
	}
	waitExecutions(t, e)
	idn = admin.Get(ipath).Map(t)
	if idn["requestId"] != id {
		t.Fatalf("identity requestId = %v, want its access request %s (an API write must not overwrite it)", idn["requestId"], id)
	}
	if idn["status"] != "active" || idn["provisioning"].(map[string]any)["attempt"] != float64(2) {
		t.Fatalf("after retry = %v", idn)
	}
	for _, s := range idn["provisioning"].(map[string]any)["steps"].([]any) {
		s := s.(map[string]any)
		if s["name"] == "create_workspace_user" && s["attempts"].(float64) < 4 {
			t.Errorf("workspace step attempts = %v, want the failed try, two 503s and the success", s["attempts"])
		}
		if s["name"] == "prepare_identity" && s["attempts"] != float64(1) {
			t.Errorf("prepare ran again on retry: attempts %v", s["attempts"])
		}
	}
	if got := admin.Get(base + "/" + id).Map(t)["status"]; got != "provisioned" {
		t.Fatalf("request after retry = %v", got)
	}
	if c := admin.Get("/v1/clients/" + acme).Map(t); c["status"] != "healthy" {
		t.Fatalf("client after retry = %v %v", c["status"], c["attention"])
	}
	if r := admin.Post(ipath+"/retry-provisioning", nil); r.Status != 409 {
		t.Fatalf("retrying an active identity: %d", r.Status)
	}
}

func TestConcurrentApprovals(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	acme := e.Seed.ClientID
	base := "/v1/clients/" + acme + "/access-requests"
	id := submit(t, e, e.Seed.Platforms["meta"], "standard")["id"].(string)
	const n = 20
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := []string{"admin", "owner"}[i%2]
			statuses[i] = e.As(h).Post(base+"/"+id+"/approve", nil).Status
		}()
	}
	wg.Wait()
	ok := 0
	for _, s := range statuses {
		switch s {
		case 200:
			ok++
		case 409:
		default:
			t.Errorf("approval answered %d", s)
		}
	}
	if ok != 1 {
		t.Fatalf("%d approvals succeeded, want exactly 1: %v", ok, statuses)
	}
	waitExecutions(t, e)
	var list struct{ Items []any }
	e.As("admin").Get("/v1/clients/"+acme+"/identities").JSON(t, &list)
	if len(list.Items) != 1 {
		t.Fatalf("%d identities, want 1", len(list.Items))
	}
}
