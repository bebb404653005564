// Package shellword quotes a word for a POSIX shell, so that the commands
// tmsdrift suggests (in reports, plans, starter inventories) run as printed
// when pasted, whatever the path they name.
package shellword

import "strings"

// Quote returns s as one shell word: unchanged when it holds only the
// characters of ordinary paths and names, else in single quotes.
func Quote(s string) string {
	safe := s != ""
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=+@%,", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
