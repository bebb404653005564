package checks

import (
	"fmt"
	"strings"

	"github.com/tmsdrift/tmsdrift/facts"
)

// Domain rules: every node of a multi-server deployment is joined to the
// one Active Directory domain (guide: Architecture Requirements).

func evalDomainJoined(d *facts.Deployment) []Result {
	const want = "joined to a domain"
	return perNode(d, func(d *facts.Deployment, n *facts.Node) (Result, bool) {
		f, err := nodeFacts(n)
		if err != nil {
			return errored(want, "%v", err), true
		}
		if f.PartOfDomain == nil {
			return errored(want, "facts.json lacks part_of_domain"), true
		}
		if !*f.PartOfDomain {
			return failed(want, "workgroup "+quoted(f.Domain), "the node is in a workgroup, not a domain"), true
		}
		return passed(want, "joined to "+quoted(f.Domain)), true
	})
}

func evalDomainSame(d *facts.Deployment) []Result {
	want := strings.ToUpper(d.Inventory.Domain)
	return perNode(d, func(d *facts.Deployment, n *facts.Node) (Result, bool) {
		f, err := nodeFacts(n)
		if err != nil {
			return errored(want, "%v", err), true
		}
		if f.Domain == "" {
			return errored(want, "facts.json lacks domain"), true
		}
		got := strings.TrimSuffix(f.Domain, ".")
		if f.PartOfDomain != nil && !*f.PartOfDomain {
			return failed(want, "workgroup "+got, "the node is in a workgroup, not in "+want), true
		}
		if !strings.EqualFold(got, strings.TrimSuffix(d.Inventory.Domain, ".")) {
			return failed(want, got, fmt.Sprintf("the node is in domain %s, not %s", got, want)), true
		}
		return passed(want, got), true
	})
}
