package psscript

import (
	"errors"
	"strings"
)

// singleQuotes are the characters PowerShell takes as a single quote: the
// ASCII one and four typographic ones. Inside a single-quoted string each
// of them must be doubled, or a path holding ’ would end the string early.
const singleQuotes = "'\u2018\u2019\u201a\u201b"

// Quote writes s as a PowerShell single-quoted string: no variable or
// escape is expanded inside one, so any path or name arrives as written.
func Quote(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for _, r := range s {
		if strings.ContainsRune(singleQuotes, r) {
			b.WriteRune(r)
		}
		b.WriteRune(r)
	}
	b.WriteByte('\'')
	return b.String()
}

// ParseArgs splits what follows a script block into its arguments: single-
// quoted strings as Quote writes them, or bare words (numbers).
func ParseArgs(s string) ([]string, error) {
	var args []string
	rs := []rune(strings.TrimSpace(s))
	for i := 0; i < len(rs); {
		switch {
		case rs[i] == ' ':
			i++
		case strings.ContainsRune(singleQuotes, rs[i]):
			var b strings.Builder
			i++
			for {
				if i >= len(rs) {
					return nil, errors.New("unterminated quoted string")
				}
				r := rs[i]
				if strings.ContainsRune(singleQuotes, r) {
					if i+1 < len(rs) && rs[i+1] == r {
						b.WriteRune(r)
						i += 2
						continue
					}
					i++
					break
				}
				b.WriteRune(r)
				i++
			}
			args = append(args, b.String())
		default:
			j := i
			for j < len(rs) && rs[j] != ' ' {
				if strings.ContainsRune(singleQuotes, rs[j]) {
					return nil, errors.New("quote inside a bare word")
				}
				j++
			}
			args = append(args, string(rs[i:j]))
			i = j
		}
	}
	return args, nil
}
