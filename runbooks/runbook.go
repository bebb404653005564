// Package runbooks turns the redundancy guide's procedures — promote a
// warm standby, activate the off-site site and come back, the rolling
// upgrade — into runbooks: ordered lists of steps, each naming the guide's
// section it comes from, the node (or the database, or the inventory) it
// acts on, and the current and the intended value of everything it
// changes. A runbook is built from one audit of the deployment as it is
// (facts.Deployment and the rule results), with the preflight findings
// that would refuse it and the steps only a person can do.
//
// Building a runbook changes nothing. The engine in package fixers carries
// the steps out with the machinery of a fix (run folder, journal, backups,
// lock, rollback); the command line wires the two together.
package runbooks

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/inventory"
)

// Runbook is one procedure for one deployment, ready to be shown or run.
type Runbook struct {
	// Command is the command line that builds it (promote,
	// activate-offsite, return-to-primary, upgrade prepare, ...); Args its
	// arguments (the node to promote). Running the same Command and Args
	// again resumes an interrupted run.
	Command    string          `json:"command"`
	Args       []string        `json:"args,omitempty"`
	Deployment string          `json:"deployment"`
	Model      inventory.Model `json:"model"`
	// Guide is the section of the guide the procedure comes from.
	Guide string `json:"guide"`
	// Preflight lists what refuses the runbook: a finding names what is
	// wrong and what to fix. Empty: the runbook may run.
	Preflight []Finding `json:"preflight,omitempty"`
	// Warnings are what could not be checked but does not refuse the
	// runbook (what the unreachable old primary would have told).
	Warnings []string `json:"warnings,omitempty"`
	Steps    []Step   `json:"steps"`
	// Manual lists what no tool here can do, for a person after the run.
	Manual []Manual `json:"manual,omitempty"`
	// Notes are the procedure's text for the operator (upgrade: which
	// installer to run where, and in what order).
	Notes []string `json:"notes,omitempty"`
	// Versions records each node's TMS version as the runbook saw it
	// (upgrade prepare); "" when unknown.
	Versions map[string]string `json:"versions,omitempty"`
}

// Finding is one reason the runbook refuses to run.
type Finding struct {
	Check   string `json:"check"`
	Node    string `json:"node,omitempty"`
	Problem string `json:"problem"`
	Fix     string `json:"fix,omitempty"`
	// Hard findings refuse even with --force: what they name would make
	// the runbook fail half-way or lose data (no database to write to,
	// one that is restoring, a re-synchronization not confirmed).
	Hard bool `json:"hard,omitempty"`
}

// Refusals are the findings that refuse the runbook: all of them, or with
// force only the hard ones.
func (rb *Runbook) Refusals(force bool) []Finding {
	var out []Finding
	for _, f := range rb.Preflight {
		if !force || f.Hard {
			out = append(out, f)
		}
	}
	return out
}

// String is the finding in one line.
func (f Finding) String() string {
	s := f.Check
	if f.Node != "" {
		s += " on " + f.Node
	}
	s += ": " + f.Problem
	if f.Fix != "" {
		s += " — " + f.Fix
	}
	return s
}

// Manual is a step only a person can do, with its source.
type Manual struct {
	What  string `json:"what"`
	Guide string `json:"guide"`
}

// Target is what a step acts on.
type Target string

// Targets.
const (
	OnNode      Target = "node"
	OnDatabase  Target = "database"
	OnInventory Target = "inventory"
	// OnAudit is the last step of every runbook: audit the deployment
	// again. It changes nothing.
	OnAudit Target = "audit"
	// OnFix repairs the failing results of Rules as `fix` would, planned
	// when the step runs (upgrade finish: what post-upgrade restores).
	OnFix Target = "fix"
)

// Step is one step of a runbook.
type Step struct {
	// ID names the step in the journal (stop:tms01, start:tms02,
	// database, inventory, audit).
	ID    string `json:"id"`
	Title string `json:"title"`
	// Guide is the section of the guide the step comes from, or
	// "tmsdrift assumption".
	Guide  string `json:"guide"`
	Target Target `json:"target"`
	// Node is the node the step acts on (OnNode).
	Node string `json:"node,omitempty"`
	// NeedsNode says the step needs Node reachable. When it is not,
	// Unreachable says why and the step is left to a person (Manual).
	NeedsNode   bool   `json:"needs_node,omitempty"`
	Unreachable string `json:"unreachable,omitempty"`
	// Manual is what a person does instead when the step cannot be done
	// here.
	Manual string `json:"manual,omitempty"`

	// What the step changes, with current and intended values. A step
	// whose lists are empty (and that is not Manual) is already done.
	Services  []ServiceChange   `json:"services,omitempty"`
	Settings  *SettingsChange   `json:"settings,omitempty"`
	Inventory []InventoryChange `json:"inventory,omitempty"`
	// Rules are what an OnFix step repairs; Repairs the failing results
	// it would repair as the plan saw them (it plans again when it runs).
	Rules   []string `json:"rules,omitempty"`
	Repairs []string `json:"repairs,omitempty"`
	// Unchecked are the results of Rules that were `error` when the plan
	// was made (node or database unreachable): the step's plan may lack
	// what they need.
	Unchecked []string `json:"unchecked,omitempty"`
}

// Done reports whether the step has nothing left to change.
func (s *Step) Done() bool {
	switch s.Target {
	case OnAudit, OnFix:
		return false
	}
	return s.Manual == "" && len(s.Services) == 0 && s.Settings == nil && len(s.Inventory) == 0
}

// ServiceState is a service's start type and state (facts.Start*,
// facts.State*).
type ServiceState struct {
	StartType string `json:"start_type"`
	State     string `json:"state"`
}

// String is the state as plans show it: Automatic/Running.
func (s ServiceState) String() string { return s.StartType + "/" + s.State }

// ServiceChange sets one service, in the order the step lists them.
type ServiceChange struct {
	Name string       `json:"name"`
	From ServiceState `json:"from"`
	To   ServiceState `json:"to"`
}

// Store names a database a step writes to.
type Store string

// Stores: the live database of the inventory (database.dsn_env or
// database.snapshot), or the off-site one (offsite_dsn_env or
// offsite_snapshot).
const (
	LiveStore    Store = "live"
	OffsiteStore Store = "offsite"
)

// SettingsChange sets the TMS server addresses in a database.
type SettingsChange struct {
	Store Store `json:"store"`
	// Database says which one, for people (db.json, sql01\TMS/tmsng).
	Database string         `json:"database"`
	Fields   []string       `json:"fields"`
	Before   facts.Settings `json:"before"`
	After    facts.Settings `json:"after"`
}

// InventoryChange is one value of the inventory file, before and after.
type InventoryChange struct {
	Field  string `json:"field"`
	From   string `json:"from"`
	To     string `json:"to"`
	Delete bool   `json:"delete,omitempty"`
}

// Changes are the inventory.Change values an edit needs.
func Changes(list []InventoryChange) []inventory.Change {
	out := make([]inventory.Change, 0, len(list))
	for _, c := range list {
		out = append(out, inventory.Change{Field: c.Field, Value: c.To, Delete: c.Delete})
	}
	return out
}

// Guide sections the steps cite.
const (
	guideArchitecture    = `D14570.02, "Cisco TMS Architecture Requirements for Redundancy"`
	guideSecondary       = `D14570.02, "Installing secondary TMS application"`
	guideManualCutover   = `D14570.02, "Multiple Servers, Manual Cutover" > "Recovery Methods"; D14570.04, "Deploying a hot standby" > "Recovery if the primary server fails"`
	guidePrimaryAddress  = `D14570.02, "Set primary TMS address"`
	guideSiteFailure     = `D14570.02, "Manual Off-Site Fail-Over" > "Recovery Methods" > "Primary Site Failure"`
	guideSystemAddresses = `D14570.04, "The addresses that systems use to contact Cisco TMS"`
	guideUpgrading       = `D14570.02, "Upgrading Cisco TMS"`
	guideNLBUpgrade      = `D14570.04, "Deploying with a load balancer" > "Upgrading Cisco TMS"`
	guideStandbyUpgrade  = `D14570.04, "Deploying a hot standby" > "Upgrading Cisco TMS"`
	assumption           = "tmsdrift assumption"
)

// serviceOrder is the order a node's TMS services are changed in: when
// they are started, the TMS services first and IIS (W3SVC) last, so users
// reach a server whose services run; when they are stopped, IIS first, so
// no user works on a server whose services are going away (tmsdrift
// assumption; the guide names the services, not an order).
func serviceOrder(services []facts.Service, starting bool) []facts.Service {
	out := slices.Clone(services)
	w3 := func(s facts.Service) bool { return strings.EqualFold(s.Name, "W3SVC") }
	slices.SortStableFunc(out, func(a, b facts.Service) int {
		ra, rb := 0, 0
		if w3(a) == starting {
			ra = 1
		}
		if w3(b) == starting {
			rb = 1
		}
		return ra - rb
	})
	return out
}

// Service intents.
type intent int

const (
	// activate: Automatic (AutomaticDelayed stays) and Running, as
	// services.active-running wants.
	activate intent = iota
	// deactivate: Manual and Stopped, as services.standby-inactive wants.
	deactivate
	// stopOnly: Stopped, start type as it is (before an installer runs).
	stopOnly
)

// serviceChanges lists the changes that bring every TMS service and W3SVC
// of a node to the intent, in serviceOrder; services already there are
// left out.
func serviceChanges(f *facts.NodeFacts, want intent) []ServiceChange {
	var tms []facts.Service
	for _, s := range f.Services {
		if facts.IsTMSService(s.Name) {
			tms = append(tms, s)
		}
	}
	var out []ServiceChange
	for _, s := range serviceOrder(tms, want == activate) {
		from := ServiceState{StartType: s.StartType, State: s.State}
		to := from
		switch want {
		case activate:
			to.State = facts.StateRunning
			if s.StartType != facts.StartAutomaticDelayed {
				to.StartType = facts.StartAutomatic
			}
		case deactivate:
			to = ServiceState{StartType: facts.StartManual, State: facts.StateStopped}
		case stopOnly:
			to.State = facts.StateStopped
		}
		if to != from {
			out = append(out, ServiceChange{Name: s.Name, From: from, To: to})
		}
	}
	return out
}

// reach says whether a node's facts could be read, and if not why: a node
// whose facts are unavailable is unreachable from here.
func reach(n *facts.Node) (bool, string) {
	switch {
	case n == nil:
		return false, "not gathered"
	case n.FactsErr != nil:
		return false, n.FactsErr.Error()
	case n.Facts == nil:
		return false, "no facts"
	}
	return true, ""
}

// servicesStep is a step that brings a node's services to an intent, or
// a manual step when the node cannot be reached.
func servicesStep(id, title, guide string, n *facts.Node, want intent) Step {
	s := Step{ID: id, Title: title, Guide: guide, Target: OnNode, Node: n.Spec.Name, NeedsNode: true}
	if ok, why := reach(n); !ok {
		s.Unreachable = why
		s.Manual = manualServices(n.Spec.Name, want)
		return s
	}
	s.Services = serviceChanges(n.Facts, want)
	return s
}

// manualServices is what a person does on a node tmsdrift cannot reach.
func manualServices(node string, want intent) string {
	switch want {
	case activate:
		return fmt.Sprintf("on %s: set every TMS service and W3SVC (World Wide Web Publishing Service) to Automatic and start them (services.msc)", node)
	case stopOnly:
		return fmt.Sprintf("on %s: stop every TMS service and W3SVC (services.msc)", node)
	}
	return fmt.Sprintf("on %s: stop every TMS service and W3SVC and set them to Manual (services.msc) before the server is back on the network, or keep it off the network: a second active server works on the database alongside the new primary", node)
}

// auditStep is every runbook's last step.
func auditStep() Step {
	return Step{ID: "audit", Title: "audit the deployment again", Guide: assumption, Target: OnAudit}
}

// afterCutover lists what a person does after the live server changed
// (promote, activate-offsite, return-to-primary).
func afterCutover(inv *inventory.Inventory, dnsMoved bool) []Manual {
	var out []Manual
	if (inv.Addresses.DNSLocal != "" || inv.Addresses.DNSPublic != "") && !dnsMoved {
		names := strings.Trim(inv.Addresses.DNSLocal+", "+inv.Addresses.DNSPublic, ", ")
		out = append(out, Manual{What: fmt.Sprintf("update the DNS record users and systems reach TMS by (%s) to the new live server", names), Guide: guideSiteFailure})
	}
	return append(out,
		Manual{What: "press Enforce Now (Administrative Tools > Configuration > Network) so managed systems get the new management address", Guide: guideSiteFailure + " (management settings updated in bulk from Administrative Tools); " + guideSystemAddresses},
		Manual{What: "update external integrations that reach TMS by address (booking clients, Cisco TMSXE, TMSPE, phone book sources)", Guide: assumption},
		Manual{What: "if daily configuration restore is used, take new configuration backups of the systems: a restore would give them the old management address back", Guide: assumption},
	)
}
