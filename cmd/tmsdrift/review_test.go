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

// Regression tests of the second hostile review of issue 8 (the commands
// added since the first one), each through the command line.

// A node named "../../../x" made collect write that node's snapshot
// outside its output folder; a node name with a bidirectional override
// was accepted and shown. Node names are host names: refused with
// file:line:column, exit 2, and nothing written.
func TestNodeNamesThatArePathsOrHideTextAreRefused(t *testing.T) {
	for bad, want := range map[string]string{
		`"../../escaped"`:     `nodes[2].name: "../../escaped" holds '/'`,
		`'tms\03'`:            `nodes[2].name: "tms\\03" holds '\\'`,
		`"tms\u202e30\u200b"`: `nodes[2].name: "tms\u202e30\u200b" holds the invisible or control character U+202E`,
		`".."`:                `nodes[2].name: ".." is not a host name`,
	} {
		t.Run(bad, func(t *testing.T) {
			dir, inv := labCopy(t, "data-drift")
			rewrite(t, inv, func(raw []byte) []byte {
				return []byte(strings.Replace(string(raw), "name: tms03", "name: "+bad, 1))
			})
			before := files(t, dir)
			out := filepath.Join(dir, "out", "snap")
			for _, cmd := range [][]string{{"validate", "-i", inv}, {"collect", "-i", inv, "-o", out}, {"audit", "-i", inv}} {
				code, stdout, stderr := tmsdrift(t, cmd...)
				assert.Equal(t, report.ExitUsage, code, "%v: %s", cmd, stderr)
				assert.Empty(t, stdout, cmd)
				assert.Contains(t, stderr, inv+":41:11: "+want, cmd)
				assertNoControls(t, stderr)
			}
			assert.Equal(t, before, files(t, dir), "nothing written in the lab")
			_, err := os.Stat(filepath.Join(dir, "escaped"))
			assert.ErrorIs(t, err, os.ErrNotExist, "nothing written outside the output folder")
			_, err = os.Stat(filepath.Join(dir, "out"))
			assert.ErrorIs(t, err, os.ErrNotExist)
		})
	}
}

// `collect -o .` in the administrator's own folder (inventory.yaml, the
// notes and files beside it) took the inventory.yaml there for a previous
// snapshot and replaced the whole folder: every other file was deleted
// and the inventory rewritten. Only a folder whose inventory.yaml collect
// wrote is a previous snapshot.
func TestCollectNeverReplacesTheAdministratorsFolder(t *testing.T) {
	dir, inv := labCopy(t, "data-drift")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "NOTES.md"), []byte("change ticket 4711\n"), 0o644))
	before := files(t, dir)
	code, stdout, stderr := tmsdrift(t, "collect", "-i", inv, "-o", dir)
	assert.Equal(t, report.ExitUsage, code, stderr)
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, dir+" is not empty and holds no previous snapshot (its inventory.yaml was not written by tmsdrift collect)")
	assert.Equal(t, before, files(t, dir), "every file kept, byte for byte")

	// A snapshot collect wrote is still replaced by the next collect.
	snap := filepath.Join(t.TempDir(), "snap")
	for range 2 {
		code, _, stderr = tmsdrift(t, "collect", "-i", inv, "-o", snap)
		require.Equal(t, report.ExitOK, code, stderr)
	}
	code, _, stderr = tmsdrift(t, "audit", "-i", filepath.Join(snap, "inventory.yaml"))
	assert.Equal(t, report.ExitFail, code, stderr)
}

// Invisible format characters (zero-width space, byte order mark, word
// joiner, soft hyphen, tag characters) reached every human format raw: an
// address could read as one it is not ("10.10.0.99" followed by a
// zero-width space and the tag spelling of nothing), and the table's
// columns slipped. They are escapes now, in the audit's table, Markdown,
// HTML and JUnit, and in history and diff, from facts.json, db.json and a
// history run.json.
func TestInvisibleCharactersAreShownAsEscapes(t *testing.T) {
	dir, inv := labCopy(t, "data-drift")
	hidden := `\u200b\ufeff\u2060\u00ad\udb40\udc41`
	shown := `\u200b\ufeff\u2060\u00ad\U000e0041`
	rewrite(t, filepath.Join(dir, "nodes", "tms02", "facts.json"), func(b []byte) []byte {
		return []byte(strings.Replace(string(b), `"domain": "ACME.LOCAL"`, `"domain": "ACME.LOCAL`+hidden+`"`, 1))
	})
	rewrite(t, filepath.Join(dir, "db.json"), func(b []byte) []byte {
		return []byte(strings.Replace(string(b), `"ipv4_local": "10.10.0.11"`, `"ipv4_local": "10.10.0.11`+hidden+`"`, 1))
	})
	for _, format := range []string{"table", "markdown", "html", "junit"} {
		code, stdout, stderr := tmsdrift(t, "audit", "-i", inv, "--format", format, "--verbose")
		assert.Equal(t, report.ExitFail, code, stderr)
		assertNoControls(t, stdout)
		if format != "table" { // the table may wrap inside the escapes
			assert.Contains(t, stdout, map[bool]string{true: strings.ReplaceAll(shown, `\`, `\\`), false: shown}[format == "markdown"], format)
		}
	}
	for range 2 {
		code, _, stderr := tmsdrift(t, "serve", "--once", "-i", inv)
		require.Equal(t, report.ExitFail, code, stderr)
	}
	for _, args := range [][]string{{"history", "-i", inv}, {"diff", "-i", inv}, {"diff", "-i", inv, "--format", "markdown"}} {
		code, stdout, stderr := tmsdrift(t, args...)
		assert.Equal(t, report.ExitOK, code, "%v: %s", args, stderr)
		assertNoControls(t, stdout+stderr)
	}
}

// A history run.json and a run journal (manifest.json) saved on Windows
// (opened and saved in Notepad or PowerShell 5.1: a byte order mark,
// UTF-16) were refused ("invalid character 'ï'"): history and diff lost
// the run, rollback refused to list the runs. They read as every other
// file tmsdrift reads.
func TestHistoryAndRunJournalsSavedOnWindows(t *testing.T) {
	for name, encode := range map[string]func([]byte) []byte{"utf8-bom": winUTF8, "utf16le": winUTF16} {
		t.Run(name, func(t *testing.T) {
			dir, inv := labCopy(t, "post-upgrade")
			for range 2 {
				code, _, stderr := tmsdrift(t, "serve", "--once", "-i", inv)
				require.Equal(t, report.ExitFail, code, stderr)
			}
			_, want, _ := tmsdrift(t, "history", "-i", inv)
			_, wantDiff, _ := tmsdrift(t, "diff", "-i", inv)
			runs, err := filepath.Glob(filepath.Join(dir, ".tmsdrift", "history", "*", "run.json"))
			require.NoError(t, err)
			require.Len(t, runs, 2)
			for _, p := range runs {
				rewrite(t, p, encode)
			}
			require.NoError(t, os.Remove(filepath.Join(dir, ".tmsdrift", "history", "index.json")))
			code, got, stderr := tmsdrift(t, "history", "-i", inv)
			assert.Equal(t, report.ExitOK, code, stderr)
			assert.Equal(t, want, got)
			code, got, stderr = tmsdrift(t, "diff", "-i", inv)
			assert.Equal(t, report.ExitOK, code, stderr)
			assert.Equal(t, wantDiff, got)

			code, stdout, stderr := tmsdrift(t, "fix", "-i", inv, "--apply")
			require.Equal(t, report.ExitOK, code, stdout+stderr)
			ids := runFolders(t, dir)
			require.Len(t, ids, 1)
			rewrite(t, filepath.Join(dir, ".tmsdrift", "runs", ids[0], "manifest.json"), encode)
			code, stdout, stderr = tmsdrift(t, "rollback", "-i", inv)
			assert.Equal(t, report.ExitOK, code, stderr)
			assert.Contains(t, stdout, ids[0])
			code, stdout, stderr = tmsdrift(t, "rollback", "-i", inv, "last")
			assert.Equal(t, report.ExitOK, code, stdout+stderr)
		})
	}
}

// serve --log-format json wrote a deployment name's U+202E, U+009B (a
// one-character CSI) and zero-width characters raw to stderr: slog's
// JSON handler escapes only C0 controls. They are \u escapes now, the
// same JSON value.
func TestServeJSONLogNeutralisesTerminalEscapes(t *testing.T) {
	_, inv := labCopy(t, "single")
	name := "acme\u202e\u009b31m\u200b\U000e0041single"
	rewrite(t, inv, func(b []byte) []byte {
		return []byte(strings.Replace(string(b), "deployment: acme-single", `deployment: "acme\u202e\x9b31m\u200b\U000e0041single"`, 1))
	})
	code, _, stderr := tmsdrift(t, "serve", "--once", "-i", inv, "--log-format", "json")
	require.Equal(t, report.ExitOK, code, stderr)
	assertNoControls(t, stderr)
	seen := false
	for line := range strings.Lines(stderr) {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec), line)
		if rec["deployment"] != nil {
			assert.Equal(t, name, rec["deployment"], "the same value once decoded")
			seen = true
		}
	}
	assert.True(t, seen, "a log line names the deployment: %s", stderr)
}

// A TMS version that is no version ("-1.2.3", a number past any
// release's, one with a zero-width space) passed version.same when every
// node reported it. It is an impossible value now: version.same and
// nodes.count give error, naming the fact.
func TestImpossibleTMSVersionIsAnError(t *testing.T) {
	for _, bad := range []string{`-1.2.3`, `99999999999999999999.1.1`, `15.13.2\u200b`} {
		t.Run(bad, func(t *testing.T) {
			dir, inv := labCopy(t, "nlb")
			nodes, err := filepath.Glob(filepath.Join(dir, "nodes", "*", "facts.json"))
			require.NoError(t, err)
			for _, p := range nodes {
				rewrite(t, p, func(b []byte) []byte {
					return []byte(strings.Replace(string(b), `"version": "15.13.2"`, `"version": "`+bad+`"`, 1))
				})
			}
			code, stdout, stderr := tmsdrift(t, "audit", "-i", inv, "--format", "json")
			assert.NotEqual(t, report.ExitOK, code, stderr)
			var rep report.Report
			require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
			r := findResult(t, rep, "version.same", "")
			assert.Equal(t, "error", string(r.Status))
			assert.Contains(t, r.Message, "facts.json tms.version: impossible value")
			assert.Equal(t, "error", string(findResult(t, rep, "nodes.count", "").Status))
		})
	}
}

// /metrics carried the deployment name raw in its labels: a name holding
// ESC[2J or U+202E reached the terminal of whoever curled /metrics. Label
// values are Sanitized like every human format (checkMetrics holds the
// rest of /metrics against the run).
func TestMetricsLabelsNeutraliseTerminalEscapes(t *testing.T) {
	l := newSvcLab(t, nightly)
	rewrite(t, l.inventory, func(b []byte) []byte {
		return []byte(strings.Replace(string(b), "deployment: acme-post-upgrade", `deployment: "acme\e[2J\u202e\u200bupgrade"`, 1))
	})
	h := startService(t, l.inventory, nil)
	r := h.step()
	assert.Equal(t, "acme\x1b[2J\u202e\u200bupgrade", r.Deployment)
	code, body := h.get("/metrics")
	require.Equal(t, 200, code)
	assertNoControls(t, body)
	assert.Contains(t, body, `deployment="acme\\x1b[2J\\u202e\\u200bupgrade"`, "escapes, themselves escaped by the text format")
}
