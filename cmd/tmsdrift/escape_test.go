package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/report"
)

// Issue 8, item 9: a node's facts.json carrying terminal escapes in its
// domain reached the table and the Markdown raw: a node could clear or
// retitle the administrator's terminal. Every human format shows the
// characters as escapes; JSON keeps the value (encoded as JSON does).
func TestAuditNeutralisesTerminalEscapes(t *testing.T) {
	dir, inv := labCopy(t, "manual-cutover")
	hostile := `\u001b[2J\u001b]0;pwned\u0007\u009b31m\u202egnp.exe`
	rewrite(t, filepath.Join(dir, "nodes", "tms02", "facts.json"), func(b []byte) []byte {
		return bytes.Replace(b, []byte(`"domain": "ACME.LOCAL"`), []byte(`"domain": "`+hostile+`"`), 1)
	})

	shown := `\x1b[2J\x1b]0;pwned\x07` // the table may wrap the rest
	for _, format := range []string{"table", "markdown", "junit", "html"} {
		t.Run(format, func(t *testing.T) {
			code, stdout, stderr := tmsdrift(t, "audit", "-i", inv, "--format", format)
			assert.Equal(t, report.ExitFail, code, stderr)
			assertNoControls(t, stdout)
			want := shown
			if format == "markdown" {
				want = `\\x1b\[2J\\x1b\]0;pwned\\x07\\u009b31m\\u202egnp.exe` // escaped for Markdown too
			}
			if format == "junit" {
				want = `\x1b[2J\x1b]0;pwned\x07\u009b31m\u202egnp.exe`
			}
			assert.Contains(t, stdout, want, "the escapes are shown, not obeyed")
		})
	}
	code, stdout, _ := tmsdrift(t, "audit", "-i", inv, "--format", "json")
	assert.Equal(t, report.ExitFail, code)
	assert.Contains(t, stdout, `\u001b[2J\u001b]0;pwned\u0007`, "JSON keeps the value, encoded")
	assertNoControls(t, stdout)
}

// assertNoControls fails on any character a terminal would act on.
func assertNoControls(t *testing.T, s string) {
	t.Helper()
	for i, r := range s {
		if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f || r >= 0x80 && r <= 0x9f || r >= 0x202a && r <= 0x202e ||
			r >= 0xa0 && unicode.Is(unicode.Cf, r) {
			assert.Failf(t, "control character in the output", "%U at byte %d: %q", r, i, s[max(0, i-40):min(len(s), i+40)])
			return
		}
	}
}

// Error messages quote what they could not read; they are escaped too.
func TestErrorMessagesNeutraliseTerminalEscapes(t *testing.T) {
	code, _, stderr := tmsdrift(t, "audit", "-i", "inv\x1b]0;pwned\a.yaml")
	assert.Equal(t, report.ExitUsage, code)
	assertNoControls(t, stderr)
	assert.Contains(t, stderr, `inv\x1b]0;pwned\x07.yaml`)
}

// The one-line confirmations quote the inventory's names: a deployment
// name holding terminal escapes reached the terminal raw through
// `validate` ("valid (acme^[]0;pwned^G, ...)").
func TestConfirmationsNeutraliseTerminalEscapes(t *testing.T) {
	_, inv := labCopy(t, "single")
	rewrite(t, inv, func(b []byte) []byte {
		return bytes.Replace(b, []byte("deployment: acme-single"), []byte(`deployment: "acme\e]0;pwned\a\e[2J"`), 1)
	})
	code, stdout, stderr := tmsdrift(t, "validate", "-i", inv)
	assert.Equal(t, report.ExitOK, code, stderr)
	assertNoControls(t, stdout)
	assert.Contains(t, stdout, `valid (acme\x1b]0;pwned\x07\x1b[2J, model single, 1 node)`)
}

// A run that never finished is named on stderr by fix, rollback and the
// runbooks from its manifest.json, which anyone could have edited: what
// it says (the object under way) reaches the terminal as escapes.
func TestOpenRunNotesNeutraliseTerminalEscapes(t *testing.T) {
	dir, inv := labCopy(t, "post-upgrade")
	code, stdout, stderr := tmsdrift(t, "fix", "-i", inv, "--apply")
	require.Equal(t, report.ExitOK, code, stdout+stderr)
	ids := runFolders(t, dir)
	require.Len(t, ids, 1)
	// A second run, a copy of the first that never finished, its first
	// change under way on a hostile object.
	runs := filepath.Join(dir, ".tmsdrift", "runs")
	openID := ids[0][:len(ids[0])-1] + map[bool]string{true: "0", false: "1"}[!strings.HasSuffix(ids[0], "0")]
	require.NoError(t, os.CopyFS(filepath.Join(runs, openID), os.DirFS(filepath.Join(runs, ids[0]))))
	rewrite(t, filepath.Join(runs, openID, "manifest.json"), func(b []byte) []byte {
		b = bytes.ReplaceAll(b, []byte(ids[0]), []byte(openID))
		b = regexp.MustCompile(`(?m)^  "finished_at": "[^"]*",\n`).ReplaceAll(b, nil)
		b = bytes.Replace(b, []byte(`"status": "applied"`), []byte(`"status": "pending"`), 1)
		return regexp.MustCompile(`"object": "[^"]*"`).ReplaceAll(b, []byte(`"object": "\u001b[2J\u001b]0;pwned\u0007"`))
	})
	for _, args := range [][]string{
		{"fix", "-i", inv},
		{"promote", "tms02", "-i", inv, "--apply", "--yes"},
		{"rollback", "-i", inv, ids[0]},
	} {
		_, stdout, stderr := tmsdrift(t, args...)
		assert.Contains(t, stderr, openID, "%v: the open run is named", args)
		assert.Contains(t, stderr, `\x1b[2J\x1b]0;pwned\x07`, "%v: the note shows the object, escaped", args)
		assertNoControls(t, stdout+stderr)
	}
}
