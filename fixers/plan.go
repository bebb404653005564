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

// Unchecked is a rule within the plan's reach (--only, --node) whose
// result was `error`: the audit could not check it (node or database
// unreachable, file unreadable), so the plan cannot say whether it needs
// a change. A plan with any is incomplete.
type Unchecked struct {
	Rule, Node string
	Reason     string
}

// Plan is what a fix would do: the changes, what it leaves to people,
// and what it could not plan for because it could not be checked.
type Plan struct {
	Changes   []Change
	Manual    []Manual
	Skipped   []Skipped
	Unchecked []Unchecked
}

// Complete reports whether every rule within the plan's reach could be
// checked: false when the plan may lack changes that unchecked rules
// need.
func (p *Plan) Complete() bool { return len(p.Unchecked) == 0 }

// Empty reports whether the plan changes nothing.
func (p *Plan) Empty() bool { return len(p.Changes) == 0 }
