package webhooks

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// TestSenderRefusesPrivateAddresses: a deployed sender never connects to
// loopback (the Lambda runtime API), private or link-local addresses; the local
// stack's sender reaches loopback only.
func TestSenderRefusesPrivateAddresses(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
	defer srv.Close()
	secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	at := time.Now()
	if out := NewSender(false).Send(context.Background(), srv.URL, secret, "msg_1", at, []byte(`{}`)); out.OK || !strings.Contains(out.Err, "not allowed") {
		t.Fatalf("loopback from a deployed sender: %+v", out)
	}
	for _, u := range []string{"http://10.0.0.1:9/x", "http://169.254.169.254/latest", "http://[::1]:9/x"} {
		if out := NewSender(true).Send(context.Background(), u, secret, "msg_1", at, []byte(`{}`)); out.OK || (!strings.Contains(out.Err, "not allowed") && !strings.Contains(u, "::1")) {
			t.Errorf("%s: %+v", u, out)
		}
	}
	if out := NewSender(true).Send(context.Background(), srv.URL, secret, "msg_1", at, []byte(`{}`)); !out.OK || out.StatusCode != 204 {
		t.Fatalf("loopback from the local sender: %+v", out)
	}
}

// TestSignatureVerifies: what Sign writes verifies with the Standard Webhooks
// reference verifier (timestamp tolerance included).
func TestSignatureVerifies(t *testing.T) {
	secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	body := []byte(`{"type":"access_request.approve"}`)
	at := time.Now()
	sig, err := Sign(secret, "msg_2", at, body)
	if err != nil || !strings.HasPrefix(sig, "v1,") {
		t.Fatalf("sign: %q %v", sig, err)
	}
	wh, _ := standardwebhooks.NewWebhook(secret)
	h := http.Header{}
	h.Set("webhook-id", "msg_2")
	h.Set("webhook-timestamp", strconv.FormatInt(at.Unix(), 10))
	h.Set("webhook-signature", sig)
	if err := wh.Verify(body, h); err != nil {
		t.Fatalf("verify: %v", err)
	}
	if err := wh.Verify([]byte(`{"type":"access_request.reject"}`), h); err == nil {
		t.Fatal("a changed body verifies")
	}
}
