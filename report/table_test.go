package report

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/mattn/go-runewidth"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/checks"
)

func renderTableText(t *testing.T, r *Report, opts Options) string {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, NewTable(opts).Write(&buf, r))
	return buf.String()
}

// tableRow is the first line of one data row of the boxed table.
type tableRow struct{ status, severity, rule, node string }

// tableRows reads the rows back out of a rendered table: a row starts on
// a line whose Status cell is not empty.
func tableRows(out string) []tableRow {
	var rows []tableRow
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "│") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "│"), "│")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if len(cells) < 4 || cells[0] == "" || cells[0] == "Status" {
			continue
		}
		rows = append(rows, tableRow{cells[0], cells[1], cells[2], cells[3]})
	}
	return rows
}

// reversed returns the mixed report with its results in reverse, so the
// table's order cannot come from the input's.
func reversed() *Report {
	r := mixedReport()
	slices.Reverse(r.Results)
	return r
}

func TestTableListsFailuresFirstThenErrorsWaivedPasses(t *testing.T) {
	rows := tableRows(renderTableText(t, reversed(), Options{Verbose: true}))
	order := catalogueOrder()
	require.Len(t, rows, len(mixedReport().Results))

	for i := 1; i < len(rows); i++ {
		prev, cur := rows[i-1], rows[i]
		ps, cs := statusOrder(checks.Status(prev.status)), statusOrder(checks.Status(cur.status))
		require.LessOrEqual(t, ps, cs, "row %d (%v) after %v", i, cur, prev)
		if ps != cs {
			continue
		}
		pr, cr := checks.Severity(prev.severity).Rank(), checks.Severity(cur.severity).Rank()
		require.GreaterOrEqual(t, pr, cr, "within %s, severity must not rise: %v after %v", cur.status, cur, prev)
		if pr == cr {
			require.LessOrEqual(t, order[prev.rule], order[cur.rule], "catalogue order: %v after %v", cur, prev)
		}
	}
	assert.Equal(t, "fail", rows[0].status)
	assert.Equal(t, tableRow{"fail", "critical", "machinekey.match", "tms02"}, rows[0])
	assert.Equal(t, tableRow{"fail", "critical", "addresses.match", "(deployment)"}, rows[1])
	// Within one rule: the deployment, then nodes by name.
	var latency []string
	for _, r := range rows {
		if r.rule == "db.latency" && r.status == "pass" {
			latency = append(latency, r.node)
		}
	}
	assert.Equal(t, []string{"(deployment)", "tms01", "tms02"}, latency)
}

func TestTableHidesPassesUnlessVerbose(t *testing.T) {
	r := mixedReport()
	quiet := tableRows(renderTableText(t, r, Options{}))
	assert.Len(t, quiet, r.Summary.Fail+r.Summary.Error+r.Summary.Waived)
	for _, row := range quiet {
		assert.NotEqual(t, "pass", row.status)
	}
	assert.Contains(t, renderTableText(t, r, Options{}), "29 passing results not shown; --verbose lists them.")

	verbose := renderTableText(t, r, Options{Verbose: true})
	assert.Len(t, tableRows(verbose), len(r.Results))
	assert.NotContains(t, verbose, "not shown")
}

func TestTableSaysSoInOneLineWhenEverythingPasses(t *testing.T) {
	out := renderTableText(t, allPassReport(), Options{})
	lines := strings.Split(strings.TrimSpace(out), "\n")
	assert.Equal(t, "All 9 results pass.", lines[0])
	assert.NotContains(t, out, "│", "no table for a clean run")
	assert.NotContains(t, out, "What to do next")
	assert.Contains(t, out, "branch-office (single): 0 fail, 0 error, 0 waived, 9 pass — exit 0")
}

func TestTableOneLineScalesToLargeDeployments(t *testing.T) {
	var results []checks.Result
	for n := range 1000 {
		for _, rule := range checks.Catalogue() {
			results = append(results, checks.Result{Rule: rule.ID, Node: fmt.Sprintf("tms%04d", n), Status: checks.Pass, Severity: rule.Severity})
		}
	}
	r := New("big", "nlb", fixtureStart, fixtureEnd, results)
	out := renderTableText(t, r, Options{})
	assert.Equal(t, 3, strings.Count(out, "\n"), "one line, a blank line, the summary: %q", out)
	assert.Contains(t, out, fmt.Sprintf("All %d results pass.", len(results)))
}

func TestTableSummaryLine(t *testing.T) {
	out := renderTableText(t, mixedReport(), Options{})
	assert.Contains(t, out, "\nacme-tms (manual-cutover): 7 fail, 2 error, 1 waived, 29 pass — exit 1\n")

	// Only a high failure: gated out by --fail-on critical, so exit 0, and
	// the threshold is named because it changed the verdict.
	r := New("acme-tms", "nlb", fixtureStart, fixtureEnd, []checks.Result{
		{Rule: "db.latency", Node: "tms01", Status: checks.Fail, Severity: checks.High},
	})
	out = renderTableText(t, r, Options{FailOn: checks.Critical})
	assert.Contains(t, out, "acme-tms (nlb): 1 fail, 0 error, 0 waived, 0 pass — exit 0 (--fail-on critical)")
}

var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

func TestTableColoursOnlyWhenAsked(t *testing.T) {
	plain := renderTableText(t, mixedReport(), Options{Verbose: true})
	assert.NotContains(t, plain, "\x1b[", "no escape codes without Color")

	coloured := renderTableText(t, mixedReport(), Options{Verbose: true, Color: true})
	for word, code := range map[string]string{
		"fail":   "\x1b[31;1m", // bold red
		"error":  "\x1b[35;1m", // bold magenta
		"waived": "\x1b[36m",   // cyan
		"pass":   "\x1b[32m",   // green
	} {
		assert.True(t, strings.Contains(coloured, "│ "+code+word+"\x1b[0"), "%s is not painted %q", word, code)
	}
	// The colours change nothing else: widths are computed without them.
	assert.Equal(t, plain, ansi.ReplaceAllString(coloured, ""))
}

func TestTableNextSteps(t *testing.T) {
	out := renderTableText(t, mixedReport(), Options{Inventory: "inventories/acme tms.yaml"})
	_, steps, found := strings.Cut(out, "What to do next")
	require.True(t, found, out)

	// Once per rule, with every node it failed on.
	assert.Equal(t, 1, strings.Count(steps, "data.synced failed"))
	assert.Contains(t, steps, "data.synced failed on tms02, tms03")
	assert.Contains(t, steps, "addresses.match failed for the deployment")
	// Most urgent first.
	assert.Less(t, strings.Index(steps, "machineKey equals the approved key"), strings.Index(steps, "Customer files are synchronised"))
	// The catalogue's remediation, and where to read more.
	assert.Contains(t, steps, "recycle the TMS application pool")
	assert.Contains(t, steps, "tmsdrift explain db.latency")
	// The fix hint only for fixable rules, with the inventory quoted for a shell.
	assert.Contains(t, steps, "tmsdrift fix -i 'inventories/acme tms.yaml' --only machinekey.match")
	assert.NotContains(t, steps, "--only db.latency")
	// Waived and passing rules are not steps; errors are explained once.
	assert.NotContains(t, steps, "Clock is synchronised")
	assert.Contains(t, steps, "Could not check (2 errors)")
	assert.Contains(t, steps, "machinekey.present on tms03; machinekey.match on tms03.")
	assert.Contains(t, steps, "An error is not a pass")
}

func TestTableFixHintNeedsTheInventory(t *testing.T) {
	out := renderTableText(t, mixedReport(), Options{})
	assert.NotContains(t, out, "tmsdrift fix -i")
	assert.Contains(t, out, "tmsdrift explain machinekey.match", "the explain hint stays")
}

func TestTableWithoutResults(t *testing.T) {
	out := renderTableText(t, New("empty", "single", fixtureStart, fixtureEnd, nil), Options{})
	assert.Contains(t, out, "No results")
	assert.Contains(t, out, "— exit 0")
}

func TestNodeListIsCut(t *testing.T) {
	var nodes []string
	for i := range 20 {
		nodes = append(nodes, fmt.Sprintf("tms%02d", i))
	}
	assert.Equal(t, "tms00, tms01, tms02, tms03, tms04, tms05, tms06, tms07 and 12 more", nodeList(nodes))
	assert.Equal(t, "tms00, tms01", nodeList(nodes[:2]))
	assert.Equal(t, "for the deployment and on tms00", where([]string{deploymentLabel, "tms00"}, nil))
}

func TestWrapKeepsWordsAndWidth(t *testing.T) {
	text := "Point the Windows Time service at the domain hierarchy or a reliable NTP source (`w32tm /config /syncfromflags:domhier /update`)"
	lines := wrapText(text, 30)
	for _, l := range lines {
		assert.LessOrEqual(t, runewidth.StringWidth(l), 30, l)
	}
	assert.Equal(t, strings.Fields(text), strings.Fields(strings.Join(lines, " ")), "words are kept whole")
	assert.Equal(t, []string{"two", "", "paragraphs"}, wrapText("two\n\nparagraphs", 30))
}

func TestWrapBreaksLongWordsAtPunctuationFirst(t *testing.T) {
	// Rule ids and host names break after '.' or '-', not mid-word.
	assert.Equal(t, []string{"services.", "standby-", "inactive"}, wrapText("services.standby-inactive", 12))
	assert.Equal(t, []string{"tms-very-long-", "node-name-04.", "acme.local"}, wrapText("tms-very-long-node-name-04.acme.local", 14))
	// Only a word with no such place is cut.
	word := "sha256:" + strings.Repeat("ab", 20)
	lines := wrapText("key "+word+" ok", 10)
	for _, l := range lines {
		assert.LessOrEqual(t, runewidth.StringWidth(l), 10, l)
	}
	assert.Equal(t, "key", lines[0])
	assert.Equal(t, "sha256:", lines[1], "broken after the colon")
	assert.Equal(t, "key "+word+" ok", strings.Replace(strings.Join(lines, ""), "key", "key ", 1)[:len("key "+word)]+" ok")
	assert.Equal(t, []string{"Größe"}, wrapText("Größe", 5), "a word that fits is left alone")
	assert.Equal(t, []string{"漢字漢", "字"}, wrapText("漢字漢字", 6), "wide runes count double")
}

// A node's text with terminal escapes is shown escaped, and the width is
// counted on the escaped form: no line gets wider than asked.
func TestWrapCountsTheSanitisedText(t *testing.T) {
	text := "service \x1b[31mTMSLiveService\x1b[0m\u202e on tms01 is not as the plan expected it when checked afterwards"
	got := WrapIndent("  ", "    ", text, 40)
	assert.NotContains(t, got, "\x1b", "no escape reaches the terminal")
	assert.NotContains(t, got, "\u202e")
	assert.Contains(t, got, `\x1b[31mTMSLiveService\x1b[0m\u202e`)
	for _, line := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
		assert.LessOrEqual(t, runewidth.StringWidth(line), 40, line)
	}
	for _, line := range Wrap(text, 40) {
		assert.LessOrEqual(t, runewidth.StringWidth(line), 40, line)
	}
}

// The wrapper of the human outputs outside tables (fix plans, runbooks,
// rollback, history, diff) never cuts a word, keeps what it is told to
// keep whole at its spaces, and indents continuation lines.
func TestWrapIndentKeepsVerbatimWords(t *testing.T) {
	path := `C:\Program Files\TANDBERG\TMS\wwwTMS\Data\EmailTemplate\MeetingReminder.txt`
	got := WrapIndent("  ", "      ", "create file "+path+"  [data.synced]", 40, path)
	assert.Equal(t, "  create file\n      "+path+"\n      [data.synced]\n", got, "the path stays whole on a line of its own")

	cmd := "tmsdrift fix -i 'my labs/inventory.yaml' --apply"
	got = WrapIndent("", "  ", "Nothing was changed. To apply: "+cmd, 60, cmd)
	assert.Equal(t, "Nothing was changed. To apply:\n  "+cmd+"\n", got, "the command moves to its own line, whole")

	long := "sha256:" + strings.Repeat("ab", 30)
	assert.Equal(t, []string{"key", long, "ok"}, Wrap("key "+long+" ok", 20), "a word wider than the width overflows, uncut")

	got = WrapIndent("  - ", "    ", "one two three four five six seven eight nine ten", 20)
	assert.Equal(t, "  - one two three\n    four five six\n    seven eight nine\n    ten\n", got)
	for _, l := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
		assert.LessOrEqual(t, runewidth.StringWidth(l), 20, l)
	}

	// A deeper continuation indent leaves less room on the later lines.
	got = WrapIndent("", "        ", strings.Repeat("abcd ", 30), 40)
	for _, l := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
		assert.LessOrEqual(t, runewidth.StringWidth(l), 40, l)
	}
	assert.True(t, strings.HasPrefix(got, strings.Repeat("abcd ", 7)+"abcd\n        abcd"), got)

	aligned := "set TMSSchedulerService     Manual -> Automatic"
	assert.Equal(t, "  "+aligned+"\n", WrapIndent("  ", "    ", aligned, 80), "a line that fits keeps its spacing")
	assert.Equal(t, "a\n  b\n", WrapIndent("", "  ", "a\nb", 80), "newlines start new lines, indented")
	assert.Equal(t, 200, TextWidth(200))
	assert.Equal(t, 80, TextWidth(80))
	assert.Equal(t, minWidth, TextWidth(10))
	assert.Equal(t, DefaultWidth, TextWidth(0))
}

func TestFitColumnsKeepsWordsWhole(t *testing.T) {
	cols := [][]string{{"Status", "fail"}, {"Rule", "services.standby-inactive"}, {"Text", strings.Repeat("word ", 40)}}
	w := fitColumns(cols, 80, []bool{true, true})
	assert.Equal(t, 80, sum(w)+3*len(w)+1, "the table fills the width: %v", w)
	assert.Equal(t, 6, w[0], "a short column keeps its natural width")
	assert.Equal(t, 25, w[1], "a rule id stays whole while it can")
	w = fitColumns(cols, 40, []bool{true, true})
	assert.LessOrEqual(t, sum(w)+3*len(w)+1, 40, "%v", w)
	assert.GreaterOrEqual(t, w[1], len("standby-"), "then it breaks after punctuation, not mid-word: %v", w)
}

// Issue 8, item 11: the table ignored the terminal's width. At every
// width from 60 to 160 no line of the report is wider, with long node
// names and values and the hints included.
func TestTableFitsTheWidth(t *testing.T) {
	r := mixedReport()
	r.Results = append(r.Results, checks.Result{
		Rule: "machinekey.match", Node: "tms-very-long-node-name-04.acme.local", Status: checks.Fail, Severity: checks.Critical,
		Expected: strings.Repeat("0123456789abcdef", 6), Observed: "Ünïcödé " + strings.Repeat("x", 90),
	})
	for _, width := range []int{60, 80, 100, 120, 160} {
		for _, verbose := range []bool{false, true} {
			out := renderTableText(t, r, Options{Verbose: verbose, Inventory: "inventories/acme.yaml", Width: width, Color: true})
			for _, line := range strings.Split(ansi.ReplaceAllString(out, ""), "\n") {
				assert.LessOrEqual(t, runewidth.StringWidth(line), width, "wider than %d: %q", width, line)
			}
		}
	}
	// At 80 columns the long node name stands whole (the values wrap
	// instead); at 60 it breaks at its dots and dashes, not inside a word.
	out := renderTableText(t, r, Options{Width: 80})
	assert.Contains(t, out, "│ tms-very-long-node-name-04.acme.local │")
	out, _, _ = strings.Cut(renderTableText(t, r, Options{Width: 60}), "\n\n")
	assert.NotContains(t, out, "tms-very-long-node-name-04.acme.local")
	for _, part := range []string{"│ tms-very-long-node- ", "│ name-04.acme.local "} {
		assert.Contains(t, out, part, "node name broken at punctuation")
	}
}

func TestPickWidth(t *testing.T) {
	env := func(v string) func(string) string { return func(string) string { return v } }
	term := func(w int) func() (int, bool) { return func() (int, bool) { return w, w > 0 } }
	assert.Equal(t, 132, pickWidth(term(132), env("80")), "the terminal's own size first")
	assert.Equal(t, 80, pickWidth(term(0), env("80")), "then COLUMNS")
	assert.Equal(t, DefaultWidth, pickWidth(term(0), env("")), "then 100")
	assert.Equal(t, DefaultWidth, pickWidth(term(0), env("wide")))
	assert.Equal(t, DefaultWidth, pickWidth(term(0), env("-3")))
}
