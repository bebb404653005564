package manifest

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// normWin gives a Windows path one spelling for comparisons: `\`
// separators (Windows accepts `/` too), no long-path prefix `\\?\`, no
// trailing `\` (the contract ignores it).
func normWin(p string) string {
	p = strings.ReplaceAll(p, "/", `\`)
	if rest, ok := strings.CutPrefix(p, `\\?\`); ok && !strings.HasPrefix(strings.ToUpper(rest), `UNC\`) {
		p = rest
	}
	return strings.TrimRight(p, `\`)
}

// relTo makes the Windows path p relative to install, comparing
// case-insensitively; a path outside install is an error.
func relTo(install, p string) (string, error) {
	base := normWin(install)
	if base == "" {
		return "", errors.New("install path is empty")
	}
	full := normWin(p)
	if len(full) <= len(base)+1 || full[len(base)] != '\\' || Key(full[:len(base)]) != Key(base) {
		return "", fmt.Errorf("not under the install path %s", base)
	}
	rel := full[len(base)+1:]
	if err := checkRel(rel); err != nil {
		return "", err
	}
	return rel, nil
}

// checkRel accepts a relative Windows path that names a file below the
// install path: no empty, `.` or `..` components, which would either be
// ambiguous or climb out of it.
func checkRel(rel string) error {
	if rel == "" {
		return errors.New("empty relative path")
	}
	if len(rel) >= 2 && rel[1] == ':' || strings.HasPrefix(rel, `\`) {
		return errors.New("not a relative path")
	}
	for c := range strings.SplitSeq(rel, `\`) {
		switch c {
		case "":
			return errors.New(`empty path component (doubled \)`)
		case ".", "..":
			return fmt.Errorf("%q path component not allowed", c)
		}
	}
	return nil
}

// normRel turns a configured folder (`wwwTMS\Data\Logo`, `wwwTMS/Data/Logo\`)
// into the form File.Rel uses: `\` separators, none leading or trailing.
func normRel(dir string) string {
	return strings.Trim(strings.ReplaceAll(dir, "/", `\`), `\`)
}

// show prints a path for an error message: as is when it is plain
// printable text (Windows paths stay readable), quoted otherwise so that
// control characters cannot garble the message.
func show(p string) string {
	if p == "" || strings.TrimSpace(p) != p {
		return strconv.Quote(p)
	}
	for _, r := range p {
		if !unicode.IsPrint(r) || r == unicode.ReplacementChar {
			return strconv.Quote(p)
		}
	}
	return p
}
