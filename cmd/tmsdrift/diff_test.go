package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/history"
)

// TestDiffCommand: `tmsdrift diff` over three recorded runs (drifted,
// clean, drifted again): the default pair, OLD only, two report files
// without -i, the markdown and json formats, and a damaged run.json that
// diff works around but says so.
func TestDiffCommand(t *testing.T) {
	l := newSvcLab(t, "")
	hist := filepath.Join(l.dir, ".tmsdrift", "history")
	once := func() string {
		t.Helper()
		code, _, stderr := tmsdrift(t, "serve", "--once", "-i", l.inventory)
		require.Contains(t, []int{0, 1}, code, stderr)
		last, err := history.Open(hist).Latest()
		require.NoError(t, err)
		return last.ID // runs in one second get ids with a counter
	}
	l.postUpgradeDrift(t)
	r1 := once()
	l.clean(t)
	r2 := once()
	l.postUpgradeDrift(t)
	r3 := once()

	// Default: the last two runs.
	code, stdout, stderr := tmsdrift(t, "diff", "-i", l.inventory, "--format", "markdown")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, r2+" → "+r3)
	assert.Contains(t, stdout, "New failures (3)")
	assert.Empty(t, stderr)

	// OLD only: OLD and the last run; still failing since r1 (the streak
	// is r1 only: r2 was clean, so since r1 means nothing earlier).
	code, stdout, stderr = tmsdrift(t, "diff", "-i", l.inventory, r1, "--format", "json")
	require.Equal(t, 0, code, stderr)
	var d diffDoc
	require.NoError(t, json.Unmarshal([]byte(stdout), &d))
	assert.Equal(t, "no change", d.Summary)
	require.Len(t, d.Changes["still_failing"], 3)
	first, err := history.Open(hist).Report(r1)
	require.NoError(t, err)
	for _, c := range d.Changes["still_failing"] {
		seen, err := time.Parse(time.RFC3339Nano, c.FirstSeen)
		require.NoError(t, err)
		assert.True(t, first.StartedAt.Equal(seen), "%s: first seen %s, want r1's report's start %s", c.Rule, seen, first.StartedAt)
	}

	// Two report files, no inventory.
	code, stdout, stderr = tmsdrift(t, "diff", filepath.Join(hist, r1, "report.json"), filepath.Join(hist, r2, "report.json"), "--format", "json")
	require.Equal(t, 0, code, stderr)
	d = diffDoc{}
	require.NoError(t, json.Unmarshal([]byte(stdout), &d))
	assert.Equal(t, "-3 resolved", d.Summary)
	assert.ElementsMatch(t, []string{"machinekey.present tms02", "machinekey.match tms02", "addresses.match"}, keys(d, "resolved"))

	// Two reports of different deployments: compared, with a warning
	// (before, nothing said the "changes" were another deployment's).
	other := filepath.Join(t.TempDir(), "other.json")
	code, _, stderr = tmsdrift(t, "audit", "-i", lab("machinekey-drift"), "--format", "json", "-o", other)
	require.Equal(t, 1, code, stderr)
	code, stdout, stderr = tmsdrift(t, "diff", other, filepath.Join(hist, r3, "report.json"))
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "acme-post-upgrade")
	assert.Contains(t, stderr, `is a report of deployment "acme-machinekey-drift" and `)
	assert.Contains(t, stderr, `of "acme-post-upgrade": results are paired by rule and node name`)
	code, _, stderr = tmsdrift(t, "diff", "-i", l.inventory, "--format", "json")
	require.Equal(t, 0, code, stderr)
	assert.Empty(t, stderr, "one deployment: no warning")

	// A damaged run.json: the diff of the last two is still made, and
	// says what it could not read.
	require.NoError(t, os.WriteFile(filepath.Join(hist, r1, history.RunFile), []byte("{damaged"), 0o600))
	require.NoError(t, os.Remove(filepath.Join(hist, history.IndexFile)))
	code, stdout, stderr = tmsdrift(t, "diff", "-i", l.inventory)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "+3 failing")
	assert.Contains(t, stderr, "warning: some runs of the history could not be read")
	assert.Contains(t, stderr, r1)

	// Bad input: a run that is not there, one run only.
	code, _, stderr = tmsdrift(t, "diff", "-i", l.inventory, "20990101T000000Z")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "20990101T000000Z")
	for _, id := range []string{r1, r2} {
		require.NoError(t, os.RemoveAll(filepath.Join(hist, id)))
	}
	code, _, stderr = tmsdrift(t, "diff", "-i", l.inventory)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "has 1 run(s) with a report; diff needs two")
}
