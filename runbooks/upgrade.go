package runbooks

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/inventory"
)

// The rolling upgrade. The load balancer procedure (D14570.04, "Deploying
// with a load balancer" > "Upgrading Cisco TMS", read in a stored copy,
// docs/tms-versions.md, Sources as read): "As the two Cisco TMS nodes
// share a common database, they must run the same software version at all
// times"; in a maintenance window, stop all the TMS services and IIS on
// both nodes, upgrade one node ("This will upgrade the tmsng database")
// and check its web application, then upgrade the other ("The installer
// will detect that the database has already been upgraded"). The standby
// models follow the same order with the standbys left stopped: tmsdrift
// assumption, D14570.04's "Deploying a hot standby" > "Upgrading Cisco
// TMS" was not in the stored copies. An upgrade erases the
// <machineKey> from web.config and writes the upgraded node's own address
// into the database: post-upgrade's rules.

// PostUpgradeRules are what a TMS installer breaks on the node it runs on,
// and what post-upgrade (and upgrade finish) restore: checks.UpgradeRules.
var PostUpgradeRules = checks.UpgradeRules()

// upgradeOrder returns the nodes in the order their installers run: the
// primary (the first pool node for nlb) first — its installer upgrades the
// database — then the other active nodes, then the standbys, the off-site
// ones last.
func upgradeOrder(inv *inventory.Inventory) []*inventory.Node {
	rank := func(r inventory.Role) int {
		switch r {
		case inventory.Primary:
			return 0
		case inventory.Pool:
			return 1
		case inventory.Standby:
			return 2
		}
		return 3
	}
	out := make([]*inventory.Node, 0, len(inv.Nodes))
	for i := range inv.Nodes {
		out = append(out, &inv.Nodes[i])
	}
	slices.SortStableFunc(out, func(a, b *inventory.Node) int { return rank(a.Role) - rank(b.Role) })
	return out
}

// upgradeGuide is the guide's section for a model's upgrade.
func upgradeGuide(m inventory.Model) string {
	if m == inventory.NLB {
		return guideNLBUpgrade + "; " + guideUpgrading
	}
	return guideStandbyUpgrade + "; " + guideUpgrading
}

// checkUpgradeModel refuses the single-server models: their upgrade needs
// no procedure beyond the installer (D14570.02, "Upgrading Cisco TMS" of
// the single-server models: no additional steps).
func checkUpgradeModel(inv *inventory.Inventory) error {
	if !inv.Model.MultiServer() {
		return fmt.Errorf("%w: model %s runs one TMS server: run its installer; the guide asks for no other step (%s)", ErrUsage, inv.Model, guideUpgrading)
	}
	return nil
}

// procedure is the guide's procedure for the deployment, with its node
// names, in the guide's order.
func procedure(inv *inventory.Inventory) []string {
	order := upgradeOrder(inv)
	names := func(nodes []*inventory.Node) string {
		var s []string
		for _, n := range nodes {
			s = append(s, n.Name)
		}
		return strings.Join(s, ", ")
	}
	var active, standby, offsite []*inventory.Node
	for _, n := range order {
		switch {
		case n.Role.Active():
			active = append(active, n)
		case n.Role == inventory.OffsiteStandby:
			offsite = append(offsite, n)
		default:
			standby = append(standby, n)
		}
	}
	first, others := order[0], active[1:]
	steps := []string{
		"Plan a maintenance window: TMS is unavailable while the first node is upgraded (" + guideNLBUpgrade + ").",
	}
	if inv.Model == inventory.NLB {
		steps = append(steps, "tmsdrift upgrade prepare --apply: stops the TMS services and IIS on "+names(active)+".")
	} else {
		steps = append(steps, "tmsdrift upgrade prepare --apply: stops the TMS services and IIS on "+names(active)+"; the standbys ("+names(append(append([]*inventory.Node(nil), standby...), offsite...))+") must be stopped already.")
	}
	steps = append(steps,
		"Run the TMS installer on "+first.Name+": it upgrades the tmsng database.",
		"Log in to TMS on "+first.Name+" and check that it works.")
	if len(others) > 0 {
		steps = append(steps, "Run the installer on "+names(others)+": it finds the database upgraded and keeps using it.")
	}
	if len(standby) > 0 {
		steps = append(steps, "Run the installer on "+names(standby)+" (it may start the standby's services: finish stops them again).")
	}
	if len(offsite) > 0 {
		steps = append(steps,
			"Before the installer on "+names(offsite)+": force log shipping (run the log-shipping backup job on the primary's SQL Server, then the copy and restore jobs on the secondary) and wait for the restore, so the off-site database has the upgraded schema (tmsdrift assumption).",
			"Run the installer on "+names(offsite)+".")
	}
	steps = append(steps, "tmsdrift upgrade finish --apply: checks that every node runs the new version, stops the standbys' services, restores the machineKey and the address settings (as post-upgrade), starts the active nodes' services, audits.")
	for i := range steps {
		steps[i] = fmt.Sprintf("%d. %s", i+1, steps[i])
	}
	return steps
}

// UpgradePlan is the upgrade procedure for the deployment: no step
// changes anything.
func UpgradePlan(d *facts.Deployment) (*Runbook, error) {
	inv := d.Inventory
	if err := checkUpgradeModel(inv); err != nil {
		return nil, err
	}
	return &Runbook{Command: "upgrade plan", Deployment: inv.Deployment, Model: inv.Model, Guide: upgradeGuide(inv.Model),
		Notes: procedure(inv), Versions: versions(d)}, nil
}

// UpgradePrepare is what comes before the installers: the active nodes'
// TMS services and IIS stopped (their start type kept), the standbys
// checked to be stopped already, every node's version recorded.
func UpgradePrepare(d *facts.Deployment, results []checks.Result) (*Runbook, error) {
	inv := d.Inventory
	if err := checkUpgradeModel(inv); err != nil {
		return nil, err
	}
	rb := &Runbook{Command: "upgrade prepare", Deployment: inv.Deployment, Model: inv.Model, Guide: upgradeGuide(inv.Model),
		Notes: procedure(inv), Versions: versions(d)}
	for _, n := range d.Nodes {
		ok, why := reach(n)
		if !ok {
			rb.Preflight = append(rb.Preflight, Finding{Check: "reachable", Node: n.Spec.Name, Problem: "cannot be reached: " + why,
				Fix: "its version must be recorded and its services checked before the installers run: check its transport"})
		}
		if n.Spec.Role.Active() {
			rb.Steps = append(rb.Steps, servicesStep("stop:"+n.Spec.Name, "stop "+n.Spec.Name+"'s TMS services and IIS before the installer runs (their start type stays)", upgradeGuide(inv.Model), n, stopOnly))
			continue
		}
		if !ok {
			continue
		}
		var running []string
		for _, s := range n.Facts.Services {
			if facts.IsTMSService(s.Name) && s.State != facts.StateStopped {
				running = append(running, s.Name+" "+s.State)
			}
		}
		if len(running) > 0 {
			rb.Preflight = append(rb.Preflight, Finding{Check: "standby stopped", Node: n.Spec.Name,
				Problem: "a standby's services must be stopped before the upgrade: " + strings.Join(running, ", "),
				Fix:     remediation("services.standby-inactive")})
		}
	}
	rb.Steps = append(rb.Steps, auditStep())
	return rb, nil
}

// UpgradeFinish is what comes after the installers: every node on the
// same new version, the standbys' services stopped and Manual again, the
// machineKey and the addresses restored, the active nodes started.
// prepared is the runbook of the last upgrade prepare run (its recorded
// versions), nil when there is none.
func UpgradeFinish(d *facts.Deployment, results []checks.Result, prepared *Runbook) (*Runbook, error) {
	inv := d.Inventory
	if err := checkUpgradeModel(inv); err != nil {
		return nil, err
	}
	rb := &Runbook{Command: "upgrade finish", Deployment: inv.Deployment, Model: inv.Model, Guide: upgradeGuide(inv.Model), Versions: versions(d)}
	newest := ""
	for _, v := range rb.Versions {
		if v != "" && compareVersions(v, newest) > 0 {
			newest = v
		}
	}
	var laggards []string
	for _, n := range d.Nodes {
		name := n.Spec.Name
		v := rb.Versions[name]
		switch {
		case v == "":
			_, why := reach(n)
			if why == "" {
				why = "its facts hold no TMS version"
			}
			laggards = append(laggards, name+" (version unknown: "+why+")")
		case v != newest:
			laggards = append(laggards, name+" ("+v+")")
		case prepared != nil && prepared.Versions[name] == v:
			laggards = append(laggards, name+" (still "+v+", as before the upgrade)")
		}
	}
	if len(laggards) > 0 {
		rb.Preflight = append(rb.Preflight, Finding{Check: "version.same", Hard: true,
			Problem: fmt.Sprintf("every node must run the new version %s; not yet: %s", newest, strings.Join(laggards, ", ")),
			Fix:     "run the installer there (tmsdrift upgrade plan says in which order), then finish again"})
	}
	if prepared == nil {
		rb.Warnings = append(rb.Warnings, "no upgrade prepare run in the runs folder: the versions before the upgrade are unknown, so only their equality is checked")
	}
	if inv.Model == inventory.Offsite {
		if r := result(results, "db.log-shipping-lag", ""); r == nil || r.Status != checks.Pass {
			p := "no result"
			if r != nil {
				p = string(r.Status) + ": " + describe(r)
			}
			rb.Preflight = append(rb.Preflight, Finding{Check: "db.log-shipping-lag", Problem: p,
				Fix: "force log shipping (backup job on the primary, copy and restore jobs on the secondary) and wait for the restore: the off-site database must hold the upgraded schema"})
		}
	}
	for _, n := range d.Nodes {
		if !n.Spec.Role.Active() {
			rb.Steps = append(rb.Steps, servicesStep("stop:"+n.Spec.Name, "stop "+n.Spec.Name+"'s TMS services and IIS and set them to Manual again (the installer may have started them)", guideSecondary, n, deactivate))
		}
	}
	fix := Step{ID: "post-upgrade", Title: "restore the machineKey in every web.config and the TMS server addresses in the database, as post-upgrade does", Guide: upgradeGuide(inv.Model) + "; " + guidePrimaryAddress, Target: OnFix, Rules: PostUpgradeRules}
	for _, r := range results {
		if !slices.Contains(PostUpgradeRules, r.Rule) {
			continue
		}
		switch r.Status {
		case checks.Fail:
			fix.Repairs = append(fix.Repairs, strings.TrimSpace(r.Rule+" "+r.Node)+": "+describe(&r))
		case checks.Error:
			// Said, not hidden: the restore may have more to do.
			fix.Unchecked = append(fix.Unchecked, strings.TrimSpace(r.Rule+" "+r.Node)+": "+describe(&r))
		}
	}
	rb.Steps = append(rb.Steps, fix)
	for _, n := range d.Nodes {
		if n.Spec.Role.Active() {
			rb.Steps = append(rb.Steps, servicesStep("start:"+n.Spec.Name, "set "+n.Spec.Name+"'s TMS services and IIS to Automatic and start them", upgradeGuide(inv.Model), n, activate))
		}
	}
	rb.Steps = append(rb.Steps, auditStep())
	return rb, nil
}

// versions records every node's TMS version ("" when unknown).
func versions(d *facts.Deployment) map[string]string {
	out := map[string]string{}
	for _, n := range d.Nodes {
		out[n.Spec.Name] = version(n)
	}
	return out
}

// compareVersions orders dotted versions numerically (15.13.2 < 15.14.0);
// a part that is not a number compares as text.
func compareVersions(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < max(len(pa), len(pb)); i++ {
		var x, y string
		if i < len(pa) {
			x = pa[i]
		}
		if i < len(pb) {
			y = pb[i]
		}
		nx, ex := strconv.Atoi(x)
		ny, ey := strconv.Atoi(y)
		switch {
		case x == y:
			continue
		case ex == nil && ey == nil:
			if nx != ny {
				return nx - ny
			}
		case x < y:
			return -1
		default:
			return 1
		}
	}
	return 0
}
