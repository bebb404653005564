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

// TestAuditBaseline: with a baseline, only failures it did not have fail
// the gate, and the JSON report marks each failure new or known.
func TestAuditBaseline(t *testing.T) {
	dir, inv := labCopy(t, "post-upgrade")
	base := filepath.Join(t.TempDir(), "base.json")
	code, _, stderr := tmsdrift(t, "audit", "-i", inv, "--format", "json", "-o", base)
	require.Equal(t, report.ExitFail, code, stderr)

	code, stdout, stderr := tmsdrift(t, "audit", "-i", inv, "--format", "json", "--baseline", base)
	assert.Equal(t, report.ExitOK, code, "nothing new: the gate passes\n%s", stderr)
	assert.Equal(t, map[string]string{"machinekey.present tms02": "known", "machinekey.match tms02": "known", "addresses.match ": "known"}, failureMarks(t, stdout))

	// tms03 loses its machineKey too: one new failure pair.
	webConfig := filepath.Join(dir, "nodes", "tms03", "fs", "C", "Program Files", "TANDBERG", "TMS", "wwwTMS", "web.config")
	raw, err := os.ReadFile(webConfig)
	require.NoError(t, err)
	var kept []string
	for _, line := range strings.SplitAfter(string(raw), "\n") {
		if !strings.Contains(line, "<machineKey") {
			kept = append(kept, line)
		}
	}
	require.NoError(t, os.WriteFile(webConfig, []byte(strings.Join(kept, "")), 0o644))
	code, stdout, _ = tmsdrift(t, "audit", "-i", inv, "--format", "json", "--baseline", base)
	assert.Equal(t, report.ExitFail, code)
	marks := failureMarks(t, stdout)
	assert.Equal(t, "new", marks["machinekey.present tms03"])
	assert.Equal(t, "known", marks["machinekey.present tms02"])

	code, _, stderr = tmsdrift(t, "audit", "-i", inv, "--baseline", filepath.Join(dir, "inventory.yaml"))
	assert.Equal(t, report.ExitUsage, code, "a baseline that is not a JSON report is bad input")
	assert.Contains(t, stderr, "--baseline:")
}

// failureMarks maps "rule node" to the baseline mark of each failure.
func failureMarks(t *testing.T, jsonReport string) map[string]string {
	t.Helper()
	var doc struct {
		Results []struct {
			Rule, Node, Status, Baseline string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(jsonReport), &doc))
	marks := map[string]string{}
	for _, r := range doc.Results {
		if r.Status == "fail" {
			marks[r.Rule+" "+r.Node] = r.Baseline
		}
	}
	return marks
}
