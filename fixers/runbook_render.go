package fixers

import (
	"fmt"
	"io"
	"strings"
)

// WriteRunbookOutcome prints what a runbook run did, step by step: done
// (and whether it found its objects as intended already), left to a
// person, or failed with why; per node, what became of each change. It
// quotes node and service names: the caller passes the text through
// report.Sanitize before a terminal sees it.
func WriteRunbookOutcome(w io.Writer, o *RunbookOutcome) error {
	var b strings.Builder
	fmt.Fprintf(&b, "\nRun %s (journal, backups and runbook.json in %s):\n", o.Run, o.RunDir)
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
		fmt.Fprintf(&b, "  %d. %-10s %s\n", i+1, state, s.Title)
		if s.Status == StepManual && s.Manual != "" {
			fmt.Fprintf(&b, "       by hand: %s\n", s.Manual)
		}
		for _, n := range s.Nodes {
			label := n.Node
			if label == "" {
				label = "deployment"
			}
			fmt.Fprintf(&b, "       %-12s %-9s %s\n", label, n.Status, plural(len(n.Changes), "change"))
			for _, c := range n.Changes {
				fmt.Fprintf(&b, "         %-12s %s\n", c.Status, c.Summary)
			}
		}
		if s.Error != "" {
			fmt.Fprintf(&b, "       failed: %s\n", s.Error)
		}
	}
	if o.Complete {
		b.WriteString("  Every step is done.\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
