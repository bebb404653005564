package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/inventory"
	"github.com/tmsdrift/tmsdrift/report"
)

// receiver is a webhook endpoint on 127.0.0.1 that verifies the signature
// as a receiver would (HMAC over the raw body, constant-time compare) and
// answers with the statuses it is given, one per request (then 204).
type receiver struct {
	mu       sync.Mutex
	secret   []byte
	statuses []int
	delay    time.Duration
	requests []receivedRequest
}

type receivedRequest struct {
	header      http.Header
	body        []byte
	signatureOK bool
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	ok := false
	if sig, found := strings.CutPrefix(r.Header.Get(SignatureHeader), "sha256="); found && rc.secret != nil {
		mac := hmac.New(sha256.New, rc.secret)
		mac.Write(body)
		want := mac.Sum(nil)
		got, err := hex.DecodeString(sig)
		ok = err == nil && hmac.Equal(got, want)
	}
	rc.mu.Lock()
	rc.requests = append(rc.requests, receivedRequest{r.Header.Clone(), body, ok})
	status := http.StatusNoContent
	if len(rc.statuses) > 0 {
		status, rc.statuses = rc.statuses[0], rc.statuses[1:]
	}
	delay := rc.delay
	rc.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	w.WriteHeader(status)
}

func (rc *receiver) got() []receivedRequest {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]receivedRequest(nil), rc.requests...)
}

// fastRetries shortens the backoff for the test.
func fastRetries(t *testing.T) {
	saved := webhookBackoff
	webhookBackoff = []time.Duration{10 * time.Millisecond, 20 * time.Millisecond, 40 * time.Millisecond}
	t.Cleanup(func() { webhookBackoff = saved })
}

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

const webhookSecret = "whsec-7c1f0b5e"

func TestWebhookSignedPayload(t *testing.T) {
	rc := &receiver{secret: []byte(webhookSecret)}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	cfg := inventory.Notify{Webhook: inventory.NotifyWebhook{URL: srv.URL + "/hooks/T0KEN", SecretEnv: "WH_SECRET", TimeoutSeconds: 5}}

	results := Send(context.Background(), cfg, testMessage(t), envOf(map[string]string{"WH_SECRET": webhookSecret}))
	require.Len(t, results, 1)
	r := results[0]
	require.NoError(t, r.Err)
	assert.True(t, r.OK)
	assert.Equal(t, ChannelWebhook, r.Channel)
	assert.Equal(t, 1, r.Attempts)
	assert.Equal(t, "http://"+strings.TrimPrefix(srv.URL, "http://")+"/…", r.Target, "the path (a token) is hidden")

	got := rc.got()
	require.Len(t, got, 1)
	assert.True(t, got[0].signatureOK, "the receiver verified the HMAC")
	assert.Equal(t, "application/json", got[0].header.Get("Content-Type"))
	assert.Len(t, got[0].header.Get(DeliveryHeader), 32)

	var p map[string]any
	require.NoError(t, json.Unmarshal(got[0].body, &p))
	assert.Equal(t, "tmsdrift/notify/v1", p["schema"])
	assert.Equal(t, "acme-tms", p["deployment"])
	assert.Equal(t, "fail", p["verdict"])
	assert.Equal(t, "drift found", p["verdict_text"])
	assert.Equal(t, "+2 failing, -1 resolved", p["summary"])
	assert.Equal(t, "https://tms-admin.acme.local/reports/20261125T020000Z/report.html", p["report_url"])
	assert.Equal(t, map[string]any{"pass": 36.0, "fail": 3.0, "waived": 0.0, "error": 0.0}, p["counts"])
	changes, ok := p["changes"].(map[string]any)
	require.True(t, ok)
	nf, ok := changes["new_failures"].([]any)
	require.True(t, ok)
	assert.Len(t, nf, 2)
	assert.Equal(t, []any{"Upgrade detected on tms02: TMS 15.13.1 → 15.14.0."}, p["notes"])
	_, err := time.Parse(time.RFC3339, p["sent_at"].(string))
	assert.NoError(t, err)
	assert.NotContains(t, string(got[0].body), webhookSecret)

	// The signature really covers the body: a receiver with another
	// secret rejects it.
	assert.NotEqual(t, Sign([]byte("other"), got[0].body), got[0].header.Get(SignatureHeader))
	assert.Equal(t, Sign([]byte(webhookSecret), got[0].body), got[0].header.Get(SignatureHeader))
}

func TestWebhookUnsignedWithoutSecret(t *testing.T) {
	rc := &receiver{}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	cfg := inventory.Notify{Webhook: inventory.NotifyWebhook{URL: srv.URL}}
	r := Send(context.Background(), cfg, testMessage(t), nil)[0]
	require.NoError(t, r.Err)
	assert.Empty(t, rc.got()[0].header.Get(SignatureHeader))
}

// TestWebhookRetries: two failures then success is delivered on the third
// attempt, the same delivery id and signature each time.
func TestWebhookRetries(t *testing.T) {
	fastRetries(t)
	rc := &receiver{secret: []byte(webhookSecret), statuses: []int{http.StatusBadGateway, http.StatusServiceUnavailable}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	cfg := inventory.Notify{Webhook: inventory.NotifyWebhook{URL: srv.URL, SecretEnv: "S"}}
	r := Send(context.Background(), cfg, testMessage(t), envOf(map[string]string{"S": webhookSecret}))[0]
	require.NoError(t, r.Err)
	assert.True(t, r.OK)
	assert.Equal(t, 3, r.Attempts)
	got := rc.got()
	require.Len(t, got, 3)
	for _, g := range got {
		assert.True(t, g.signatureOK)
		assert.Equal(t, got[0].header.Get(DeliveryHeader), g.header.Get(DeliveryHeader))
	}
}

func TestWebhookGivesUpAfterThreeRetries(t *testing.T) {
	fastRetries(t)
	rc := &receiver{statuses: []int{500, 500, 500, 500, 500}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	r := Send(context.Background(), inventory.Notify{Webhook: inventory.NotifyWebhook{URL: srv.URL + "/T0KEN"}}, testMessage(t), nil)[0]
	require.Error(t, r.Err)
	assert.False(t, r.OK)
	assert.Equal(t, 4, r.Attempts, "the first attempt and three retries")
	assert.Len(t, rc.got(), 4)
	assert.Contains(t, r.Err.Error(), "not delivered after 4 attempts; last: HTTP 500 Internal Server Error")
	assert.NotContains(t, r.Err.Error(), "T0KEN")
}

func TestWebhookClientErrorsAreFinal(t *testing.T) {
	fastRetries(t)
	rc := &receiver{statuses: []int{http.StatusUnauthorized}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	r := Send(context.Background(), inventory.Notify{Webhook: inventory.NotifyWebhook{URL: srv.URL}}, testMessage(t), nil)[0]
	require.Error(t, r.Err)
	assert.Equal(t, 1, r.Attempts)
	assert.Contains(t, r.Err.Error(), "HTTP 401 Unauthorized (not retried")
}

func TestWebhookRedirectNotFollowed(t *testing.T) {
	fastRetries(t)
	elsewhere := &receiver{}
	other := httptest.NewServer(elsewhere)
	defer other.Close()
	srv := httptest.NewServer(http.RedirectHandler(other.URL, http.StatusTemporaryRedirect))
	defer srv.Close()
	r := Send(context.Background(), inventory.Notify{Webhook: inventory.NotifyWebhook{URL: srv.URL}}, testMessage(t), nil)[0]
	require.Error(t, r.Err)
	assert.Contains(t, r.Err.Error(), "redirects are not followed")
	assert.Empty(t, elsewhere.got(), "the signed body went nowhere else")
}

// TestWebhookTimeout: a receiver that does not answer in time counts as a
// failed attempt, retried, and the error says so.
func TestWebhookTimeout(t *testing.T) {
	fastRetries(t)
	rc := &receiver{delay: 5 * time.Second}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	start := time.Now()
	r := Send(context.Background(), inventory.Notify{Webhook: inventory.NotifyWebhook{URL: srv.URL, TimeoutSeconds: 0.2}}, testMessage(t), nil)[0]
	require.Error(t, r.Err)
	assert.Equal(t, 4, r.Attempts)
	assert.Contains(t, r.Err.Error(), "no answer within 200ms (notify.webhook.timeout_seconds)")
	assert.Less(t, time.Since(start), 4*time.Second, "each attempt was cut at the timeout, not the receiver's delay")
}

func TestWebhookContextCancelStopsRetries(t *testing.T) {
	saved := webhookBackoff
	webhookBackoff = []time.Duration{time.Hour, time.Hour, time.Hour}
	t.Cleanup(func() { webhookBackoff = saved })
	rc := &receiver{statuses: []int{503}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	r := Send(ctx, inventory.Notify{Webhook: inventory.NotifyWebhook{URL: srv.URL}}, testMessage(t), nil)[0]
	require.Error(t, r.Err)
	assert.Equal(t, 1, r.Attempts)
	assert.Contains(t, r.Err.Error(), "gave up after 1 attempt (context deadline exceeded); last: HTTP 503")
	assert.Less(t, time.Since(start), time.Minute, "the hour-long backoff was cut short")

	// A context that ends during an attempt stops at once, and says so.
	slow := &receiver{delay: 5 * time.Second}
	srv2 := httptest.NewServer(slow)
	defer srv2.Close()
	ctx2, cancel2 := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel2()
	r = Send(ctx2, inventory.Notify{Webhook: inventory.NotifyWebhook{URL: srv2.URL}}, testMessage(t), nil)[0]
	require.Error(t, r.Err)
	assert.Equal(t, 1, r.Attempts)
	assert.Contains(t, r.Err.Error(), "gave up after 1 attempt (context deadline exceeded); last: context deadline exceeded")
}

func TestWebhookConfigFromEnvironment(t *testing.T) {
	rc := &receiver{secret: []byte(webhookSecret)}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	cfg := inventory.Notify{Webhook: inventory.NotifyWebhook{URLEnv: "WH_URL", SecretEnv: "WH_SECRET"}}

	r := Send(context.Background(), cfg, testMessage(t), envOf(map[string]string{"WH_URL": srv.URL + "/T0KEN", "WH_SECRET": webhookSecret}))[0]
	require.NoError(t, r.Err)
	assert.True(t, rc.got()[0].signatureOK)

	r = Send(context.Background(), cfg, testMessage(t), envOf(map[string]string{"WH_URL": srv.URL}))[0]
	require.Error(t, r.Err)
	assert.Contains(t, r.Err.Error(), "environment variable WH_SECRET (notify.webhook.secret_env) is empty or not set; nothing was sent unsigned")
	assert.Len(t, rc.got(), 1, "nothing sent")

	r = Send(context.Background(), cfg, testMessage(t), envOf(map[string]string{"WH_URL": "ftp://u:pw@h/T0KEN"}))[0]
	require.Error(t, r.Err)
	assert.NotContains(t, r.Err.Error(), "T0KEN")
	assert.NotContains(t, r.Err.Error(), "pw")

	r = Send(context.Background(), cfg, testMessage(t), nil)[0]
	assert.Contains(t, r.Err.Error(), "environment variable WH_URL (notify.webhook.url_env) is empty or not set")
}

// TestWebhookUnreachable: nothing listens; the error says why without the
// URL's path.
func TestWebhookUnreachable(t *testing.T) {
	fastRetries(t)
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/T0KEN"
	srv.Close()
	r := Send(context.Background(), inventory.Notify{Webhook: inventory.NotifyWebhook{URL: url}}, testMessage(t), nil)[0]
	require.Error(t, r.Err)
	assert.Equal(t, 4, r.Attempts)
	assert.Contains(t, r.Err.Error(), "connection refused")
	assert.NotContains(t, r.Err.Error(), "T0KEN")
}

// TestPayloadKeys pins schema tmsdrift/notify/v1: these keys, always
// present.
func TestPayloadKeys(t *testing.T) {
	b, err := json.Marshal(Payload(Message{Deployment: "d", Verdict: report.VerdictPass}, time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)))
	require.NoError(t, err)
	var p map[string]any
	require.NoError(t, json.Unmarshal(b, &p))
	var keys []string
	for k := range p {
		keys = append(keys, k)
	}
	assert.ElementsMatch(t, []string{"schema", "deployment", "verdict", "verdict_text", "title", "summary", "counts", "changes", "report_url", "notes", "sent_at"}, keys)
	assert.Equal(t, []any{}, p["notes"])
	changes, ok := p["changes"].(map[string]any)
	require.True(t, ok)
	for _, list := range []string{"new_failures", "resolved", "still_failing", "new_errors", "cleared_errors"} {
		assert.Equal(t, []any{}, changes[list], list)
	}
	assert.Equal(t, "2026-11-25T02:00:00Z", p["sent_at"])
}
