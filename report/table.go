package report

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/fatih/color"
	"github.com/mattn/go-runewidth"

	"github.com/tmsdrift/tmsdrift/checks"
)

// Table is the terminal format, the first thing a newcomer sees: what
// needs attention in a boxed table, a one-line verdict, and what to do
// next, rule by rule.
type Table struct{ opts Options }

// NewTable returns the terminal format with opts.
func NewTable(opts Options) *Table { return &Table{opts: opts} }

// tableHeaders are the columns of the results table.
var tableHeaders = []string{"Status", "Severity", "Rule", "Node", "Expected", "Observed / message"}

// compactBelow is the width under which the results table stacks the
// severity under the status and the node under the rule: six columns in
// fewer than 100 leave the values a dozen characters each.
const compactBelow = 100

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
		if err := renderTable(&b, shown, r.mark, p, t.opts.width()); err != nil {
			return fmt.Errorf("render table: %w", err)
		}
	}

	failOn := t.opts.failOn()
	width := t.opts.proseWidth()
	b.WriteString("\n")
	head, rest := title(r)+":", counts(r.Summary)+" — "+exitNote(r, failOn)
	if lines := wrapText(head+" "+rest, width); len(lines) == 1 {
		b.WriteString(p.heading(head) + " " + rest + "\n")
	} else {
		writeWrapped(&b, "", head, width, p.heading)
		writeWrapped(&b, "", rest, width, nil)
	}
	if hidden := len(ordered) - len(shown); hidden > 0 && len(shown) > 0 {
		writeWrapped(&b, "", fmt.Sprintf("%s not shown; --verbose lists them.", plural(hidden, "passing result", "passing results")), width, p.faint)
	}

	t.writeNextSteps(&b, ordered, p)

	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("write table report: %w", err)
	}
	return nil
}

// renderTable draws the boxed table of results, width columns wide; below
// compactBelow, in four columns. mark gives a failure's baseline mark,
// shown under its status.
func renderTable(w io.Writer, results []checks.Result, mark func(checks.Result) string, p palette, width int) error {
	b := box{headers: tableHeaders, betweenRows: true, keep: []bool{true, true, true, true, false, false}}
	compact := width < compactBelow
	if compact {
		b.headers = []string{"Status", "Rule / node", "Expected", "Observed / message"}
		b.keep = []bool{true, true, false, false}
	}
	for _, res := range results {
		status := string(res.Status)
		if m := mark(res); m != "" {
			status += "\n(" + m + ")"
		}
		row := []string{status, string(res.Severity), res.Rule, nodeLabel(res.Node),
			cellText(res.Expected), cellText(observedText(res))}
		if compact {
			row = []string{row[0] + "\n" + row[1], row[2] + "\n" + row[3], row[4], row[5]}
		}
		b.rows = append(b.rows, row)
	}
	b.paint = func(col int, cell string) string {
		if col != 0 {
			return cell
		}
		status, rest, _ := strings.Cut(cell, "\n")
		if rest != "" {
			return p.status(checks.Status(status)) + "\n" + rest
		}
		return p.status(checks.Status(status))
	}
	return b.draw(w, width)
}

// cellText is a value as a table cell shows it: trimmed, tabs as spaces.
func cellText(s string) string {
	return strings.ReplaceAll(strings.TrimSpace(s), "\t", " ")
}

// writeNextSteps writes "What to do next": each failing rule once, with
// its nodes, remediation and the commands that help; the commands that fix
// all of it; then one paragraph on what could not be checked. Every line
// fits the width; a command too long for it is continued with " \" so
// that it still runs when pasted.
func (t *Table) writeNextSteps(b *bytes.Buffer, ordered []checks.Result, p palette) {
	steps := nextSteps(ordered)
	errs := ofStatus(ordered, checks.Error)
	if len(steps) == 0 && len(errs) == 0 {
		return
	}
	width, cmdWidth := t.opts.proseWidth(), t.opts.width()
	all, fixable := suggestFixAll(t.opts.Inventory, steps)
	fmt.Fprintf(b, "\n%s\n", p.heading("What to do next"))
	const indent = "     "
	for i, s := range steps {
		heading := fmt.Sprintf("%d. %s  %s", i+1, s.Title, "["+string(s.Severity)+"]")
		if runewidth.StringWidth(heading)+2 <= width {
			fmt.Fprintf(b, "\n  %d. %s  %s\n", i+1, p.heading(s.Title), p.faint("["+string(s.Severity)+"]"))
		} else {
			b.WriteString("\n")
			writeWrapped(b, "  ", heading, width, nil)
		}
		writeWrapped(b, indent, fmt.Sprintf("%s failed %s", s.Rule, where(s.Nodes, nil)), width, nil)
		writeWrapped(b, indent, s.Remediation, width, nil)
		switch {
		case s.Fixable && all.Upgrade:
			fmt.Fprintf(b, "%s%s%s\n", indent, p.faint("Fix:      "), "tmsdrift post-upgrade, below")
		case s.Fixable && t.opts.Inventory != "":
			writeCommand(b, indent, p.faint("Fix:      "), fixCommand(t.opts.Inventory, s.Rule, false), cmdWidth)
		}
		writeCommand(b, indent, p.faint("Details:  "), explainCommand(s.Rule), cmdWidth)
	}
	if fixable {
		fmt.Fprintf(b, "\n  %s\n", p.heading(all.Heading))
		writeCommand(b, indent, p.faint("Plan:     "), all.Plan, cmdWidth)
		writeCommand(b, indent, p.faint("Apply:    "), all.Apply, cmdWidth)
		writeWrapped(b, indent, all.Note, width, nil)
	}
	if len(errs) > 0 {
		fmt.Fprintf(b, "\n  %s\n", p.paint(fmt.Sprintf("Could not check (%s)", plural(len(errs), "error", "errors")), color.FgMagenta, color.Bold))
		writeWrapped(b, indent, errorList(errs, nil), width, nil)
		writeWrapped(b, indent, errorAdvice, width, nil)
	}
}

// writeWrapped writes text wrapped to width (indent included), each line
// indented and, when paint is not nil, painted. Colour codes in text do
// not count towards the width.
func writeWrapped(b *bytes.Buffer, indent, text string, width int, paint func(string) string) {
	avail := width - runewidth.StringWidth(indent)
	for _, line := range wrapText(text, avail+escapeWidth(text)) {
		if paint != nil {
			line = paint(line)
		}
		b.WriteString(indent + line + "\n")
	}
}

// writeCommand writes label and a command line. When it does not fit the
// width the command is broken at spaces and continued with " \" on
// further lines, indented, so that it still runs when pasted into a shell.
func writeCommand(b *bytes.Buffer, indent, label, command string, width int) {
	lead := indent + label
	leadWidth := runewidth.StringWidth(ansiCodes.ReplaceAllString(lead, ""))
	if leadWidth+runewidth.StringWidth(command) <= width {
		b.WriteString(lead + command + "\n")
		return
	}
	more := indent + "  "
	line, prefix, avail := "", lead, width-leadWidth
	for _, word := range commandWords(command) {
		switch {
		case line == "":
			line = word
		case runewidth.StringWidth(line)+1+runewidth.StringWidth(word)+2 <= avail:
			line += " " + word
		default:
			b.WriteString(prefix + line + " \\\n")
			line, prefix, avail = word, more, width-len(more)
		}
	}
	b.WriteString(prefix + line + "\n")
}

// commandWords splits a command line at spaces, keeping each flag with
// its value ("--only data.synced"), so that a line break never parts them.
func commandWords(command string) []string {
	fields := strings.Fields(command)
	var words []string
	for i := 0; i < len(fields); i++ {
		w := fields[i]
		if strings.HasPrefix(w, "-") && i+1 < len(fields) && !strings.HasPrefix(fields[i+1], "-") {
			w += " " + fields[i+1]
			i++
		}
		words = append(words, w)
	}
	return words
}

// ansiCodes matches the SGR codes palette adds, so that widths leave
// them out.
var ansiCodes = regexp.MustCompile("\x1b\\[[0-9;]*m")

// escapeWidth is how many columns the colour codes in s would count for
// if they were text.
func escapeWidth(s string) int {
	w := 0
	for _, m := range ansiCodes.FindAllString(s, -1) {
		w += runewidth.StringWidth(m)
	}
	return w
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
