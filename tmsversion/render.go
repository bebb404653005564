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
// `tmsdrift explain` shows them for a rule: the value, then its source
// indented below it. With one profile (a version asked for) only that.
func WriteText(w io.Writer, names []string, only *Profile) error {
	var b strings.Builder
	for _, name := range names {
		fmt.Fprintf(&b, "%s\n", FactTitle(name))
		if only != nil {
			writeTextRow(&b, only.Version.String()+" ("+only.Name()+")", only, name)
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
	fmt.Fprintf(b, "  %-6s %s\n", label, value)
	fmt.Fprintf(b, "  %-6s source: %s\n", "", src)
}

// mdEscape keeps a value from breaking a Markdown table cell.
func mdEscape(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
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
