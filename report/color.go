package report

import (
	"os"

	"github.com/fatih/color"
	"github.com/mattn/go-isatty"

	"github.com/tmsdrift/tmsdrift/checks"
)

// ColorWanted reports whether output to f should be coloured: only on a
// terminal, and not when the user opted out with NO_COLOR
// (https://no-color.org: set and non-empty) or TERM=dumb. The command
// line calls it once and passes the answer as Options.Color, so renderers
// stay pure functions of their input.
func ColorWanted(f *os.File) bool {
	if f == nil {
		return false
	}
	fd := f.Fd()
	return colorAllowed(isatty.IsTerminal(fd) || isatty.IsCygwinTerminal(fd), os.Getenv)
}

// colorAllowed is ColorWanted's decision, apart from the file descriptor.
func colorAllowed(terminal bool, getenv func(string) string) bool {
	return terminal && getenv("NO_COLOR") == "" && getenv("TERM") != "dumb"
}

// palette paints text when colour is on and returns it unchanged when
// off. Each colour is forced on or off explicitly, because fatih/color's
// own global switch follows stdout, which is not necessarily where the
// report goes.
type palette struct{ on bool }

func (p palette) paint(s string, attrs ...color.Attribute) string {
	if !p.on || s == "" {
		return s
	}
	c := color.New(attrs...)
	c.EnableColor()
	return c.Sprint(s)
}

// status paints a status word: fail red, error magenta, waived cyan,
// pass green.
func (p palette) status(s checks.Status) string {
	switch s {
	case checks.Fail:
		return p.paint(string(s), color.FgRed, color.Bold)
	case checks.Error:
		return p.paint(string(s), color.FgMagenta, color.Bold)
	case checks.Waived:
		return p.paint(string(s), color.FgCyan)
	case checks.Pass:
		return p.paint(string(s), color.FgGreen)
	}
	return string(s)
}

// heading paints a section heading.
func (p palette) heading(s string) string { return p.paint(s, color.Bold) }

// faint paints secondary text such as command hints.
func (p palette) faint(s string) string { return p.paint(s, color.Faint) }
