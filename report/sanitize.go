package report

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tmsdrift/tmsdrift/checks"
)

// Sanitize makes text from outside tmsdrift (a node's facts, a file's
// contents, an inventory value, an error quoting any of them) safe to put
// in front of a person: nothing in it can move the cursor, clear or
// retitle a terminal, hide text, or reorder what is shown.
//
// Every character that would act instead of show becomes a visible escape
// in Go's spelling, so the reader still sees that it was there:
//
//   - C0 controls but tab and newline, including ESC (so no ANSI or OSC
//     sequence survives: "\x1b[2J\x1b]0;pwned\x07" is shown as written
//     here), and a carriage return that is not part of a CRLF (which
//     becomes a plain newline);
//   - DEL and the C1 controls U+0080–U+009F (U+009B is a one-character CSI
//     on some terminals);
//   - the bidirectional overrides, embeddings, isolates and marks
//     (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C), which can
//     make text read differently from what it is ("Trojan Source");
//   - every other Unicode format character (category Cf: zero-width
//     space U+200B, joiners, word joiner U+2060, the byte order mark
//     U+FEFF, soft hyphen U+00AD, the invisible tag characters
//     U+E0000–U+E007F...), which show nothing, so "10.10.0.11\u200b" would
//     read as an address it is not, and which make a table's columns
//     misalign;
//   - the line and paragraph separators U+2028 and U+2029, and the
//     non-characters U+FFFE and U+FFFF;
//   - a byte that is not UTF-8, as \xNN.
//
// Everything else, backslashes and all non-ASCII letters included, is kept
// as it is. Every human format (table, Markdown, JUnit XML, fix plans, error
// messages) passes outside text through Sanitize; renderers that escape for
// their own syntax (Markdown, HTML through html/template) do so after it.
func Sanitize(s string) string {
	i := firstUnsafe(s)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\r' && strings.HasPrefix(s[i+1:], "\n"):
			// CRLF, as Windows writes lines: one newline.
		case r == '\r':
			b.WriteByte('\n')
		case unsafeRune(r) && r < 0x80:
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r) && r <= 0xffff:
			fmt.Fprintf(&b, `\u%04x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\U%08x`, r) // a tag character: \ue0041 would read as U+E004 and "1"
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// firstUnsafe is the byte offset of the first character Sanitize changes,
// or -1.
func firstUnsafe(s string) int {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return i
			}
		}
		if r == '\r' || unsafeRune(r) {
			return i
		}
	}
	return -1
}

// UnsafeRune reports whether Sanitize escapes r: it acts on a terminal or
// on the order of text, or is invisible, instead of being shown. Tab and
// newline (layout) are not; callers that keep text on one line check
// them themselves. Every other neutraliser of outside text (discover's,
// the notifications') asks this, so they cannot drift apart.
func UnsafeRune(r rune) bool { return unsafeRune(r) }

// unsafeRune reports whether r acts on a terminal or on the order of text
// instead of being shown (tab and newline are layout, and kept).
func unsafeRune(r rune) bool {
	switch {
	case r == '\t' || r == '\n':
		return false
	case r < 0x20, r >= 0x7f && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069,
		r == 0x200e, r == 0x200f, r == 0x061c,
		r == 0x2028, r == 0x2029, r == 0xfffe, r == 0xffff:
		return true
	case r >= 0xa0 && unicode.Is(unicode.Cf, r):
		return true
	}
	return false
}

// sanitized returns a copy of r whose text fields are Sanitized, so that
// a human renderer cannot forget one: node names, expected and observed
// values, messages, the deployment's name and model.
func sanitized(r *Report) *Report {
	c := *r
	c.Deployment, c.Model = Sanitize(r.Deployment), Sanitize(r.Model)
	c.Results = make([]checks.Result, len(r.Results))
	for i, res := range r.Results {
		res.Rule, res.Node = Sanitize(res.Rule), Sanitize(res.Node)
		res.Expected, res.Observed, res.Message = Sanitize(res.Expected), Sanitize(res.Observed), Sanitize(res.Message)
		c.Results[i] = res
	}
	return &c
}
