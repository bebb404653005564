package main

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"

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
		if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f || r >= 0x80 && r <= 0x9f || r >= 0x202a && r <= 0x202e {
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
