package inventory

import (
	"bytes"
	_ "embed"
	"fmt"
	"text/template"

	"github.com/tmsdrift/tmsdrift/internal/shellword"
)

//go:embed starter/inventory.yaml.tmpl
var starterText string

var starterTemplate = template.Must(template.New("inventory.yaml").Parse(starterText))

// starterNode is one example node of a starter inventory.
type starterNode struct {
	Name, Address string
	Role          Role
	Comment       string
}

// starter holds what differs between the models' starter inventories.
type starter struct {
	Section, Summary       string
	IPv4Local, IPv4Comment string
	Server, ServerComment  string
	Nodes                  []starterNode
}

var (
	primaryNode = starterNode{"tms01", "10.10.0.11", Primary, "the active TMS server"}
	separateSQL = `the SQL Server on its own host`
)

// starters are the examples tmsdrift init writes, one per model, with the
// contract's example values.
var starters = map[Model]starter{
	Single: {
		Section:   "Single Server, Single Database, Redundant Hardware",
		Summary:   "one TMS server on redundant hardware; the database may be on the same server.",
		IPv4Local: "10.10.0.11", IPv4Comment: "the TMS server's IP",
		Server: `tms01.acme.local\SQLTMS`, ServerComment: "the SQL Server TMS uses; here a local instance",
		Nodes: []starterNode{primaryNode},
	},
	SingleSeparateDB: {
		Section:   "Single Server, Separate Database",
		Summary:   "one TMS server; the tmsng database lives on a separate SQL Server.",
		IPv4Local: "10.10.0.11", IPv4Comment: "the TMS server's IP",
		Server: `sql01.acme.local\TMS`, ServerComment: separateSQL,
		Nodes: []starterNode{primaryNode},
	},
	SingleClusteredDB: {
		Section:   "Single Server, Clustered Database",
		Summary:   "one TMS server; the database on a SQL Server failover cluster or availability group.",
		IPv4Local: "10.10.0.11", IPv4Comment: "the TMS server's IP",
		Server: `sqlclu.acme.local\TMS`, ServerComment: "the cluster's virtual name or the availability group listener",
		Nodes: []starterNode{primaryNode},
	},
	ManualCutover: {
		Section:   "Multiple Servers, Manual Cutover",
		Summary:   "one active primary and warm standbys with TMS services and IIS stopped; an administrator cuts over by hand.",
		IPv4Local: "10.10.0.11", IPv4Comment: "the primary's IP; the standby takes it over at cutover",
		Server: `sql01.acme.local\TMS`, ServerComment: separateSQL,
		Nodes: []starterNode{primaryNode,
			{"tms02", "10.10.0.12", Standby, "warm spare: TMS services and IIS stopped and set to Manual"}},
	},
	NLB: {
		Section:   "Multiple TMS Servers, Load Balancing, and Clustered Database",
		Summary:   "several active TMS servers behind a Windows Network Load Balancing virtual IP, on a clustered database.",
		IPv4Local: "10.10.0.10", IPv4Comment: "the NLB virtual IP (VIP) that systems reach, not a node's own address",
		Server: `sqlclu.acme.local\TMS`, ServerComment: "the cluster's virtual name or the availability group listener",
		Nodes: []starterNode{
			{"tms01", "10.10.0.11", Pool, "NLB member, active"},
			{"tms02", "10.10.0.12", Pool, "NLB member, active"}},
	},
	Offsite: {
		Section:   "Manual Off-Site Fail-Over",
		Summary:   "the primary site runs TMS; a standby at a second site points at a log-shipping copy of the database.",
		IPv4Local: "10.10.0.11", IPv4Comment: "the primary's IP",
		Server: `sql01.acme.local\TMS`, ServerComment: "the live SQL Server at the primary site",
		Nodes: []starterNode{primaryNode,
			{"tms-dr01", "10.20.0.11", OffsiteStandby, "spare at the disaster-recovery site: services stopped and Manual"}},
	},
}

// Starter returns a commented starter inventory for model, the file
// "tmsdrift init --model MODEL" writes: every key with an explanation,
// example values, dir transports under nodes/<name> and an offline
// database snapshot db.json, so it loads as soon as those folders exist.
func Starter(model Model) ([]byte, error) { return StarterFor(model, "inventory.yaml") }

// StarterFor is Starter for an inventory that will be saved as file (the
// path init -o names), so that its comments give the commands to run with
// that file.
func StarterFor(model Model, file string) ([]byte, error) {
	s, ok := starters[model]
	if !ok {
		return nil, fmt.Errorf("starter inventory: unknown model %q (known: %s)", model, joinModels(Models))
	}
	data := struct {
		starter
		Model          Model
		Roles          string
		Multi, Offsite bool
		First, Last    string
		File           string
	}{s, model, joinRoles(model.AllowedRoles()), model.MultiServer(), model == Offsite,
		s.Nodes[0].Name, s.Nodes[len(s.Nodes)-1].Name, shellword.Quote(file)}
	var b bytes.Buffer
	if err := starterTemplate.Execute(&b, data); err != nil {
		return nil, fmt.Errorf("starter inventory for %s: %w", model, err)
	}
	return b.Bytes(), nil
}
