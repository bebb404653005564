package tmsversion

import (
	"fmt"
	"io"
	"strings"
)

// WriteMarkdown writes the table as docs/tms-versions.md shows it: one
// section per fact, one row per release where the fact is set or changed,
// each with its source. The docs embed this output between markers, and a
// test keeps the two in step.
func WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	releases := Releases()
	for _, name := range FactNames {
		fmt.Fprintf(&b, "### %s\n\n", mdEscape(FactTitle(name)))
		b.WriteString("| from | value | source |\n|---|---|---|\n")
		for _, r := range releases {
			if r.Changed != nil && !contains(r.Changed, name) {
				continue
			}
			value, src, unsettled, _ := r.Profile.Describe(name)
			if unsettled {
				value += " **(unsettled)**"
			}
			fmt.Fprintf(&b, "| %s | %s | %s |\n", r.Name, mdEscape(value), mdEscape(src.String()))
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, strings.TrimSuffix(b.String(), "\n"))
	return err
}

// WriteText writes the named facts (FactNames) for each release, as
// `tmsdrift explain` and `tmsdrift versions` show them: the value, then
// its source, wrapped to fit 80 columns. With one profile (a version asked
// for) only that one.
func WriteText(w io.Writer, names []string, only *Profile) error {
	var b strings.Builder
	for _, name := range names {
		fmt.Fprintf(&b, "%s\n", FactTitle(name))
		if only != nil {
			writeTextRow(&b, only.Version.String(), only, name)
			continue
		}
		for _, r := range Releases() {
			if r.Changed != nil && !contains(r.Changed, name) {
				continue
			}
			writeTextRow(&b, r.Name, r.Profile, name)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeTextRow(b *strings.Builder, label string, p *Profile, name string) {
	value, src, unsettled, _ := p.Describe(name)
	if unsettled {
		value += " (unsettled)"
	}
	const indent = 10
	head := fmt.Sprintf("  %-*s", indent-2, label)
	if len(head) > indent {
		head += "\n" + strings.Repeat(" ", indent)
	}
	b.WriteString(head)
	b.WriteString(wrapText(value, indent, 78))
	b.WriteString(strings.Repeat(" ", indent))
	b.WriteString(wrapText("Source: "+src.String(), indent, 78))
}

// wrapText breaks text at spaces into lines of at most width columns, every
// line after the first indented; each line ends in a newline.
func wrapText(text string, indent, width int) string {
	var b strings.Builder
	col := indent
	for i, word := range strings.Fields(text) {
		if i > 0 && col+1+len(word) > width {
			b.WriteString("\n" + strings.Repeat(" ", indent))
			col = indent
		} else if i > 0 {
			b.WriteByte(' ')
			col++
		}
		b.WriteString(word)
		col += len(word)
	}
	b.WriteByte('\n')
	return b.String()
}

// mdEscape keeps a value from breaking a Markdown table cell. Backslashes
// stay single: in Windows paths they precede letters, never the
// punctuation Markdown would take them to escape.
func mdEscape(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "<", "&lt;")
	return strings.ReplaceAll(s, "\n", " ")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
