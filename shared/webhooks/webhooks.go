// Package webhooks sends signed webhook deliveries: Standard Webhooks headers
// (webhook-id, webhook-timestamp, webhook-signature: HMAC-SHA256 over
// "id.timestamp.body"), a short timeout, and a dialer that refuses private,
// loopback and link-local addresses so an endpoint cannot reach inside the
// function's network (the Lambda runtime API listens on loopback).
package webhooks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	ah "github.com/accesshive/accesshive/shared/accesshive"
)

// Timeout bounds one delivery attempt.
const Timeout = 10 * time.Second

// Sender sends deliveries over HTTP.
type Sender struct {
	Client *http.Client
}

// errBlocked is a connection to an address a webhook may not reach.
var errBlocked = errors.New("address not allowed for webhooks (private, loopback or link-local)")

// NewSender returns a sender; allowLoopback lets endpoints on 127.0.0.1 through
// (the local stack's test receivers), and nothing else private.
func NewSender(allowLoopback bool) *Sender {
	d := &net.Dialer{Timeout: 5 * time.Second, Control: func(_, address string, _ syscall.RawConn) error {
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return err
		}
		ip := net.ParseIP(host)
		if ip == nil {
			return errBlocked
		}
		if ip.IsLoopback() && allowLoopback {
			return nil
		}
		if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsUnspecified() || ip.IsMulticast() {
			return errBlocked
		}
		return nil
	}}
	tr := &http.Transport{DialContext: d.DialContext, TLSHandshakeTimeout: 5 * time.Second, ResponseHeaderTimeout: Timeout,
		MaxIdleConnsPerHost: 4, IdleConnTimeout: 30 * time.Second, Proxy: nil}
	return &Sender{Client: &http.Client{Timeout: Timeout, Transport: tr,
		// A redirect is an answer, not an instruction: 3xx is a failed delivery.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// Sign returns the webhook-signature header value of one message.
func Sign(secret, msgID string, at time.Time, payload []byte) (string, error) {
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		return "", fmt.Errorf("webhook secret: %w", err)
	}
	return wh.Sign(msgID, at, payload)
}

// Send posts one delivery; 2xx is success, anything else (or no answer) a failure.
func (s *Sender) Send(ctx context.Context, url, secret, msgID string, at time.Time, payload []byte) ah.DeliveryOutcome {
	sig, err := Sign(secret, msgID, at, payload)
	if err != nil {
		return ah.DeliveryOutcome{Err: err.Error()}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(string(payload)))
	if err != nil {
		return ah.DeliveryOutcome{Err: err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "AccessHive-Webhooks/1")
	req.Header.Set("webhook-id", msgID)
	req.Header.Set("webhook-timestamp", fmt.Sprint(at.Unix()))
	req.Header.Set("webhook-signature", sig)
	resp, err := s.Client.Do(req)
	if err != nil {
		msg := err.Error()
		if errors.Is(err, errBlocked) {
			msg = errBlocked.Error()
		}
		return ah.DeliveryOutcome{Err: msg}
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 == 2 {
		return ah.DeliveryOutcome{OK: true, StatusCode: resp.StatusCode}
	}
	return ah.DeliveryOutcome{StatusCode: resp.StatusCode, Err: fmt.Sprintf("the endpoint answered %d", resp.StatusCode)}
}
