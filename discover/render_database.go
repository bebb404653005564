package discover

import (
	"fmt"
	"io"
	"strings"

	"github.com/tmsdrift/tmsdrift/collect/sqlserver"
	"github.com/tmsdrift/tmsdrift/report"
)

// DatabaseReport is what `tmsdrift discover database` prints.
type DatabaseReport struct {
	Discovery  *sqlserver.Discovery
	Values     []Value
	Candidates []Candidate
	// TMSVersion is the inventory's tms_version, for the facts to report
	// ("" when it has none).
	TMSVersion string
	Options    sqlserver.DiscoverOptions
	// Width is how many columns the text may fill (report.Width's
	// answer; 0 for report.DefaultWidth). The settings block is never
	// wrapped.
	Width int
}

// Write prints the report: what was searched, where the values are, the
// database.settings block to paste (when a table keeps one setting per
// row), and the facts to report. Everything from the server is escaped;
// values of rows whose names look secret never appear.
func (r *DatabaseReport) Write(w io.Writer) error {
	var b strings.Builder
	d := r.Discovery
	p := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	// wp writes a paragraph or an item wrapped to the width, continuation
	// lines indented by rest.
	width := report.TextWidth(r.Width)
	wp := func(first, rest, text string, keep ...string) {
		b.WriteString(report.WrapIndent(first, rest, text, width, keep...))
	}
	tables := map[string]bool{}
	for _, c := range d.Columns {
		tables[strings.ToLower(c.TableName())] = true
	}
	wp("", "  ", fmt.Sprintf("tmsdrift discover database: SQL Server %s, database %s (read-only)", Clean(d.Server), Clean(d.Database)))
	var vals []string
	for _, v := range r.Values {
		vals = append(vals, fmt.Sprintf("%s (%s)", Clean(v.Value), v.Key))
	}
	wp("", "", fmt.Sprintf("Searched %d character columns of %d user tables for %s: %d searches, at most %d rows each, lock timeout 2 s;",
		len(d.Columns), len(tables), strings.Join(vals, ", "), d.Searched, r.Options.Top))
	wp("", "", fmt.Sprintf("%d column searches skipped (the column is shorter than the value).", d.Skipped))
	if d.Incomplete != "" {
		wp("", "  ", fmt.Sprintf("NOT COMPLETE: %s. Raise --budget to search the rest: what was not searched is not known to be absent.", Clean(d.Incomplete)))
	}
	for _, pr := range d.Problems {
		wp("", "  ", "Not searched: "+Clean(pr))
	}
	p("")
	if len(d.Hits) == 0 {
		wp("", "", fmt.Sprintf("No column holds %s. Check the values against TMS's Administrative Tools > Configuration > Network Settings page (exactly as shown there), and whether the DSN names the TMS database.", strings.Join(vals, " or ")))
	} else {
		p("Where the values are")
		for _, h := range d.Hits {
			col := h.Column
			wp("  ", "    ", fmt.Sprintf("%s.%s (%s%s) holds %s in %d row(s)%s", Clean(col.TableName()), Clean(col.Name), col.Type, lengthOf(col), Clean(h.Value), h.Rows, limited(h.Rows, r.Options.Top)))
			for _, s := range h.Siblings {
				if !namesRow(s) {
					continue
				}
				var names []string
				for _, v := range s.Values {
					names = append(names, shown(s.Column.Name, v.String))
				}
				key := ""
				if s.Column.PrimaryKey {
					key = ", primary key"
				}
				wp("    ", "      ", fmt.Sprintf("named by %s (%s%s%s): %s", Clean(s.Column.Name), s.Column.Type, lengthOf(s.Column), key, strings.Join(names, ", ")))
			}
		}
	}
	p("")
	if len(r.Candidates) == 0 {
		if len(d.Hits) > 0 {
			wp("", "", "No table found that keeps one setting per row (a name column beside the value), so no database.settings block can be written for you: database.settings.query must return (name, value) rows; docs/database.md shows how to write one over the table above.")
		}
	} else {
		best := r.Candidates[0]
		wp("", "  ", fmt.Sprintf("Suggested database.settings: %s, one setting per row, named by %s, value in %s", Clean(best.TableName()), Clean(best.NameColumn), Clean(best.ValueColumn)))
		for _, m := range best.Mappings {
			switch {
			case m.Name == "":
				wp("  ", strings.Repeat(" ", 14), fmt.Sprintf("%-11s %s", m.Key, m.Why))
			default:
				also := ""
				if len(m.Also) > 0 {
					also = "; AS LIKELY: " + strings.Join(m.Also, ", ") + " (check which TMS shows)"
				}
				now := fmt.Sprintf("%q", Clean(m.Now))
				// The key and the name stand in columns: kept whole (padding
				// included) when the line wraps.
				cols := fmt.Sprintf("%-11s %-28s", m.Key, Clean(m.Name))
				wp("  ", strings.Repeat(" ", 14), fmt.Sprintf("%s now %s: %s%s", cols, now, m.Why, also), now, cols)
			}
		}
		if best.Truncated {
			wp("  ", "   ", "(the table has more rows than were read: a row further down may fit better)")
		}
		for _, c := range r.Candidates[1:] {
			if c.score >= 100 && !strings.EqualFold(c.TableName(), best.TableName()) {
				wp("  ", "    ", fmt.Sprintf("Also holds a value you gave: %s (named by %s); check it is not the one TMS shows", Clean(c.TableName()), Clean(c.NameColumn)))
			}
		}
		p("")
		wp("", "", fmt.Sprintf("Paste under database: in the inventory%s:", map[bool]string{true: "", false: " (fill in the names left empty first)"}[best.Complete()]))
		b.WriteString(SettingsYAML(&best, "  "))
		p("")
		audit := "`tmsdrift audit -i INVENTORY`"
		wp("", "", "Then "+audit+" reads the addresses through it (addresses.match), and `tmsdrift fix` writes them with its update.", audit)
	}
	p("")
	b.WriteString(r.facts(width))
	_, err := io.WriteString(w, b.String())
	return err
}

// SettingsYAML is the database.settings block of c, indented by indent,
// in YAML single quotes (as the inventory's strings are written).
func SettingsYAML(c *Candidate, indent string) string {
	s := c.Settings()
	var b strings.Builder
	line := func(depth int, format string, a ...any) {
		b.WriteString(indent + strings.Repeat("  ", depth) + fmt.Sprintf(format, a...) + "\n")
	}
	line(0, "settings:                      # found by tmsdrift discover database in %s", yamlComment(c.TableName()))
	line(1, "query: %s", yamlQuote(s.Query))
	line(1, "update: %s", yamlQuote(s.Update))
	line(1, "names:")
	for _, m := range c.Mappings {
		line(2, "%s: %s", m.Key, yamlQuote(m.Name))
	}
	return b.String()
}

// facts is the short, secret-free block to report: names and types,
// never values.
func (r *DatabaseReport) facts(width int) string {
	d := r.Discovery
	var b strings.Builder
	p := func(format string, a ...any) {
		b.WriteString(report.WrapIndent("  ", "    ", strings.TrimPrefix(fmt.Sprintf(format, a...), "  "), width))
	}
	b.WriteString(report.WrapIndent("", "", "Facts to report (names and types only, no values; paste into an issue at the tmsdrift project so its defaults can follow TMS)", width))
	p("  probe: tmsdrift discover database")
	p("  tms_version: %s", orUnknown(r.TMSVersion, "not in the inventory (set tms_version, or run tmsdrift discover node)"))
	p("  sql_server: %s %s", Clean(d.ProductVersion), Clean(d.Edition))
	if len(r.Candidates) == 0 {
		p("  settings_table: not found (%d columns searched)", d.Searched)
		return b.String()
	}
	c := r.Candidates[0]
	p("  settings_table: %s", Clean(c.TableName()))
	p("  name_column: %s %s", Clean(c.NameColumn), r.typeOf(c.Schema, c.Table, c.NameColumn))
	p("  value_column: %s %s", Clean(c.ValueColumn), r.typeOf(c.Schema, c.Table, c.ValueColumn))
	for _, m := range c.Mappings {
		p("  %s: %s", m.Key, orUnknown(Clean(m.Name), "not found"))
	}
	return b.String()
}

func (r *DatabaseReport) typeOf(schema, table, column string) string {
	for _, c := range r.Discovery.Columns {
		if strings.EqualFold(c.Schema, schema) && strings.EqualFold(c.Table, table) && strings.EqualFold(c.Name, column) {
			pk := ""
			if c.PrimaryKey {
				pk = " primary key"
			}
			return c.Type + lengthOf(c) + pk
		}
	}
	return ""
}

func lengthOf(c sqlserver.Column) string {
	if c.MaxChars == -1 {
		return "(max)"
	}
	return fmt.Sprintf("(%d)", c.MaxChars)
}

func limited(n, top int) string {
	if n >= top {
		return " (or more)"
	}
	return ""
}

// namesRow is sqlserver's test for a column naming the matching rows.
func namesRow(s sqlserver.Sibling) bool {
	if len(s.Values) == 0 {
		return false
	}
	for _, v := range s.Values {
		if !v.Valid || strings.TrimSpace(v.String) == "" {
			return false
		}
	}
	return true
}

// shown is a column's value as it may be printed: a fingerprint when the
// column's name looks secret.
func shown(column, v string) string {
	if LooksSecret(column) {
		return Fingerprint(v)
	}
	return Clean(v)
}

func orUnknown(s, unknown string) string {
	if strings.TrimSpace(s) == "" {
		return unknown
	}
	return s
}

// yamlQuote writes s as a YAML single-quoted string.
func yamlQuote(s string) string { return "'" + strings.ReplaceAll(Clean(s), "'", "''") + "'" }

// yamlComment keeps a comment on its line.
func yamlComment(s string) string { return strings.NewReplacer("\n", " ", "\r", " ").Replace(Clean(s)) }
