package history

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mattn/go-runewidth"

	"github.com/tmsdrift/tmsdrift/report"
)

// ListSchema identifies the JSON `tmsdrift history --format json` prints.
const ListSchema = "tmsdrift/history-list/v1"

// ListFormats are the formats WriteList knows.
func ListFormats() []string { return []string{"json", "table"} }

// WriteList renders runs (newest first, as List returns them) in format:
// a table for people, width columns wide at most (report.Width's answer;
// 0 for the default), or JSON (the run.json records in a list).
func WriteList(w io.Writer, format string, runs []*Run, width int) error {
	var b bytes.Buffer
	switch format {
	case "json":
		if runs == nil {
			runs = []*Run{}
		}
		enc := json.NewEncoder(&b)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(struct {
			Schema string `json:"schema"`
			Runs   []*Run `json:"runs"`
		}{ListSchema, runs}); err != nil {
			return fmt.Errorf("render history: %w", err)
		}
	case "table":
		if err := listTable(&b, runs, width); err != nil {
			return fmt.Errorf("render history: %w", err)
		}
	default:
		return fmt.Errorf("unknown history format %q (want one of %s)", format, strings.Join(ListFormats(), ", "))
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("write history: %w", err)
	}
	return nil
}

// listTable aligns the runs in columns with text/tabwriter: a box-drawn
// table of 10,000 rows would take longer to draw than to read the runs.
// The last column, what changed, wraps under itself to fit width; when
// the other columns leave it too little room, it goes under each row,
// indented.
func listTable(b *bytes.Buffer, runs []*Run, width int) error {
	if len(runs) == 0 {
		b.WriteString("No runs yet.\n")
		return nil
	}
	if width <= 0 {
		width = report.DefaultWidth
	}
	var cols bytes.Buffer
	tw := tabwriter.NewWriter(&cols, 0, 0, 2, ' ', 0)
	whats := []string{"WHAT CHANGED"}
	fmt.Fprintln(tw, "RUN\tSTARTED (UTC)\tVERDICT\tPASS/FAIL/WAIVED/ERROR\t")
	for _, r := range runs {
		counts := "-"
		if s := r.Summary; s != nil {
			counts = fmt.Sprintf("%d/%d/%d/%d", s.Pass, s.Fail, s.Waived, s.Error)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", clean(r.ID), r.StartedAt.UTC().Format(time.DateTime), clean(r.Verdict), counts)
		whats = append(whats, what(r))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	lines := strings.Split(strings.TrimSuffix(cols.String(), "\n"), "\n")
	// The columns before it are padded alike: the first line says where
	// the last one starts.
	offset := runewidth.StringWidth(lines[0])
	under := offset+minWhatWidth > width
	for i, line := range lines {
		if under {
			b.WriteString(strings.TrimRight(line, " ") + "\n")
			b.WriteString(report.WrapIndent("    ", "    ", whats[i], width))
			continue
		}
		b.WriteString(report.WrapIndent(line, strings.Repeat(" ", offset), whats[i], width))
	}
	return nil
}

// minWhatWidth is the narrowest the "what changed" column may be beside
// the others before it moves under them.
const minWhatWidth = 20

// what is a run's "what changed" cell: the change summary, then what else
// a person should know about the run.
func what(r *Run) string {
	var parts []string
	if r.Changes != nil {
		parts = append(parts, r.Changes.Summary)
	}
	if u := r.Upgrade; u != nil {
		s := "upgrade detected (" + strings.Join(u.Nodes, ", ") + ")"
		switch {
		case len(u.Restored) > 0:
			s += "; restored"
		case u.Command != "":
			s += "; run " + u.Command
		}
		parts = append(parts, s)
	}
	if len(r.Problems) > 0 {
		noun := "problems"
		if len(r.Problems) == 1 {
			noun = "problem"
		}
		parts = append(parts, fmt.Sprintf("inventory invalid (%d %s)", len(r.Problems), noun))
	}
	if r.Error != "" {
		parts = append(parts, r.Error)
	}
	for _, n := range r.Notifications {
		if !n.OK {
			parts = append(parts, n.Channel+" notification failed")
		}
	}
	if len(parts) == 0 {
		return "-"
	}
	return clean(strings.Join(parts, "; "))
}

// clean makes a cell safe for a terminal: an error text or an upgrade's
// node name could carry control characters or a bidirectional override.
// Tabs and line ends become spaces (they would break the columns); the
// rest is shown as escapes by report.Sanitize, as in every human format.
func clean(s string) string {
	return report.Sanitize(strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s))
}
