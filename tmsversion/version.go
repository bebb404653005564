// Package tmsversion is what tmsdrift knows about each TMS release, as
// data: one table (table.go) with an entry per release family (11.x to
// 15.x) and the point releases where a fact changed, each fact carrying
// the Cisco document and section it comes from, or saying plainly that it
// is a tmsdrift assumption.
//
// The rules and fixers ask it which customer folders to compare, which
// web.config files must carry the machineKey, how many TMS servers may
// share one database and what a passive node's services should be; the
// inventory may override every value. It imports nothing of tmsdrift, so
// every package can use it.
package tmsversion

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// Version is a TMS release number as nodes report it ("15.13.2",
// "14.6.2.1234") or as an administrator writes it ("15.9"). Only the first
// three numbers matter to the profiles; Raw keeps what was read.
type Version struct {
	Major, Minor, Patch int
	// Parts is how many numbers were given (1 to 3; more are read and
	// ignored): "15" has 1, "15.9" 2, "15.13.2" 3.
	Parts int
	Raw   string
}

// maxPart bounds each number (build numbers included): no TMS release is
// numbered anywhere near it, and a bound keeps absurd input from
// overflowing.
const maxPart = 999_999

// Parse reads a version as TMS and Windows write it: numbers separated by
// dots, optionally prefixed by "v" or "TMS", optionally followed by text
// after a space, a parenthesis or a dash ("15.13.2 (build 1234)",
// "15.9-RC1"). It rejects anything else with a message saying what it
// expected, so a version nobody can read never picks a profile by chance.
func Parse(s string) (Version, error) {
	raw := s
	s = strings.TrimSpace(s)
	low := strings.ToLower(s)
	switch {
	case strings.HasPrefix(low, "tms"):
		s = strings.TrimSpace(s[3:])
	case strings.HasPrefix(low, "v"):
		s = s[1:]
	}
	if i := strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == '(' || r == '-' || r == '_' || r == '+' }); i >= 0 {
		s = s[:i]
	}
	if s == "" {
		return Version{}, fmt.Errorf("%q is not a TMS version (want numbers like 15.13.2)", raw)
	}
	fields := strings.Split(s, ".")
	v := Version{Raw: strings.TrimSpace(raw), Parts: min(len(fields), 3)}
	for i, f := range fields {
		n, err := strconv.Atoi(f)
		if err != nil || n < 0 || n > maxPart || f == "" || f[0] == '+' {
			return Version{}, fmt.Errorf("%q is not a TMS version (want numbers like 15.13.2)", raw)
		}
		switch i {
		case 0:
			v.Major = n
		case 1:
			v.Minor = n
		case 2:
			v.Patch = n
		}
	}
	return v, nil
}

// MustParse is Parse for versions written in tmsdrift's own code (the
// table); it panics on a typo there, which the tests catch.
func MustParse(s string) Version {
	v, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return v
}

// Compare orders versions by their numbers: -1, 0 or +1. Missing numbers
// count as 0, so "15.9" equals "15.9.0".
func (v Version) Compare(o Version) int {
	for _, d := range [3]int{v.Major - o.Major, v.Minor - o.Minor, v.Patch - o.Patch} {
		switch {
		case d < 0:
			return -1
		case d > 0:
			return 1
		}
	}
	return 0
}

// String is the version as numbers, as many as were given.
func (v Version) String() string {
	switch v.Parts {
	case 1:
		return strconv.Itoa(v.Major)
	case 2:
		return fmt.Sprintf("%d.%d", v.Major, v.Minor)
	}
	return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
}
