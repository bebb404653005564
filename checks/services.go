package checks

import (
	"fmt"
	"strings"

	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/inventory"
)

// Service rules: a warm standby keeps its TMS services and IIS stopped and
// Manual (guide: Installing secondary TMS application); an active node runs
// them and starts them automatically (guide: Recovery Methods).

// tmsServices returns the node's TMS services and W3SVC, or why they are
// not known.
func tmsServices(n *facts.Node) ([]facts.Service, error) {
	f, err := nodeFacts(n)
	if err != nil {
		return nil, err
	}
	if f.Services == nil {
		return nil, fmt.Errorf("facts.json lacks services")
	}
	var out []facts.Service
	for _, s := range f.Services {
		if facts.IsTMSService(s.Name) {
			out = append(out, s)
		}
	}
	return out, nil
}

func describeService(s facts.Service) string {
	return fmt.Sprintf("%s %s/%s", s.Name, s.StartType, s.State)
}

func evalServicesStandbyInactive(d *facts.Deployment) []Result {
	const want = "every TMS* service and W3SVC Stopped and Manual"
	return perNode(d, func(d *facts.Deployment, n *facts.Node) (Result, bool) {
		if n.Spec.Role != inventory.Standby && n.Spec.Role != inventory.OffsiteStandby {
			return Result{}, false
		}
		services, err := tmsServices(n)
		if err != nil {
			return errored(want, "%v", err), true
		}
		var bad []string
		for _, s := range services {
			if s.StartType != facts.StartManual || s.State != facts.StateStopped {
				bad = append(bad, describeService(s))
			}
		}
		if len(bad) > 0 {
			return failed(want, listLimited(bad, 8), "the standby is not inactive: it works on the database alongside the primary"), true
		}
		return passed(want, fmt.Sprintf("%d services Stopped/Manual", len(services))), true
	})
}

func evalServicesActiveRunning(d *facts.Deployment) []Result {
	const want = "every TMS* service and W3SVC Running and Automatic"
	return perNode(d, func(d *facts.Deployment, n *facts.Node) (Result, bool) {
		if !n.Spec.Role.Active() {
			return Result{}, false
		}
		services, err := tmsServices(n)
		if err != nil {
			return errored(want, "%v", err), true
		}
		var bad []string
		tms, w3svc := 0, false
		for _, s := range services {
			if strings.EqualFold(s.Name, "W3SVC") {
				w3svc = true
			} else {
				tms++
			}
			auto := s.StartType == facts.StartAutomatic || s.StartType == facts.StartAutomaticDelayed
			if !auto || s.State != facts.StateRunning {
				bad = append(bad, describeService(s))
			}
		}
		if !w3svc {
			bad = append(bad, "W3SVC not installed")
		}
		if tms == 0 {
			bad = append(bad, "no TMS* service installed")
		}
		if len(bad) > 0 {
			return failed(want, listLimited(bad, 8), "the active node does not serve TMS fully"), true
		}
		return passed(want, fmt.Sprintf("%d TMS services and W3SVC Running/Automatic", tms)), true
	})
}
