package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/tmsdrift/tmsdrift/inventory"
	"github.com/tmsdrift/tmsdrift/report"
)

// WebhookSchema identifies the webhook's JSON body; keys are only ever
// added within it (docs/notify.md).
const WebhookSchema = "tmsdrift/notify/v1"

// Webhook headers.
const (
	// SignatureHeader carries "sha256=" and the HMAC-SHA256 of the body,
	// hex, keyed with the secret notify.webhook.secret_env names.
	SignatureHeader = "X-Tmsdrift-Signature"
	// DeliveryHeader is one random id per notification, the same on every
	// retry, so a receiver can drop duplicates.
	DeliveryHeader = "X-Tmsdrift-Delivery"
)

// WebhookPayload is the JSON body of a webhook POST (schema
// tmsdrift/notify/v1).
type WebhookPayload struct {
	Schema      string         `json:"schema"`
	Deployment  string         `json:"deployment"`
	Verdict     report.Verdict `json:"verdict"`
	VerdictText string         `json:"verdict_text"`
	// Title is the e-mail subject: deployment, verdict, what changed.
	Title string `json:"title"`
	// Summary is Changes.Summary(): "+2 failing, -1 resolved".
	Summary   string         `json:"summary"`
	Counts    report.Summary `json:"counts"`
	Changes   report.Changes `json:"changes"`
	ReportURL string         `json:"report_url"`
	Notes     []string       `json:"notes"`
	// SentAt is when the notification was built (RFC 3339, UTC); it is
	// inside the signed body, so a receiver can refuse old replays.
	SentAt string `json:"sent_at"`
}

// Payload builds the webhook body of msg at now.
func Payload(msg Message, now time.Time) WebhookPayload {
	notes := make([]string, 0, len(msg.Notes))
	for _, n := range msg.Notes {
		notes = append(notes, clean(n))
	}
	ch := msg.Changes
	for _, list := range []*[]report.Change{&ch.NewFailures, &ch.Resolved, &ch.Waived, &ch.StillFailing, &ch.NewErrors, &ch.ClearedErrors} {
		if *list == nil {
			*list = []report.Change{} // lists are [] in the JSON, never null
		}
	}
	return WebhookPayload{
		Schema: WebhookSchema, Deployment: msg.Deployment, Verdict: msg.Verdict, VerdictText: msg.Verdict.Text(),
		Title: msg.Subject(), Summary: ch.Summary(), Counts: msg.Counts, Changes: ch,
		ReportURL: msg.ReportURL, Notes: notes, SentAt: now.UTC().Format(time.RFC3339),
	}
}

// Sign is the X-Tmsdrift-Signature value of body under secret:
// "sha256=<hex HMAC-SHA256>". Receivers compute the same over the raw body
// and compare in constant time.
func Sign(secret, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// webhookBackoff is the wait before each retry: three retries after the
// first attempt. Tests shorten it.
var webhookBackoff = []time.Duration{1 * time.Second, 4 * time.Second, 15 * time.Second}

// sendWebhook POSTs the payload, retrying transport errors, timeouts, 408,
// 425, 429 and 5xx answers with backoff; other answers are final.
// Redirects are not followed: the signed body goes only where the
// inventory says.
func sendWebhook(ctx context.Context, cfg inventory.NotifyWebhook, msg Message, env func(string) string) Result {
	res := Result{Channel: ChannelWebhook, Target: "(webhook)"}
	raw := cfg.URL
	if cfg.URLEnv != "" {
		raw = env(cfg.URLEnv)
		if raw == "" {
			res.Err = fmt.Errorf("webhook: environment variable %s (notify.webhook.url_env) is empty or not set", cfg.URLEnv)
			return res
		}
	}
	if problem := inventory.WebhookURLProblem(raw); problem != "" {
		res.Err = fmt.Errorf("webhook: the URL %s", problem)
		return res
	}
	u, _ := url.Parse(raw) // checked just above
	res.Target = u.Scheme + "://" + u.Host + "/…"
	var secret []byte
	if cfg.SecretEnv != "" {
		s := env(cfg.SecretEnv)
		if s == "" {
			res.Err = fmt.Errorf("webhook %s: environment variable %s (notify.webhook.secret_env) is empty or not set; nothing was sent unsigned", res.Target, cfg.SecretEnv)
			return res
		}
		secret = []byte(s)
	}
	body, err := json.Marshal(Payload(msg, time.Now()))
	if err != nil {
		res.Err = fmt.Errorf("webhook %s: encode the payload: %w", res.Target, err)
		return res
	}
	delivery := make([]byte, 16)
	_, _ = rand.Read(delivery) // never fails (crypto/rand documents it)

	timeout := time.Duration(cfg.TimeoutSeconds * float64(time.Second))
	if timeout <= 0 {
		timeout = inventory.DefaultWebhookTimeoutSeconds * time.Second
	}
	client := &http.Client{
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	var last error
	for attempt := 0; attempt <= len(webhookBackoff); attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				res.Err = gaveUp(ctx, res, last)
				return res
			case <-time.After(webhookBackoff[attempt-1]):
			}
		}
		res.Attempts++
		retry, err := postOnce(ctx, client, raw, body, secret, hex.EncodeToString(delivery), timeout)
		if err == nil {
			res.OK = true
			return res
		}
		last = err
		if ctx.Err() != nil {
			res.Err = gaveUp(ctx, res, last)
			return res
		}
		if !retry {
			break
		}
	}
	res.Err = fmt.Errorf("webhook %s: not delivered after %d attempt%s; last: %v", res.Target, res.Attempts, plural(res.Attempts), last)
	return res
}

// postOnce makes one attempt and says whether another is worth it. Its
// errors never include the URL (url.Error would: its path may hold a
// token).
func postOnce(ctx context.Context, client *http.Client, target string, body, secret []byte, delivery string, timeout time.Duration) (retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return false, errors.New("cannot build the request (bad URL)")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "tmsdrift")
	req.Header.Set(DeliveryHeader, delivery)
	if secret != nil {
		req.Header.Set(SignatureHeader, Sign(secret, body))
	}
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		var ne net.Error
		switch {
		case ctx.Err() != nil: // the caller's deadline or cancel, not ours
			return false, ctx.Err()
		case errors.As(err, &ne) && ne.Timeout(), errors.Is(err, context.DeadlineExceeded):
			return true, fmt.Errorf("no answer within %s (notify.webhook.timeout_seconds)", timeout)
		}
		return true, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		return false, nil
	case c >= 300 && c < 400:
		return false, fmt.Errorf("HTTP %s: redirects are not followed (point notify.webhook at the final URL)", oneLine(resp.Status))
	case c == http.StatusRequestTimeout, c == http.StatusTooEarly, c == http.StatusTooManyRequests, c >= 500:
		return true, fmt.Errorf("HTTP %s", oneLine(resp.Status))
	}
	return false, fmt.Errorf("HTTP %s (not retried: the receiver refused the request)", oneLine(resp.Status))
}

// gaveUp is the error when the caller's context ends the retries.
func gaveUp(ctx context.Context, res Result, last error) error {
	return fmt.Errorf("webhook %s: gave up after %d attempt%s (%v); last: %v", res.Target, res.Attempts, plural(res.Attempts), ctx.Err(), last)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
