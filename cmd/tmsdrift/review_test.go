package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

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
