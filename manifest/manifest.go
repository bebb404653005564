// Package manifest records the customer data files of a node as relative
// path, size and SHA-256, either by hashing a folder tree (streaming, in
// parallel) or by reading a node's manifest.json (contract §3).
package manifest

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tmsdrift/tmsdrift/internal/atomicfile"
)

// File is one customer data file.
type File struct {
	// Rel is the path relative to the node's install path, Windows
	// separators, as spelled on the node (e.g. `wwwTMS\Data\Logo\a.png`).
	Rel    string
	Size   int64
	SHA256 string // lower-case hex
}

// Manifest is the set of data files of one node, keyed by the lower-cased
// relative path: Windows paths compare case-insensitively.
type Manifest struct {
	Files map[string]File
	// Debris are tmsdrift's own temporary files (atomicfile.IsTemp) found
	// among the data files, keyed like Files: what a write that was killed
	// half-way leaves. They are no customer files and are never compared;
	// data.synced reports them as debris and the data fixer deletes them.
	Debris map[string]File
}

// New returns an empty manifest, ready for Add.
func New() *Manifest {
	return &Manifest{Files: map[string]File{}}
}

// Key is the map key of a relative Windows path: lower-cased with `\`
// separators, so `wwwTMS/Data/Logo/A.png` and `wwwtms\data\logo\a.png` are
// the same file, as on Windows.
func Key(rel string) string {
	return strings.ToLower(strings.ReplaceAll(rel, "/", `\`))
}

// Add records f under Key(f.Rel). Two paths that differ only by case
// cannot both exist on Windows, so a second one is an error naming both
// rather than a silent overwrite.
func (m *Manifest) Add(f File) error {
	if m.Files == nil {
		m.Files = map[string]File{}
	}
	k := Key(f.Rel)
	if old, ok := m.Files[k]; ok {
		if old.Rel == f.Rel {
			return fmt.Errorf("%s: listed twice", f.Rel)
		}
		return fmt.Errorf("%s and %s differ only by case (impossible on Windows)", old.Rel, f.Rel)
	}
	if old, ok := m.Debris[k]; ok {
		return fmt.Errorf("%s and %s are the same file (paths compare case-insensitively)", old.Rel, f.Rel)
	}
	m.put(f)
	return nil
}

// put records f under Key(f.Rel): as a file, or as debris when its name is
// one of tmsdrift's temporary files.
func (m *Manifest) put(f File) {
	k := Key(f.Rel)
	if IsDebris(f.Rel) {
		if m.Debris == nil {
			m.Debris = map[string]File{}
		}
		m.Debris[k] = f
		return
	}
	if m.Files == nil {
		m.Files = map[string]File{}
	}
	m.Files[k] = f
}

// IsDebris reports whether the file at rel (relative Windows path) is a
// temporary file a tmsdrift write left behind (atomicfile.IsTemp on its
// name).
func IsDebris(rel string) bool {
	name := rel[strings.LastIndexAny(rel, `\/`)+1:]
	return atomicfile.IsTemp(name)
}

// DebrisList returns the debris sorted by key, as List does the files.
func (m *Manifest) DebrisList() []File {
	if m == nil || len(m.Debris) == 0 {
		return nil
	}
	return sortedFiles(m.Debris)
}

// List returns the files sorted by key, the order reports and manifest.json
// use so that output is stable from run to run. A nil manifest has none.
func (m *Manifest) List() []File {
	if m == nil {
		return nil
	}
	return sortedFiles(m.Files)
}

func sortedFiles(files map[string]File) []File {
	keys := make([]string, 0, len(files))
	for k := range files {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]File, len(keys))
	for i, k := range keys {
		out[i] = files[k]
	}
	return out
}

// Len is the number of files; a nil manifest has none.
func (m *Manifest) Len() int {
	if m == nil {
		return 0
	}
	return len(m.Files)
}
