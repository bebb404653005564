package inventory

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Problem is one thing wrong with an inventory, placed where the
// administrator must edit: the file, the line and column of the offending
// value (or of the mapping that lacks a key), and the key path in the
// document such as nodes[1].role.
type Problem struct {
	File    string
	Line    int // 1-based; 0 when the position is unknown
	Column  int // 1-based; 0 when the position is unknown
	Field   string
	Message string
}

// String formats the problem as file:line:col: field: message, the form
// editors and terminals turn into a jump to the spot; parts that are
// unknown are left out.
func (p Problem) String() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		if p.Line > 0 {
			fmt.Fprintf(&b, ":%d", p.Line)
			if p.Column > 0 {
				fmt.Fprintf(&b, ":%d", p.Column)
			}
		}
		b.WriteString(": ")
	} else if p.Line > 0 {
		fmt.Fprintf(&b, "%d:%d: ", p.Line, p.Column)
	}
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Error is a bad inventory: every problem found in one pass, so the
// administrator fixes them all at once instead of one per run. The command
// line maps it to exit code 2 (bad input).
type Error struct {
	Problems []Problem
	// Err is the underlying cause when the file could not be read at all
	// (errors.Is(err, fs.ErrNotExist) works through Unwrap).
	Err error
}

// Error lists the problems one per line, in file order.
func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the I/O error behind an unreadable file, if any.
func (e *Error) Unwrap() error { return e.Err }

// problems collects Problems for one file while loading or validating.
type problems struct {
	file string
	loc  *locator // nil when validating an inventory without its YAML
	list []Problem
}

// add records a problem at the field's position (or, when the field is
// absent from the document, at the nearest enclosing mapping).
func (ps *problems) add(field, format string, args ...any) {
	line, col := ps.loc.find(field)
	ps.addAt(line, col, field, fmt.Sprintf(format, args...))
}

// addAt records a problem at a known position.
func (ps *problems) addAt(line, col int, field, msg string) {
	ps.list = append(ps.list, Problem{File: ps.file, Line: line, Column: col, Field: field, Message: msg})
}

// err returns nil when nothing is wrong, otherwise an *Error with the
// problems in file order (problems at the same spot keep the order they were
// found in).
func (ps *problems) err() error {
	if len(ps.list) == 0 {
		return nil
	}
	list := slices.Clone(ps.list)
	slices.SortStableFunc(list, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	return &Error{Problems: list}
}
