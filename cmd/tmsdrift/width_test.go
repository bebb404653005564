package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mattn/go-runewidth"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/fixtures"
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
