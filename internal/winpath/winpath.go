// Package winpath splits the Windows paths tmsdrift reads and writes on a
// node (C:\Program Files\TANDBERG\TMS\wwwTMS\web.config) into a drive and
// folder names, one way for every user: the snapshot layout (fs/C/...),
// the dir transport, backups in a run folder, the test stand-ins. Only
// absolute drive paths name a file on a node unambiguously, so only they
// are accepted.
package winpath

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Split splits an absolute Windows drive path into its drive letter (upper
// case) and the names below it, dropping empty and "." components. Both
// separators are accepted, as Windows accepts them, and so is the
// long-path prefix \\?\.
//
// Refused, with a sentence that says why:
//   - "C:" and "C:foo": relative to the current folder of drive C on the
//     machine that reads them, so they name no particular file;
//   - \\server\share\... (UNC) and \foo: not on one of the node's drives;
//   - a ".." component, which would climb out of a snapshot or a backup.
//
// "C:\" is the drive itself: no names.
func Split(p string) (drive string, names []string, err error) {
	orig := p
	p = strings.ReplaceAll(strings.TrimSpace(p), "/", `\`)
	if rest, ok := strings.CutPrefix(p, `\\?\`); ok && !strings.HasPrefix(strings.ToUpper(rest), `UNC\`) {
		p = rest
	}
	switch {
	case strings.HasPrefix(p, `\\`):
		return "", nil, fmt.Errorf("%s is a network (UNC) path; name a path on the node's own drive, like C:\\...", show(orig))
	case len(p) < 2 || p[1] != ':' || !isLetter(p[0]):
		return "", nil, fmt.Errorf("%s is not an absolute drive path like C:\\...", show(orig))
	case len(p) == 2 || p[2] != '\\':
		return "", nil, fmt.Errorf("%s is relative to the current folder of drive %s; write %s\\%s", show(orig), p[:2], p[:2], p[2:])
	}
	drive = strings.ToUpper(p[:1])
	for c := range strings.SplitSeq(p[3:], `\`) {
		switch c {
		case "", ".":
			continue
		case "..":
			return "", nil, errors.New(show(orig) + ": .. is not allowed")
		}
		names = append(names, c)
	}
	return drive, names, nil
}

// show spells a path for a message: as written (Windows paths stay
// readable), quoted only when empty or padded.
func show(p string) string {
	if p == "" || strings.TrimSpace(p) != p {
		return strconv.Quote(p)
	}
	return p
}

func isLetter(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }
