package runbooks

import (
	"errors"
	"fmt"
	"strings"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/inventory"
)

// ErrUsage is wrapped by errors that mean the runbook was asked for
// something the deployment does not have (a node that is not in the
// inventory, a runbook of another model): bad usage, exit 2.
var ErrUsage = errors.New("bad usage")

// promoteRules are the rules the node to promote must pass: a standby on
// another version cannot use the database, one with another key rejects
// every session the old primary issued, other paths or files lose customer
// data, another database is another installation (D14570.02, "Cisco TMS
// Architecture Requirements for Redundancy").
var promoteRules = []string{"version.same", "machinekey.present", "machinekey.match", "paths.identical", "data.synced", "db.single-live"}

// guideWithinSite is where promote in model offsite comes from: the
// manual-cutover recovery method, applied within the primary site, whose
// warm standby (role standby) takes over from its primary while the
// off-site site stays as it is (tmsdrift assumption: the guide describes
// the off-site model with one server per site).
const guideWithinSite = guideManualCutover + "; within the primary site of model offsite: " + assumption

// Promote builds the runbook that makes the warm standby node the primary
// of a manual-cutover deployment (D14570.02, "Multiple Servers, Manual
// Cutover" > "Recovery Methods"), or of the primary site of an offsite
// deployment, from the audit of the deployment as it is.
func Promote(d *facts.Deployment, results []checks.Result, node string) (*Runbook, error) {
	inv := d.Inventory
	spec := inv.NodeByName(node)
	guide := guideManualCutover
	switch inv.Model {
	case inventory.ManualCutover:
	case inventory.Offsite:
		if err := withinSite(inv, spec); err != nil {
			return nil, err
		}
		guide = guideWithinSite
	default:
		return nil, fmt.Errorf("%w: promote makes a warm standby the primary in models manual-cutover and offsite (within the primary site); this deployment is %s", ErrUsage, inv.Model)
	}
	if spec == nil {
		return nil, fmt.Errorf("%w: %s is not a node of %s", ErrUsage, node, inv.File)
	}
	newNode := d.NodeByName(spec.Name)
	rb := &Runbook{Command: "promote", Args: []string{spec.Name}, Deployment: inv.Deployment, Model: inv.Model, Guide: guide}
	if spec.Role != inventory.Standby {
		// Hard: promoting the primary itself would stop the live
		// server's services and then fail on the inventory step (its
		// role cannot be both), leaving the deployment down.
		rb.Preflight = append(rb.Preflight, Finding{Check: "role", Node: spec.Name, Hard: true,
			Problem: fmt.Sprintf("%s is %s, not a standby", spec.Name, spec.Role), Fix: "promote a standby node"})
	}
	oldSpec := inv.FirstActive()
	if oldSpec == nil {
		return nil, fmt.Errorf("%w: the inventory names no primary", ErrUsage)
	}
	oldNode := d.NodeByName(oldSpec.Name)
	oldReachable, oldWhy := reach(oldNode)
	if !oldReachable {
		rb.Warnings = append(rb.Warnings, fmt.Sprintf("the old primary %s cannot be reached (%s): its steps are left to you", oldSpec.Name, oldWhy))
	}
	if ok, why := reach(newNode); !ok {
		rb.Preflight = append(rb.Preflight, Finding{Check: "reachable", Node: spec.Name,
			Problem: "cannot be reached: " + why, Fix: "its services must be started from here: check its transport (tmsdrift audit shows why)"})
	}
	preflightRules(rb, d, results, newNode, oldNode, oldReachable)
	f := follow(inv, oldNode, newNode)
	rb.Preflight = append(rb.Preflight, f.findings...)
	rb.Warnings = append(rb.Warnings, f.warnings...)

	// The steps, in the guide's order: the old primary out of service
	// before the standby is activated; then the addresses.
	rb.Steps = append(rb.Steps,
		servicesStep("stop:"+oldSpec.Name, "stop the old primary's TMS services and IIS and set them to Manual", guide+"; "+guideSecondary, oldNode, deactivate),
		servicesStep("start:"+spec.Name, "set the new primary's TMS services and IIS to Automatic and start them", guide, newNode, activate),
	)
	inventoryChanges := append([]InventoryChange{roleChange(inv, oldSpec.Name, inventory.Standby), roleChange(inv, spec.Name, inventory.Primary)}, f.changes...)
	rb.Steps = append(rb.Steps,
		settingsStep(LiveStore, d.DB, addressesAfter(inv.Addresses, inventoryChanges), spec.Name, guide+"; "+guidePrimaryAddress),
		Step{ID: "inventory", Title: "rewrite the inventory: roles swapped, the addresses that followed the old primary moved", Guide: assumption, Target: OnInventory, Inventory: inventoryChanges},
		auditStep(),
	)
	rb.Preflight = append(rb.Preflight, databaseFindings(d.DB, "database")...)
	rb.Manual = afterCutover(inv, f.dnsMoved)
	return rb, nil
}

// withinSite refuses a promote in model offsite that is not the
// manual-cutover recovery within the live site: a node that is not there
// (an offsite-standby is activated with activate-offsite), or a site whose
// live nodes are not one primary (a pool has no standby to promote).
func withinSite(inv *inventory.Inventory, spec *inventory.Node) error {
	if spec != nil && spec.Role == inventory.OffsiteStandby {
		return fmt.Errorf("%w: %s is an offsite-standby, at the other site: activate it with activate-offsite (and come back with return-to-primary); promote makes a standby of the live site (role standby) its primary", ErrUsage, spec.Name)
	}
	var active []string
	for _, n := range inv.Nodes {
		if n.Role.Active() {
			active = append(active, n.Name+" ("+string(n.Role)+")")
		}
	}
	if len(active) != 1 || inv.FirstActive().Role != inventory.Primary {
		return fmt.Errorf("%w: promote within a site of model offsite replaces the site's one primary; the live nodes are %s", ErrUsage, strings.Join(active, ", "))
	}
	return nil
}

// preflightRules holds the node to promote (or activate) to promoteRules
// on the audit. A rule it could not check because the old primary (the
// key source, the data master) is unreachable is a warning, not a
// refusal: an unreachable primary is why one promotes.
func preflightRules(rb *Runbook, d *facts.Deployment, results []checks.Result, newNode, oldNode *facts.Node, oldReachable bool) {
	node := newNode.Spec.Name
	for _, rule := range promoteRules {
		r := result(results, rule, node)
		if rule == "version.same" {
			versionPreflight(rb, d, r, newNode, oldNode, oldReachable)
			continue
		}
		switch {
		case r == nil:
			rb.Preflight = append(rb.Preflight, Finding{Check: rule, Node: node, Problem: "no result in the audit"})
		case r.Status == checks.Pass:
		case r.Status == checks.Error && !oldReachable:
			rb.Warnings = append(rb.Warnings, fmt.Sprintf("%s on %s could not be checked (%s) while %s is unreachable", rule, node, describe(r), oldNode.Spec.Name))
		default:
			rb.Preflight = append(rb.Preflight, Finding{Check: rule, Node: node, Problem: string(r.Status) + ": " + describe(r), Fix: remediation(rule)})
		}
	}
}

// versionPreflight passes when the node runs the primary's version (or,
// with the primary unreachable, every reachable node's).
func versionPreflight(rb *Runbook, d *facts.Deployment, r *checks.Result, newNode, oldNode *facts.Node, oldReachable bool) {
	if r != nil && r.Status == checks.Pass {
		return
	}
	mine := version(newNode)
	if mine == "" {
		rb.Preflight = append(rb.Preflight, Finding{Check: "version.same", Node: newNode.Spec.Name, Problem: "its TMS version is unknown", Fix: remediation("version.same")})
		return
	}
	var differ []string
	for _, n := range d.Nodes {
		v := version(n)
		if n == newNode || v == "" || (oldReachable && n != oldNode) {
			continue
		}
		if v != mine {
			differ = append(differ, fmt.Sprintf("%s runs %s", n.Spec.Name, v))
		}
	}
	if len(differ) > 0 {
		rb.Preflight = append(rb.Preflight, Finding{Check: "version.same", Node: newNode.Spec.Name,
			Problem: fmt.Sprintf("it runs %s; %s", mine, strings.Join(differ, ", ")), Fix: remediation("version.same")})
	}
}

// version is a node's TMS version, "" when unknown.
func version(n *facts.Node) string {
	if n == nil || n.Facts == nil || n.Facts.TMS == nil {
		return ""
	}
	return n.Facts.TMS.Version
}

// result finds the result of rule for node, or the deployment's.
func result(results []checks.Result, rule, node string) *checks.Result {
	var dep *checks.Result
	for i := range results {
		r := &results[i]
		if r.Rule != rule {
			continue
		}
		if strings.EqualFold(r.Node, node) {
			return r
		}
		if r.Node == "" {
			dep = r
		}
	}
	return dep
}

// describe is a result's observed value and message in one line.
func describe(r *checks.Result) string {
	parts := []string{}
	for _, s := range []string{r.Observed, r.Message} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, "; ")
}

// remediation is a rule's remediation text.
func remediation(rule string) string {
	if r := checks.Lookup(rule); r != nil {
		return r.Remediation
	}
	return ""
}

// addressesAfter applies the addresses.* changes to a.
func addressesAfter(a inventory.Addresses, changes []InventoryChange) inventory.Addresses {
	for _, c := range changes {
		switch c.Field {
		case "addresses.ipv4_local":
			a.IPv4Local = c.To
		case "addresses.ipv6_local":
			a.IPv6Local = c.To
		case "addresses.dns_local":
			a.DNSLocal = c.To
		case "addresses.dns_public":
			a.DNSPublic = c.To
		}
	}
	return a
}

// settingsStep sets the address settings of a database to the
// inventory's addresses as they will be; a database that cannot be read
// makes it a manual step.
func settingsStep(store Store, db facts.DB, want inventory.Addresses, node, guide string) Step {
	s := Step{ID: "database", Title: "set the TMS server addresses in the database to " + node + "'s", Guide: guide, Target: OnDatabase}
	if store == OffsiteStore {
		s.ID = "offsite-database"
		s.Title = "set the TMS server addresses in the off-site database to " + node + "'s"
	}
	if db.Err != nil || db.Facts == nil || db.Facts.Settings == nil {
		s.Manual = fmt.Sprintf("in TMS on %s: Administrative Tools > Configuration > Network: set the TMS server addresses to IPv4 %q, IPv6 %q, host name %q, public %q", node, want.IPv4Local, want.IPv6Local, want.DNSLocal, want.DNSPublic)
		return s
	}
	cur := *db.Facts.Settings
	after := cur
	wantS := facts.Settings{IPv4Local: want.IPv4Local, IPv6Local: want.IPv6Local, DNSLocal: want.DNSLocal, DNSPublic: want.DNSPublic}
	var fields []string
	for _, f := range facts.SettingsKeys {
		if !facts.SameAddress(f, cur.Get(f), wantS.Get(f)) {
			fields = append(fields, f)
			*after.Field(f) = wantS.Get(f)
		}
	}
	if len(fields) > 0 {
		s.Settings = &SettingsChange{Store: store, Database: db.From, Fields: fields, Before: cur, After: after}
	}
	return s
}

// databaseFindings refuse a runbook whose database step cannot be done.
func databaseFindings(db facts.DB, what string) []Finding {
	switch {
	case db.Err != nil:
		return []Finding{{Check: what, Problem: "cannot be read: " + db.Err.Error(), Fix: "the addresses must be written there: check database access (tmsdrift audit shows why)"}}
	case db.Facts == nil || db.Facts.Settings == nil:
		return []Finding{{Check: what, Problem: "its address settings cannot be read" + lacks(db), Fix: "the addresses must be written there: check the settings query (docs/database.md)"}}
	}
	return nil
}

func lacks(db facts.DB) string {
	if db.Facts != nil {
		if why := db.Facts.Unknown["settings"]; why != "" {
			return " (" + why + ")"
		}
	}
	return ""
}
