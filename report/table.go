package report

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/fatih/color"
	"github.com/mattn/go-runewidth"
	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/tmsdrift/tmsdrift/checks"
)

// Table is the terminal format, the first thing a newcomer sees: what
// needs attention in a boxed table, a one-line verdict, and what to do
// next, rule by rule.
type Table struct{ opts Options }

// NewTable returns the terminal format with opts.
func NewTable(opts Options) *Table { return &Table{opts: opts} }

// Column content widths (without the cell padding), chosen so that a
// table with every column at its cap is 120 columns wide: the short
// columns never wrap, the free-text ones do.
var tableColumns = []struct {
	header string
	width  int
}{
	{"Status", 6},
	{"Severity", 8},
	{"Rule", 25},
	{"Node", 12},
	{"Expected", 23},
	{"Observed / message", 27},
}

// proseWidth is where the text below the table wraps.
const proseWidth = 100

// listedNodes is how many node names a step or error line spells out
// before it says "and N more": a rule failing on 600 nodes is one line.
const listedNodes = 8

// Write renders r for a terminal.
func (t *Table) Write(w io.Writer, r *Report) error {
	r = sanitized(r) // nothing from outside reaches a reader unescaped
	p := palette{on: t.opts.Color}
	ordered := byAttention(r.Results)
	shown := ordered
	if !t.opts.Verbose {
		shown = nil
		for _, res := range ordered {
			if res.Status != checks.Pass {
				shown = append(shown, res)
			}
		}
	}

	var b bytes.Buffer
	switch {
	case len(r.Results) == 0:
		b.WriteString("No results: no rule of the catalogue applies to this deployment.\n")
	case len(shown) == 0:
		msg := fmt.Sprintf("All %d results pass.", len(r.Results))
		if len(r.Results) == 1 {
			msg = "The one result passes."
		}
		b.WriteString(p.paint(msg, color.FgGreen) + "\n")
	default:
		if err := renderTable(&b, shown, p); err != nil {
			return fmt.Errorf("render table: %w", err)
		}
	}

	failOn := t.opts.failOn()
	fmt.Fprintf(&b, "\n%s %s — %s\n", p.heading(title(r)+":"), counts(r.Summary), exitNote(r, failOn))
	if hidden := len(ordered) - len(shown); hidden > 0 && len(shown) > 0 {
		b.WriteString(p.faint(fmt.Sprintf("%s not shown; --verbose lists them.", plural(hidden, "passing result", "passing results"))) + "\n")
	}

	t.writeNextSteps(&b, ordered, p)

	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("write table report: %w", err)
	}
	return nil
}

// renderTable draws the boxed table of results.
func renderTable(w io.Writer, results []checks.Result, p palette) error {
	widths := tw.NewMapper[int, int]()
	headers := make([]any, len(tableColumns))
	for i, c := range tableColumns {
		widths.Set(i, c.width+2) // tablewriter's caps include the padding
		headers[i] = c.header
	}
	table := tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Symbols:  tw.NewSymbols(tw.StyleLight),
			Settings: tw.Settings{Separators: tw.Separators{BetweenRows: tw.On}},
		})),
		tablewriter.WithConfig(tablewriter.Config{
			Header: tw.CellConfig{
				Formatting: tw.CellFormatting{AutoFormat: tw.Off},
				Alignment:  tw.CellAlignment{Global: tw.AlignLeft},
			},
			Row: tw.CellConfig{
				Formatting:   tw.CellFormatting{AutoWrap: tw.WrapNormal},
				Alignment:    tw.CellAlignment{Global: tw.AlignLeft},
				ColMaxWidths: tw.CellWidth{PerColumn: widths},
			},
		}))
	table.Header(headers...)
	for _, res := range results {
		cells := []string{
			"", // status, painted after its width is known
			string(res.Severity),
			res.Rule,
			nodeLabel(res.Node),
			strings.TrimSpace(res.Expected),
			observedText(res),
		}
		for i := range cells {
			cells[i] = breakLongWords(cells[i], tableColumns[i].width)
		}
		cells[0] = p.status(res.Status)
		if err := table.Append(cells); err != nil {
			return fmt.Errorf("add row %s/%s: %w", res.Rule, nodeLabel(res.Node), err)
		}
	}
	return table.Render()
}

// writeNextSteps writes "What to do next": each failing rule once, with
// its nodes, remediation and the commands that help; then one paragraph
// on what could not be checked.
func (t *Table) writeNextSteps(b *bytes.Buffer, ordered []checks.Result, p palette) {
	steps := nextSteps(ordered)
	errs := ofStatus(ordered, checks.Error)
	if len(steps) == 0 && len(errs) == 0 {
		return
	}
	fmt.Fprintf(b, "\n%s\n", p.heading("What to do next"))
	const indent = "     "
	for i, s := range steps {
		fmt.Fprintf(b, "\n  %d. %s  %s\n", i+1, p.heading(s.Title), p.faint("["+string(s.Severity)+"]"))
		fmt.Fprintf(b, "%s%s failed %s\n", indent, s.Rule, where(s.Nodes, nil))
		writeWrapped(b, indent, s.Remediation)
		if s.Fixable && t.opts.Inventory != "" {
			fmt.Fprintf(b, "%s%s%s\n", indent, p.faint("Fix:      "), fixCommand(t.opts.Inventory, s.Rule))
		}
		fmt.Fprintf(b, "%s%s%s\n", indent, p.faint("Details:  "), explainCommand(s.Rule))
	}
	if len(errs) > 0 {
		fmt.Fprintf(b, "\n  %s\n", p.paint(fmt.Sprintf("Could not check (%s)", plural(len(errs), "error", "errors")), color.FgMagenta, color.Bold))
		writeWrapped(b, indent, errorList(errs, nil))
		writeWrapped(b, indent, errorAdvice)
	}
}

// writeWrapped writes text wrapped at proseWidth, each line indented.
func writeWrapped(b *bytes.Buffer, indent, text string) {
	for _, line := range wrap(text, proseWidth-len(indent)) {
		b.WriteString(indent + line + "\n")
	}
}

// errorAdvice says why errors matter and what to do about them.
const errorAdvice = "An error is not a pass: what could not be seen may be drifting too. " +
	"Make the node or database readable (reachable, files present, query allowed) and audit again."

// errorList names the errored results compactly, one clause per rule:
// "machinekey.present on tms03; db.online for the deployment". code, when
// not nil, formats the rule ids and node names (Markdown makes them code).
func errorList(errs []checks.Result, code func(string) string) string {
	if code == nil {
		code = func(s string) string { return s }
	}
	var rules []string
	nodes := map[string][]string{}
	for _, res := range errs {
		if _, seen := nodes[res.Rule]; !seen {
			rules = append(rules, res.Rule)
		}
		nodes[res.Rule] = append(nodes[res.Rule], nodeLabel(res.Node))
	}
	clauses := make([]string, len(rules))
	for i, rule := range rules {
		clauses[i] = code(rule) + " " + where(nodes[rule], code)
	}
	return strings.Join(clauses, "; ") + "."
}

// where says where a rule failed: "on tms02, tms03", "for the
// deployment", or "for the deployment and on tms03"; long node lists are
// cut after listedNodes. code, when not nil, formats each node name.
func where(labels []string, code func(string) string) string {
	deployment := false
	var nodes []string
	for _, l := range labels {
		if l == deploymentLabel {
			deployment = true
			continue
		}
		if code != nil {
			l = code(l)
		}
		nodes = append(nodes, l)
	}
	var parts []string
	if deployment {
		parts = append(parts, "for the deployment")
	}
	if len(nodes) > 0 {
		parts = append(parts, "on "+nodeList(nodes))
	}
	return strings.Join(parts, " and ")
}

// nodeList joins node labels, cut after listedNodes.
func nodeList(nodes []string) string {
	if len(nodes) <= listedNodes {
		return strings.Join(nodes, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(nodes[:listedNodes], ", "), len(nodes)-listedNodes)
}

// plural picks the singular or plural noun phrase for n and prefixes n.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// wrap breaks prose into lines of at most width display columns, at
// spaces; a word longer than width gets a line of its own.
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(text) {
		switch {
		case line == "":
			line = word
		case runewidth.StringWidth(line)+1+runewidth.StringWidth(word) <= width:
			line += " " + word
		default:
			lines = append(lines, line)
			line = word
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

// breakLongWords splits every word of s wider than width into pieces of
// at most width columns, so tablewriter's word wrap (which never breaks a
// word) keeps the column at its cap. Fingerprints and long node names are
// the usual culprits.
func breakLongWords(s string, width int) string {
	lines := strings.Split(s, "\n")
	for i, line := range lines {
		words := strings.Split(line, " ")
		for j, word := range words {
			if runewidth.StringWidth(word) <= width {
				continue
			}
			var pieces []string
			piece, pw := "", 0
			for _, r := range word {
				rw := runewidth.RuneWidth(r)
				if pw+rw > width && piece != "" {
					pieces = append(pieces, piece)
					piece, pw = "", 0
				}
				piece += string(r)
				pw += rw
			}
			words[j] = strings.Join(append(pieces, piece), "\n")
		}
		lines[i] = strings.Join(words, " ")
	}
	return strings.Join(lines, "\n")
}
