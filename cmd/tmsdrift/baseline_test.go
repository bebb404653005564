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

// TestAuditBaselineOfAnotherDeployment: a baseline excuses failures by
// rule and node, and node names repeat across deployments, so another
// deployment's report is refused (exit 2) rather than passing this one's
// failures as known. Before, the same failures in a report of deployment
// "acme-other" made the gate pass (exit 0).
func TestAuditBaselineOfAnotherDeployment(t *testing.T) {
	_, inv := labCopy(t, "post-upgrade")
	base := filepath.Join(t.TempDir(), "base.json")
	code, _, stderr := tmsdrift(t, "audit", "-i", inv, "--format", "json", "-o", base)
	require.Equal(t, report.ExitFail, code, stderr)
	raw, err := os.ReadFile(base)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(raw, &doc))
	require.Equal(t, "acme-post-upgrade", doc["deployment"])
	doc["deployment"] = "acme-other"
	other, err := json.Marshal(doc)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(base, other, 0o600))

	code, stdout, stderr := tmsdrift(t, "audit", "-i", inv, "--format", "json", "--baseline", base)
	assert.Equal(t, report.ExitUsage, code, "another deployment's baseline is bad input, not a pass\n%s", stdout)
	assert.Empty(t, stdout, "no report")
	assert.Contains(t, stderr, `is a report of deployment "acme-other", not of "acme-post-upgrade"`)
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
