package report

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/checks"
)

var (
	runOne = time.Date(2026, 11, 24, 2, 0, 0, 0, time.UTC)
	runTwo = runOne.Add(24 * time.Hour)
)

// res is a result with just what Compare looks at.
func res(rule, node string, status checks.Status, sev checks.Severity) checks.Result {
	return checks.Result{Rule: rule, Node: node, Status: status, Severity: sev, Message: rule + "@" + node + ":" + string(status)}
}

// changeKeys lists "rule@node before→after" for a list of changes, in order.
func changeKeys(list []Change) []string {
	out := []string{}
	for _, c := range list {
		out = append(out, fmt.Sprintf("%s@%s %s→%s", c.Rule, c.Node, c.Before, c.After))
	}
	return out
}

func TestCompare(t *testing.T) {
	c, h, m := checks.Critical, checks.High, checks.Medium
	P, F, E, W := checks.Pass, checks.Fail, checks.Error, checks.Waived
	type want struct {
		newFailures, resolved, waived, still, newErrors, cleared []string
		verdictChanged                                           bool
		oldVerdict, newVerdict                                   Verdict
		summary                                                  string
		empty                                                    bool
	}
	cases := []struct {
		name     string
		old, new []checks.Result // old nil and firstRun: no old report
		firstRun bool
		want     want
	}{
		{
			name: "first run, failures and an error are new", firstRun: true,
			new: []checks.Result{res("time.synced", "tms01", P, h), res("machinekey.match", "tms02", F, c),
				res("db.online", "", E, c), res("data.synced", "tms02", F, m)},
			want: want{newFailures: []string{"machinekey.match@tms02 →fail", "data.synced@tms02 →fail"},
				newErrors: []string{"db.online@ →error"}, verdictChanged: true, newVerdict: VerdictFail,
				summary: "first run: 2 failing, 1 error"},
		},
		{
			name: "first run, all pass", firstRun: true,
			new:  []checks.Result{res("time.synced", "tms01", P, h)},
			want: want{verdictChanged: true, newVerdict: VerdictPass, summary: "first run: nothing failing"},
		},
		{
			name: "nothing changed, one still failing",
			old:  []checks.Result{res("time.synced", "tms01", P, h), res("db.backup-recent", "", F, h)},
			new:  []checks.Result{res("time.synced", "tms01", P, h), res("db.backup-recent", "", F, h)},
			want: want{still: []string{"db.backup-recent@ fail→fail"}, oldVerdict: VerdictFail, newVerdict: VerdictFail,
				summary: "no change", empty: true},
		},
		{
			name: "drift after a clean run: upgrade on tms02",
			old: []checks.Result{res("machinekey.present", "tms01", P, c), res("machinekey.present", "tms02", P, c),
				res("addresses.match", "", P, c)},
			new: []checks.Result{res("machinekey.present", "tms01", P, c), res("machinekey.present", "tms02", F, c),
				res("addresses.match", "", F, c)},
			want: want{newFailures: []string{"machinekey.present@tms02 pass→fail", "addresses.match@ pass→fail"},
				verdictChanged: true, oldVerdict: VerdictPass, newVerdict: VerdictFail, summary: "+2 failing"},
		},
		{
			// A failure now waived is not resolved: the drift is still
			// there (before, "-3 resolved" counted it as fixed).
			name: "recovery: fixed and a node removed resolve, a waived failure is only waived",
			old: []checks.Result{res("machinekey.present", "tms02", F, c), res("time.synced", "tms02", F, h),
				res("db.latency", "tms03", F, h), res("db.latency", "tms01", P, h)},
			new: []checks.Result{res("machinekey.present", "tms02", P, c), res("time.synced", "tms02", W, h),
				res("db.latency", "tms01", P, h)},
			want: want{resolved: []string{"machinekey.present@tms02 fail→pass", "db.latency@tms03 fail→"},
				waived:         []string{"time.synced@tms02 fail→waived"},
				verdictChanged: true, oldVerdict: VerdictFail, newVerdict: VerdictPass, summary: "-2 resolved, 1 now waived"},
		},
		{
			name: "a failure that can no longer be checked is a new error, not resolved",
			old:  []checks.Result{res("data.synced", "tms02", F, m)},
			new:  []checks.Result{res("data.synced", "tms02", E, m)},
			want: want{newErrors: []string{"data.synced@tms02 fail→error"}, verdictChanged: true,
				oldVerdict: VerdictFail, newVerdict: VerdictError, summary: "+1 error"},
		},
		{
			name: "an error that now fails is a new failure and no cleared error",
			old:  []checks.Result{res("machinekey.present", "tms03", E, c)},
			new:  []checks.Result{res("machinekey.present", "tms03", F, c)},
			want: want{newFailures: []string{"machinekey.present@tms03 error→fail"}, verdictChanged: true,
				oldVerdict: VerdictError, newVerdict: VerdictFail, summary: "+1 failing"},
		},
		{
			name: "errors come and go, the verdict stays",
			old:  []checks.Result{res("db.online", "", E, c), res("db.backup-recent", "", E, h), res("time.synced", "tms01", P, h)},
			new:  []checks.Result{res("db.online", "", P, c), res("db.backup-recent", "", P, h), res("time.synced", "tms01", E, h)},
			want: want{newErrors: []string{"time.synced@tms01 pass→error"},
				cleared:    []string{"db.online@ error→pass", "db.backup-recent@ error→pass"},
				oldVerdict: VerdictError, newVerdict: VerdictError, summary: "+1 error, -2 errors"},
		},
		{
			name: "a removed node's error is cleared; a new node's failure is new",
			old:  []checks.Result{res("db.latency", "tms03", E, h)},
			new:  []checks.Result{res("db.latency", "tms04", F, h)},
			want: want{newFailures: []string{"db.latency@tms04 →fail"}, cleared: []string{"db.latency@tms03 error→"},
				verdictChanged: true, oldVerdict: VerdictError, newVerdict: VerdictFail, summary: "+1 failing, -1 error"},
		},
		{
			name: "node names match case-insensitively, like Windows host names",
			old:  []checks.Result{res("time.synced", "TMS01", F, h)},
			new:  []checks.Result{res("time.synced", "tms01", F, h)},
			want: want{still: []string{"time.synced@tms01 fail→fail"}, oldVerdict: VerdictFail, newVerdict: VerdictFail,
				summary: "no change", empty: true},
		},
		{
			name: "a node result and the deployment result of one rule are different results",
			old:  []checks.Result{res("db.latency", "", F, h), res("db.latency", "tms01", P, h)},
			new:  []checks.Result{res("db.latency", "", P, h), res("db.latency", "tms01", F, h)},
			want: want{newFailures: []string{"db.latency@tms01 pass→fail"}, resolved: []string{"db.latency@ fail→pass"},
				oldVerdict: VerdictFail, newVerdict: VerdictFail, summary: "+1 failing, -1 resolved"},
		},
		{
			name: "repeated rule and node pairs are kept apart by position",
			old:  []checks.Result{res("x.custom", "tms01", F, m), res("x.custom", "tms01", P, m)},
			new:  []checks.Result{res("x.custom", "tms01", F, m), res("x.custom", "tms01", F, m)},
			want: want{still: []string{"x.custom@tms01 fail→fail"}, newFailures: []string{"x.custom@tms01 pass→fail"},
				oldVerdict: VerdictFail, newVerdict: VerdictFail, summary: "+1 failing"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var old *Report
			if !tc.firstRun {
				old = New("acme-tms", "manual-cutover", runOne, runOne.Add(time.Second), tc.old)
			}
			latest := New("acme-tms", "manual-cutover", runTwo, runTwo.Add(time.Second), tc.new)
			ch := Compare(old, latest)
			w := tc.want
			nz := func(s []string) []string {
				if s == nil {
					return []string{}
				}
				return s
			}
			assert.Equal(t, nz(w.newFailures), changeKeys(ch.NewFailures), "new failures")
			assert.Equal(t, nz(w.resolved), changeKeys(ch.Resolved), "resolved")
			assert.Equal(t, nz(w.waived), changeKeys(ch.Waived), "waived")
			assert.Equal(t, nz(w.still), changeKeys(ch.StillFailing), "still failing")
			assert.Equal(t, nz(w.newErrors), changeKeys(ch.NewErrors), "new errors")
			assert.Equal(t, nz(w.cleared), changeKeys(ch.ClearedErrors), "cleared errors")
			assert.Equal(t, w.verdictChanged, ch.VerdictChanged, "verdict changed")
			assert.Equal(t, w.oldVerdict, ch.OldVerdict)
			assert.Equal(t, w.newVerdict, ch.NewVerdict)
			assert.Equal(t, tc.firstRun, ch.FirstRun)
			assert.Equal(t, w.summary, ch.Summary())
			assert.Equal(t, w.empty, ch.Empty())
		})
	}
}

// TestCompareFirstSeenAndResults: new things are first seen now, old ones
// at the older run (until history knows better, which it can set); the
// result carried is the newest one.
func TestCompareFirstSeenAndResults(t *testing.T) {
	h := checks.High
	old := New("d", "single", runOne, runOne, []checks.Result{
		res("db.backup-recent", "", checks.Fail, h), res("time.synced", "tms01", checks.Fail, h), res("db.online", "", checks.Error, h)})
	newer := res("db.backup-recent", "", checks.Fail, h)
	newer.Observed = "last full backup 75 h ago"
	latest := New("d", "single", runTwo, runTwo, []checks.Result{
		newer, res("time.synced", "tms01", checks.Pass, h), res("db.online", "", checks.Pass, h), res("db.latency", "tms01", checks.Fail, h)})

	ch := Compare(old, latest)
	require.Len(t, ch.StillFailing, 1)
	assert.Equal(t, runOne, ch.StillFailing[0].FirstSeen)
	assert.Equal(t, "last full backup 75 h ago", ch.StillFailing[0].Result.Observed, "the newest result")
	require.Len(t, ch.Resolved, 1)
	assert.Equal(t, runOne, ch.Resolved[0].FirstSeen)
	assert.Equal(t, checks.Pass, ch.Resolved[0].Result.Status)
	require.Len(t, ch.NewFailures, 1)
	assert.Equal(t, runTwo, ch.NewFailures[0].FirstSeen)
	require.Len(t, ch.ClearedErrors, 1)
	assert.Equal(t, runOne, ch.Since)
	assert.Equal(t, runTwo, ch.Until)

	// A caller that walked history sets an earlier date, and finds the
	// result in an older report by its key.
	earliest := runOne.Add(-72 * time.Hour)
	ch.StillFailing[0].FirstSeen = earliest
	assert.Equal(t, earliest, ch.StillFailing[0].FirstSeen)
	idx := IndexResults(old.Results)
	got, ok := idx[ch.StillFailing[0].Key()]
	require.True(t, ok)
	assert.Equal(t, checks.Fail, got.Status)
	assert.Equal(t, "db.backup-recent", ch.StillFailing[0].Key().String())
}

// TestCompareIsDeterministic: the lists never follow map order.
func TestCompareIsDeterministic(t *testing.T) {
	var olds, news []checks.Result
	for i := range 40 {
		node := fmt.Sprintf("tms%02d", i)
		olds = append(olds, res("db.latency", node, checks.Pass, checks.High), res("data.synced", node, checks.Fail, checks.Medium))
		news = append(news, res("db.latency", node, checks.Fail, checks.High), res("data.synced", node, checks.Pass, checks.Medium))
	}
	old := New("d", "nlb", runOne, runOne, olds)
	latest := New("d", "nlb", runTwo, runTwo, news)
	first := Compare(old, latest)
	for range 10 {
		assert.Equal(t, first, Compare(old, latest))
	}
	assert.Equal(t, "db.latency", first.NewFailures[0].Rule, "high before medium")
	assert.Equal(t, "tms00", first.NewFailures[0].Node)
	assert.Equal(t, "tms39", first.NewFailures[39].Node)
}

// TestChangesJSON: history stores Changes in run.json and the webhook
// sends it; the keys are snake_case and lists are never null.
func TestChangesJSON(t *testing.T) {
	latest := New("d", "single", runTwo, runTwo, []checks.Result{res("db.online", "", checks.Fail, checks.Critical)})
	b, err := json.Marshal(Compare(nil, latest))
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	assert.Equal(t, true, m["first_run"])
	assert.Equal(t, "fail", m["new_verdict"])
	assert.NotContains(t, m, "since", "zero times are left out")
	assert.Equal(t, []any{}, m["resolved"])
	nf, ok := m["new_failures"].([]any)
	require.True(t, ok)
	require.Len(t, nf, 1)
	first, ok := nf[0].(map[string]any)
	require.True(t, ok)
	assert.Equal(t, "db.online", first["rule"])
	assert.Equal(t, "", first["before"])
	assert.Equal(t, "2026-11-25T02:00:00Z", first["first_seen"])

	var back Changes
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, Compare(nil, latest), back, "run.json reads back what was written")
}

func TestVerdict(t *testing.T) {
	r := New("d", "single", runOne, runOne, []checks.Result{res("data.synced", "tms02", checks.Fail, checks.Medium), res("db.online", "", checks.Error, checks.Critical)})
	assert.Equal(t, VerdictFail, r.Verdict(""))
	assert.Equal(t, VerdictFail, r.Verdict(checks.Medium))
	assert.Equal(t, VerdictError, r.Verdict(checks.High), "the failure is below the threshold; the error remains")
	assert.Equal(t, VerdictPass, New("d", "single", runOne, runOne, nil).Verdict(checks.Low))
	assert.Equal(t, "drift found", VerdictFail.Text())
	assert.Equal(t, "no drift", VerdictPass.Text())
	assert.Equal(t, "not everything could be checked", VerdictError.Text())
}
