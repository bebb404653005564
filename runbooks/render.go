package runbooks

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/mattn/go-runewidth"

	"github.com/tmsdrift/tmsdrift/report"
)

// WritePlan prints a runbook for a person: the preflight, every step in
// order with where it acts and the current and intended values, what is
// left to a person. Values that come from outside (service names,
// addresses, inventory values) are printed with control characters
// escaped: nothing from a node reaches the terminal as it is. Lines wrap
// to width columns (report.Width's answer; 0 for the default) at word
// boundaries, continuation lines under the item's text; the values a step
// sets are quoted whole.
func WritePlan(w io.Writer, rb *Runbook, force bool, width int) error {
	width = report.TextWidth(width)
	var b strings.Builder
	title := rb.Command
	if len(rb.Args) > 0 {
		title += " " + strings.Join(clean(rb.Args), " ")
	}
	b.WriteString(report.WrapIndent("", "  ", fmt.Sprintf("%s — %s (%s)", title, report.Sanitize(rb.Deployment), rb.Model), width))
	b.WriteString(report.WrapIndent("Guide: ", "       ", rb.Guide, width))
	if len(rb.Preflight) == 0 {
		b.WriteString("\nPreflight: passed.\n")
	} else {
		refused := len(rb.Refusals(force)) > 0
		head := "Preflight: refused, nothing will be changed. Fix these first"
		switch {
		case refused && force:
			head = "Preflight: refused even with --force"
		case !refused:
			head = "Preflight: failed, overridden by --force"
		case hasSoft(rb.Preflight):
			head += " (or pass --force for those not marked hard)"
		}
		b.WriteString("\n" + report.WrapIndent("", "  ", head+":", width))
		for _, f := range rb.Preflight {
			hard := ""
			if f.Hard {
				hard = " [hard]"
			}
			b.WriteString(report.WrapIndent("  - ", "    ", report.Sanitize(f.String())+hard, width))
		}
	}
	if len(rb.Warnings) > 0 {
		b.WriteString("\nWarnings:\n")
		for _, s := range rb.Warnings {
			b.WriteString(report.WrapIndent("  - ", "    ", report.Sanitize(s), width))
		}
	}
	if len(rb.Versions) > 0 && strings.HasPrefix(rb.Command, "upgrade") {
		b.WriteString("\nVersions:\n")
		for _, name := range sortedKeys(rb.Versions) {
			v := rb.Versions[name]
			if v == "" {
				v = "unknown"
			}
			col := fmt.Sprintf("%-16s", report.Sanitize(name))
			b.WriteString(report.WrapIndent("  ", strings.Repeat(" ", 19), col+" "+report.Sanitize(v), width, col))
		}
	}
	if len(rb.Notes) > 0 {
		b.WriteString("\nProcedure:\n")
		for _, n := range rb.Notes {
			b.WriteString(report.WrapIndent("  ", "  ", report.Sanitize(n), width))
		}
	}
	if len(rb.Steps) > 0 {
		b.WriteString("\nSteps:\n")
	}
	for i, s := range rb.Steps {
		writeStep(&b, i+1, &s, width)
	}
	if len(rb.Manual) > 0 {
		b.WriteString("\nBy hand, afterwards (no tool here can do these):\n")
		for _, m := range rb.Manual {
			b.WriteString(report.WrapIndent("  - ", "    ", fmt.Sprintf("%s (%s)", report.Sanitize(m.What), m.Guide), width))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeStep prints one step, wrapped to width: its title under its
// number, its details under the title, a value it sets on a line of its
// own when the line is too narrow for both.
func writeStep(b *strings.Builder, n int, s *Step, width int) {
	where := ""
	switch s.Target {
	case OnNode:
		where = "on " + report.Sanitize(s.Node)
	case OnDatabase:
		where = "on the database"
		if s.Settings != nil {
			where += " " + report.Sanitize(s.Settings.Database)
		}
	case OnInventory:
		where = "in the inventory"
	case OnFix:
		where = "on every node and the database"
	}
	state := ""
	switch {
	case s.Manual != "":
		state = " — BY HAND"
	case s.Done():
		state = " — already done"
	}
	number := fmt.Sprintf("  %d. ", n)
	indent := strings.Repeat(" ", len(number))
	head := report.Sanitize(s.Title)
	if where != "" {
		head += " [" + where + "]"
	}
	b.WriteString(report.WrapIndent(number, indent, head+state, width))
	b.WriteString(report.WrapIndent(indent, indent+" ", "("+s.Guide+")", width))
	if s.Unreachable != "" {
		b.WriteString(report.WrapIndent(indent, indent+"  ", fmt.Sprintf("%s cannot be reached: %s", report.Sanitize(s.Node), report.Sanitize(s.Unreachable)), width))
	}
	if s.Manual != "" {
		b.WriteString(report.WrapIndent(indent, indent+"  ", "by hand: "+report.Sanitize(s.Manual), width))
	}
	// The values a step sets: a row of aligned columns, its padding
	// narrowed when the line is too short for it, and broken before the
	// arrow's far side only when even that does not fit, each value whole.
	value := func(name string, col int, change string, keep ...string) {
		lead := indent + "  "
		over := runewidth.StringWidth(lead) + col + 1 + runewidth.StringWidth(change) - width
		col = max(runewidth.StringWidth(name), col-max(over, 0))
		row := name + strings.Repeat(" ", col-runewidth.StringWidth(name)) + " " + change
		b.WriteString(report.WrapIndent(lead, lead+"  ", row, width, keep...))
	}
	for _, c := range s.Services {
		value("set "+report.Sanitize(c.Name), 34, fmt.Sprintf("%s -> %s", c.From, c.To))
	}
	if c := s.Settings; c != nil {
		for _, f := range c.Fields {
			before, after := strconv.Quote(c.Before.Get(f)), strconv.Quote(c.After.Get(f))
			value(f, 12, before+" -> "+after, before, after)
		}
	}
	for _, c := range s.Inventory {
		to := strconv.Quote(c.To)
		if c.Delete {
			to = "(removed)"
		}
		from := strconv.Quote(c.From)
		if c.From == "" {
			from = "(absent)"
		}
		value(c.Field, 28, from+" -> "+to, from, to)
	}
	for _, r := range s.Repairs {
		value("repairs", 0, report.Sanitize(r))
	}
	if len(s.Unchecked) > 0 {
		b.WriteString(report.WrapIndent(indent, indent+"  ", "INCOMPLETE: could not check (error in the audit); this step may have more to repair than listed:", width))
		for _, u := range s.Unchecked {
			value("unchecked", 0, report.Sanitize(u))
		}
	}
}

func clean(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = report.Sanitize(s)
	}
	return out
}

func hasSoft(fs []Finding) bool {
	for _, f := range fs {
		if !f.Hard {
			return true
		}
	}
	return false
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
