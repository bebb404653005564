package manifest

import (
	"slices"
	"strings"
)

// Delta is how a node's data files differ from the master's: what rule
// data.synced reports. Each list is sorted by Key(Rel), so reports are
// stable.
type Delta struct {
	// Missing are on the master but not on the node (master's entries).
	Missing []File
	// Different are on both with other content: SHA-256 or size differ.
	// The master's entry, since it says what the node should hold.
	Different []File
	// Extra are on the node but not on the master (node's entries).
	// Synchronisation runs both ways, so these fail too.
	Extra []File
	// Debris are the node's leftover tmsdrift temporary files (Manifest's
	// Debris): not customer files, but not a synchronised node either.
	Debris []File
}

// Empty reports whether the node holds exactly the master's files and no
// debris.
func (d Delta) Empty() bool {
	return len(d.Missing) == 0 && len(d.Different) == 0 && len(d.Extra) == 0 && len(d.Debris) == 0
}

// Diff compares node with master by relative path (case-insensitively,
// through the keys) and content. A nil manifest has no files, so a folder
// missing on both sides gives an empty Delta.
func Diff(master, node *Manifest) Delta {
	var d Delta
	for _, f := range master.List() {
		n, ok := node.lookup(f.Rel)
		switch {
		case !ok:
			d.Missing = append(d.Missing, f)
		case n.SHA256 != f.SHA256 || n.Size != f.Size:
			d.Different = append(d.Different, f)
		}
	}
	for _, f := range node.List() {
		if _, ok := master.lookup(f.Rel); !ok {
			d.Extra = append(d.Extra, f)
		}
	}
	d.Debris = node.DebrisList()
	return d
}

func (m *Manifest) lookup(rel string) (File, bool) {
	if m == nil {
		return File{}, false
	}
	f, ok := m.Files[Key(rel)]
	return f, ok
}

// Filter keeps the files under one of dirs (relative to the install path,
// `\` or `/` separators, case-insensitive), so that a manifest.json listing
// more than data_sync.dirs is compared on those folders only.
func Filter(m *Manifest, dirs []string) *Manifest {
	prefixes := make([]string, 0, len(dirs))
	for _, d := range dirs {
		p := Key(normRel(d))
		if p == "" {
			return copyOf(m) // the install folder itself: everything
		}
		prefixes = append(prefixes, p+`\`)
	}
	out := New()
	for _, f := range allOf(m) {
		k := Key(f.Rel)
		if slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(k, p) }) {
			out.put(f)
		}
	}
	return out
}

func copyOf(m *Manifest) *Manifest {
	out := New()
	for _, f := range allOf(m) {
		out.put(f)
	}
	return out
}

// allOf lists the files and the debris of m.
func allOf(m *Manifest) []File {
	return append(m.List(), m.DebrisList()...)
}
