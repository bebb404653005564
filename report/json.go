package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"time"
	"unicode/utf8"

	"github.com/tmsdrift/tmsdrift/checks"
)

// JSON is the machine format of contract §5, the one users' scripts and
// CI gates parse. Its keys are spelled out here, not borrowed from the
// Report's struct tags, so a change elsewhere cannot change the contract.
//
// Results are written in the Report's order, which the engine makes
// stable (catalogue order, then the inventory's node order); JSON does not
// re-sort them, so a diff of two runs lines up.
type JSON struct{}

// NewJSON returns the JSON format. No option changes it: a machine format
// is the same whoever runs it.
func NewJSON(Options) *JSON { return &JSON{} }

// jsonReport is contract §5, key for key.
type jsonReport struct {
	Schema     string       `json:"schema"`
	Deployment string       `json:"deployment"`
	Model      string       `json:"model"`
	StartedAt  string       `json:"started_at"`
	FinishedAt string       `json:"finished_at"`
	Summary    jsonSummary  `json:"summary"`
	Results    []jsonResult `json:"results"`
}

type jsonSummary struct {
	Pass   int `json:"pass"`
	Fail   int `json:"fail"`
	Waived int `json:"waived"`
	Error  int `json:"error"`
}

// jsonResult is one result; Node is "" for a deployment-wide result and
// is never omitted.
type jsonResult struct {
	Rule     string `json:"rule"`
	Node     string `json:"node"`
	Status   string `json:"status"`
	Severity string `json:"severity"`
	Expected string `json:"expected"`
	Observed string `json:"observed"`
	Message  string `json:"message"`
	Fixable  bool   `json:"fixable"`
	// Baseline is "new" or "known" on a failure of an audit run with
	// --baseline (docs/contract.md §7); omitted otherwise, so v1 readers
	// see the report they know.
	Baseline string `json:"baseline,omitempty"`
}

// Write renders r as indented JSON followed by a newline.
func (j *JSON) Write(w io.Writer, r *Report) error {
	out := jsonReport{
		Schema:     r.Schema,
		Deployment: r.Deployment,
		Model:      r.Model,
		StartedAt:  rfc3339(r.StartedAt),
		FinishedAt: rfc3339(r.FinishedAt),
		Summary:    jsonSummary(r.Summary),
		Results:    make([]jsonResult, len(r.Results)),
	}
	if out.Schema == "" {
		out.Schema = Schema
	}
	for i, res := range r.Results {
		out.Results[i] = toJSONResult(res)
		if i < len(r.Baseline) {
			out.Results[i].Baseline = r.Baseline[i]
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	// Messages quote XML (<machineKey>); \u003c would only hinder reading.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("write json report: %w", err)
	}
	if _, err := w.Write(escapeControls(buf.Bytes())); err != nil {
		return fmt.Errorf("write json report: %w", err)
	}
	return nil
}

// escapeControls spells, in encoded JSON, the characters Sanitize escapes
// that encoding/json writes raw (DEL, the C1 controls, bidirectional
// overrides) as \uXXXX: the decoded values are the same, and a report
// printed on a terminal cannot act on it. Outside strings JSON holds only
// ASCII punctuation, so every such character is inside a string.
func escapeControls(b []byte) []byte {
	if firstUnsafe(string(b)) < 0 {
		return b
	}
	var out bytes.Buffer
	out.Grow(len(b) + 16)
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if unsafeRune(r) {
			fmt.Fprintf(&out, `\u%04x`, r)
		} else {
			out.Write(b[:size])
		}
		b = b[size:]
	}
	return out.Bytes()
}

func toJSONResult(res checks.Result) jsonResult {
	return jsonResult{
		Rule: res.Rule, Node: res.Node, Status: string(res.Status), Severity: string(res.Severity),
		Expected: res.Expected, Observed: res.Observed, Message: res.Message, Fixable: res.Fixable,
	}
}

// rfc3339 formats t in UTC, the contract's timestamp form; fractions of a
// second are kept when present, so short runs keep their duration.
func rfc3339(t time.Time) string {
	return t.UTC().Format(time.RFC3339Nano)
}
