package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/report"
)

// Issue 8: messages showed Go type names ("expected []facts.Service").
// Through audit, a facts.json with the wrong kind of value says so in JSON's
// words.
func TestFactsTypeErrorsSpeakJSON(t *testing.T) {
	dir, inv := labCopy(t, "manual-cutover")
	file := filepath.Join(dir, "nodes", "tms02", "facts.json")
	raw, err := os.ReadFile(file)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(raw, &doc))
	doc["services"] = map[string]any{"name": "TMSSchedulerService"}
	out, err := json.MarshalIndent(doc, "", "  ")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(file, out, 0o644))

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
