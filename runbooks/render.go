package runbooks

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/tmsdrift/tmsdrift/report"
)

// WritePlan prints a runbook for a person: the preflight, every step in
// order with where it acts and the current and intended values, what is
// left to a person. Values that come from outside (service names,
// addresses, inventory values) are printed with control characters
// escaped: nothing from a node reaches the terminal as it is.
func WritePlan(w io.Writer, rb *Runbook, force bool) error {
	var b strings.Builder
	title := rb.Command
	if len(rb.Args) > 0 {
		title += " " + strings.Join(clean(rb.Args), " ")
	}
	fmt.Fprintf(&b, "%s — %s (%s)\n", title, report.Sanitize(rb.Deployment), rb.Model)
	fmt.Fprintf(&b, "Guide: %s\n", rb.Guide)
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
		b.WriteString("\n" + head + ":\n")
		for _, f := range rb.Preflight {
			hard := ""
			if f.Hard {
				hard = " [hard]"
			}
			fmt.Fprintf(&b, "  - %s%s\n", report.Sanitize(f.String()), hard)
		}
	}
	if len(rb.Warnings) > 0 {
		b.WriteString("\nWarnings:\n")
		for _, s := range rb.Warnings {
			fmt.Fprintf(&b, "  - %s\n", report.Sanitize(s))
		}
	}
	if len(rb.Versions) > 0 && strings.HasPrefix(rb.Command, "upgrade") {
		b.WriteString("\nVersions:\n")
		for _, name := range sortedKeys(rb.Versions) {
			v := rb.Versions[name]
			if v == "" {
				v = "unknown"
			}
			fmt.Fprintf(&b, "  %-16s %s\n", report.Sanitize(name), report.Sanitize(v))
		}
	}
	if len(rb.Notes) > 0 {
		b.WriteString("\nProcedure:\n")
		for _, n := range rb.Notes {
			fmt.Fprintf(&b, "  %s\n", report.Sanitize(n))
		}
	}
	if len(rb.Steps) > 0 {
		b.WriteString("\nSteps:\n")
	}
	for i, s := range rb.Steps {
		writeStep(&b, i+1, &s)
	}
	if len(rb.Manual) > 0 {
		b.WriteString("\nBy hand, afterwards (no tool here can do these):\n")
		for _, m := range rb.Manual {
			fmt.Fprintf(&b, "  - %s (%s)\n", report.Sanitize(m.What), m.Guide)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeStep prints one step.
func writeStep(b *strings.Builder, n int, s *Step) {
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
	fmt.Fprintf(b, "  %d. %s", n, report.Sanitize(s.Title))
	if where != "" {
		fmt.Fprintf(b, " [%s]", where)
	}
	fmt.Fprintf(b, "%s\n     (%s)\n", state, s.Guide)
	if s.Unreachable != "" {
		fmt.Fprintf(b, "     %s cannot be reached: %s\n", report.Sanitize(s.Node), report.Sanitize(s.Unreachable))
	}
	if s.Manual != "" {
		fmt.Fprintf(b, "     by hand: %s\n", report.Sanitize(s.Manual))
	}
	for _, c := range s.Services {
		fmt.Fprintf(b, "       set %-30s %s -> %s\n", report.Sanitize(c.Name), c.From, c.To)
	}
	if c := s.Settings; c != nil {
		for _, f := range c.Fields {
			fmt.Fprintf(b, "       %-12s %s -> %s\n", f, strconv.Quote(c.Before.Get(f)), strconv.Quote(c.After.Get(f)))
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
		fmt.Fprintf(b, "       %-28s %s -> %s\n", c.Field, from, to)
	}
	for _, r := range s.Repairs {
		fmt.Fprintf(b, "       repairs %s\n", report.Sanitize(r))
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
