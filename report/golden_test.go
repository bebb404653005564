package report

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// goldenCases are the shared inputs; every format renders each of them.
var goldenCases = []struct {
	name    string
	report  func() *Report
	opts    Options
	formats []string // nil: every format
}{
	{"mixed", mixedReport, Options{Inventory: "inventories/acme tms.yaml"}, nil},
	{"mixed-verbose", mixedReport, Options{Verbose: true}, []string{"table"}}, // only the table has a verbose mode
	{"allpass", allPassReport, Options{Inventory: "branch.yaml"}, nil},
	{"errored", erroredReport, Options{}, nil},
	{"mixed-changes", mixedReport, Options{Inventory: "inventories/acme tms.yaml", Changes: mixedChanges(), Notes: mixedNotes}, []string{"html"}},
}

// TestGolden compares every format's output for every shared input with
// testdata/<case>.<exit code>.<format>; `go test ./report -update`
// rewrites them after an intended change (then read the diff).
func TestGolden(t *testing.T) {
	for _, c := range goldenCases {
		formats := c.formats
		if formats == nil {
			formats = Formats()
		}
		for _, format := range formats {
			r := c.report()
			name := fmt.Sprintf("%s.%d.%s", c.name, r.ExitCode(c.opts.failOn()), format)
			t.Run(name, func(t *testing.T) {
				w, err := NewWriter(format, c.opts)
				require.NoError(t, err)
				var buf bytes.Buffer
				require.NoError(t, w.Write(&buf, r))

				path := filepath.Join("testdata", name)
				if *update {
					require.NoError(t, os.MkdirAll("testdata", 0o755))
					require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
				}
				want, err := os.ReadFile(path)
				require.NoError(t, err, "missing golden file; run go test ./report -update")
				assert.Equal(t, string(want), buf.String())
			})
		}
	}
}
