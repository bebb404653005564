package checks

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/internal/addrcheck"
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

// Node identity rule: the facts gathered for a node are that node's. A
// snapshot folder copied from another server (nodes/tms02 holding tms03's
// facts) or a transport pointed at the wrong host would otherwise have
// every other rule judge one server's facts under another's name, and pass.
// tmsdrift assumption (no guide section): a node is the server whose
// computer name and addresses the inventory gives.
//
// The inventory's address must be one the node reports (facts.json ipv4 or
// ipv6, compared as addresses). The host name — the node's `hostname`, else
// its transport's `host` when that is a name and not an address — must
// match the computer name in facts.json: its first label, ignoring case,
// and only its first 15 characters when longer, since Windows computer
// names (NetBIOS) are cut there (Microsoft: "Naming conventions in Active
// Directory for computers, domains, sites, and OUs"). Domain membership is
// domain.same's business, not this rule's.

// netbiosMax is the length of a Windows computer (NetBIOS) name.
const netbiosMax = 15

func evalNodesIdentity(d *facts.Deployment) []Result {
	return perNode(d, func(d *facts.Deployment, n *facts.Node) (Result, bool) {
		spec := n.Spec
		wantAddr := strings.TrimSpace(spec.Address)
		wantName := identityName(spec)
		var parts []string
		if wantName != "" {
			parts = append(parts, "host name "+wantName)
		}
		if wantAddr != "" {
			parts = append(parts, "address "+wantAddr+" among the node's addresses")
		}
		if len(parts) == 0 {
			return errored("the node's own address or host name",
				"the inventory gives %s neither an address nor a hostname (nor a transport host name), so its facts cannot be told from another server's; add address: or hostname:", spec.Name), true
		}
		want := strings.Join(parts, ", ")
		f, err := nodeFacts(n)
		if err != nil {
			return errored(want, "%v", err), true
		}
		var wrong, unknown, observed []string
		if wantName != "" {
			switch {
			case strings.TrimSpace(f.Hostname) == "":
				unknown = append(unknown, f.Lacks("hostname"))
			case !sameComputer(wantName, f.Hostname):
				wrong = append(wrong, fmt.Sprintf("the node reports host name %s, not %s", f.Hostname, wantName))
				observed = append(observed, "host name "+f.Hostname)
			default:
				observed = append(observed, "host name "+f.Hostname)
			}
		}
		if wantAddr != "" {
			reported, key := f.IPv4, "ipv4"
			if strings.Contains(wantAddr, ":") {
				reported, key = f.IPv6, "ipv6"
			}
			switch {
			case reported == nil:
				unknown = append(unknown, f.Lacks(key))
			case !hasAddress(reported, wantAddr):
				shown := "none"
				if len(reported) > 0 {
					shown = listLimited(reported, 4)
				}
				wrong = append(wrong, fmt.Sprintf("the node does not report %s (its %s addresses: %s)", wantAddr, key, shown))
				observed = append(observed, key+" "+shown)
			default:
				observed = append(observed, key+" "+listLimited(reported, 4))
			}
		}
		switch {
		case len(wrong) > 0:
			msg := strings.Join(wrong, "; ") + ": these facts belong to another server, or the inventory is wrong"
			if len(unknown) > 0 {
				msg += "; also " + strings.Join(unknown, "; ")
			}
			return failed(want, strings.Join(observed, ", "), msg), true
		case len(unknown) > 0:
			return errored(want, "%s", strings.Join(unknown, "; ")), true
		}
		return passed(want, strings.Join(observed, ", ")), true
	})
}

// identityName is the host name the inventory gives a node: hostname, else
// the transport's host when that is a name.
func identityName(spec *inventory.Node) string {
	if h := strings.TrimSpace(spec.Hostname); h != "" {
		return h
	}
	if h := strings.TrimSpace(spec.Transport.Host); h != "" && !addrcheck.IsAddress(h) {
		return h
	}
	return ""
}

// sameComputer reports whether the host name want names the computer that
// reports itself as got (see the rule's comment).
func sameComputer(want, got string) bool {
	first := func(s string) string {
		s, _, _ = strings.Cut(strings.TrimSpace(s), ".")
		return s
	}
	w, g := first(want), first(got)
	if len(w) > netbiosMax && len(g) == netbiosMax {
		w = w[:netbiosMax]
	}
	return strings.EqualFold(w, g)
}

// hasAddress reports whether addrs holds want, compared as addresses
// (2001:db8::11 equals 2001:0db8:0:0:0:0:0:11).
func hasAddress(addrs []string, want string) bool {
	w, werr := netip.ParseAddr(want)
	for _, a := range addrs {
		a = strings.TrimSpace(a)
		if a == want {
			return true
		}
		if got, err := netip.ParseAddr(a); err == nil && werr == nil && got.WithZone("") == w.WithZone("") {
			return true
		}
	}
	return false
}

// Pool size rule: no more active TMS servers share the live database than
// the release supports: two from TMS 13.2 on (D14570.04, Introduction;
// 15.x Installation Guide, Setting up a Redundant Deployment: Supported
// Configurations), no documented limit before. The limit is the TMS
// version profile's (docs/tms-versions.md); standbys and the off-site
// node are not counted, although the sentence read ("Regardless of which
// of the two redundancy models you choose to deploy, no more than two
// Cisco TMS servers can be used") covers the hot standby model's standby
// too: an open contradiction (docs/tms-versions.md, nodes.count).

func evalNodesCount(d *facts.Deployment) []Result {
	var active []string
	for _, n := range d.Inventory.Nodes {
		if n.Role.Active() {
			active = append(active, n.Name)
		}
	}
	p := d.Version.Profile
	if p == nil {
		return deployment(errored("at most the active TMS servers the release supports", "TMS version unknown, so its limit is: %v", d.Version.Err))
	}
	limit := p.MaxActive
	obs := fmt.Sprintf("%d active TMS servers on the live database: %s", len(active), listLimited(active, 5))
	if limit.Value == 0 {
		return deployment(passed(fmt.Sprintf("no limit documented for TMS %s (%s)", p.Version, limit.Source), obs))
	}
	want := fmt.Sprintf("at most %d active TMS servers for TMS %s (%s)", limit.Value, p.Version, limit.Source)
	if len(active) > limit.Value {
		msg := fmt.Sprintf("Cisco supports no more than %d TMS servers in a redundant deployment of TMS %s; more are neither tested nor supported", limit.Value, p.Version)
		if d.Version.Note != "" {
			msg += " (" + d.Version.Note + ")"
		}
		return deployment(failed(want, obs, msg))
	}
	return deployment(passed(want, obs))
}
