package fixers

import (
	"fmt"
	"io"
	"strings"

	"github.com/tmsdrift/tmsdrift/report"
)

// WriteRunbookOutcome prints what a runbook run did, step by step: done
// (and whether it found its objects as intended already), left to a
// person, or failed with why; per node, what became of each change. Lines
// wrap to width columns (report.Width's answer; 0 for the default),
// continuation lines under the item's text. It quotes node and service
// names: the caller passes the text through report.Sanitize before a
// terminal sees it.
func WriteRunbookOutcome(w io.Writer, o *RunbookOutcome, width int) error {
	width = report.TextWidth(width)
	var b strings.Builder
	b.WriteString("\n" + report.WrapIndent("", "  ", fmt.Sprintf("Run %s (journal, backups and runbook.json in %s):", o.Run, o.RunDir), width, o.RunDir))
	for i, s := range o.Steps {
		state := string(s.Status)
		switch {
		case s.Earlier:
			state = string(s.Status) + " (before the interruption)"
		case s.Status == StepDone && s.Already:
			state = "done (nothing to change)"
		case s.Status == StepManual:
			state = "BY HAND"
		}
		first := fmt.Sprintf("  %d. ", i+1)
		// The padded state is kept whole when the title wraps, so the
		// titles stand in one column.
		col := fmt.Sprintf("%-10s", state)
		b.WriteString(report.WrapIndent(first, strings.Repeat(" ", len(first)+11), col+" "+s.Title, width, col))
		if s.Status == StepManual && s.Manual != "" {
			b.WriteString(report.WrapIndent("       ", "         ", "by hand: "+s.Manual, width))
		}
		for _, n := range s.Nodes {
			label := n.Node
			if label == "" {
				label = "deployment"
			}
			fmt.Fprintf(&b, "       %-12s %-9s %s\n", label, n.Status, plural(len(n.Changes), "change"))
			for _, c := range n.Changes {
				col := fmt.Sprintf("%-12s", c.Status)
				b.WriteString(report.WrapIndent("         ", strings.Repeat(" ", 9+13), col+" "+c.Summary, width, col))
			}
		}
		if s.Error != "" {
			b.WriteString(report.WrapIndent("       ", "         ", "failed: "+s.Error, width))
		}
	}
	if o.Complete {
		b.WriteString("  Every step is done.\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
