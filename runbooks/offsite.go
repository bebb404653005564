package runbooks

import (
	"fmt"
	"strings"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/inventory"
)

// The off-site model's recovery (D14570.02, "Manual Off-Site Fail-Over" >
// "Recovery Methods" > "Primary Site Failure"): the primary site is
// disabled completely before the off-site TMS server is activated; the
// off-site server is started (every service whose name starts with TMS,
// and the World Wide Web Publishing Service); the TMS server addresses
// under Administrative Tools > Configuration > Network are set to the
// off-site server's; the DNS name users reach TMS by is moved. Cutting
// back requires the primary database to be re-synchronized from the
// off-site one.

// OffsiteOptions say what activate-offsite and return-to-primary work on.
type OffsiteOptions struct {
	// Node names the node to activate (activate-offsite: an
	// offsite-standby; return-to-primary: the primary site's node to make
	// primary). Empty: the only candidate, or the one the activation run
	// recorded.
	Node string
	// Other is the database the runbook switches to: the off-site one for
	// activate-offsite, the primary site's for return-to-primary (both are
	// the inventory's offsite_dsn_env / offsite_snapshot at that moment),
	// gathered by the caller.
	Other facts.DB
	// Activation is the runbook of the last finished activate-offsite
	// run (not rolled back), from its run folder. return-to-primary reads
	// from it which roles the primary site's nodes had; activate-offsite
	// refuses when the inventory still holds the database it switched to.
	// Nil when there is none.
	Activation *Runbook
	// Resynced is the operator's confirmation (--database-resynced) that
	// the primary database was re-synchronized from the off-site one.
	Resynced bool
}

// ActivateOffsite builds the runbook that moves a deployment of model
// offsite to its off-site site.
func ActivateOffsite(d *facts.Deployment, results []checks.Result, o OffsiteOptions) (*Runbook, error) {
	inv := d.Inventory
	if inv.Model != inventory.Offsite {
		return nil, fmt.Errorf("%w: activate-offsite is for model offsite; this deployment is %s", ErrUsage, inv.Model)
	}
	if activated(inv, o.Activation) {
		// Its offsite-standby nodes are now the primary site's: activating
		// one would switch back to the primary database without the
		// re-synchronization return-to-primary insists on, losing
		// everything done since (D14570.02, "Primary Site Failure").
		return nil, fmt.Errorf("%w: the deployment already runs on its off-site site (the inventory names the database the last activate-offsite run switched to: %s); to come back, re-synchronize the primary database, then: tmsdrift return-to-primary -i %s --database-resynced",
			ErrUsage, liveDatabase(inv), inv.File)
	}
	dr, err := pick(inv, o.Node, inventory.OffsiteStandby, "activate-offsite --node")
	if err != nil {
		return nil, err
	}
	rb := &Runbook{Command: "activate-offsite", Deployment: inv.Deployment, Model: inv.Model, Guide: guideSiteFailure}
	if o.Node != "" {
		rb.Args = []string{dr.Name}
	}
	// The primary site: its active nodes and its warm standbys (role
	// standby). All are disabled and become offsite-standby, so that no
	// standby of the site that is no longer live can be promoted;
	// return-to-primary gives them their roles back.
	var site []*facts.Node
	for _, n := range d.Nodes {
		if n.Spec.Role.Active() || n.Spec.Role == inventory.Standby {
			site = append(site, n)
		}
	}
	return switchSite(rb, d, results, site, d.NodeByName(dr.Name), o, func(n *facts.Node) inventory.Role { return inventory.OffsiteStandby }, inventory.Primary, nil)
}

// ReturnToPrimary builds the runbook that moves a deployment that runs on
// its off-site site back to the primary site.
func ReturnToPrimary(d *facts.Deployment, results []checks.Result, o OffsiteOptions) (*Runbook, error) {
	inv := d.Inventory
	if inv.Model != inventory.Offsite {
		return nil, fmt.Errorf("%w: return-to-primary is for model offsite; this deployment is %s", ErrUsage, inv.Model)
	}
	rb := &Runbook{Command: "return-to-primary", Deployment: inv.Deployment, Model: inv.Model, Guide: guideSiteFailure}
	// The roles to give back: the activation run's, else NODE primary and
	// the others as they are.
	back := map[string]inventory.Role{}
	if a := o.Activation; a != nil {
		for _, st := range a.Steps {
			for _, c := range st.Inventory {
				if i, ok := roleIndex(c.Field); ok && i < len(inv.Nodes) {
					back[strings.ToLower(inv.Nodes[i].Name)] = inventory.Role(c.From)
				}
			}
		}
	}
	var primary *inventory.Node
	if o.Node != "" {
		primary = inv.NodeByName(o.Node)
		if primary == nil {
			return nil, fmt.Errorf("%w: %s is not a node of %s", ErrUsage, o.Node, inv.File)
		}
		rb.Args = []string{primary.Name}
		back[strings.ToLower(primary.Name)] = inventory.Primary
	}
	if len(back) == 0 {
		return nil, fmt.Errorf("%w: no activate-offsite run to return from in the runs folder; name the primary site's node to make primary with --node", ErrUsage)
	}
	var live []*facts.Node // the off-site site, live now
	var site []*facts.Node // the primary site's nodes to activate
	var idle []*facts.Node // the primary site's standbys: their role back, their services left stopped
	for _, n := range d.Nodes {
		switch role, ok := back[strings.ToLower(n.Spec.Name)]; {
		case ok && role.Active():
			site = append(site, n)
		case n.Spec.Role.Active():
			live = append(live, n)
		case ok && role != n.Spec.Role:
			idle = append(idle, n)
		}
	}
	if len(site) == 0 || len(live) == 0 {
		return nil, fmt.Errorf("%w: the deployment does not run on its off-site site (the inventory's active nodes are the ones to return to)", ErrUsage)
	}
	if !o.Resynced {
		rb.Preflight = append(rb.Preflight, Finding{Check: "database-resynced", Hard: true,
			Problem: "the primary database must be re-synchronized from the off-site one before the primary site takes over again, or everything done since the activation is lost",
			Fix:     "re-synchronize it (back up the off-site database, restore it on the primary's SQL Server, bring it online), then confirm with --database-resynced"})
	}
	role := func(n *facts.Node) inventory.Role {
		if r, ok := back[strings.ToLower(n.Spec.Name)]; ok && !r.Active() {
			return r
		}
		return inventory.OffsiteStandby
	}
	// The first of the primary site becomes the primary; the others get
	// their roles back.
	first := site[0]
	for _, n := range site {
		if back[strings.ToLower(n.Spec.Name)] == inventory.Primary {
			first = n
			break
		}
	}
	rest := make([]*facts.Node, 0, len(site))
	rest = append(rest, first)
	for _, n := range site {
		if n != first {
			rest = append(rest, n)
		}
	}
	return switchSite(rb, d, results, live, nil, o, role, "", idle, rest...)
}

// switchSite builds the steps that take the live site out of service and
// bring the other one in: stop (and set Manual) every node of from, start
// to (or the nodes of toSite, the first of which takes the addresses),
// write the addresses to the other database, switch the inventory.
// fromRole gives each node of from its role afterwards; toRole is the
// role of the node taking over (empty: the roles recorded in o). The
// nodes of idle get their role from fromRole too, and no step: their
// services stay stopped (the primary site's standbys coming back).
func switchSite(rb *Runbook, d *facts.Deployment, results []checks.Result, from []*facts.Node, to *facts.Node, o OffsiteOptions,
	fromRole func(*facts.Node) inventory.Role, toRole inventory.Role, idle []*facts.Node, toSite ...*facts.Node) (*Runbook, error) {
	inv := d.Inventory
	if to != nil {
		toSite = []*facts.Node{to}
	}
	lead := toSite[0]
	if len(from) == 0 {
		return nil, fmt.Errorf("%w: no active node to take over from", ErrUsage)
	}
	old := from[0]
	for _, n := range from {
		if n.Spec.Role == inventory.Primary {
			old = n
			break
		}
	}
	oldReachable := true
	for _, n := range from {
		if ok, why := reach(n); !ok {
			// A standby of the site (no key source, no data master:
			// those are active nodes) leaves the preflight as it is.
			oldReachable = oldReachable && !n.Spec.Role.Active()
			rb.Warnings = append(rb.Warnings, fmt.Sprintf("%s cannot be reached (%s): its steps are left to you", n.Spec.Name, why))
		}
	}
	for _, n := range toSite {
		if ok, why := reach(n); !ok {
			rb.Preflight = append(rb.Preflight, Finding{Check: "reachable", Node: n.Spec.Name,
				Problem: "cannot be reached: " + why, Fix: "its services must be started from here: check its transport (tmsdrift audit shows why)"})
		}
	}
	preflightRules(rb, d, results, lead, old, oldReachable)
	rb.Preflight = append(rb.Preflight, otherDatabaseFindings(inv, o.Other, rb.Command)...)

	f := follow(inv, old, lead)
	rb.Preflight = append(rb.Preflight, f.findings...)
	rb.Warnings = append(rb.Warnings, f.warnings...)

	for _, n := range from {
		rb.Steps = append(rb.Steps, servicesStep("stop:"+n.Spec.Name, "stop "+n.Spec.Name+"'s TMS services and IIS and set them to Manual: the live site is disabled completely first", guideSiteFailure, n, deactivate))
	}
	for _, n := range toSite {
		rb.Steps = append(rb.Steps, servicesStep("start:"+n.Spec.Name, "set "+n.Spec.Name+"'s TMS services and IIS to Automatic and start them", guideSiteFailure, n, activate))
	}
	var changes []InventoryChange
	for _, n := range from {
		changes = append(changes, roleChange(inv, n.Spec.Name, fromRole(n)))
	}
	for i, n := range toSite {
		r := toRole
		if r == "" {
			r = inventory.Pool
			if i == 0 {
				r = inventory.Primary
			}
		}
		changes = append(changes, roleChange(inv, n.Spec.Name, r))
	}
	for _, n := range idle {
		changes = append(changes, roleChange(inv, n.Spec.Name, fromRole(n)))
	}
	changes = append(changes, f.changes...)
	changes = append(changes, databaseSwitch(inv)...)
	// The inventory first: the addresses are then written to the database
	// it names live, so a rollback (which reads the inventory as the run
	// left it) finds them in the same database.
	rb.Steps = append(rb.Steps,
		Step{ID: "inventory", Title: "rewrite the inventory: the other site is live, its database is the live one", Guide: assumption, Target: OnInventory, Inventory: changes},
		settingsStep(OffsiteStore, o.Other, addressesAfter(inv.Addresses, changes), lead.Spec.Name, guideSiteFailure),
		auditStep(),
	)
	rb.Manual = append([]Manual{{What: "disable the SQL Server of the site that was live, so it does not start up unexpectedly (tmsdrift has no transport to it)", Guide: guideSiteFailure}},
		afterCutover(inv, f.dnsMoved)...)
	if rb.Command == "activate-offsite" {
		rb.Manual = append(rb.Manual, Manual{What: "when the primary site is back: re-synchronize its database from the off-site one, then run tmsdrift return-to-primary --database-resynced", Guide: guideSiteFailure})
	} else {
		rb.Manual = append(rb.Manual, Manual{What: "set up log shipping from the primary database to the off-site one again (db.log-shipping-lag)", Guide: guideSiteFailure})
	}
	return rb, nil
}

// activated tells whether the inventory still holds the live database an
// activate-offsite run switched to: every database.* value its inventory
// step wrote is the inventory's now. A return-to-primary since, or an
// inventory put back by hand, gives the values it replaced.
func activated(inv *inventory.Inventory, a *Runbook) bool {
	if a == nil {
		return false
	}
	n := 0
	for _, st := range a.Steps {
		for _, c := range st.Inventory {
			if !strings.HasPrefix(c.Field, "database.") {
				continue
			}
			if got, err := inv.FieldText(c.Field); err != nil || got != c.To {
				return false
			}
			n++
		}
	}
	return n > 0
}

// liveDatabase names the live database as the inventory does.
func liveDatabase(inv *inventory.Inventory) string {
	db := inv.Database
	for _, v := range []string{db.Server, db.Snapshot, db.DSNEnv} {
		if v != "" {
			return v
		}
	}
	return "?"
}

// databaseSwitch swaps the live and the off-site database in the
// inventory: server, DSN variable, snapshot.
func databaseSwitch(inv *inventory.Inventory) []InventoryChange {
	db := inv.Database
	var out []InventoryChange
	swap := func(a, b, va, vb string) {
		if va == vb {
			return
		}
		out = append(out, InventoryChange{Field: "database." + a, From: va, To: vb, Delete: vb == ""},
			InventoryChange{Field: "database." + b, From: vb, To: va, Delete: va == ""})
	}
	swap("server", "offsite_server", db.Server, db.OffsiteServer)
	swap("dsn_env", "offsite_dsn_env", db.DSNEnv, db.OffsiteDSNEnv)
	swap("snapshot", "offsite_snapshot", db.Snapshot, db.OffsiteSnapshot)
	return out
}

// otherDatabaseFindings refuse a switch to a database that is not named,
// cannot be read, or is not online. The last two are hard: --force does
// not write addresses into a database that cannot take them.
func otherDatabaseFindings(inv *inventory.Inventory, other facts.DB, command string) []Finding {
	db := inv.Database
	what := "the off-site database"
	if command == "return-to-primary" {
		what = "the primary database"
	}
	var out []Finding
	if db.OffsiteServer == "" {
		out = append(out, Finding{Check: "database.offsite_server", Hard: true, Problem: "not set: there is no other database to switch to", Fix: "name it in the inventory"})
	}
	if db.DSNEnv != "" && db.HostNameInCertificate != "" {
		// It applies to the server dsn_env reaches, which the switch
		// changes: the other server would be held to this one's name.
		out = append(out, Finding{Check: "database.host_name_in_certificate", Hard: true,
			Problem: "names the certificate of the server database.dsn_env reaches; once the inventory is switched that is the other server, whose certificate carries another name",
			Fix:     "put each server's name in its own DSN instead (hostnameincertificate=...), remove the key, then run this again"})
	}
	switch {
	case db.DSNEnv != "" && db.OffsiteDSNEnv == "":
		return append(out, Finding{Check: "database.offsite_dsn_env", Hard: true, Problem: "not set: " + what + " cannot be reached", Fix: "name the environment variable holding its DSN (with the database tmsng)"})
	case db.Snapshot != "" && db.OffsiteSnapshot == "":
		return append(out, Finding{Check: "database.offsite_snapshot", Hard: true, Problem: "not set: " + what + " has no recorded facts", Fix: "record them and name the file"})
	}
	for _, f := range databaseFindings(other, what) {
		f.Hard = true
		out = append(out, f)
	}
	if other.Facts != nil {
		state := ""
		if other.Facts.Database.Valid() {
			state = other.Facts.Database.Value.State
		}
		if !strings.EqualFold(state, "ONLINE") {
			if state == "" {
				state = "of unknown state"
			}
			out = append(out, Finding{Check: "database state", Hard: true,
				Problem: fmt.Sprintf("%s (%s) is %s, not ONLINE", what, other.From, state),
				Fix:     "bring it online by hand (a log-shipping secondary is restoring: RESTORE DATABASE tmsng WITH RECOVERY on its SQL Server), then run this again"})
		}
	}
	return out
}

// pick is the node to act on: the one named, which must have role, or
// the only node with role.
func pick(inv *inventory.Inventory, name string, role inventory.Role, flag string) (*inventory.Node, error) {
	if name != "" {
		n := inv.NodeByName(name)
		switch {
		case n == nil:
			return nil, fmt.Errorf("%w: %s is not a node of %s", ErrUsage, name, inv.File)
		case n.Role != role:
			return nil, fmt.Errorf("%w: %s is %s, not %s", ErrUsage, n.Name, n.Role, role)
		}
		return n, nil
	}
	var found []*inventory.Node
	for i := range inv.Nodes {
		if inv.Nodes[i].Role == role {
			found = append(found, &inv.Nodes[i])
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("%w: the inventory has no %s node", ErrUsage, role)
	case 1:
		return found[0], nil
	}
	return nil, fmt.Errorf("%w: the inventory has %d %s nodes: name the one with %s", ErrUsage, len(found), role, flag)
}

// roleIndex reads i from a nodes[i].role field.
func roleIndex(field string) (int, bool) {
	var i int
	if _, err := fmt.Sscanf(field, "nodes[%d].role", &i); err != nil || field != fmt.Sprintf("nodes[%d].role", i) {
		return 0, false
	}
	return i, true
}
