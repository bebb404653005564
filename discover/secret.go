// Package discover turns what tmsdrift's read-only probes find on a real
// deployment (`tmsdrift discover database`, `tmsdrift discover node`) into
// the inventory values that fit it and a short, secret-free block of
// facts to report to the project: where TMS keeps its database connection
// and version in the registry, which tmsng table holds the Network
// Settings addresses. No public document says either (docs/transports.md,
// docs/database.md); the first administrator who runs these settles it.
//
// The probes themselves live with the transports (collect/sqlserver,
// collect/psscript, collect/local); this package only reads their
// results, so it is tested without a server.
package discover

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/tmsdrift/tmsdrift/internal/secretname"
	"github.com/tmsdrift/tmsdrift/report"
)

// LooksSecret reports whether a registry value or table row named name
// probably holds a secret, so its value is shown only as a fingerprint.
func LooksSecret(name string) bool { return secretname.Looks(name) }

// Fingerprint is the short SHA-256 of a secret, as tmsdrift shows every
// secret: equal values have equal fingerprints, and nothing else leaks.
func Fingerprint(value string) string { return "sha256:" + secretname.SHA256(value)[:12] }

// Clean makes text from a server safe for a terminal: control characters
// (escape sequences, bells, carriage returns) become \x.. escapes, and
// very long text is cut.
func Clean(s string) string {
	const max = 200
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n >= max {
			b.WriteString("…")
			break
		}
		n++
		switch {
		case r == unicode.ReplacementChar:
			b.WriteString(`\ufffd`)
		case unicode.IsControl(r) || report.UnsafeRune(r):
			switch {
			case r < 0x100:
				fmt.Fprintf(&b, `\x%02x`, r)
			case r <= 0xffff:
				fmt.Fprintf(&b, `\u%04x`, r)
			default:
				fmt.Fprintf(&b, `\U%08x`, r)
			}
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
