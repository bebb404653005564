package fixers

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/inventory"
)

// A fix that starts and stops services or writes the TMS server address
// acts on the inventory's idea of which node is live. When the
// administrator has cut over by hand (guide: "Multiple Servers, Manual
// Cutover": the old primary's TMS services and W3SVC stopped and Manual,
// the new one's started, the address set to it) and the inventory still
// names the old primary, those fixes would undo the cutover: stop the
// server that serves and start the one that was retired. So before any
// service or address change, the facts must agree with the inventory
// about the live node (issue 8, item 2).

// NotLiveError refuses a fix whose service or address changes rest on an
// inventory the facts contradict: the inventory's primary is not the node
// serving. Nothing has been changed when it is returned.
type NotLiveError struct {
	// Primary is the inventory's primary.
	Primary string
	// Live are the nodes the facts say are live: those running their TMS
	// services or W3SVC, else the one the database address points at.
	Live []string
	// Evidence says what the facts show, in a sentence.
	Evidence string
}

// Error names the live node and says what to do.
func (e *NotLiveError) Error() string {
	live := joinAnd(e.Live)
	record := fmt.Sprintf("If the deployment was cut over to %s, record that in the inventory (make it the primary, %s a standby, and addresses.* its addresses; `tmsdrift promote %s` will do that) before fixing.",
		live, e.Primary, e.Live[0])
	if len(e.Live) > 1 {
		record = "Bring the deployment to one live node, and record it in the inventory, before fixing."
	}
	return fmt.Sprintf("refusing to change services or database addresses: the facts disagree with the inventory about which node is live. "+
		"The inventory names %s primary, but %s. %s Nothing was changed. --force fixes anyway, making %s the live node again.",
		e.Primary, e.Evidence, record, e.Primary)
}

// checkLive returns a NotLiveError when the facts say a node other than
// the inventory's primary is live, or nil. Only deployments with a primary
// and standbys are judged (an NLB pool and a single server have no
// cutover). The inventory's primary is live when it runs any of its TMS
// services or W3SVC: a primary with a stopped service is drift to repair,
// not a cutover. Otherwise another node is live when it runs its TMS
// services or W3SVC, or, when none does, when the database's TMS server
// address is its own.
func checkLive(d *facts.Deployment) *NotLiveError {
	inv := d.Inventory
	var primary *inventory.Node
	standbys := 0
	for i := range inv.Nodes {
		switch inv.Nodes[i].Role {
		case inventory.Primary:
			primary = &inv.Nodes[i]
		case inventory.Standby, inventory.OffsiteStandby:
			standbys++
		}
	}
	if primary == nil || standbys == 0 {
		return nil
	}
	p := d.NodeByName(primary.Name)
	primaryServing, primaryKnown := serving(p)
	if primaryServing {
		return nil
	}
	var others []string
	for _, n := range d.Nodes {
		if n.Spec.Name == primary.Name {
			continue
		}
		if s, _ := serving(n); s {
			others = append(others, n.Spec.Name)
		}
	}
	dbAddr, dbNode := databaseNode(d)
	if len(others) == 0 && (dbNode == "" || dbNode == primary.Name) {
		return nil // nothing serves: starting the primary is the repair
	}

	var ev []string
	if primaryKnown {
		ev = append(ev, primary.Name+" runs none of its TMS services or W3SVC")
	} else {
		ev = append(ev, primary.Name+"'s services could not be read")
	}
	switch len(others) {
	case 0:
		ev = append(ev, "no other node runs them either")
	case 1:
		ev = append(ev, others[0]+" runs them")
	default:
		ev = append(ev, joinAnd(others)+" run them")
	}
	live := others
	switch {
	case dbNode != "" && dbNode != primary.Name:
		ev = append(ev, fmt.Sprintf("the database's TMS server address (%s) is %s's", dbAddr, dbNode))
		if len(live) == 0 {
			live = []string{dbNode}
		}
	case dbNode == primary.Name:
		ev = append(ev, fmt.Sprintf("the database's TMS server address (%s) is still %s's", dbAddr, primary.Name))
	}
	return &NotLiveError{Primary: primary.Name, Live: live, Evidence: joinAnd(ev)}
}

// serving reports whether a node runs any of its TMS services or W3SVC
// (contract §3's TMS services), and whether its services are known.
func serving(n *facts.Node) (running, known bool) {
	if n == nil || n.Facts == nil || n.Facts.Services == nil {
		return false, false
	}
	for _, s := range n.Facts.Services {
		if facts.IsTMSService(s.Name) && (s.State == facts.StateRunning || s.State == facts.StateStartPending) {
			return true, true
		}
	}
	return false, true
}

// databaseNode returns the database's TMS server address (IPv4, else
// IPv6) and the one node it belongs to: the node's inventory address or
// an address the node reports. "" when the address is unknown, or is no
// node's or several nodes' (an NLB virtual address).
func databaseNode(d *facts.Deployment) (addr, node string) {
	if d.DB.Facts == nil || d.DB.Facts.Settings == nil {
		return "", ""
	}
	s := d.DB.Facts.Settings
	for _, v := range []string{s.IPv4Local, s.IPv6Local} {
		a, err := netip.ParseAddr(strings.TrimSpace(v))
		if err != nil {
			continue
		}
		var owners []string
		for _, n := range d.Nodes {
			if slices.ContainsFunc(nodeAddresses(n), func(b netip.Addr) bool { return b == a.Unmap() }) {
				owners = append(owners, n.Spec.Name)
			}
		}
		if len(owners) == 1 {
			return a.String(), owners[0]
		}
		return a.String(), ""
	}
	return "", ""
}

// nodeAddresses are a node's inventory address and the addresses it
// reports.
func nodeAddresses(n *facts.Node) []netip.Addr {
	raw := []string{n.Spec.Address}
	if n.Facts != nil {
		raw = append(raw, n.Facts.IPv4...)
		raw = append(raw, n.Facts.IPv6...)
	}
	var out []netip.Addr
	for _, r := range raw {
		if a, err := netip.ParseAddr(strings.TrimSpace(r)); err == nil {
			out = append(out, a.Unmap())
		}
	}
	return out
}

// liveDecider is a kind of change that decides which node is live (a
// service started or stopped, the database's addresses): the changes a
// cutover makes. The kind says so in its own file.
type liveDecider interface{ decidesLive() }

// touchesLive reports whether changes hold a change that decides which
// node is live.
func touchesLive(changes []Change) bool {
	return slices.ContainsFunc(changes, func(c Change) bool { _, ok := c.Op.(liveDecider); return ok })
}
