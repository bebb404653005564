package checks

import (
	"fmt"
	"strings"

	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/inventory"
	"github.com/tmsdrift/tmsdrift/tmsversion"
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
	// The 11.7 guide's Stopped and Manual, unless the release's profile
	// says otherwise (none does: later documents leave it unsettled,
	// docs/tms-versions.md).
	passive := tmsversion.ServiceState{StartType: facts.StartManual, State: facts.StateStopped}
	why := "the standby is not inactive: it works on the database alongside the primary"
	if p := d.Version.Profile; p != nil {
		passive = p.Passive.Value
		if p.Passive.Unsettled {
			why += fmt.Sprintf(" (TMS %s: %s and %s as the 11.7 guide asks; later Cisco documents leave a passive node's services unsettled, docs/tms-versions.md)", p.Version, passive.State, passive.StartType)
		}
	}
	want := fmt.Sprintf("every TMS* service and W3SVC %s and %s", passive.State, passive.StartType)
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
			if s.StartType != passive.StartType || s.State != passive.State {
				bad = append(bad, describeService(s))
			}
		}
		if len(bad) > 0 {
			return failed(want, listLimited(bad, 8), why), true
		}
		return passed(want, fmt.Sprintf("%d services %s", len(services), passive)), true
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
