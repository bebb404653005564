package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/report"
)

// Issue 8: messages showed Go type names ("expected []facts.Service").
// Through audit, a facts.json with the wrong kind of value says so in JSON's
// words.
func TestFactsTypeErrorsSpeakJSON(t *testing.T) {
	dir, inv := labCopy(t, "manual-cutover")
	rewrite(t, filepath.Join(dir, "nodes", "tms02", "facts.json"), func(b []byte) []byte {
		var doc map[string]any
		require.NoError(t, json.Unmarshal(b, &doc))
		doc["services"] = map[string]any{"name": "TMSSchedulerService"}
		out, err := json.MarshalIndent(doc, "", "  ")
		require.NoError(t, err)
		return out
	})

	t.Setenv("COLUMNS", "400") // the table does not wrap the message
	for _, format := range []string{"table", "json", "markdown"} {
		code, stdout, stderr := tmsdrift(t, "audit", "-i", inv, "--format", format)
		assert.Equal(t, report.ExitErrored, code, stderr)
		assert.Contains(t, stdout, "services: expected a list, got JSON object")
		assert.NotContains(t, stdout, "facts.Service")
		assert.NotContains(t, stdout, "[]")
	}
}

// Issue 8: the starter inventory's comments said "-i inventory.yaml" even
// when -o named another file.
func TestInitCommentsNameTheOutputFile(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "site a", "prod.yaml")
	require.NoError(t, os.Mkdir(filepath.Dir(out), 0o755))
	code, _, stderr := tmsdrift(t, "init", "--model", "nlb", "-o", out)
	require.Equal(t, 0, code, stderr)
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Contains(t, string(data), "#   tmsdrift validate -i '"+out+"'\n")
	assert.Contains(t, string(data), "#   tmsdrift audit -i '"+out+"'\n")
	assert.NotContains(t, string(data), "-i inventory.yaml")

	_, stdout, _ := tmsdrift(t, "init", "--model", "nlb")
	assert.Contains(t, stdout, "#   tmsdrift audit -i inventory.yaml\n", "to stdout: the name --help suggests")
}

// Issue 8: `explain` without an argument said "accepts 1 arg(s)"; it
// lists the rules.
func TestExplainWithoutRuleListsTheRules(t *testing.T) {
	code, stdout, stderr := tmsdrift(t, "explain")
	require.Equal(t, 0, code, stderr)
	assert.NotContains(t, stderr, "arg(s)")
	for _, r := range checks.Catalogue() {
		assert.Regexp(t, `(?m)^  `+regexp.QuoteMeta(r.ID)+` +`+regexp.QuoteMeta(strings.Fields(r.Title)[0]), stdout)
	}
	code, _, stderr = tmsdrift(t, "explain", "a", "b")
	assert.Equal(t, report.ExitUsage, code)
	assert.Contains(t, stderr, "at most 1 arg")
}

// Issue 8: after a post-upgrade lab's audit the next steps suggested three
// `fix --only` commands and no --apply. What an upgrade breaks is fixed by
// post-upgrade, and that is what is suggested; other fixable failures get
// the plan and the --apply command.
func TestNextStepsSuggestWhatFixesIt(t *testing.T) {
	t.Setenv("COLUMNS", "200") // commands on one line each
	inv := lab("post-upgrade")
	_, stdout, _ := tmsdrift(t, "audit", "-i", inv)
	assert.Contains(t, stdout, "After a TMS upgrade")
	assert.Contains(t, stdout, "Plan:     tmsdrift post-upgrade -i "+inv+" --dry-run\n")
	assert.Contains(t, stdout, "Apply:    tmsdrift post-upgrade -i "+inv+"\n")
	assert.NotContains(t, stdout, "tmsdrift fix -i")
	_, md, _ := tmsdrift(t, "audit", "-i", inv, "--format", "markdown")
	assert.Contains(t, md, "apply `tmsdrift post-upgrade -i "+inv+"`")

	inv = lab("data-drift")
	_, stdout, _ = tmsdrift(t, "audit", "-i", inv)
	assert.Contains(t, stdout, "Plan:     tmsdrift fix -i "+inv+" --only data.synced\n")
	assert.Contains(t, stdout, "Apply:    tmsdrift fix -i "+inv+" --only data.synced --apply\n")
	assert.NotContains(t, stdout, "post-upgrade -i")
}
