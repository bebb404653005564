package fixers

import (
	"context"
	"fmt"
	"strings"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/facts"
)

// planStandbyInactive sets every TMS service and W3SVC of a failing standby
// to Manual and stops it (guide: "Installing secondary TMS application":
// only one TMS server works on the database). Disabled becomes Manual too:
// the guide wants a standby that can be started by hand at cutover.
func planStandbyInactive(_ context.Context, in *input, failing []checks.Result) ([]Change, []Skipped, error) {
	return planServices(in, failing, func(s facts.Service) (ServiceState, bool) {
		want := ServiceState{StartType: facts.StartManual, State: facts.StateStopped}
		return want, s.StartType != want.StartType || s.State != want.State
	}, nil)
}

// planActiveRunning sets every TMS service and W3SVC of a failing primary
// or pool member to Automatic (AutomaticDelayed stays) and starts it
// (guide: "Recovery Methods"). A service that is not installed cannot be
// started from here: that is skipped, saying so.
func planActiveRunning(_ context.Context, in *input, failing []checks.Result) ([]Change, []Skipped, error) {
	return planServices(in, failing, func(s facts.Service) (ServiceState, bool) {
		want := ServiceState{StartType: facts.StartAutomatic, State: facts.StateRunning}
		if s.StartType == facts.StartAutomaticDelayed {
			want.StartType = facts.StartAutomaticDelayed
		}
		return want, s.StartType != want.StartType || s.State != want.State
	}, func(services []facts.Service) []string {
		var missing []string
		tms, w3svc := false, false
		for _, s := range services {
			w3svc = w3svc || strings.EqualFold(s.Name, "W3SVC")
			tms = tms || facts.IsTMSService(s.Name) && !strings.EqualFold(s.Name, "W3SVC")
		}
		if !w3svc {
			missing = append(missing, "W3SVC (IIS) is not installed")
		}
		if !tms {
			missing = append(missing, "no TMS service is installed")
		}
		return missing
	})
}

// planServices makes one service change per TMS service of each failing
// node that want says is wrong; missing lists what no change can repair.
func planServices(in *input, failing []checks.Result, want func(facts.Service) (ServiceState, bool), missing func([]facts.Service) []string) ([]Change, []Skipped, error) {
	var changes []Change
	var skipped []Skipped
	for _, node := range failingNodes(failing) {
		rules := rulesOn(failing, node)
		n := in.d.NodeByName(node)
		if n == nil || n.Facts == nil {
			for _, r := range rules {
				skipped = append(skipped, Skipped{Rule: r, Node: node, Reason: "the node's facts are unavailable"})
			}
			continue
		}
		if missing != nil {
			for _, m := range missing(n.Facts.Services) {
				for _, r := range rules {
					skipped = append(skipped, Skipped{Rule: r, Node: node, Reason: m + ": install it, then run the fix again"})
				}
			}
		}
		for _, s := range n.Facts.Services {
			if !facts.IsTMSService(s.Name) {
				continue
			}
			to, wrong := want(s)
			if !wrong {
				continue
			}
			from := ServiceState{StartType: s.StartType, State: s.State}
			changes = append(changes, Change{
				Rules:   rules,
				Node:    node,
				Summary: fmt.Sprintf("set %s %s/%s -> %s/%s", s.Name, from.StartType, from.State, to.StartType, to.State),
				Op:      &ServiceOp{Name: s.Name, Before: from, After: to},
			})
		}
	}
	return changes, skipped, nil
}
