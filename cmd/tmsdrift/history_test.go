package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/history"
)

// TestHistoryNeverReadsAReport: `tmsdrift history` lists the runs from
// the index and run.json files only (issue 11: listing 10,000 runs must
// not read 10,000 reports; bench/README.md has the timings). Every
// report.json is made unreadable (a folder in its place); the listing, as
// a table and as JSON, through the index (more than 16 runs) and without
// it, still gives every run with its counts, and exits 0.
func TestHistoryNeverReadsAReport(t *testing.T) {
	const n = 18 // above the few runs history reads without its index
	inv, hist, ids := postUpgradeRuns(t, n)
	require.Len(t, ids, n)
	for _, id := range ids {
		rep := filepath.Join(hist, id, history.ReportJSON)
		require.NoError(t, os.Remove(rep))
		require.NoError(t, os.Mkdir(rep, 0o700))
		_, err := history.Open(hist).Report(id)
		require.Error(t, err, "the report cannot be read")
	}

	check := func(how string) {
		t.Helper()
		runs := historyList(t, inv)
		require.Len(t, runs, n, how)
		for _, r := range runs {
			require.NotNil(t, r.Summary, how)
			assert.Equal(t, 3, r.Summary.Fail, "%s: %s", how, r.ID)
		}
		code, stdout, stderr := tmsdrift(t, "history", "-i", inv)
		require.Equal(t, 0, code, "%s: %s", how, stderr)
		assert.Equal(t, n+1, strings.Count(stdout, "\n"), "%s: a header and a row per run\n%s", how, stdout)
		assert.Equal(t, n, strings.Count(stdout, "39/3/0/0"), how)
	}
	check("through the index")
	require.NoError(t, os.Remove(filepath.Join(hist, history.IndexFile)))
	check("through each run.json")
}

// postUpgradeRuns records n runs of `serve --once` on a copy of the
// post-upgrade lab, and gives its inventory, its history folder and the
// run ids.
func postUpgradeRuns(t *testing.T, n int) (inv, hist string, ids []string) {
	t.Helper()
	_, inv = labCopy(t, "post-upgrade")
	for range n {
		code, _, stderr := tmsdrift(t, "serve", "--once", "-i", inv)
		require.Equal(t, 1, code, stderr)
	}
	hist = filepath.Join(filepath.Dir(inv), ".tmsdrift", "history")
	ids, err := history.Open(hist).IDs()
	require.NoError(t, err)
	return inv, hist, ids
}

// TestHistoryIndexRowNeedsItsRunFile: a row of index.json is listed only
// while its folder holds its run.json. Before, a run whose run.json was
// gone (or a forged row for a folder named like a run) was listed from
// the index, as though recorded.
func TestHistoryIndexRowNeedsItsRunFile(t *testing.T) {
	const n = 18 // above the few runs history reads without its index
	inv, hist, ids := postUpgradeRuns(t, n)
	gone := ids[len(ids)-1]
	require.NoError(t, os.Remove(filepath.Join(hist, gone, "run.json")))
	_, stdout, stderr := tmsdrift(t, "history", "-i", inv, "--format", "json")
	assert.NotContains(t, stdout, gone, "a run without its run.json is not listed")
	assert.Contains(t, stdout, ids[0])
	assert.Contains(t, stderr, gone, "and is said to be unreadable")
}
