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
