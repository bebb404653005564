package checks

import (
	"fmt"
	"strings"

	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/inventory"
)

// Node address rule: each TMS server is addressable on its own, and none
// owns the NLB virtual address (guide: Architecture Requirements:
// addressable by devices). Judged on the inventory's node addresses: NLB
// binds the virtual address to every member's adapter, so the addresses a
// node reports would always include it.

func evalNodesUniqueAddress(d *facts.Deployment) []Result {
	inv := d.Inventory
	want := "distinct node addresses"
	vip := ""
	if inv.Model == inventory.NLB && inv.Addresses.IPv4Local != "" {
		vip = inv.Addresses.IPv4Local
		want += ", none equal to the virtual address " + vip
	}
	owners := map[string][]string{}
	var order []string
	for _, n := range inv.Nodes {
		a := strings.TrimSpace(n.Address)
		if a == "" {
			continue
		}
		if _, seen := owners[a]; !seen {
			order = append(order, a)
		}
		owners[a] = append(owners[a], n.Name)
	}
	var problems []string
	for _, a := range order {
		if len(owners[a]) > 1 {
			problems = append(problems, fmt.Sprintf("%s shared by %s", a, strings.Join(owners[a], ", ")))
		}
		if a == vip {
			problems = append(problems, fmt.Sprintf("%s (the virtual address) owned by %s", a, strings.Join(owners[a], ", ")))
		}
	}
	if len(problems) > 0 {
		return deployment(failed(want, strings.Join(problems, "; "), "devices cannot address each TMS server on its own"))
	}
	return deployment(passed(want, fmt.Sprintf("%d distinct addresses", len(order))))
}
