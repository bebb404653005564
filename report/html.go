package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"io"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tmsdrift/tmsdrift/checks"
)

// HTML is the format people open in a browser or receive by e-mail: one
// self-contained page, the verdict first, then a node × rule matrix, what
// changed since the previous run (Options.Changes), and every failure and
// error with expected and observed values, the remediation and the guide
// section it comes from.
//
// The page needs nothing but itself: CSS inline on each element (e-mail
// clients drop <style> blocks and never load external sheets), layout by
// tables, no script, no image, no external link but to anchors within
// the page. Everything from outside (node names, messages, file paths)
// goes through html/template's contextual escaping after control
// characters are stripped and long hex runs (key material, should a
// message ever carry it) are replaced by a fingerprint.
type HTML struct{ opts Options }

// NewHTML returns the HTML format. It uses FailOn (the verdict), Inventory
// (fix hints), Changes (the "since the previous run" section) and Notes.
func NewHTML(opts Options) *HTML { return &HTML{opts: opts} }

// htmlMatrixNodeLimit is how many node columns the matrix shows before it
// keeps only the nodes with something to look at: 1,000 columns of ✓ help
// nobody, least of all in an e-mail.
const htmlMatrixNodeLimit = 24

// Write renders r as one HTML document.
func (h *HTML) Write(w io.Writer, r *Report) error {
	view := h.view(r)
	var b bytes.Buffer
	if err := htmlPage.Execute(&b, view); err != nil {
		return fmt.Errorf("render html report: %w", err)
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("write html report: %w", err)
	}
	return nil
}

// htmlView is what the template shows; every string in it is plain text
// (already cleaned), the template escapes it.
type htmlView struct {
	Title      string
	Verdict    string
	VerdictBox template.CSS
	Counts     Summary
	ExitNote   string
	Started    string
	Finished   string
	Notes      []string
	Changes    *htmlChanges
	Matrix     htmlMatrix
	Failures   []htmlItem
	Errors     []htmlItem
	ErrAdvice  string
	Waived     []htmlItem
	Schema     string
}

// htmlChanges is the "since the previous run" section.
type htmlChanges struct {
	FirstRun bool
	Since    string
	Summary  string
	Verdict  string // "fail → pass" when it changed, else ""
	Groups   []htmlChangeGroup
}

type htmlChangeGroup struct {
	Title string
	Style template.CSS
	Items []htmlChangeItem
}

type htmlChangeItem struct {
	Rule, Node, Severity, Status, FirstSeen, Text, Anchor string
}

// htmlMatrix has one row per rule and one column per node (the
// deployment-wide results first).
type htmlMatrix struct {
	Columns []string
	Rows    []htmlRow
	Hidden  int // nodes left out because every result on them passed
}

type htmlRow struct {
	Rule, Title, Severity string
	Cells                 []htmlCell
}

type htmlCell struct {
	Text   string
	Title  string
	Style  template.CSS
	Anchor string // "" or the id of the detail block
}

// htmlItem is one failure, error or waived result in detail.
type htmlItem struct {
	Anchor      string
	Rule        string
	Title       string
	Node        string
	Severity    string
	Expected    string
	Observed    string
	Message     string
	Remediation string
	Source      string
	Doc         string // "" for a tmsdrift assumption
	// SourceStatus: confirmed, not re-read, tmsdrift assumption
	// (docs/tms-versions.md, Sources, as read).
	SourceStatus string
	Fix          string
	Explain      string
	New          bool   // a failure that was not failing in the previous run
	Baseline     string // "new" or "known" under audit --baseline
}

// Status colours: text and background pairs readable in light mode and
// printed, and distinguishable without colour (every cell also has a word).
var statusStyles = map[checks.Status]template.CSS{
	checks.Fail:   "background:#fde7ea;color:#9b0018;font-weight:bold;",
	checks.Error:  "background:#f3e5f5;color:#5e1780;font-weight:bold;",
	checks.Waived: "background:#e0f2f1;color:#00564d;",
	checks.Pass:   "background:#e8f5e9;color:#1b5e20;",
}

var statusSymbols = map[checks.Status]string{
	checks.Fail: "✗ fail", checks.Error: "? error", checks.Waived: "~ waived", checks.Pass: "✓ pass",
}

func (h *HTML) view(r *Report) htmlView {
	failOn := h.opts.failOn()
	ordered := byAttention(r.Results)
	v := htmlView{
		Title:     htmlClean(title(r)),
		Counts:    r.Summary,
		ExitNote:  exitNote(r, failOn),
		Started:   rfc3339(r.StartedAt),
		Finished:  rfc3339(r.FinishedAt),
		ErrAdvice: errorAdvice,
		Schema:    Schema,
	}
	v.Verdict, v.VerdictBox = htmlVerdict(r, failOn)
	for _, n := range h.opts.Notes {
		v.Notes = append(v.Notes, htmlClean(n))
	}

	newFailure := map[ResultKey]bool{}
	if ch := h.opts.Changes; ch != nil {
		for _, c := range ch.NewFailures {
			newFailure[c.Key()] = true
		}
	}
	anchors := map[ResultKey]string{}
	keyed := keyedResults(r.Results)
	for _, kr := range orderedKeyed(keyed, ordered) {
		res := kr.res
		var list *[]htmlItem
		prefix := ""
		switch res.Status {
		case checks.Fail:
			list, prefix = &v.Failures, "fail-"
		case checks.Error:
			list, prefix = &v.Errors, "error-"
		case checks.Waived:
			list, prefix = &v.Waived, "waived-"
		default:
			continue
		}
		anchor := fmt.Sprintf("%s%d", prefix, len(*list)+1)
		anchors[kr.key] = anchor
		it := h.item(res, anchor, newFailure[kr.key])
		it.Baseline = r.mark(res)
		*list = append(*list, it)
	}
	v.Matrix = htmlMatrixOf(keyed, anchors)
	if ch := h.opts.Changes; ch != nil {
		v.Changes = htmlChangesOf(ch, anchors)
	}
	return v
}

// keyedResult is a result with its ResultKey, so anchors and "new" marks
// find it even when a rule and node repeat.
type keyedResult struct {
	key ResultKey
	res checks.Result
}

// keyedResults keys results in report order, numbering repeats as
// IndexResults does.
func keyedResults(results []checks.Result) []keyedResult {
	out := make([]keyedResult, 0, len(results))
	seen := map[ResultKey]bool{}
	for _, res := range results {
		k := ResultKey{Rule: res.Rule, Node: strings.ToLower(res.Node)}
		for seen[k] {
			k.Nth++
		}
		seen[k] = true
		out = append(out, keyedResult{k, res})
	}
	return out
}

// orderedKeyed returns keyed in the order of ordered (byAttention of the
// same results), pairing identical results in turn; linear, for reports
// of thousands of nodes.
func orderedKeyed(keyed []keyedResult, ordered []checks.Result) []keyedResult {
	pending := make(map[checks.Result][]int, len(keyed))
	for i, kr := range keyed {
		pending[kr.res] = append(pending[kr.res], i)
	}
	out := make([]keyedResult, 0, len(keyed))
	for _, res := range ordered {
		if q := pending[res]; len(q) > 0 {
			out = append(out, keyed[q[0]])
			pending[res] = q[1:]
		}
	}
	return out
}

// item is the detail block of one result.
func (h *HTML) item(res checks.Result, anchor string, isNew bool) htmlItem {
	it := htmlItem{
		Anchor:   anchor,
		Rule:     htmlClean(res.Rule),
		Title:    htmlClean(res.Rule),
		Node:     htmlClean(nodeLabel(res.Node)),
		Severity: string(res.Severity),
		Expected: htmlClean(strings.TrimSpace(res.Expected)),
		Observed: htmlClean(strings.TrimSpace(res.Observed)),
		Message:  htmlClean(strings.TrimSpace(res.Message)),
		Explain:  explainCommand(htmlClean(res.Rule)),
		New:      isNew,
	}
	if rule := checks.Lookup(res.Rule); rule != nil {
		it.Title, it.Remediation = rule.Title, rule.Remediation
		it.Source, it.Doc, it.SourceStatus = rule.Source, rule.DocName(), sourceStatus(rule).Label()
		if res.Status == checks.Fail && (rule.Fixable || res.Fixable) && h.opts.Inventory != "" {
			it.Fix = htmlClean(fixCommand(h.opts.Inventory, res.Rule, false))
		}
	}
	return it
}

// htmlVerdict is the banner: the same verdicts as the Markdown format.
func htmlVerdict(r *Report, failOn checks.Severity) (string, template.CSS) {
	switch r.ExitCode(failOn) {
	case ExitFail:
		return "✗ Drift found", "background:#9b0018;color:#ffffff;"
	case ExitErrored:
		return "? Not everything could be checked", "background:#5e1780;color:#ffffff;"
	}
	if r.passesOnKnown(failOn) {
		return "~ Only failures the baseline already had", "background:#8a5a00;color:#ffffff;"
	}
	if r.Summary.Fail > 0 {
		return fmt.Sprintf("~ Failures below --fail-on %s", failOn), "background:#8a5a00;color:#ffffff;"
	}
	return "✓ No drift", "background:#1b5e20;color:#ffffff;"
}

// htmlMatrixOf lays the results out as rules × nodes, rules in catalogue
// order, nodes in report order (the inventory's), the deployment column
// first when a rule has a deployment-wide result.
func htmlMatrixOf(keyed []keyedResult, anchors map[ResultKey]string) htmlMatrix {
	var m htmlMatrix
	var rules, nodes []string
	ruleSeen, nodeSeen := map[string]bool{}, map[string]bool{}
	hasDeployment := false
	attention := map[string]bool{}
	cells := map[[2]string]keyedResult{}
	for _, kr := range keyed {
		res := kr.res
		if !ruleSeen[res.Rule] {
			ruleSeen[res.Rule] = true
			rules = append(rules, res.Rule)
		}
		node := strings.ToLower(res.Node)
		if res.Node == "" {
			hasDeployment = true
		} else if !nodeSeen[node] {
			nodeSeen[node] = true
			nodes = append(nodes, res.Node)
		}
		if res.Status != checks.Pass {
			attention[node] = true
		}
		at := [2]string{res.Rule, node}
		if _, taken := cells[at]; !taken || kr.res.Status == checks.Fail {
			cells[at] = kr // a repeated pair shows its failure
		}
	}
	if len(nodes) > htmlMatrixNodeLimit {
		kept := nodes[:0:0]
		for _, n := range nodes {
			if attention[strings.ToLower(n)] {
				kept = append(kept, n)
			}
		}
		m.Hidden = len(nodes) - len(kept)
		nodes = kept
	}
	var cols []string // lower-case keys
	if hasDeployment {
		cols = append(cols, "")
		m.Columns = append(m.Columns, deploymentLabel)
	}
	for _, n := range nodes {
		cols = append(cols, strings.ToLower(n))
		m.Columns = append(m.Columns, htmlClean(n))
	}
	for _, id := range inCatalogueOrder(rules) {
		row := htmlRow{Rule: htmlClean(id), Title: htmlClean(id)}
		if rule := checks.Lookup(id); rule != nil {
			row.Title = rule.Title
			row.Severity = string(rule.Severity)
		}
		for _, col := range cols {
			kr, ok := cells[[2]string{id, col}]
			if !ok {
				row.Cells = append(row.Cells, htmlCell{Text: "–", Title: "not evaluated here", Style: "color:#9e9e9e;"})
				continue
			}
			if row.Severity == "" {
				row.Severity = string(kr.res.Severity)
			}
			row.Cells = append(row.Cells, htmlCell{
				Text:   statusSymbols[kr.res.Status],
				Title:  htmlClean(string(kr.res.Status) + ": " + firstLine(observedText(kr.res))),
				Style:  statusStyles[kr.res.Status],
				Anchor: anchors[kr.key],
			})
		}
		m.Rows = append(m.Rows, row)
	}
	return m
}

// htmlChangesOf is the "since the previous run" section.
func htmlChangesOf(ch *Changes, anchors map[ResultKey]string) *htmlChanges {
	out := &htmlChanges{FirstRun: ch.FirstRun, Summary: ch.Summary()}
	if ch.FirstRun {
		return out
	}
	out.Since = rfc3339(ch.Since)
	if ch.VerdictChanged {
		out.Verdict = fmt.Sprintf("%s → %s", ch.OldVerdict, ch.NewVerdict)
	}
	groups := []struct {
		title string
		style checks.Status
		list  []Change
	}{
		{"New failures", checks.Fail, ch.NewFailures},
		{"New errors (could not be checked)", checks.Error, ch.NewErrors},
		{"Resolved", checks.Pass, ch.Resolved},
		{"Now waived (not fixed: a waiver covers the failure)", checks.Waived, ch.Waived},
		{"Errors cleared", checks.Pass, ch.ClearedErrors},
		{"Still failing", checks.Fail, ch.StillFailing},
	}
	for _, g := range groups {
		if len(g.list) == 0 {
			continue
		}
		grp := htmlChangeGroup{Title: fmt.Sprintf("%s (%d)", g.title, len(g.list)), Style: statusStyles[g.style]}
		for _, c := range g.list {
			status := string(c.After)
			if status == "" {
				status = "no longer evaluated"
			}
			if c.Before != "" {
				status = string(c.Before) + " → " + status
			} else {
				status = "new: " + status
			}
			item := htmlChangeItem{
				Rule: htmlClean(c.Rule), Node: htmlClean(nodeLabel(c.Node)), Severity: string(c.Severity),
				Status: status, Text: htmlClean(firstLine(observedText(c.Result))), Anchor: anchors[c.Key()],
			}
			if !c.FirstSeen.IsZero() {
				item.FirstSeen = c.FirstSeen.UTC().Format(time.DateOnly)
			}
			grp.Items = append(grp.Items, item)
		}
		out.Groups = append(out.Groups, grp)
	}
	return out
}

// firstLine is the first non-empty line of s, cut to a length a table
// cell can hold.
func firstLine(s string) string {
	for _, line := range strings.Split(s, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			if utf8.RuneCountInString(line) > 160 {
				r := []rune(line)
				return string(r[:159]) + "…"
			}
			return line
		}
	}
	return ""
}

// hexRun is a run of hexadecimal digits long enough to be key material
// (an ASP.NET decryptionKey has at least 16 bytes, 32 digits).
var hexRun = regexp.MustCompile(`[0-9A-Fa-f]{32,}`)

// htmlClean makes outside text fit for the page before html/template
// escapes it: Sanitize shows control characters, bidirectional overrides
// and bytes that are not UTF-8 as visible escapes (as every human format
// does), and a run of 32 or more hex digits (key material: checks report
// machineKeys as fingerprints, this is defence in depth for an e-mail) is
// replaced by its own short SHA-256 fingerprint.
func htmlClean(s string) string {
	s = Sanitize(s)
	return hexRun.ReplaceAllStringFunc(s, func(h string) string {
		sum := sha256.Sum256([]byte(strings.ToUpper(h)))
		return "[hex value hidden, sha256:" + hex.EncodeToString(sum[:6]) + "]"
	})
}

// lines splits text for the template, which joins the lines with <br>:
// e-mail clients do not all honour white-space: pre-wrap.
func lines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// proseSpan is a piece of catalogue prose: plain text, or a command or
// key the catalogue marks with backticks.
type proseSpan struct {
	Text string
	Code bool
}

// prose splits catalogue prose at its backticks so the template shows
// commands as code; an unpaired backtick leaves the text as it is.
func prose(s string) []proseSpan {
	parts := strings.Split(s, "`")
	if len(parts)%2 == 0 {
		return []proseSpan{{Text: s}}
	}
	out := make([]proseSpan, 0, len(parts))
	for i, p := range parts {
		if p != "" {
			out = append(out, proseSpan{Text: p, Code: i%2 == 1})
		}
	}
	return out
}

var htmlPage = template.Must(template.New("report").Funcs(template.FuncMap{
	"lines": lines,
	"prose": prose,
}).Parse(htmlTemplate))
