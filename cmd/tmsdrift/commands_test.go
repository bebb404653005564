package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/fixtures"
	"github.com/tmsdrift/tmsdrift/inventory"
	"github.com/tmsdrift/tmsdrift/report"
)

// tmsdrift runs the command line in-process and returns exit code, stdout
// and stderr.
func tmsdrift(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

func lab(name string) string { return filepath.Join(fixtures.LabsDir(), name, "inventory.yaml") }

func TestAuditFormatsAndOutputFile(t *testing.T) {
	dir := t.TempDir()
	for _, format := range report.Formats() {
		out := filepath.Join(dir, "report."+format)
		code, stdout, stderr := tmsdrift(t, "audit", "-i", lab("post-upgrade"), "--format", format, "-o", out)
		assert.Equal(t, report.ExitFail, code, stderr)
		assert.Empty(t, stdout, "-o writes the file, not stdout")
		data, err := os.ReadFile(out)
		require.NoError(t, err)
		assert.Contains(t, string(data), "machinekey.present", format)
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, len(report.Formats()), "no temporary files left behind")
}

func TestFailOnRaisesTheBar(t *testing.T) {
	// data-drift fails only data.synced, a medium rule.
	code, _, _ := tmsdrift(t, "audit", "-i", lab("data-drift"), "--format", "json")
	assert.Equal(t, report.ExitFail, code)
	code, _, _ = tmsdrift(t, "audit", "-i", lab("data-drift"), "--format", "json", "--fail-on", "high")
	assert.Equal(t, report.ExitOK, code)
	code, _, stderr := tmsdrift(t, "audit", "-i", lab("data-drift"), "--fail-on", "severe")
	assert.Equal(t, report.ExitUsage, code)
	assert.Contains(t, stderr, `unknown severity "severe"`)
}

func TestBadInventoryIsExit2AndNamesFileLineField(t *testing.T) {
	bad := filepath.Join("..", "..", "inventory", "testdata", "bad", "nlb-standby-role.yaml")
	for _, cmd := range []string{"audit", "validate"} {
		code, stdout, stderr := tmsdrift(t, cmd, "-i", bad)
		assert.Equal(t, report.ExitUsage, code, cmd)
		assert.Empty(t, stdout)
		assert.Regexp(t, `nlb-standby-role\.yaml:\d+:\d+: nodes\[1\]\.role: "standby" is not allowed`, stderr)
	}
	code, _, stderr := tmsdrift(t, "audit")
	assert.Equal(t, report.ExitUsage, code)
	assert.Contains(t, stderr, `"inventory" not set`)
	code, _, _ = tmsdrift(t, "audit", "-i", lab("single"), "--format", "xml")
	assert.Equal(t, report.ExitUsage, code)
	code, _, _ = tmsdrift(t, "no-such-command")
	assert.Equal(t, report.ExitUsage, code)
}

func TestValidate(t *testing.T) {
	code, stdout, _ := tmsdrift(t, "validate", "-i", lab("nlb"))
	assert.Equal(t, 0, code)
	assert.Contains(t, stdout, "valid")
}

func TestRulesAndExplain(t *testing.T) {
	code, stdout, _ := tmsdrift(t, "rules")
	require.Equal(t, 0, code)
	for _, id := range checks.IDs() {
		assert.Contains(t, stdout, id)
	}
	_, stdout, _ = tmsdrift(t, "rules", "--model", "single", "--format", "json")
	var docs []report.RuleDoc
	require.NoError(t, json.Unmarshal([]byte(stdout), &docs))
	for _, d := range docs {
		assert.Truef(t, checks.Lookup(d.ID).AppliesTo(inventory.Single), "%s listed for single", d.ID)
		assert.NotEqual(t, "domain.joined", d.ID)
	}
	code, _, stderr := tmsdrift(t, "rules", "--model", "cluster")
	assert.Equal(t, report.ExitUsage, code)
	assert.Contains(t, stderr, "unknown model")

	code, stdout, _ = tmsdrift(t, "explain", "services.standby-inactive")
	require.Equal(t, 0, code)
	assert.Contains(t, stdout, "Installing secondary TMS application")
	assert.Contains(t, stdout, "How to fix")
	code, _, stderr = tmsdrift(t, "explain", "services.standby")
	assert.Equal(t, report.ExitUsage, code)
	assert.Contains(t, stderr, "unknown rule")
}

// docs/rules.md is the generated reference; it must match the binary.
func TestRulesReferenceIsCurrent(t *testing.T) {
	_, stdout, _ := tmsdrift(t, "rules", "--format", "markdown")
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "rules.md"))
	require.NoError(t, err)
	assert.Equal(t, stdout, string(doc), "regenerate: go run ./cmd/tmsdrift rules --format markdown > docs/rules.md")
}

func TestInitWritesAStarterThatValidates(t *testing.T) {
	dir := t.TempDir()
	for _, m := range inventory.Models {
		out := filepath.Join(dir, string(m)+".yaml")
		code, _, stderr := tmsdrift(t, "init", "--model", string(m), "-o", out)
		require.Equal(t, 0, code, stderr)
		inv, err := inventory.LoadBytes(out, mustRead(t, out), inventory.Options{KnownRules: checks.IDs()})
		// The starter's snapshot folders do not exist yet: only that is wrong.
		var ierr *inventory.Error
		if err != nil {
			require.ErrorAs(t, err, &ierr)
			for _, p := range ierr.Problems {
				assert.Contains(t, p.Message, "snapshot folder", p.String())
			}
		} else {
			assert.Equal(t, m, inv.Model)
		}
	}
	code, _, stderr := tmsdrift(t, "init", "--model", "single", "-o", filepath.Join(dir, "single.yaml"))
	assert.Equal(t, report.ExitUsage, code, "never overwrites without --force")
	assert.Contains(t, stderr, "--force")
}

func TestSchemaIsJSON(t *testing.T) {
	code, stdout, _ := tmsdrift(t, "schema")
	require.Equal(t, 0, code)
	var schema map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &schema))
	assert.Contains(t, schema, "properties")
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return data
}

func TestParallelMustBePositive(t *testing.T) {
	for _, cmd := range []string{"audit", "fix", "collect"} {
		args := []string{cmd, "-i", lab("single"), "--parallel", "0"}
		if cmd == "collect" {
			args = append(args, "-o", filepath.Join(t.TempDir(), "out"))
		}
		code, _, stderr := tmsdrift(t, args...)
		assert.Equal(t, report.ExitUsage, code, cmd)
		assert.Contains(t, stderr, "--parallel must be at least 1", cmd)
	}
}

// Inventory problems are printed one per line in file:line:col form, the
// first line included, so editors and CI logs can link each.
func TestInventoryProblemsAreOnePerLine(t *testing.T) {
	bad := filepath.Join("..", "..", "inventory", "testdata", "bad", "unknown-keys.yaml")
	_, _, stderr := tmsdrift(t, "validate", "-i", bad)
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	require.Len(t, lines, 2)
	for _, l := range lines {
		assert.Regexp(t, `^\S*unknown-keys\.yaml:\d+:\d+: `, l)
	}
}
