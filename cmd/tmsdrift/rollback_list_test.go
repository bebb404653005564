package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The runs rollback lists stand in columns — id, what, start, state —
// also when a row is too wide and wraps: before, a post-upgrade run
// rolled back ("rolled back by <id>") lost its padding at 100 columns,
// its start time out of line with the rollback run's above it.
func TestRollbackListKeepsItsColumns(t *testing.T) {
	_, inv := labCopy(t, "post-upgrade")
	code, _, stderr := tmsdrift(t, "post-upgrade", "-i", inv)
	require.Equal(t, 0, code, stderr)
	code, _, stderr = tmsdrift(t, "rollback", "-i", inv, "last")
	require.Equal(t, 0, code, stderr)
	start := regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`)
	for _, columns := range []string{"80", "100", "200"} {
		t.Setenv("COLUMNS", columns)
		code, stdout, stderr := tmsdrift(t, "rollback", "-i", inv)
		require.Equal(t, 0, code, stderr)
		// Where each row's start time stands: on the row's line, or on
		// the line it continues on when the row wraps.
		var at []int
		lines := strings.Split(stdout, "\n")
		for i, line := range lines {
			if strings.HasPrefix(line, "  2") { // a row: two spaces and a run id
				loc := start.FindStringIndex(line)
				if loc == nil && i+1 < len(lines) {
					loc = start.FindStringIndex(lines[i+1])
				}
				require.NotNil(t, loc, "COLUMNS=%s: a row without its start: %q", columns, line)
				at = append(at, loc[0])
			}
		}
		require.Len(t, at, 2, "COLUMNS=%s:\n%s", columns, stdout)
		assert.Equal(t, at[0], at[1], "COLUMNS=%s: the start times stand in one column:\n%s", columns, stdout)
	}
}
