// Package checks is the rule engine and the rule catalogue: what must hold
// in a redundant TMS deployment, judged on a gathered facts.Deployment.
//
// Rules are values in one registry table (catalogue.go), one file per rule
// family. A rule never changes the Deployment and never does I/O.
package checks

import (
	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/inventory"
	"github.com/tmsdrift/tmsdrift/tmsversion"
)

// Scope says what a rule judges.
type Scope string

// Scopes.
const (
	NodeScope       Scope = "node"
	DeploymentScope Scope = "deployment"
	// BothScopes: per node, and once for the deployment (db.latency: each
	// node's round trips and the auditor's own).
	BothScopes Scope = "node+deployment"
)

// Rule is one invariant of the catalogue. IDs are stable (contract §4).
type Rule struct {
	ID       string
	Title    string
	Severity Severity
	Scope    Scope
	// Models the rule applies to; on other models it gives no result.
	Models []inventory.Model
	// Source is the guide section the invariant comes from, as the
	// contract (§4) names it. How far the pages of the guide read bear it
	// out is Citation's.
	Source string
	// Doc names the document Source refers to when it is not the 11.7
	// guide (D14570.02) that most rules follow.
	Doc string
	// Why paraphrases the guide's reason.
	Why string
	// Remediation tells an administrator how to fix a failure by hand.
	Remediation string
	// Fixable is true when `tmsdrift fix` has a fixer for the rule.
	Fixable bool

	eval func(d *facts.Deployment) []Result
}

// AppliesTo reports whether the rule is evaluated for model m.
func (r *Rule) AppliesTo(m inventory.Model) bool {
	for _, x := range r.Models {
		if x == m {
			return true
		}
	}
	return false
}

// DefaultDoc is the document a rule's Source refers to when Doc is empty.
const DefaultDoc = "TMS Server Redundancy Configuration Guide, D14570.02"

// Citation is the rule's guide section as checked against the pages read
// (docs/tms-versions.md, "Sources, as read"): confirmed, not re-read, or a
// tmsdrift assumption. ok is false for a section the table does not list,
// which TestEveryRuleCitesASectionAsRead forbids.
func (r *Rule) Citation() (c tmsversion.Citation, ok bool) {
	return tmsversion.CitationOf(r.Source)
}

// DocName names the document Source refers to: Doc, or the 11.7 guide;
// "" for a tmsdrift assumption, which cites none.
func (r *Rule) DocName() string {
	if c, _ := r.Citation(); c.Status == tmsversion.Assumption {
		return ""
	}
	if r.Doc != "" {
		return r.Doc
	}
	return DefaultDoc
}
