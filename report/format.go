package report

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/tmsdrift/tmsdrift/checks"
)

// Writer renders a Report in one format. One method is enough: every
// format writes the whole report at once, so there is no "not supported"
// half of an interface to stub out.
type Writer interface {
	Write(w io.Writer, r *Report) error
}

// Options are what the command line decides for every format. Formats
// ignore what does not concern them (JSON has no colour).
type Options struct {
	// Color paints statuses with ANSI colours. The caller decides (see
	// ColorWanted): renderers never look at the terminal themselves, so
	// golden files and pipes get plain text.
	Color bool
	// Verbose lists passing results too. By default the table shows only
	// what needs attention: 1,000 nodes × 23 rules of pass rows is noise.
	Verbose bool
	// FailOn is the --fail-on threshold used for the exit code the human
	// formats print; the zero value means checks.Low, the CLI default.
	FailOn checks.Severity
	// Inventory is the inventory path the run used, quoted back in the
	// `tmsdrift fix -i <inventory>` hint; empty omits the hint.
	Inventory string
	// Changes, when set, is what changed since the previous run (Compare);
	// the HTML format shows it. Nil omits the section.
	Changes *Changes
	// Notes are sentences the caller puts above the results ("upgrade
	// detected on tms02"), text marked `like this` shown as code; the HTML
	// format shows them.
	Notes []string
	// Width is how many columns the table and the text around it may
	// fill (see Width); 0 means DefaultWidth.
	Width int
}

// failOn is FailOn with the default filled in.
func (o Options) failOn() checks.Severity {
	if o.FailOn == "" {
		return checks.Low
	}
	return o.FailOn
}

// formats is the one table from format name to constructor. Adding a
// format means one file and one line here; --help reads the names from it.
var formats = map[string]func(Options) Writer{
	"table":    func(o Options) Writer { return NewTable(o) },
	"json":     func(o Options) Writer { return NewJSON(o) },
	"junit":    func(o Options) Writer { return NewJUnit(o) },
	"markdown": func(o Options) Writer { return NewMarkdown(o) },
	"html":     func(o Options) Writer { return NewHTML(o) },
}

// Formats returns the format names, sorted, for --help and error messages.
func Formats() []string {
	names := make([]string, 0, len(formats))
	for name := range formats {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// NewWriter returns the writer for the named format, so the command line
// can pass --format straight through; an unknown name is a usage error
// that lists the valid ones. (Not "New": that builds a Report.)
func NewWriter(name string, opts Options) (Writer, error) {
	ctor, ok := formats[name]
	if !ok {
		return nil, fmt.Errorf("unknown report format %q (want one of %s)", name, strings.Join(Formats(), ", "))
	}
	return ctor(opts), nil
}
