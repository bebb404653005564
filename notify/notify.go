// Package notify tells people about an audit run: by e-mail over SMTP
// (the Markdown summary as the text part, the HTML report as the HTML
// part) and by a webhook (a signed JSON summary, schema
// tmsdrift/notify/v1), as the inventory's notify block says.
//
// `tmsdrift serve` calls it after each run:
//
//	ch := report.Compare(previous, latest)
//	if notify.ShouldSend(inv.Notify.On, ch, latest.Verdict(failOn)) {
//		results := notify.Send(ctx, inv.ResolvedNotify(), notify.Message{...}, os.Getenv)
//		// log and record each result; a failure never stops the service
//	}
//
// Send never panics and never returns an error of its own: each channel
// gives a Result, delivered or not. Errors say what failed in an
// administrator's words and never carry a secret (passwords, the webhook
// secret, a webhook URL's path, which often holds a token).
//
// Pass inventory.ResolvedNotify(), not inventory.Notify: the CA file is
// relative to the inventory's folder, and Send refuses a relative one
// rather than guess.
package notify

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"unicode"

	"github.com/tmsdrift/tmsdrift/inventory"
	"github.com/tmsdrift/tmsdrift/report"
)

// Message is what one run has to tell.
type Message struct {
	// Deployment is the inventory's deployment name.
	Deployment string
	// Verdict is the run's outcome at the threshold the caller gates on.
	Verdict report.Verdict
	// Counts are the run's results by status.
	Counts report.Summary
	// Changes is what changed since the previous run (report.Compare).
	Changes report.Changes
	// ReportURL links to the full report (the service's /reports/<run>);
	// empty leaves the link out.
	ReportURL string
	// Markdown is the report in the markdown format: the e-mail's text
	// part. HTML is the report in the html format: the e-mail's HTML part
	// (omitted when empty). The webhook sends neither: it links.
	Markdown []byte
	HTML     []byte
	// Notes are sentences that go above everything else: "upgrade
	// detected on tms02", what an automatic fix restored, which command
	// to run.
	Notes []string
	// Headline, when set, stands in the subject for the verdict and what
	// changed, and the text has no results line: a run without a report
	// ("inventory invalid, nothing audited") has none of them.
	Headline string
}

// Channel names, as Result.Channel gives them.
const (
	ChannelEmail   = "email"
	ChannelWebhook = "webhook"
)

// Result is what happened on one channel.
type Result struct {
	// Channel is ChannelEmail or ChannelWebhook.
	Channel string
	// Target says where, without secrets: "smtp.acme.local:587 (2
	// recipients)", "https://hooks.acme.local/…".
	Target string
	// OK is true when the message was handed over (SMTP accepted it, the
	// webhook answered 2xx).
	OK bool
	// Attempts is how many times it was tried.
	Attempts int
	// Err says why it was not delivered; nil when OK.
	Err error
}

// MarshalJSON writes the result for run.json, the error as its message.
func (r Result) MarshalJSON() ([]byte, error) {
	out := struct {
		Channel  string `json:"channel"`
		Target   string `json:"target"`
		OK       bool   `json:"ok"`
		Attempts int    `json:"attempts"`
		Error    string `json:"error,omitempty"`
	}{r.Channel, r.Target, r.OK, r.Attempts, ""}
	if r.Err != nil {
		out.Error = r.Err.Error()
	}
	return json.Marshal(out)
}

// ShouldSend decides whether a run is worth a notification under notify.on:
//   - always: every run;
//   - failure: every run whose verdict is not pass (drift found, or
//     something could not be checked);
//   - change (the default, also for ""): the first run, a changed verdict,
//     or a changed set of failing results (something started or stopped
//     failing). Errors that come and go without moving the verdict do not
//     count: flapping probes would otherwise page people nightly.
//
// A caller that failed to deliver the previous notification should send
// the next one whatever this says (the "retried at the next run").
func ShouldSend(on inventory.NotifyOn, ch report.Changes, verdict report.Verdict) bool {
	switch on {
	case inventory.NotifyOnAlways:
		return true
	case inventory.NotifyOnFailure:
		return verdict != report.VerdictPass
	}
	return ch.FirstRun || ch.VerdictChanged || ch.FailingChanged()
}

// Send delivers msg on every channel cfg configures, at once, and returns
// one Result per channel: e-mail first, then the webhook. env looks up
// environment variables (os.Getenv; tests pass their own); nil is an empty
// environment. ctx bounds the whole send, each channel also has its own
// timeout.
func Send(ctx context.Context, cfg inventory.Notify, msg Message, env func(string) string) []Result {
	if env == nil {
		env = func(string) string { return "" }
	}
	type job struct {
		channel string
		run     func() Result
	}
	var jobs []job
	if cfg.Email.Configured() {
		jobs = append(jobs, job{ChannelEmail, func() Result { return sendEmail(ctx, cfg.Email, msg, env) }})
	}
	if cfg.Webhook.Configured() {
		jobs = append(jobs, job{ChannelWebhook, func() Result { return sendWebhook(ctx, cfg.Webhook, msg, env) }})
	}
	results := make([]Result, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Go(func() {
			defer func() {
				if p := recover(); p != nil {
					results[i] = Result{Channel: j.channel, Err: fmt.Errorf("internal error in the %s channel (a bug in tmsdrift): %v", j.channel, p)}
				}
			}()
			results[i] = j.run()
		})
	}
	wg.Wait()
	return results
}

// Subject is the e-mail subject and the webhook's one-line title: the
// deployment, the verdict and what changed, e.g. "tmsdrift acme-tms:
// drift found (+2 failing, -1 resolved)".
func (m Message) Subject() string {
	name := oneLine(m.Deployment)
	if name == "" {
		name = "deployment"
	}
	if h := oneLine(m.Headline); h != "" {
		return fmt.Sprintf("tmsdrift %s: %s", name, h)
	}
	return fmt.Sprintf("tmsdrift %s: %s (%s)", name, m.Verdict.Text(), m.Changes.Summary())
}

// Text is the e-mail's text part: the subject line's facts, the notes,
// the link, then the Markdown report.
func (m Message) Text() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\n\n", m.Subject())
	for _, n := range m.Notes {
		fmt.Fprintf(&b, "* %s\n", clean(n))
	}
	if len(m.Notes) > 0 {
		b.WriteString("\n")
	}
	if m.Headline == "" { // a run with a headline has no report, so no results
		fmt.Fprintf(&b, "Results: %d fail, %d error, %d waived, %d pass.\n", m.Counts.Fail, m.Counts.Error, m.Counts.Waived, m.Counts.Pass)
	}
	if m.ReportURL != "" {
		fmt.Fprintf(&b, "Full report: %s\n", oneLine(m.ReportURL))
	}
	if len(m.Markdown) > 0 {
		b.WriteString("\n")
		b.WriteString(clean(string(m.Markdown)))
		if !bytes.HasSuffix(m.Markdown, []byte("\n")) {
			b.WriteString("\n")
		}
	}
	return b.Bytes()
}

// clean drops control characters but line breaks and tabs from text that
// goes into a message.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if unicode.IsControl(r) || report.UnsafeRune(r) {
			return -1
		}
		return r
	}, s)
}

// oneLine is clean text on one line, for headers and subjects.
func oneLine(s string) string {
	return strings.Join(strings.Fields(clean(s)), " ")
}

// scrub replaces every secret (and the base64 forms SMTP AUTH sends) in
// an error's text, so no server echo or library message can leak one. The
// result is a new error: unwrapping must not reach the original text.
func scrub(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	var forms []string
	for _, s := range secrets {
		if s != "" {
			forms = append(forms, s, base64.StdEncoding.EncodeToString([]byte(s)))
		}
	}
	// Longest first: one form may contain another.
	sort.Slice(forms, func(i, j int) bool { return len(forms[i]) > len(forms[j]) })
	msg := err.Error()
	for _, form := range forms {
		msg = strings.ReplaceAll(msg, form, "[secret]")
	}
	return errors.New(msg)
}
