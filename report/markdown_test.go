package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/checks"
)

func renderMarkdown(t *testing.T, r *Report, opts Options) string {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, NewMarkdown(opts).Write(&buf, r))
	return buf.String()
}

// unescapedPipes counts the | that end a table cell: those not preceded
// by a backslash.
func unescapedPipes(line string) int {
	n := 0
	for i := range len(line) {
		if line[i] == '|' && (i == 0 || line[i-1] != '\\') {
			n++
		}
	}
	return n
}

func TestMarkdownTableRowsStayOneRowOfSixCells(t *testing.T) {
	r := New("acme-tms", "nlb", fixtureStart, fixtureEnd, []checks.Result{
		{Rule: "data.synced", Node: "tms|02", Status: checks.Fail, Severity: checks.Medium,
			Expected: "a|b", Observed: "c || d\nsecond line\r\nthird", Message: "`code|span` and \\| already escaped"},
	})
	out := renderMarkdown(t, r, Options{})
	var rows []string
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "| **fail**") {
			rows = append(rows, line)
		}
	}
	require.Len(t, rows, 1, out)
	assert.Equal(t, 7, unescapedPipes(rows[0]), rows[0])
	assert.Contains(t, rows[0], `a\|b`)
	assert.Contains(t, rows[0], `c \|\| d<br>second line<br>third`)
	assert.Contains(t, rows[0], `tms\|02`)
	assert.Contains(t, rows[0], "\\`code\\|span\\` and \\\\\\| already escaped")
}

func TestMarkdownEscapesMarkupInCells(t *testing.T) {
	out := renderMarkdown(t, mixedReport(), Options{})
	assert.Contains(t, out, "&lt;machineKey validation=\"SHA1\\|AES\" &amp; …&gt;", "raw HTML would be swallowed by the forge")
	assert.Contains(t, out, `ring\*2.wav`, "no accidental emphasis")
	assert.NotContains(t, out, "<machineKey")
}

func TestMarkdownVerdict(t *testing.T) {
	highOnly := New("acme-tms", "nlb", fixtureStart, fixtureEnd, []checks.Result{
		{Rule: "db.latency", Node: "tms01", Status: checks.Fail, Severity: checks.High},
	})
	cases := []struct {
		name string
		r    *Report
		opts Options
		want string
	}{
		{"fails", mixedReport(), Options{}, "❌ **Drift found** — 7 fail, 2 error, 1 waived, 29 pass · exit 1"},
		{"errors only", erroredReport(), Options{}, "⚠️ **Not everything could be checked** — 0 fail, 2 error, 1 waived, 2 pass · exit 3"},
		{"clean", allPassReport(), Options{}, "✅ **No drift** — 0 fail, 0 error, 0 waived, 9 pass · exit 0"},
		{"below --fail-on", highOnly, Options{FailOn: checks.Critical}, "⚠️ **Failures below --fail-on critical** — 1 fail, 0 error, 0 waived, 0 pass · exit 0 (--fail-on critical)"},
		{"at --fail-on", highOnly, Options{FailOn: checks.High}, "❌ **Drift found** — 1 fail, 0 error, 0 waived, 0 pass · exit 1 (--fail-on high)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lines := strings.Split(renderMarkdown(t, c.r, c.opts), "\n")
			require.GreaterOrEqual(t, len(lines), 3)
			assert.True(t, strings.HasPrefix(lines[0], "## tmsdrift: "))
			assert.Equal(t, c.want, lines[2])
		})
	}
}

func TestMarkdownListsOnlyWhatNeedsAttention(t *testing.T) {
	out := renderMarkdown(t, mixedReport(), Options{Inventory: "acme.yaml"})
	body, details, found := strings.Cut(out, "<details>")
	require.True(t, found)
	assert.NotContains(t, body, "| pass |")
	assert.Equal(t, 1, strings.Count(body, "Customer files are synchronised"), "one step per rule")
	assert.Contains(t, body, "`data.synced`, medium) on tms02, tms03")
	assert.Contains(t, body, "Fix: `tmsdrift fix -i acme.yaml --only data.synced`")
	assert.NotContains(t, body, "--only db.latency`", "no fix hint for a rule without a fixer")
	assert.Contains(t, body, "**Could not check (2 errors):** `machinekey.present` on `tms03`")
	// Catalogue prose keeps its code spans and loses its raw HTML.
	assert.Contains(t, body, "every TMS\\* service")
	assert.Contains(t, body, "`tmsdrift fix --only machinekey.match --apply`")

	assert.Contains(t, details, "<summary>29 passing results</summary>")
	assert.Contains(t, details, "| `db.single-live` | Node points at the one live database | 3 |")
	assert.Contains(t, details, "| `machinekey.match` | machineKey equals the approved key | 1 |")
	assert.Less(t, strings.Index(details, "domain.joined"), strings.Index(details, "db.mixed-auth"), "catalogue order")
}

func TestMarkdownCleanRunHasNoTable(t *testing.T) {
	out := renderMarkdown(t, allPassReport(), Options{})
	before, _, _ := strings.Cut(out, "<details>")
	assert.NotContains(t, before, "| Status |")
	assert.NotContains(t, out, "What to do next")
}

func TestMarkdownCapsTheTable(t *testing.T) {
	var results []checks.Result
	for i := range markdownRowLimit + 5 {
		results = append(results, checks.Result{Rule: "data.synced", Node: strings.Repeat("n", i+1), Status: checks.Fail, Severity: checks.Medium})
	}
	out := renderMarkdown(t, New("big", "nlb", fixtureStart, fixtureEnd, results), Options{})
	assert.Equal(t, markdownRowLimit, strings.Count(out, "| **fail** |"))
	assert.Contains(t, out, "… and 5 more")
}

func TestMdProse(t *testing.T) {
	assert.Equal(t, "restore &lt;machineKey&gt; with `tmsdrift fix --only a_b`", mdProse("restore <machineKey> with `tmsdrift fix --only a_b`"))
	assert.Equal(t, "an \\` unpaired \\*", mdProse("an ` unpaired *"))
}

// FuzzMdCell: whatever a result holds, its cell stays on one line and
// never ends early, and no raw HTML gets through.
func FuzzMdCell(f *testing.F) {
	for _, s := range []string{"a|b", "x\ny\r\nz\rw", `\|`, "<script>&amp;", "`|`", "Größe ]]> *_~[]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cell := mdCell(s)
		if rest := strings.ReplaceAll(cell, "<br>", ""); strings.ContainsAny(rest, "\r\n<>") {
			t.Fatalf("line break or raw markup left in %q", cell)
		}
		if n := unescapedPipes(cell); n != 0 {
			t.Fatalf("%d unescaped pipes in %q", n, cell)
		}
	})
}
