package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mattn/go-runewidth"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/fixtures"
	"github.com/tmsdrift/tmsdrift/history"
	"github.com/tmsdrift/tmsdrift/report"
)

// Issue 8, item 11: on an 80-column terminal the audit table was 113
// columns wide and `rules` 136, and COLUMNS was ignored. With COLUMNS=80
// no line of audit (labs of every kind, verbose too), rules or explain is
// wider, and rule ids and node names are not broken mid-word.
func TestHumanOutputFitsEightyColumns(t *testing.T) {
	t.Setenv("COLUMNS", "80")
	// Relative inventory paths from the labs folder: the fix hint quotes
	// the path as given, and where the clone lies must not decide the test.
	t.Chdir(fixtures.LabsDir())
	var runs [][]string
	for _, l := range []string{"post-upgrade", "manual-cutover", "data-drift", "db-missing", "nlb-drift", "offsite-drift", "broken-snapshot"} {
		inv := filepath.Join(l, "inventory.yaml")
		runs = append(runs, []string{"audit", "-i", inv}, []string{"audit", "-i", inv, "--verbose"})
	}
	// (fix plans are not here: they quote file diffs, which are not
	// wrapped.)
	runs = append(runs, []string{"rules"}, []string{"explain"}, []string{"explain", "services.standby-inactive"})
	for _, args := range runs {
		_, stdout, _ := tmsdrift(t, args...)
		require.NotEmpty(t, stdout, args)
		assertFits(t, stdout, 80, args)
		if args[0] == "audit" && len(args) == 3 {
			// Every rule id and node name of the table stands whole at the
			// start of a cell.
			_, js, _ := tmsdrift(t, append(args, "--format", "json")...)
			var rep report.Report
			require.NoError(t, json.Unmarshal([]byte(js), &rep))
			table, _, _ := strings.Cut(stdout, "\n\n")
			for _, r := range rep.Results {
				if r.Status == checks.Pass {
					continue
				}
				assert.Contains(t, table, "│ "+r.Rule+" ", "%v: rule id whole", args)
				if r.Node != "" {
					assert.Contains(t, table, "│ "+r.Node+" ", "%v: node name whole", args)
				}
			}
		}
		if args[0] == "rules" {
			for _, id := range checks.IDs() {
				assert.Contains(t, stdout, "│ "+id+" ", "rule id whole")
			}
		}
	}
	// Wider terminals get wider tables: COLUMNS is obeyed, not just capped.
	t.Setenv("COLUMNS", "160")
	_, wide, _ := tmsdrift(t, "rules")
	assert.Greater(t, maxWidth(wide), 100, "rules uses a wide terminal")
	assertFits(t, wide, 160, []string{"rules"})
}

func assertFits(t *testing.T, out string, width int, args []string) {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		assert.LessOrEqualf(t, runewidth.StringWidth(line), width, "%v: line wider than %d: %q", args, width, line)
	}
}

func maxWidth(out string) int {
	m := 0
	for _, line := range strings.Split(out, "\n") {
		m = max(m, runewidth.StringWidth(line))
	}
	return m
}

// The report's width without COLUMNS is the default 100 when stdout is
// not a terminal.
func TestHumanOutputDefaultWidth(t *testing.T) {
	t.Setenv("COLUMNS", "")
	t.Chdir(fixtures.LabsDir()) // a relative path in the fix hint, wherever the clone lies
	_, out, _ := tmsdrift(t, "audit", "-i", filepath.Join("post-upgrade", "inventory.yaml"), "--verbose")
	assertFits(t, out, report.DefaultWidth, []string{"audit"})
	assert.Equal(t, report.DefaultWidth, maxWidth(strings.SplitN(out, "\n", 2)[0]), "the table fills the default width")
}

// Issue 8, item 11, beyond the audit: the plans and summaries of fix,
// post-upgrade and rollback, the runbooks (plan and what a run did), the
// runs rollback lists, history and diff fit 80 columns too. What must stay
// verbatim may run longer: the lines of a quoted file diff, a file path
// on a line of its own, a command line a user copies, a single word.
// Each command runs on copies of the labs, from their folder with
// relative paths, so that where the clone lies cannot decide the test;
// a twin copy gives the JSON document that says which lines are a diff.
func TestPlansAndRunbooksFitEightyColumns(t *testing.T) {
	t.Setenv("COLUMNS", "80")
	labs := []string{"post-upgrade", "data-drift", "nlb-drift", "offsite-drift", "manual-cutover", "offsite-three"}
	root, twin := t.TempDir(), t.TempDir()
	for _, dir := range []string{root, twin} {
		for _, l := range labs {
			require.NoError(t, os.CopyFS(filepath.Join(dir, l), os.DirFS(filepath.Join(fixtures.LabsDir(), l))))
		}
	}
	inv := func(l string) string { return filepath.Join(l, "inventory.yaml") }
	// in runs args in folder dir and returns stdout (exit codes are the
	// other tests' business; the output must not be empty).
	in := func(dir string, args ...string) string {
		t.Helper()
		t.Chdir(dir)
		_, stdout, stderr := tmsdrift(t, args...)
		require.NotEmpty(t, stdout, "%v: %s", args, stderr)
		return stdout
	}
	type run struct {
		args []string
		json []string // the same in the twin folder as JSON: the diff lines
		// before prepares the lab copy in root.
		before func()
	}
	var runs []run
	for _, l := range []string{"post-upgrade", "data-drift", "nlb-drift", "offsite-drift"} {
		args := []string{"fix", "-i", inv(l)}
		runs = append(runs, run{args, append(args, "--format", "json"), nil})
	}
	runs = append(runs,
		run{[]string{"post-upgrade", "-i", inv("post-upgrade")}, []string{"post-upgrade", "-i", inv("post-upgrade"), "--format", "json"}, nil},
		run{[]string{"fix", "-i", inv("data-drift"), "--apply"}, []string{"fix", "-i", inv("data-drift"), "--apply", "--format", "json"}, nil},
		run{[]string{"rollback", "-i", inv("data-drift")}, nil, nil},
		run{[]string{"rollback", "-i", inv("data-drift"), "last"}, []string{"rollback", "-i", inv("data-drift"), "last", "--format", "json"}, nil},
		run{[]string{"promote", "tms02", "-i", inv("manual-cutover")}, nil, nil},
		run{[]string{"promote", "tms02", "-i", inv("data-drift")}, nil, nil}, // refused: a long preflight finding
		run{[]string{"promote", "tms02", "-i", inv("manual-cutover"), "--apply", "--yes"}, nil, nil},
		run{[]string{"activate-offsite", "-i", inv("offsite-drift")}, nil, nil},
		run{[]string{"activate-offsite", "-i", inv("offsite-three")}, nil, nil},
		run{[]string{"activate-offsite", "-i", inv("offsite-three"), "--apply", "--yes"}, nil, func() {
			// The off-site database is brought online by hand first.
			p := filepath.Join(root, "offsite-three", "db-dr.json")
			raw, err := os.ReadFile(p)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(p, []byte(strings.Replace(string(raw), `"state": "RESTORING"`, `"state": "ONLINE"`, 1)), 0o644))
		}},
		run{[]string{"return-to-primary", "-i", inv("offsite-three"), "--database-resynced"}, nil, nil},
		run{[]string{"upgrade", "plan", "-i", inv("nlb-drift")}, nil, nil},
		run{[]string{"upgrade", "prepare", "-i", inv("nlb-drift")}, nil, nil},
		run{[]string{"upgrade", "finish", "-i", inv("post-upgrade")}, nil, nil},
	)
	for _, r := range runs {
		verbatim := map[string]bool{}
		if r.json != nil {
			var doc struct {
				Changes []struct{ Object, Detail string }
			}
			require.NoError(t, json.Unmarshal([]byte(in(twin, r.json...)), &doc), r.json)
			for _, c := range doc.Changes {
				verbatim[c.Object] = true
				for _, line := range strings.Split(c.Detail, "\n") {
					verbatim[strings.TrimSpace(line)] = true
				}
			}
		}
		if r.before != nil {
			r.before()
		}
		out := in(root, r.args...)
		assertFitsBut(t, out, 80, r.args, verbatim)
	}

	// history and diff over three recorded runs.
	l := newSvcLab(t, "")
	l.postUpgradeDrift(t)
	for range 2 {
		_, _, stderr := tmsdrift(t, "serve", "--once", "-i", l.inventory)
		require.NotContains(t, stderr, "panic")
		l.clean(t)
	}
	hist := filepath.Join(l.dir, ".tmsdrift", "history")
	ids, err := history.Open(hist).List(2)
	require.NoError(t, err)
	require.Len(t, ids, 2)
	report := func(id string) string { return filepath.Join(hist, id, history.ReportJSON) }
	for _, args := range [][]string{{"history", "-i", l.inventory}, {"diff", "-i", l.inventory}, {"diff", report(ids[1].ID), report(ids[0].ID)}} {
		_, stdout, stderr := tmsdrift(t, args...)
		require.NotEmpty(t, stdout, "%v: %s", args, stderr)
		assertFitsBut(t, stdout, 80, args, nil)
	}
}

// assertFitsBut is assertFits but for the lines that must stay verbatim:
// a line of verbatim (diff lines and paths, indentation aside), a command
// line on a line of its own, a single word.
func assertFitsBut(t *testing.T, out string, width int, args []string, verbatim map[string]bool) {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if runewidth.StringWidth(line) <= width {
			continue
		}
		text := strings.TrimSpace(line)
		if verbatim[text] || strings.HasPrefix(text, "tmsdrift ") || !strings.Contains(text, " ") {
			continue
		}
		assert.Failf(t, "line too wide", "%v: line wider than %d: %q", args, width, line)
	}
}
