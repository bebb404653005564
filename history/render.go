package history

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// ListSchema identifies the JSON `tmsdrift history --format json` prints.
const ListSchema = "tmsdrift/history-list/v1"

// ListFormats are the formats WriteList knows.
func ListFormats() []string { return []string{"json", "table"} }

// WriteList renders runs (newest first, as List returns them) in format:
// a table for people, or JSON (the run.json records in a list).
func WriteList(w io.Writer, format string, runs []*Run) error {
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
		if err := listTable(&b, runs); err != nil {
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

func listTable(b *bytes.Buffer, runs []*Run) error {
	if len(runs) == 0 {
		b.WriteString("No runs yet.\n")
		return nil
	}
	table := tablewriter.NewTable(b,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleLight)})),
		tablewriter.WithConfig(tablewriter.Config{
			Header: tw.CellConfig{Formatting: tw.CellFormatting{AutoFormat: tw.Off}, Alignment: tw.CellAlignment{Global: tw.AlignLeft}},
			Row: tw.CellConfig{Formatting: tw.CellFormatting{AutoWrap: tw.WrapNormal}, Alignment: tw.CellAlignment{Global: tw.AlignLeft},
				ColMaxWidths: tw.CellWidth{PerColumn: tw.NewMapper[int, int]().Set(4, 50)}},
		}))
	table.Header("Run", "Started (UTC)", "Verdict", "Pass/Fail/Waived/Error", "What changed")
	for _, r := range runs {
		counts := "-"
		if s := r.Summary; s != nil {
			counts = fmt.Sprintf("%d/%d/%d/%d", s.Pass, s.Fail, s.Waived, s.Error)
		}
		if err := table.Append(r.ID, r.StartedAt.UTC().Format(time.DateTime), r.Verdict, counts, what(r)); err != nil {
			return err
		}
	}
	return table.Render()
}

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
		parts = append(parts, fmt.Sprintf("inventory invalid (%d problems)", len(r.Problems)))
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

// clean drops control characters (an error text could carry them) so
// nothing from outside steers the terminal.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}
