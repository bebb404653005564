package history

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/report"
)

// What a run recorded from outside (an error text, a node's name) reaches
// the history table as escapes, never as characters a terminal acts on:
// the old cleaner let a bidirectional override (U+202E) through.
func TestListTableNeutralisesTerminalEscapes(t *testing.T) {
	runs := []*Run{{
		ID: "20261125T020000Z", StartedAt: time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC), Verdict: "error",
		Error:   "tms02: \x1b]0;pwned\a\u202egnp.exe\tand\r\nmore",
		Upgrade: &Upgrade{Nodes: []string{"tms\x1b[2J02"}},
	}}
	var b bytes.Buffer
	// Wide enough for the row on one line: this test is about escapes
	// (TestListTableFitsTheWidth about wrapping).
	require.NoError(t, WriteList(&b, "table", runs, 1000))
	out := b.String()
	for i, r := range out {
		if r < 0x20 && r != '\n' && r != ' ' || r == 0x7f || r >= 0x80 && r <= 0x9f || r >= 0x202a && r <= 0x202e {
			t.Fatalf("%U at byte %d of %q", r, i, out)
		}
	}
	assert.Contains(t, out, `tms02: \x1b]0;pwned\x07\u202egnp.exe and  more`)
	assert.Contains(t, out, `upgrade detected (tms\x1b[2J02)`)
	assert.Equal(t, 2, strings.Count(out, "\n"), "a header and one row: line ends in a cell do not break the table")
}

// Issue 8, item 11: the table fits the width it is given. What changed
// wraps under its own column, or, when the other columns leave it too
// little room, goes under each row; the other columns stay aligned.
func TestListTableFitsTheWidth(t *testing.T) {
	runs := []*Run{{
		ID: "20261125T020000Z", StartedAt: time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC), Verdict: "fail",
		Summary: &report.Summary{Pass: 39, Fail: 3},
		Upgrade: &Upgrade{Nodes: []string{"tms01", "tms02", "tms03"}, Command: "tmsdrift post-upgrade -i inventory.yaml"},
		Error:   "tms02: could not be reached: dial tcp 10.10.0.12:5986: connect: connection refused",
	}}
	for _, width := range []int{100, 80} {
		var b bytes.Buffer
		require.NoError(t, WriteList(&b, "table", runs, width))
		lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
		for _, l := range lines {
			assert.LessOrEqual(t, len(l), width, "%d: %q", width, l)
		}
		assert.Greater(t, len(lines), 2, "%d: wrapped", width)
		row := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "20261125T020000Z") })
		require.Positive(t, row, width)
		assert.Regexp(t, `^20261125T020000Z  2026-11-25 02:00:00  fail +39/3/0/0`, lines[row])
		// What changed: from its column, or the indented lines under the row.
		var words []string
		if col := strings.Index(lines[0], "WHAT CHANGED"); col >= 0 {
			for i, l := range lines[row:] {
				if i > 0 {
					assert.Empty(t, strings.TrimSpace(l[:col]), "%d: continuation under the column", width)
				}
				words = append(words, strings.Fields(l[col:])...)
			}
		} else {
			assert.Equal(t, "    WHAT CHANGED", lines[1], width)
			for _, l := range lines[row+1:] {
				assert.True(t, strings.HasPrefix(l, "    "), "%d: under the row, indented: %q", width, l)
				words = append(words, strings.Fields(l)...)
			}
		}
		assert.Equal(t, strings.Fields(what(runs[0])), words, "%d: every word of what changed, in order", width)
	}
}
