package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/report"
)

// Review findings: a clock offset of -0, a plan resting on an audit
// that could not check everything, numeric inventory values beyond what
// a limit can be.

// A facts.json "offset_ms": -0 (PowerShell prints a tiny negative
// offset rounded so) is a clock on time: the report says "offset 0 ms",
// as for 0, never "offset -0 ms" (a clock behind).
func TestClockOffsetNegativeZeroShowsZero(t *testing.T) {
	dir, inv := labCopy(t, "clock")
	facts := filepath.Join(dir, "nodes", "tms01", "facts.json")
	raw, err := os.ReadFile(facts)
	require.NoError(t, err)
	require.Contains(t, string(raw), `"offset_ms": -500`)
	require.NoError(t, os.WriteFile(facts, []byte(strings.Replace(string(raw), `"offset_ms": -500`, `"offset_ms": -0.0001`, 1)), 0o644))

	_, stdout, stderr := tmsdrift(t, "audit", "-i", inv, "--format", "json")
	var rep report.Report
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep), stderr)
	found := false
	for _, r := range rep.Results {
		if r.Rule == "time.synced" && r.Node == "tms01" {
			found = true
			assert.Equal(t, "pass", string(r.Status))
			assert.Contains(t, r.Observed, "offset 0 ms")
		}
	}
	assert.True(t, found, "time.synced has a result for tms01")
	assert.NotContains(t, stdout, "-0 ms")

	t.Setenv("COLUMNS", "1000")
	_, stdout, _ = tmsdrift(t, "audit", "-i", inv, "--verbose")
	assert.NotContains(t, stdout, "-0 ms")
	assert.Contains(t, stdout, "offset 0 ms")
}

// planJSON is what these tests read of a tmsdrift/fix/v1 document.
type planJSON struct {
	Complete  bool `json:"complete"`
	Unchecked []struct {
		Rule, Node, Reason string
	} `json:"unchecked"`
	Changes []struct{ Node, Object string } `json:"changes"`
}

// unreachableDatabase points a lab copy's inventory.live.yaml at a local
// port nothing listens on (the demo's TDS stand-in, stopped) and returns
// the inventory and the password of its DSN, which must not show.
func unreachableDatabase(t *testing.T, lab string) (string, string, map[string]string) {
	t.Helper()
	dir, _ := labCopy(t, lab)
	const password = "Plan-review-pw-5513"
	t.Setenv(dbEnv, fmt.Sprintf("sqlserver://tmsdrift_audit:%s@127.0.0.1:%d/?database=tmsng&dial+timeout=5", password, closedPort(t)))
	return filepath.Join(dir, "inventory.live.yaml"), password, files(t, dir)
}

// auditErrors runs the audit and returns its `error` results as
// "rule node" and its exit code.
func auditErrors(t *testing.T, inv string, within func(rule string) bool) ([]string, int) {
	t.Helper()
	code, stdout, stderr := tmsdrift(t, "audit", "-i", inv, "--format", "json")
	var rep report.Report
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep), stderr)
	var out []string
	for _, r := range rep.Results {
		if r.Status == checks.Error && within(r.Rule) {
			out = append(out, r.Rule+" "+r.Node)
		}
	}
	require.NotEmpty(t, out, "the audit could not check some rules")
	return out, code
}

// Review finding 1: with the database unreachable, post-upgrade --dry-run
// and fix without --apply planned the machineKey alone and never said
// that addresses.match and the db.* rules could not be checked. The plan
// now lists every `error` result within its reach, per node and for the
// deployment, says plainly that it may be incomplete (table: INCOMPLETE,
// json: "complete": false and "unchecked"), and exits as the audit does
// (1 with a failure, else 3). Nothing is changed.
func TestPlanSaysWhatCouldNotBeChecked(t *testing.T) {
	t.Setenv("COLUMNS", "1000") // lines matched whole
	upgrade := func(rule string) bool {
		for _, r := range checks.UpgradeRules() {
			if r == rule {
				return true
			}
		}
		return false
	}
	all := func(string) bool { return true }
	for _, tc := range []struct {
		name, lab string
		args      []string
		within    func(string) bool
		changes   bool
	}{
		{"post-upgrade --dry-run", "post-upgrade", []string{"post-upgrade", "--dry-run"}, upgrade, true},
		{"fix", "post-upgrade", []string{"fix"}, all, true},
		{"fix --only", "post-upgrade", []string{"fix", "--only", "addresses.match"}, func(r string) bool { return r == "addresses.match" }, false},
		{"fix, nothing failing", "manual-cutover", []string{"fix"}, all, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inv, password, before := unreachableDatabase(t, tc.lab)
			want, auditCode := auditErrors(t, inv, tc.within)

			args := append(append([]string{}, tc.args...), "-i", inv)
			code, stdout, stderr := tmsdrift(t, args...)
			assert.Equal(t, auditCode, code, "exit code as for the audit the plan rests on; stderr: %s", stderr)
			assert.Contains(t, stdout, "INCOMPLETE: "+plural(len(want), "result")+" could not be checked")
			assert.Contains(t, stdout, "Could not check (error in the audit), so this plan may be incomplete")
			for _, w := range want {
				rule, node, _ := strings.Cut(w, " ")
				where := "for the deployment"
				if node != "" {
					where = "on " + node
				}
				assert.Contains(t, stdout, rule+" "+where+": ", "the plan names %s", w)
			}
			if tc.changes {
				assert.Contains(t, stdout, "Plan for acme-post-upgrade (manual-cutover): 1 change on tms02. INCOMPLETE")
			} else {
				assert.Contains(t, stdout, "as far as it could check. INCOMPLETE")
			}

			code, stdout, stderr = tmsdrift(t, append(args, "--format", "json")...)
			assert.Equal(t, auditCode, code)
			var doc planJSON
			require.NoError(t, json.Unmarshal([]byte(stdout), &doc), stderr)
			assert.False(t, doc.Complete)
			var got []string
			for _, u := range doc.Unchecked {
				got = append(got, u.Rule+" "+u.Node)
				assert.Contains(t, u.Reason, "127.0.0.1", "the reason names the unreachable server")
			}
			assert.ElementsMatch(t, want, got)
			assert.Equal(t, tc.changes, len(doc.Changes) > 0)
			assert.NotContains(t, stdout+stderr, password)
			dir := filepath.Dir(inv)
			assert.Equal(t, before, files(t, dir), "a plan changes nothing")
			assert.NoDirExists(t, filepath.Join(dir, ".tmsdrift"))
		})
	}
}

// A plan that could check everything says nothing of the kind and is
// complete.
func TestPlanCompleteWhenEverythingWasChecked(t *testing.T) {
	_, inv := labCopy(t, "post-upgrade")
	code, stdout, _ := tmsdrift(t, "post-upgrade", "--dry-run", "-i", inv)
	assert.Equal(t, report.ExitFail, code)
	assert.NotContains(t, stdout, "INCOMPLETE")
	assert.NotContains(t, stdout, "Could not check")
	_, stdout, _ = tmsdrift(t, "post-upgrade", "--dry-run", "-i", inv, "--format", "json")
	var doc planJSON
	require.NoError(t, json.Unmarshal([]byte(stdout), &doc))
	assert.True(t, doc.Complete)
	assert.Empty(t, doc.Unchecked)
}

// The runbook plan of upgrade finish restores what post-upgrade
// restores: with the database unreachable its step said only what it
// would repair on the nodes. It now says what it could not check and
// exits 3 (an incomplete plan), changing nothing.
func TestPlanOfUpgradeFinishSaysWhatCouldNotBeChecked(t *testing.T) {
	t.Setenv("COLUMNS", "1000")
	inv, password, before := unreachableDatabase(t, "post-upgrade")
	code, stdout, stderr := tmsdrift(t, "upgrade", "finish", "-i", inv)
	assert.Equal(t, report.ExitErrored, code, "stderr: %s", stderr)
	assert.Contains(t, stdout, "INCOMPLETE: could not check (error in the audit)")
	assert.Regexp(t, `unchecked addresses\.match: database facts unavailable: .*127\.0\.0\.1`, stdout)
	assert.Contains(t, stdout, "repairs machinekey.present tms02")
	assert.NotContains(t, stdout+stderr, password)
	assert.Equal(t, before, files(t, filepath.Dir(inv)))
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
