// Package fixers repairs what the audit found: each fixer turns failing
// results into a plan of changes (a file on a node, a service on a node,
// the address settings in the database); the engine refuses two changes to
// the same thing, applies the plan node by node — all or nothing per node,
// with a backup of everything it changes in a run folder — and the
// pipeline audits again. A run can be rolled back from its folder.
//
// Fixers read the same facts.Deployment and checks results as the report,
// and change the world only through collect.Target (the transports) and a
// SettingsStore (the database), so snapshots and live servers are fixed
// the same way. Nothing imports this package but the command line.
package fixers

import (
	"fmt"
	"strings"

	"github.com/tmsdrift/tmsdrift/facts"
)

// Kind says what a change touches.
type Kind string

// Kinds of change.
const (
	KindFile     Kind = "file"
	KindService  Kind = "service"
	KindDatabase Kind = "database"
)

// Action says what a change does to its object.
type Action string

// Actions.
const (
	Create  Action = "create"
	Replace Action = "replace"
	Delete  Action = "delete"
	Set     Action = "set"
)

// Change is one thing a fix changes. Exactly one of File, Service and
// Settings is set, as Kind says. Node is "" for the database.
type Change struct {
	// Rules are the failing rules the change repairs, in catalogue order.
	Rules  []string
	Node   string
	Kind   Kind
	Object string // a Windows path, a service name, or the settings store
	Action Action
	// Summary is one line for people; Detail the unified diff (files) or
	// the statement and its parameters (database). Neither ever holds key
	// material: machineKeys appear as fingerprints.
	Summary string
	Detail  string

	File     *FileOp
	Service  *ServiceOp
	Settings *SettingsOp
}

// FileOp replaces, creates or deletes one file on a node.
type FileOp struct {
	Path string // Windows path on the node
	// Before is what the file must be when the change is applied (else it
	// changed since the plan and is left alone); After what it will be.
	Before, After FileState
	// The new content, for create and replace: Data, or a copy of a file
	// on another node (From), or a backup in a run folder (rollback). The
	// engine checks it against After while writing, so a source that
	// changed since the plan fails the change instead of spreading. Data
	// may hold key material (web.config): it is never printed.
	Data   []byte
	From   *NodeFile
	backup *backupRef
}

// NodeFile is a file on a node: where data.synced copies from.
type NodeFile struct {
	Node string
	Path string // Windows path
}

// FileState identifies a file's content.
type FileState struct {
	Exists bool
	Size   int64
	SHA256 string // lower-case hex
}

// ServiceOp sets a service's start type and state.
type ServiceOp struct {
	Name          string
	Before, After ServiceState
}

// ServiceState is a service's start type and state (facts.Start*,
// facts.State*).
type ServiceState struct {
	StartType string
	State     string
}

// SettingsOp changes the TMS server addresses in the database: Fields (of
// ipv4_local, ipv6_local, dns_local, dns_public) go from Before to After.
type SettingsOp struct {
	Fields        []string
	Before, After facts.Settings
}

// Manual is a failing rule no tool can fix: the plan says what to do by
// hand (the rule's remediation text).
type Manual struct {
	Rule, Node  string
	Remediation string
}

// Skipped is a failing rule a fixer handles but cannot fix here, and why
// (the approved key is unreadable, a service is not installed, ...).
type Skipped struct {
	Rule, Node string
	Reason     string
}

// Plan is what a fix would do: the changes, and what it leaves to people.
type Plan struct {
	Changes []Change
	Manual  []Manual
	Skipped []Skipped
}

// Empty reports whether the plan changes nothing.
func (p *Plan) Empty() bool { return len(p.Changes) == 0 }

// identity is what a change changes: two changes with the same identity
// would fight, so a plan holding them is refused.
func (c *Change) identity() string {
	obj := c.Object
	switch c.Kind {
	case KindFile:
		obj = strings.ToLower(strings.ReplaceAll(c.File.Path, "/", `\`))
	case KindService:
		obj = strings.ToLower(c.Service.Name)
	case KindDatabase:
		obj = "settings"
	}
	return strings.ToLower(c.Node) + "\x00" + string(c.Kind) + "\x00" + obj
}

// checkConflicts refuses a plan that changes one thing twice.
func checkConflicts(changes []Change) error {
	seen := map[string]*Change{}
	for i := range changes {
		c := &changes[i]
		if prev, ok := seen[c.identity()]; ok {
			return fmt.Errorf("conflicting changes to %s %s%s: %s (%s) and %s (%s)",
				c.Kind, c.Object, onNode(c.Node), prev.Summary, strings.Join(prev.Rules, ", "), c.Summary, strings.Join(c.Rules, ", "))
		}
		seen[c.identity()] = c
	}
	return nil
}

// onNode is " on NODE", or "" for the database.
func onNode(node string) string {
	if node == "" {
		return ""
	}
	return " on " + node
}
