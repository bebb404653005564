package history

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
	require.NoError(t, WriteList(&b, "table", runs))
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
