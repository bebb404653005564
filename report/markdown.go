package report

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/tmsdrift/tmsdrift/checks"
)

// Markdown is the format for a pull-request comment or an e-mail: a
// verdict on top, what needs attention in a table, what to do next, and
// the passes folded away. GitHub-flavoured (tables, <details>).
type Markdown struct{ opts Options }

// NewMarkdown returns the Markdown format. It uses FailOn (the verdict)
// and Inventory (the fix hint); colour is meaningless here.
func NewMarkdown(opts Options) *Markdown { return &Markdown{opts: opts} }

// markdownRowLimit caps the results table: forges reject comments beyond
// about 65,000 characters, and past a few hundred rows the JSON report is
// the better read anyway.
const markdownRowLimit = 200

// Write renders r as Markdown.
func (m *Markdown) Write(w io.Writer, r *Report) error {
	r = sanitized(r) // nothing from outside reaches a reader unescaped
	failOn := m.opts.failOn()
	ordered := byAttention(r.Results)
	var attention []checks.Result
	for _, res := range ordered {
		if res.Status != checks.Pass {
			attention = append(attention, res)
		}
	}

	var b bytes.Buffer
	fmt.Fprintf(&b, "## tmsdrift: %s\n\n", mdCell(title(r)))
	fmt.Fprintf(&b, "%s — %s · %s\n", verdict(r, failOn), counts(r.Summary), exitNote(r, failOn))

	if len(attention) > 0 {
		b.WriteString("\n| Status | Severity | Rule | Node | Expected | Observed / message |\n")
		b.WriteString("|---|---|---|---|---|---|\n")
		for i, res := range attention {
			if i == markdownRowLimit {
				fmt.Fprintf(&b, "\n… and %d more; the JSON report (`--format json`) has them all.\n", len(attention)-markdownRowLimit)
				break
			}
			status := string(res.Status)
			if res.Status == checks.Fail || res.Status == checks.Error {
				status = "**" + status + "**"
			}
			if m := r.mark(res); m != "" {
				status += " (" + m + ")"
			}
			fmt.Fprintf(&b, "| %s | %s | `%s` | %s | %s | %s |\n", status, mdCell(string(res.Severity)), mdCode(res.Rule),
				mdCell(nodeLabel(res.Node)), mdCell(strings.TrimSpace(res.Expected)), mdCell(observedText(res)))
		}
	}

	m.writeNextSteps(&b, ordered)
	writePassDetails(&b, ordered)

	fmt.Fprintf(&b, "\n<sub>Audit from %s to %s (UTC).</sub>\n", rfc3339(r.StartedAt), rfc3339(r.FinishedAt))
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("write markdown report: %w", err)
	}
	return nil
}

// verdict is the first thing a reviewer reads: ❌ when the run fails the
// gate, ⚠️ when something could not be checked or failed below --fail-on,
// ✅ otherwise.
func verdict(r *Report, failOn checks.Severity) string {
	switch r.ExitCode(failOn) {
	case ExitFail:
		return "❌ **Drift found**"
	case ExitErrored:
		return "⚠️ **Not everything could be checked**"
	}
	if r.passesOnKnown(failOn) {
		return "⚠️ **Only failures the baseline already had**"
	}
	if r.Summary.Fail > 0 {
		return fmt.Sprintf("⚠️ **Failures below --fail-on %s**", failOn)
	}
	return "✅ **No drift**"
}

// writeNextSteps is the table format's "What to do next" as a list.
func (m *Markdown) writeNextSteps(b *bytes.Buffer, ordered []checks.Result) {
	steps := nextSteps(ordered)
	errs := ofStatus(ordered, checks.Error)
	if len(steps) == 0 && len(errs) == 0 {
		return
	}
	b.WriteString("\n### What to do next\n")
	all, fixable := suggestFixAll(m.opts.Inventory, steps)
	for i, s := range steps {
		fmt.Fprintf(b, "\n%d. **%s** (`%s`, %s) %s\n", i+1, mdProse(s.Title), mdCode(s.Rule), mdCell(string(s.Severity)), where(s.Nodes, mdCell))
		if s.Remediation != "" {
			fmt.Fprintf(b, "\n   %s\n", mdProse(s.Remediation))
		}
		hints := []string{"Details: `" + explainCommand(s.Rule) + "`"}
		if s.Fixable && m.opts.Inventory != "" {
			hints = append([]string{"Fix: `" + mdCode(fixCommand(m.opts.Inventory, s.Rule, all.Upgrade)) + "`"}, hints...)
		}
		fmt.Fprintf(b, "\n   %s\n", strings.Join(hints, " · "))
	}
	if fixable {
		fmt.Fprintf(b, "\n**%s:** plan `%s` · apply `%s`. %s\n", all.Heading, mdCode(all.Plan), mdCode(all.Apply), mdProse(all.Note))
	}
	if len(errs) > 0 {
		code := func(s string) string { return "`" + mdCode(s) + "`" }
		fmt.Fprintf(b, "\n**Could not check (%s):** %s %s\n",
			plural(len(errs), "error", "errors"), errorList(errs, code), mdProse(errorAdvice))
	}
}

// writePassDetails folds the passes into a <details> block, one line per
// rule, so a reviewer can see what was checked without scrolling past it.
func writePassDetails(b *bytes.Buffer, ordered []checks.Result) {
	passes := ofStatus(ordered, checks.Pass)
	if len(passes) == 0 {
		return
	}
	perRule := map[string]int{}
	var rules []string
	for _, res := range passes {
		if perRule[res.Rule] == 0 {
			rules = append(rules, res.Rule)
		}
		perRule[res.Rule]++
	}
	// Passes are ordered by severity first; the list reads better in
	// catalogue order.
	rules = inCatalogueOrder(rules)
	fmt.Fprintf(b, "\n<details>\n<summary>%s</summary>\n\n", plural(len(passes), "passing result", "passing results"))
	b.WriteString("| Rule | Checks | Passing |\n|---|---|---:|\n")
	for _, id := range rules {
		name := id
		if rule := checks.Lookup(id); rule != nil {
			name = rule.Title
		}
		fmt.Fprintf(b, "| `%s` | %s | %d |\n", mdCode(id), mdCell(name), perRule[id])
	}
	b.WriteString("\n</details>\n")
}

// inCatalogueOrder sorts rule ids by catalogue position, unknown ids last
// in the order given.
func inCatalogueOrder(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, r := range checks.Catalogue() {
		for _, id := range ids {
			if id == r.ID {
				out = append(out, id)
			}
		}
	}
	for _, id := range ids {
		if checks.Lookup(id) == nil {
			out = append(out, id)
		}
	}
	return out
}

// mdEscaper escapes what Markdown or the HTML it allows would interpret
// in running text: emphasis, links, code, raw HTML and entities.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `[`, `\[`, `]`, `\]`, `~`, `\~`,
	`<`, `&lt;`, `>`, `&gt;`, `&`, `&amp;`,
)

// mdCell makes s safe as one table cell: escaped as text, `|` escaped so
// it does not end the cell, and line breaks as <br> since a table row is
// one line.
func mdCell(s string) string {
	s = mdEscaper.Replace(s)
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.ReplaceAll(s, "\n", "<br>")
}

// mdCode makes s safe inside a single-backtick code span in a table:
// backticks would end the span and `|` the cell, line breaks the row.
func mdCode(s string) string {
	s = strings.ReplaceAll(s, "`", "'")
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.Join(strings.Fields(s), " ")
}

// mdProse escapes catalogue prose, which marks commands and keys with
// backticks: code spans are kept as written, the text between them is
// escaped.
func mdProse(s string) string {
	parts := strings.Split(s, "`")
	if len(parts)%2 == 0 { // an unpaired backtick: escape it all
		return mdEscaper.Replace(s)
	}
	for i := range parts {
		if i%2 == 0 {
			parts[i] = mdEscaper.Replace(parts[i])
		}
	}
	return strings.Join(parts, "`")
}
