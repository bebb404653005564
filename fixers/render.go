package fixers

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/tmsdrift/tmsdrift/report"
)

// DocumentSchema identifies the JSON that fix, post-upgrade and rollback
// print (docs/fixing.md).
const DocumentSchema = "tmsdrift/fix/v1"

// Document is what fix, post-upgrade and rollback report: the plan, what
// the run did to each node, and how the fixed rules stand in the audit
// taken afterwards.
type Document struct {
	Command    string
	Deployment string
	Model      string
	// Applied is false for a plan only (nothing changed).
	Applied    bool
	RollbackOf string
	Plan       *Plan
	Outcome    *Outcome // nil when nothing was applied
	Verdicts   []Verdict
	// ApplyHint is the command line that applies a plan ("" for none).
	ApplyHint string
}

// WriteText renders doc for a terminal width columns wide (report.Width's
// answer; 0 for the default): prose wraps at word boundaries, continuation
// lines under the item's text, while what a reader copies stays as it is:
// diffs, file paths, the command that applies the plan. Diffs and
// statements are shown with secrets as fingerprints (as the plan holds
// them).
func WriteText(w io.Writer, doc *Document, width int) error {
	width = report.TextWidth(width)
	var b strings.Builder
	p := doc.Plan
	var head string
	switch {
	case doc.RollbackOf != "" && p.Empty():
		head = fmt.Sprintf("Rollback of run %s: nothing to put back (everything is as it was before the run).", doc.RollbackOf)
	case doc.RollbackOf != "":
		head = fmt.Sprintf("Rollback of run %s: %s", doc.RollbackOf, countChanges(p.Changes))
	case p.Empty() && !p.Complete():
		head = fmt.Sprintf("Nothing tmsdrift can change on %s as far as it could check. INCOMPLETE: %s could not be checked (listed below).",
			doc.Deployment, plural(len(p.Unchecked), "result"))
	case p.Empty():
		head = fmt.Sprintf("Nothing tmsdrift can change on %s.", doc.Deployment)
	case !p.Complete():
		head = fmt.Sprintf("Plan for %s (%s): %s. INCOMPLETE: %s could not be checked (listed below).",
			doc.Deployment, doc.Model, countChanges(p.Changes), plural(len(p.Unchecked), "result"))
	default:
		head = fmt.Sprintf("Plan for %s (%s): %s", doc.Deployment, doc.Model, countChanges(p.Changes))
	}
	b.WriteString(report.WrapIndent("", "  ", head, width))
	writeChanges(&b, p.Changes, width)
	writeUnchecked(&b, p.Unchecked, width)
	if len(p.Skipped) > 0 {
		b.WriteString("\nNot fixed here:\n")
		for _, s := range p.Skipped {
			b.WriteString(report.WrapIndent("  ", "    ", fmt.Sprintf("%s%s: %s", s.Rule, nodeSuffix(s.Node), s.Reason), width))
		}
	}
	if len(p.Manual) > 0 {
		b.WriteString("\nNo tool can fix these; by hand:\n")
		for _, m := range p.Manual {
			b.WriteString(report.WrapIndent("  ", "    ", fmt.Sprintf("%s%s: %s", m.Rule, nodeSuffix(m.Node), m.Remediation), width))
		}
	}
	if o := doc.Outcome; o != nil {
		b.WriteString("\n" + report.WrapIndent("", "  ", fmt.Sprintf("Run %s (backups and manifest in %s):", o.Run, o.RunDir), width, o.RunDir))
		for _, n := range o.Nodes {
			label := n.Node
			if label == "" {
				label = "database"
			}
			st := string(n.Status)
			if doc.RollbackOf != "" && n.Status == Fixed {
				st = "put back"
			}
			// The columns are kept whole (padding included) when a long
			// error makes the line wrap.
			cols := fmt.Sprintf("%-12s %-9s %s", label, st, plural(len(n.Changes), "change"))
			line := cols
			if n.Error != "" {
				line += ": " + n.Error
			}
			b.WriteString(report.WrapIndent("  ", "    ", line, width, cols))
		}
	}
	if len(doc.Verdicts) > 0 {
		b.WriteString("\nAfter the fix:\n")
		for _, v := range doc.Verdicts {
			cols := fmt.Sprintf("%-6s %s", v.Status, v.Rule)
			line := cols + nodeSuffix(v.Node)
			if v.Left != "" {
				line += ": still " + v.Left
			}
			b.WriteString(report.WrapIndent("  ", "         ", line, width, cols))
		}
	}
	if !doc.Applied && !p.Empty() && doc.ApplyHint != "" {
		// The command stays whole, on a line of its own when it does
		// not fit after the words.
		b.WriteString("\n" + report.WrapIndent("", "  ", "Nothing was changed. To apply: "+doc.ApplyHint, width, doc.ApplyHint))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeUnchecked lists the rules the plan could not check, by node (the
// deployment's results, the database's among them, last), and says
// plainly what that means for the plan.
func writeUnchecked(b *strings.Builder, unchecked []Unchecked, width int) {
	if len(unchecked) == 0 {
		return
	}
	b.WriteString("\n" + report.WrapIndent("", "  ", "Could not check (error in the audit), so this plan may be incomplete: these rules may need changes it does not show:", width))
	for _, pass := range []bool{true, false} { // nodes first, then the deployment
		for _, u := range unchecked {
			if (u.Node != "") != pass {
				continue
			}
			where := "for the deployment"
			if u.Node != "" {
				where = "on " + u.Node
			}
			b.WriteString(report.WrapIndent("  ", "    ", fmt.Sprintf("%s %s: %s", u.Rule, where, u.Reason), width))
		}
	}
	b.WriteString(report.WrapIndent("", "  ", "Make the node or database readable (reachable, files present, query allowed) and plan again before relying on this plan.", width))
}

// writeChanges lists changes by node, with their details indented. The
// heading and the summary of a change wrap (its object, a path, kept
// whole); its detail, a diff, is quoted as it is.
func writeChanges(b *strings.Builder, changes []Change, width int) {
	last := "\x00"
	for _, c := range changes {
		if c.Node != last {
			label := c.Node
			if label == "" {
				label = "database"
			}
			fmt.Fprintf(b, "\n%s\n", label)
			last = c.Node
		}
		object := c.Object()
		head := fmt.Sprintf("%s %s %s", c.Action(), c.Kind(), object)
		if len(c.Rules) > 0 { // a runbook's changes repair no rule
			head += "  [" + strings.Join(c.Rules, ", ") + "]"
		}
		b.WriteString(report.WrapIndent("  ", "      ", head, width, object))
		b.WriteString(report.WrapIndent("    ", "      ", c.Summary, width, object))
		for _, line := range strings.SplitAfter(strings.TrimRight(c.Detail, "\n"), "\n") {
			if line != "" {
				fmt.Fprintf(b, "    %s", strings.TrimRight(line, "\n")+"\n")
			}
		}
	}
}

func nodeSuffix(node string) string {
	if node == "" {
		return ""
	}
	return " " + node
}

// countChanges is "3 changes on tms02, tms03 and the database".
func countChanges(changes []Change) string {
	var where []string
	db := false
	for _, c := range changes {
		switch {
		case c.Node == "":
			db = true
		case len(where) == 0 || where[len(where)-1] != c.Node:
			where = append(where, c.Node)
		}
	}
	if db {
		where = append(where, "the database")
	}
	return plural(len(changes), "change") + " on " + joinAnd(where)
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func joinAnd(items []string) string {
	switch len(items) {
	case 0:
		return "nothing"
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// jsonChange is one change in the JSON document.
type jsonChange struct {
	Node    string   `json:"node"`
	Kind    Kind     `json:"kind"`
	Object  string   `json:"object"`
	Action  Action   `json:"action"`
	Rules   []string `json:"rules"`
	Summary string   `json:"summary"`
	Detail  string   `json:"detail,omitempty"`
	Before  State    `json:"before"`
	After   State    `json:"after"`
}

type jsonManual struct {
	Rule        string `json:"rule"`
	Node        string `json:"node"`
	Remediation string `json:"remediation"`
}

type jsonSkipped struct {
	Rule   string `json:"rule"`
	Node   string `json:"node"`
	Reason string `json:"reason"`
}

type jsonUnchecked struct {
	Rule   string `json:"rule"`
	Node   string `json:"node"`
	Reason string `json:"reason"`
}

type jsonDocument struct {
	Schema     string `json:"schema"`
	Command    string `json:"command"`
	Deployment string `json:"deployment"`
	Model      string `json:"model,omitempty"`
	Applied    bool   `json:"applied"`
	// Complete is false when some rule within the plan's reach could
	// not be checked (Unchecked): the plan may lack changes.
	Complete   bool            `json:"complete"`
	Run        string          `json:"run,omitempty"`
	RunDir     string          `json:"run_dir,omitempty"`
	RollbackOf string          `json:"rollback_of,omitempty"`
	Changes    []jsonChange    `json:"changes"`
	Skipped    []jsonSkipped   `json:"skipped"`
	Manual     []jsonManual    `json:"manual"`
	Unchecked  []jsonUnchecked `json:"unchecked"`
	Nodes      []NodeOutcome   `json:"nodes"`
	Verdicts   []Verdict       `json:"verdicts"`
	Audit      json.RawMessage `json:"audit,omitempty"`
}

// WriteJSON renders doc as the tmsdrift/fix/v1 JSON document; audit, when
// given, is the JSON report (tmsdrift/report/v1) of the audit the document
// rests on: after the fix when applied, else the one the plan came from.
func WriteJSON(w io.Writer, doc *Document, audit json.RawMessage) error {
	out := jsonDocument{
		Schema: DocumentSchema, Command: doc.Command, Deployment: doc.Deployment, Model: doc.Model,
		Applied: doc.Applied, RollbackOf: doc.RollbackOf,
		Complete: doc.Plan.Complete(), Unchecked: []jsonUnchecked{},
		Changes: []jsonChange{}, Skipped: []jsonSkipped{}, Manual: []jsonManual{},
		Nodes: []NodeOutcome{}, Verdicts: doc.Verdicts, Audit: audit,
	}
	if out.Verdicts == nil {
		out.Verdicts = []Verdict{}
	}
	for _, c := range doc.Plan.Changes {
		out.Changes = append(out.Changes, jsonChange{Node: c.Node, Kind: c.Kind(), Object: c.Object(), Action: c.Action(),
			Rules: c.Rules, Summary: c.Summary, Detail: c.Detail, Before: c.Op.StateBefore(), After: c.Op.StateAfter()})
	}
	for _, s := range doc.Plan.Skipped {
		out.Skipped = append(out.Skipped, jsonSkipped(s))
	}
	for _, m := range doc.Plan.Manual {
		out.Manual = append(out.Manual, jsonManual(m))
	}
	for _, u := range doc.Plan.Unchecked {
		out.Unchecked = append(out.Unchecked, jsonUnchecked(u))
	}
	if o := doc.Outcome; o != nil {
		out.Run, out.RunDir, out.Nodes = o.Run, o.RunDir, o.Nodes
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("write fix report: %w", err)
	}
	return nil
}
