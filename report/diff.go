package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/tmsdrift/tmsdrift/checks"
)

// DiffSchema identifies the JSON `tmsdrift diff` prints.
const DiffSchema = "tmsdrift/diff/v1"

// Diff is what `tmsdrift diff` shows: two runs (or report files) and
// what changed between them.
type Diff struct {
	Deployment string
	// Old and New name the two sides: a run id or a file.
	Old, New DiffSide
	Changes  Changes
}

// DiffSide is one side of a diff.
type DiffSide struct {
	Name      string // run id or report file
	StartedAt time.Time
}

// DiffFormats are the formats WriteDiff knows, sorted.
func DiffFormats() []string { return []string{"json", "markdown", "table"} }

// WriteDiff renders d in format (one of DiffFormats); the table fits width
// columns (0: DefaultWidth; the command line passes Width(stdout)).
func WriteDiff(w io.Writer, format string, d *Diff, width int) error {
	var b bytes.Buffer
	var err error
	switch format {
	case "json":
		err = diffJSON(&b, d)
	case "markdown":
		diffMarkdown(&b, d)
	case "table":
		err = diffTable(&b, d, Options{Width: width}.width())
	default:
		return fmt.Errorf("unknown diff format %q (want one of %s)", format, strings.Join(DiffFormats(), ", "))
	}
	if err != nil {
		return fmt.Errorf("render diff: %w", err)
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("write diff: %w", err)
	}
	return nil
}

// diffSection is one list of changes, as every format shows it.
type diffSection struct {
	key, title string
	changes    []Change
	firstSeen  bool // show since when it fails
}

func sections(c *Changes) []diffSection {
	return []diffSection{
		{"new_failures", "New failures", c.NewFailures, false},
		{"resolved", "Resolved", c.Resolved, false},
		{"waived", "Now waived (not fixed: a waiver covers the failure)", c.Waived, false},
		{"still_failing", "Still failing", c.StillFailing, true},
		{"new_errors", "New errors (could not be checked)", c.NewErrors, false},
		{"cleared_errors", "Cleared errors", c.ClearedErrors, false},
	}
}

type jsonDiffSide struct {
	Name      string `json:"name"`
	StartedAt string `json:"started_at"`
}

type jsonDiffChange struct {
	Rule      string `json:"rule"`
	Node      string `json:"node"`
	Severity  string `json:"severity"`
	Before    string `json:"before"`
	After     string `json:"after"`
	FirstSeen string `json:"first_seen,omitempty"`
	Expected  string `json:"expected"`
	Observed  string `json:"observed"`
	Message   string `json:"message"`
}

// diffJSON writes the tmsdrift/diff/v1 document: both sides, the verdicts,
// the one-line summary and every list (empty lists are [], never null).
func diffJSON(b *bytes.Buffer, d *Diff) error {
	doc := struct {
		Schema         string                      `json:"schema"`
		Deployment     string                      `json:"deployment"`
		Old            jsonDiffSide                `json:"old"`
		New            jsonDiffSide                `json:"new"`
		Summary        string                      `json:"summary"`
		OldVerdict     string                      `json:"old_verdict"`
		NewVerdict     string                      `json:"new_verdict"`
		VerdictChanged bool                        `json:"verdict_changed"`
		Lists          map[string][]jsonDiffChange `json:"changes"`
	}{
		Schema: DiffSchema, Deployment: d.Deployment,
		Old:     jsonDiffSide{d.Old.Name, rfc3339(d.Old.StartedAt)},
		New:     jsonDiffSide{d.New.Name, rfc3339(d.New.StartedAt)},
		Summary: d.Changes.Summary(), OldVerdict: string(d.Changes.OldVerdict), NewVerdict: string(d.Changes.NewVerdict),
		VerdictChanged: d.Changes.VerdictChanged, Lists: map[string][]jsonDiffChange{},
	}
	for _, s := range sections(&d.Changes) {
		list := make([]jsonDiffChange, 0, len(s.changes))
		for _, c := range s.changes {
			jc := jsonDiffChange{Rule: c.Rule, Node: c.Node, Severity: string(c.Severity), Before: string(c.Before), After: string(c.After),
				Expected: c.Result.Expected, Observed: c.Result.Observed, Message: c.Result.Message}
			if s.firstSeen && !c.FirstSeen.IsZero() {
				jc.FirstSeen = rfc3339(c.FirstSeen)
			}
			list = append(list, jc)
		}
		doc.Lists[s.key] = list
	}
	enc := json.NewEncoder(b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

// diffTable is the terminal form: a heading line, then one table per list
// that is not empty, fitted to width as the audit table is.
func diffTable(b *bytes.Buffer, d *Diff, width int) error {
	// The heading wraps too; the two sides (run ids or report files,
	// which may hold spaces) stay whole.
	old, latest := htmlClean(d.Old.Name), htmlClean(d.New.Name)
	b.WriteString(WrapIndent("", "  ", fmt.Sprintf("%s: %s → %s: %s", htmlClean(d.Deployment), old, latest, d.Changes.Summary()), width, old, latest))
	if d.Changes.VerdictChanged && !d.Changes.FirstRun {
		b.WriteString(WrapIndent("", "  ", fmt.Sprintf("Verdict: %s → %s", d.Changes.OldVerdict.Text(), d.Changes.NewVerdict.Text()), width))
	}
	for _, s := range sections(&d.Changes) {
		if len(s.changes) == 0 {
			continue
		}
		fmt.Fprintf(b, "\n%s (%d):\n", s.title, len(s.changes))
		t := box{headers: []string{"Severity", "Rule", "Node", "Was", "Now", "Observed / message"},
			keep: []bool{true, true, true, true, true, false}, betweenRows: true}
		if s.firstSeen {
			t.headers = slices.Insert(t.headers, 5, "Failing since")
			t.keep = slices.Insert(t.keep, 5, true)
		}
		for _, c := range s.changes {
			row := []string{string(c.Severity), c.Rule, htmlClean(nodeLabel(c.Node)), statusWord(c.Before), statusWord(c.After),
				cellText(htmlClean(observedText(c.Result)))}
			if s.firstSeen {
				row = slices.Insert(row, 5, dateOf(c.FirstSeen))
			}
			t.rows = append(t.rows, row)
		}
		if err := t.draw(b, width); err != nil {
			return err
		}
	}
	return nil
}

// diffMarkdown is the pull-request and e-mail form. Outside text is
// cleaned of control characters (htmlClean) before it is escaped.
func diffMarkdown(b *bytes.Buffer, d *Diff) {
	fmt.Fprintf(b, "## tmsdrift diff: %s\n\n", mdCell(htmlClean(d.Deployment)))
	fmt.Fprintf(b, "%s → %s: **%s**\n", mdCell(htmlClean(d.Old.Name)), mdCell(htmlClean(d.New.Name)), mdCell(d.Changes.Summary()))
	if d.Changes.VerdictChanged && !d.Changes.FirstRun {
		fmt.Fprintf(b, "\nVerdict: %s → %s\n", d.Changes.OldVerdict.Text(), d.Changes.NewVerdict.Text())
	}
	for _, s := range sections(&d.Changes) {
		if len(s.changes) == 0 {
			continue
		}
		fmt.Fprintf(b, "\n### %s (%d)\n\n", s.title, len(s.changes))
		if s.firstSeen {
			b.WriteString("| Severity | Rule | Node | Failing since | Observed / message |\n|---|---|---|---|---|\n")
		} else {
			b.WriteString("| Severity | Rule | Node | Was | Now | Observed / message |\n|---|---|---|---|---|---|\n")
		}
		for _, c := range s.changes {
			if s.firstSeen {
				fmt.Fprintf(b, "| %s | `%s` | %s | %s | %s |\n", c.Severity, mdCode(c.Rule), mdCell(htmlClean(nodeLabel(c.Node))), dateOf(c.FirstSeen), mdCell(htmlClean(observedText(c.Result))))
				continue
			}
			fmt.Fprintf(b, "| %s | `%s` | %s | %s | %s | %s |\n", c.Severity, mdCode(c.Rule), mdCell(htmlClean(nodeLabel(c.Node))),
				statusWord(c.Before), statusWord(c.After), mdCell(htmlClean(observedText(c.Result))))
		}
	}
}

// statusWord is a status, or "absent" for a result the run did not have.
func statusWord(s checks.Status) string {
	if s == "" {
		return "absent"
	}
	return string(s)
}

// dateOf is a first-seen time as a UTC date and time.
func dateOf(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return t.UTC().Format("2006-01-02 15:04Z")
}
