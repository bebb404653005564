package fixers

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/checks"
)

// What a run did, node by node, and the verdicts afterwards stand in
// columns also when a line is too long and wraps: before, the database's
// "unchanged" with the compare-and-set's long reason (docs/fixing.md)
// lost its padding, out of line with the nodes above it.
func TestOutcomeKeepsItsColumns(t *testing.T) {
	reason := `sql01.acme.local\TMS/tmsng: changed since the plan: ipv4_local is now "10.10.0.99", the plan expected "10.10.0.12" — run fix again; nothing was changed`
	doc := &Document{Command: "fix", Deployment: "acme", Model: "manual-cutover", Applied: true, Plan: &Plan{},
		Outcome: &Outcome{Run: "20261125T020000Z-3fa2c8", RunDir: "/srv/tms/.tmsdrift/runs/20261125T020000Z-3fa2c8", Nodes: []NodeOutcome{
			{Node: "tms02", Status: Fixed, Changes: []ChangeOutcome{{}}},
			{Node: "", Status: Unchanged, Error: reason, Changes: []ChangeOutcome{{}}},
		}},
		Verdicts: []Verdict{
			{Rule: "machinekey.match", Node: "tms02", Status: checks.Pass},
			{Rule: "addresses.match", Status: checks.Fail, Left: "ipv4_local=10.10.0.99 the database holds other TMS server addresses (ipv4_local) than the inventory's"},
		},
	}
	for _, width := range []int{80, 100} {
		var b strings.Builder
		require.NoError(t, WriteText(&b, doc, width))
		out := b.String()
		for _, want := range []string{
			fmt.Sprintf("\n  %-12s %-9s 1 change\n", "tms02", Fixed),
			fmt.Sprintf("\n  %-12s %-9s 1 change: ", "database", Unchanged),
			fmt.Sprintf("\n  %-6s machinekey.match tms02\n", checks.Pass),
			fmt.Sprintf("\n  %-6s addresses.match", checks.Fail),
		} {
			assert.True(t, strings.Contains(out, want), "width %d: no %q in:\n%s", width, want, out)
		}
	}
}

// A runbook run's steps and changes stand in columns too — the step's
// state, then its title; a change's status, then its summary — when a
// title or summary wraps: before, "done" and "applied" lost their padding
// on a line that wrapped.
func TestRunbookOutcomeKeepsItsColumns(t *testing.T) {
	o := &RunbookOutcome{Run: "20261125T020000Z-3fa2c8", RunDir: "runs/20261125T020000Z-3fa2c8", Complete: true, Steps: []StepOutcome{
		{Title: "audit the deployment again", Status: StepDone},
		{Title: "set the new primary's TMS services and IIS to Automatic and start them, every one of them, on the node", Status: StepDone,
			Nodes: []NodeOutcome{{Node: "tms02", Status: Fixed, Changes: []ChangeOutcome{
				{Status: "applied", Summary: "set TMSDatabaseScannerService Manual/Stopped -> Automatic/Running, and wait for it"},
			}}}},
	}}
	for _, width := range []int{80, 100} {
		var b strings.Builder
		require.NoError(t, WriteRunbookOutcome(&b, o, width))
		out := b.String()
		for _, want := range []string{
			fmt.Sprintf("\n  1. %-10s audit", StepDone),
			fmt.Sprintf("\n  2. %-10s set the", StepDone),
			fmt.Sprintf("\n         %-12s set TMSDatabaseScannerService", "applied"),
		} {
			assert.True(t, strings.Contains(out, want), "width %d: no %q in:\n%s", width, want, out)
		}
	}
}
