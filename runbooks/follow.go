package runbooks

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/internal/addrcheck"
	"github.com/tmsdrift/tmsdrift/inventory"
)

// Which inventory values follow the live server when it changes (tmsdrift
// assumption, docs/runbooks.md): the database must name the primary
// (D14570.02, "Set primary TMS address"), so addresses.ipv4_local and
// ipv6_local that hold the old primary's address get the new one's;
// dns_local and dns_public only when they name the old primary itself — a
// service name (tms.acme.local) is moved in DNS by a person, not in the
// database. data_sync.master and machine_key.node move when they named the
// old primary: the new primary's files and key are the deployment's now.

// follows is what follow found: the inventory changes, what refuses the
// runbook, what it only warns about, and whether a DNS name moved.
type follows struct {
	changes  []InventoryChange
	findings []Finding
	warnings []string
	dnsMoved bool
}

// follow works out the inventory changes that move the live server from
// old to new (both gathered nodes; old's facts may be unavailable).
func follow(inv *inventory.Inventory, old, new *facts.Node) follows {
	var f follows
	addr := func(field, v string, family func(netip.Addr) bool) {
		if v == "" {
			return
		}
		if !holdsAddress(old, v) {
			f.warnings = append(f.warnings, fmt.Sprintf("addresses.%s (%s) is not %s's address: left as it is", field, v, old.Spec.Name))
			return
		}
		to := nodeAddress(new, family)
		if to == "" {
			f.findings = append(f.findings, Finding{Check: "addresses." + field, Node: new.Spec.Name,
				Problem: fmt.Sprintf("holds %s's address %s, and %s has no such address to take its place", old.Spec.Name, v, new.Spec.Name),
				Fix:     fmt.Sprintf("give %s its address in the inventory (nodes[].address), or set addresses.%s by hand", new.Spec.Name, field)})
			return
		}
		f.changes = append(f.changes, InventoryChange{Field: "addresses." + field, From: v, To: to})
	}
	addr("ipv4_local", inv.Addresses.IPv4Local, netip.Addr.Is4)
	addr("ipv6_local", inv.Addresses.IPv6Local, func(a netip.Addr) bool { return a.Is6() && !a.Is4In6() })
	name := func(field, v string) {
		if v == "" {
			return
		}
		i := nameForm(old, v)
		if i < 0 {
			return // a service name: moved in DNS, by a person
		}
		to := hostNames(new)[i]
		if to == "" {
			f.findings = append(f.findings, Finding{Check: "addresses." + field, Node: new.Spec.Name,
				Problem: fmt.Sprintf("names %s (%s), and %s has no host name of that form", old.Spec.Name, v, new.Spec.Name),
				Fix:     fmt.Sprintf("give %s its hostname in the inventory, or set addresses.%s by hand", new.Spec.Name, field)})
			return
		}
		// The name may come from the node's facts.json (host name and
		// domain): it goes into the database and the inventory only when
		// it is a host name TMS can use, judged as the inventory's own
		// addresses are (issue 8, item 8).
		if err := addrcheck.Host(to); err != nil {
			f.findings = append(f.findings, Finding{Check: "addresses." + field, Node: new.Spec.Name,
				Problem: fmt.Sprintf("would take %s's name in place of %s (%s): %v", new.Spec.Name, old.Spec.Name, v, err),
				Fix:     fmt.Sprintf("give %s its hostname in the inventory (nodes[].hostname), or set addresses.%s by hand", new.Spec.Name, field)})
			return
		}
		f.dnsMoved = true
		f.changes = append(f.changes, InventoryChange{Field: "addresses." + field, From: v, To: to})
	}
	name("dns_local", inv.Addresses.DNSLocal)
	name("dns_public", inv.Addresses.DNSPublic)
	if strings.EqualFold(inv.DataSync.Master, old.Spec.Name) {
		f.changes = append(f.changes, InventoryChange{Field: "data_sync.master", From: inv.DataSync.Master, To: new.Spec.Name})
	}
	if strings.EqualFold(inv.MachineKey.Node, old.Spec.Name) {
		f.changes = append(f.changes, InventoryChange{Field: "machine_key.node", From: inv.MachineKey.Node, To: new.Spec.Name})
	}
	return f
}

// holdsAddress reports whether v is one of node n's addresses: the
// inventory's, or one its facts report.
func holdsAddress(n *facts.Node, v string) bool {
	want, err := netip.ParseAddr(v)
	if err != nil {
		return false
	}
	same := func(s string) bool {
		a, err := netip.ParseAddr(s)
		return err == nil && a.Unmap() == want.Unmap()
	}
	if same(n.Spec.Address) {
		return true
	}
	if n.Facts != nil {
		for _, s := range append(append([]string(nil), n.Facts.IPv4...), n.Facts.IPv6...) {
			if same(s) {
				return true
			}
		}
	}
	return false
}

// nodeAddress is node n's address of a family: the inventory's, else the
// only one its facts report.
func nodeAddress(n *facts.Node, family func(netip.Addr) bool) string {
	if a, err := netip.ParseAddr(n.Spec.Address); err == nil && family(a) {
		return n.Spec.Address
	}
	if n.Facts == nil {
		return ""
	}
	var found []string
	for _, s := range append(append([]string(nil), n.Facts.IPv4...), n.Facts.IPv6...) {
		if a, err := netip.ParseAddr(s); err == nil && family(a) && !a.IsLinkLocalUnicast() {
			found = append(found, s)
		}
	}
	if len(found) == 1 {
		return found[0]
	}
	return ""
}

// hostNames are the forms of a node's host name, in a fixed order: the
// inventory's hostname, transport.host when it is a name, the facts' host
// name with its domain, the facts' host name, the inventory's node name.
func hostNames(n *facts.Node) [5]string {
	var out [5]string
	out[0] = n.Spec.Hostname
	if h := n.Spec.Transport.Host; h != "" {
		if _, err := netip.ParseAddr(h); err != nil {
			out[1] = h
		}
	}
	if n.Facts != nil && n.Facts.Hostname != "" {
		short := strings.ToLower(n.Facts.Hostname)
		if n.Facts.Domain != "" {
			out[2] = short + "." + strings.ToLower(n.Facts.Domain)
		}
		out[3] = short
	}
	out[4] = n.Spec.Name
	return out
}

// nameForm returns which form of node n's host name v is, or -1.
func nameForm(n *facts.Node, v string) int {
	norm := func(s string) string { return strings.TrimSuffix(strings.ToLower(s), ".") }
	for i, h := range hostNames(n) {
		if h != "" && norm(h) == norm(v) {
			return i
		}
	}
	return -1
}

// nodeIndex is the position of node name in the inventory (its nodes[i]).
func nodeIndex(inv *inventory.Inventory, name string) int {
	for i := range inv.Nodes {
		if strings.EqualFold(inv.Nodes[i].Name, name) {
			return i
		}
	}
	return -1
}

// roleChange is the inventory change that gives a node a role.
func roleChange(inv *inventory.Inventory, node string, to inventory.Role) InventoryChange {
	i := nodeIndex(inv, node)
	return InventoryChange{Field: fmt.Sprintf("nodes[%d].role", i), From: string(inv.Nodes[i].Role), To: string(to)}
}
