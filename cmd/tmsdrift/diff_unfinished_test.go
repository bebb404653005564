package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/collect"
	"github.com/tmsdrift/tmsdrift/history"
	"github.com/tmsdrift/tmsdrift/inventory"
	"github.com/tmsdrift/tmsdrift/pipeline"
	"github.com/tmsdrift/tmsdrift/serve"
)

// TestDiffSaysTheNewestRunHasNoReport: when the newest runs audited
// nothing (a run past its run_timeout, an inventory gone invalid), the
// default `diff -i` compares the last two runs that have a report, and
// says so. Before, it printed "-3 resolved" for a night whose run had
// timed out on a drifted lab, on exit 0 and with nothing on standard
// error: the last night looked like a fix.
func TestDiffSaysTheNewestRunHasNoReport(t *testing.T) {
	l := newSvcLab(t, "")
	once := func() {
		t.Helper()
		code, _, stderr := tmsdrift(t, "serve", "--once", "-i", l.inventory)
		require.Contains(t, []int{0, 1}, code, stderr)
	}
	l.postUpgradeDrift(t)
	once()
	l.clean(t)
	once()
	code, stdout, stderr := tmsdrift(t, "diff", "-i", l.inventory)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "-3 resolved")
	assert.Empty(t, stderr, "the newest run has a report: nothing to say")

	// The lab drifts again, and that night's run times out.
	l.postUpgradeDrift(t)
	raw, err := os.ReadFile(l.inventory)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(l.inventory, append(raw, "schedule:\n  run_timeout: 50ms\n"...), 0o644))
	svc, err := serve.New(serve.Options{InventoryPath: l.inventory,
		Audit: pipeline.AuditOptions{Open: func(ctx context.Context, _ *inventory.Inventory, _ *inventory.Node) (collect.Source, error) {
			<-ctx.Done() // a node that never answers
			return nil, ctx.Err()
		}}})
	require.NoError(t, err)
	require.Equal(t, 3, svc.Once(context.Background()))
	stalled, err := history.Open(filepath.Join(l.dir, ".tmsdrift", "history")).Latest()
	require.NoError(t, err)
	require.Equal(t, 3, stalled.ExitCode)

	code, stdout, stderr = tmsdrift(t, "diff", "-i", l.inventory)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "-3 resolved", "the last two reports are still compared")
	assert.Contains(t, stderr, "warning: the newest run, "+stalled.ID+", has no report (verdict error: the run took longer than schedule.run_timeout")
	assert.Contains(t, stderr, "this compares the last two runs that have one")
}

// TestDiffRefusesAReportThatIsNotWhole: a JSON report whose results do
// not add up to its summary (a failure deleted by hand, a file cut short
// where it still parses) is bad input for diff and for --baseline, exit
// 2 naming the file. Before, diff read the report with a failure gone
// as "-1 resolved", exit 0.
func TestDiffRefusesAReportThatIsNotWhole(t *testing.T) {
	_, inv := labCopy(t, "post-upgrade")
	dir := t.TempDir()
	old, edited := filepath.Join(dir, "old.json"), filepath.Join(dir, "edited.json")
	code, _, stderr := tmsdrift(t, "audit", "-i", inv, "--format", "json", "-o", old)
	require.Equal(t, 1, code, stderr)
	var doc map[string]any
	raw, err := os.ReadFile(old)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &doc))
	var kept []any
	dropped := false
	for _, r := range doc["results"].([]any) {
		if r.(map[string]any)["status"] == "fail" && !dropped {
			dropped = true
			continue
		}
		kept = append(kept, r)
	}
	require.True(t, dropped)
	doc["results"] = kept
	out, err := json.MarshalIndent(doc, "", "  ")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(edited, out, 0o600))

	code, stdout, stderr := tmsdrift(t, "diff", old, edited)
	assert.Equal(t, 2, code, stdout)
	assert.NotContains(t, stdout, "resolved")
	assert.Contains(t, stderr, edited+": summary (pass")
	assert.Contains(t, stderr, "does not match the results")

	code, _, stderr = tmsdrift(t, "audit", "-i", inv, "--baseline", edited)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "--baseline: "+edited+": summary")
}

// TestDiffAWaivedFailureIsNotResolved: a failure the inventory now
// waives is listed as waived, not resolved: the drift is still there.
// Before, `diff` (and the history's and the notification's "what
// changed") called the waivers lab's time.synced on tms02 "-1 resolved"
// once its expired waiver was extended.
func TestDiffAWaivedFailureIsNotResolved(t *testing.T) {
	_, inv := labCopy(t, "waivers")
	dir := t.TempDir()
	before, after := filepath.Join(dir, "before.json"), filepath.Join(dir, "after.json")
	code, _, stderr := tmsdrift(t, "audit", "-i", inv, "--format", "json", "-o", before)
	require.Equal(t, 1, code, stderr)
	raw, err := os.ReadFile(inv)
	require.NoError(t, err)
	require.Contains(t, string(raw), "expires: 2026-01-31")
	require.NoError(t, os.WriteFile(inv, []byte(strings.Replace(string(raw), "expires: 2026-01-31", "expires: 2099-01-31", 1)), 0o644))
	code, _, stderr = tmsdrift(t, "audit", "-i", inv, "--format", "json", "-o", after)
	require.NotEqual(t, 1, code, stderr)

	code, stdout, stderr := tmsdrift(t, "diff", before, after, "--format", "json")
	require.Equal(t, 0, code, stderr)
	var d struct {
		Summary string                      `json:"summary"`
		Changes map[string][]map[string]any `json:"changes"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &d))
	assert.Empty(t, d.Changes["resolved"], "nothing was fixed")
	require.Len(t, d.Changes["waived"], 1)
	assert.Equal(t, "time.synced", d.Changes["waived"][0]["rule"])
	assert.Equal(t, "tms02", d.Changes["waived"][0]["node"])
	assert.Equal(t, "1 now waived", d.Summary)

	code, stdout, stderr = tmsdrift(t, "diff", before, after)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "Now waived (not fixed: a waiver covers the failure)")
	assert.NotContains(t, stdout, "Resolved (")
}
