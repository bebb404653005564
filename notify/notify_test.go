package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/inventory"
	"github.com/tmsdrift/tmsdrift/report"
)

var (
	night1 = time.Date(2026, 11, 24, 2, 0, 0, 0, time.UTC)
	night2 = night1.Add(24 * time.Hour)
)

// nights are two audits of acme-tms: the second after an upgrade on tms02
// (machineKey gone, address overwritten) while tms03's clock recovered.
func nights() (*report.Report, *report.Report) {
	c, h := checks.Critical, checks.High
	var before, after []checks.Result
	for i := range 35 {
		r := checks.Result{Rule: "domain.joined", Node: fmt.Sprintf("n%02d", i), Status: checks.Pass, Severity: h}
		before, after = append(before, r), append(after, r)
	}
	before = append(before,
		checks.Result{Rule: "machinekey.present", Node: "tms02", Status: checks.Pass, Severity: c},
		checks.Result{Rule: "addresses.match", Status: checks.Pass, Severity: c},
		checks.Result{Rule: "time.synced", Node: "tms03", Status: checks.Fail, Severity: h},
		checks.Result{Rule: "db.backup-recent", Status: checks.Fail, Severity: h})
	after = append(after,
		checks.Result{Rule: "machinekey.present", Node: "tms02", Status: checks.Fail, Severity: c,
			Expected: "explicit <machineKey> with fixed keys under <system.web>", Observed: "no <machineKey>"},
		checks.Result{Rule: "addresses.match", Status: checks.Fail, Severity: c, Observed: "ipv4_local 10.10.0.12"},
		checks.Result{Rule: "time.synced", Node: "tms03", Status: checks.Pass, Severity: h},
		checks.Result{Rule: "db.backup-recent", Status: checks.Fail, Severity: h})
	return report.New("acme-tms", "manual-cutover", night1, night1.Add(time.Second), before),
		report.New("acme-tms", "manual-cutover", night2, night2.Add(time.Second), after)
}

// testMessage is what serve would send after the second night, with both
// renderings of the report.
func testMessage(t *testing.T) Message {
	t.Helper()
	old, latest := nights()
	ch := report.Compare(old, latest)
	render := func(format string) []byte {
		w, err := report.NewWriter(format, report.Options{Inventory: "acme.yaml", Changes: &ch})
		require.NoError(t, err)
		var b bytes.Buffer
		require.NoError(t, w.Write(&b, latest))
		return b.Bytes()
	}
	return Message{
		Deployment: latest.Deployment, Verdict: latest.Verdict(checks.Low), Counts: latest.Summary, Changes: ch,
		ReportURL: "https://tms-admin.acme.local/reports/20261125T020000Z/report.html",
		Markdown:  render("markdown"), HTML: render("html"),
		Notes: []string{"Upgrade detected on tms02: TMS 15.13.1 → 15.14.0."},
	}
}

func TestShouldSend(t *testing.T) {
	old, latest := nights()
	drift := report.Compare(old, latest)
	same := report.Compare(latest, latest)
	first := report.Compare(nil, latest)
	clean := report.New("acme-tms", "manual-cutover", night2, night2, []checks.Result{{Rule: "db.online", Status: checks.Pass, Severity: checks.Critical}})
	cleanAgain := report.Compare(clean, clean)
	errs := report.New("acme-tms", "manual-cutover", night2, night2, []checks.Result{{Rule: "db.online", Status: checks.Error, Severity: checks.Critical}})
	errsMoved := report.Compare(
		report.New("acme-tms", "manual-cutover", night1, night1, []checks.Result{{Rule: "db.latency", Status: checks.Error, Severity: checks.High}}), errs)

	cases := []struct {
		name    string
		on      inventory.NotifyOn
		ch      report.Changes
		verdict report.Verdict
		want    bool
	}{
		{"change: failures moved", inventory.NotifyOnChange, drift, report.VerdictFail, true},
		{"change: nothing moved", inventory.NotifyOnChange, same, report.VerdictFail, false},
		{"change: first run", inventory.NotifyOnChange, first, report.VerdictFail, true},
		{"change: errors moved, verdict the same", inventory.NotifyOnChange, errsMoved, report.VerdictError, false},
		{"unset means change", "", drift, report.VerdictFail, true},
		{"unset means change: nothing moved", "", same, report.VerdictFail, false},
		{"failure: still failing", inventory.NotifyOnFailure, same, report.VerdictFail, true},
		{"failure: could not check", inventory.NotifyOnFailure, cleanAgain, report.VerdictError, true},
		{"failure: clean", inventory.NotifyOnFailure, cleanAgain, report.VerdictPass, false},
		{"always: clean and unchanged", inventory.NotifyOnAlways, cleanAgain, report.VerdictPass, true},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, ShouldSend(c.on, c.ch, c.verdict), c.name)
	}
}

func TestSubjectAndText(t *testing.T) {
	msg := testMessage(t)
	assert.Equal(t, "tmsdrift acme-tms: drift found (+2 failing, -1 resolved)", msg.Subject())

	msg.Deployment = "acme\r\nBcc: victim@example.com"
	assert.Equal(t, "tmsdrift acme Bcc: victim@example.com: drift found (+2 failing, -1 resolved)", msg.Subject(), "no line break reaches a header")

	text := string(testMessage(t).Text())
	assert.Contains(t, text, "* Upgrade detected on tms02: TMS 15.13.1 → 15.14.0.\n")
	assert.Contains(t, text, "Results: 3 fail, 0 error, 0 waived, 36 pass.\n")
	assert.Contains(t, text, "Full report: https://tms-admin.acme.local/reports/20261125T020000Z/report.html\n")
	assert.Contains(t, text, "## tmsdrift: acme-tms (manual-cutover)", "the Markdown report follows")
}

// A run without a report (an invalid inventory, a run that could not
// finish) says so in the subject instead of a verdict and changes it does
// not have, and its text has no results line of zeros.
func TestHeadline(t *testing.T) {
	msg := Message{Deployment: "acme-tms", Verdict: report.VerdictError, Headline: "inventory invalid,\r\nnothing audited",
		Notes: []string{"The inventory is invalid."}}
	assert.Equal(t, "tmsdrift acme-tms: inventory invalid, nothing audited", msg.Subject(), "one line")
	text := string(msg.Text())
	assert.Contains(t, text, "* The inventory is invalid.\n")
	assert.NotContains(t, text, "Results:")
}

func TestSendNothingConfigured(t *testing.T) {
	assert.Empty(t, Send(context.Background(), inventory.Notify{On: inventory.NotifyOnAlways}, testMessage(t), nil))
}

func TestResultJSON(t *testing.T) {
	b, err := json.Marshal([]Result{
		{Channel: ChannelEmail, Target: "smtp:587 (1 recipient)", OK: true, Attempts: 1},
		{Channel: ChannelWebhook, Target: "https://h/…", Attempts: 4, Err: errors.New("HTTP 500")},
	})
	require.NoError(t, err)
	assert.JSONEq(t, `[{"channel":"email","target":"smtp:587 (1 recipient)","ok":true,"attempts":1},
		{"channel":"webhook","target":"https://h/…","ok":false,"attempts":4,"error":"HTTP 500"}]`, string(b))
}

func TestScrub(t *testing.T) {
	err := scrub(fmt.Errorf("535 auth failed for AHVzZXIAaHVudGVyMg== (hunter2) %s", "aHVudGVyMg=="), "hunter2", "\x00user\x00hunter2")
	assert.Equal(t, "535 auth failed for [secret] ([secret]) [secret]", err.Error())
	assert.Nil(t, errors.Unwrap(err), "the original text is not reachable")
	assert.NoError(t, scrub(nil, "x"))
}
