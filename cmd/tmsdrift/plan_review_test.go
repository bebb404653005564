package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
