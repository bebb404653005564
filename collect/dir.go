package collect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/tmsdrift/tmsdrift/internal/winpath"
	"github.com/tmsdrift/tmsdrift/manifest"
)

// maxFileSize bounds what is read whole into memory (facts.json, db.json,
// web.config); anything larger is not what it claims to be.
const maxFileSize = 32 << 20

// Dir is the `dir` transport: a node snapshot folder in the contract's
// layout (facts.json, fs/<drive>/<windows path>, optional manifest.json).
// Every access goes through an os.Root, so a symlink leading outside the
// snapshot folder is an error, and lookups under fs/ are case-insensitive
// as on Windows.
type Dir struct {
	root *os.Root
	path string

	mu       sync.Mutex
	listings map[string][]string // folder (slash path) -> entry names
}

// OpenDir opens a node snapshot folder.
func OpenDir(dir string) (*Dir, error) {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open snapshot folder: %w", err)
	}
	return &Dir{root: r, path: dir}, nil
}

// Close releases the folder.
func (d *Dir) Close() error { return d.root.Close() }

// Root gives fixers write access confined to the snapshot folder.
func (d *Dir) Root() *os.Root { return d.root }

// Facts reads facts.json.
func (d *Dir) Facts(ctx context.Context) ([]byte, error) {
	return readLimited(d.root, "facts.json")
}

// ReadFile reads a node file by its Windows path from fs/.
func (d *Dir) ReadFile(ctx context.Context, winPath string) ([]byte, error) {
	p, err := d.Lookup(winPath)
	if err != nil {
		return nil, err
	}
	return readLimited(d.root, p)
}

// Data returns the node's manifest.json when it has one, else hashes the
// data folders under fs/.
func (d *Dir) Data(ctx context.Context, install string, dirs []string, h *manifest.Hasher) (*manifest.Manifest, error) {
	raw, err := readLimited(d.root, "manifest.json")
	switch {
	case err == nil:
		m, err := manifest.Parse(raw, install)
		if err != nil {
			return nil, fmt.Errorf("manifest.json: %w", err)
		}
		return manifest.Filter(m, dirs), nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	var trees []manifest.Tree
	for _, dir := range dirs {
		p, err := d.Lookup(install + `\` + dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue // a folder missing on a node holds no files
		}
		if err != nil {
			return nil, err
		}
		trees = append(trees, manifest.Tree{Rel: dir, Root: d.root, Dir: p})
	}
	return h.Hash(ctx, trees)
}

// Lookup maps a Windows path (C:\Program Files\...) to its slash path under
// fs/ in the snapshot, matching each component case-insensitively (an exact
// match wins). It returns an error wrapping fs.ErrNotExist when there is no
// such file. Directory listings are remembered, so the web.config and the
// nine data folders of a node cost a handful of reads, not one walk each.
func (d *Dir) Lookup(winPath string) (string, error) {
	comps, err := splitWindowsPath(winPath)
	if err != nil {
		return "", err
	}
	cur := "fs"
	for _, c := range comps {
		names, err := d.list(cur)
		if err != nil {
			return "", fmt.Errorf("%s: %w", winPath, err)
		}
		name, ok := pickName(names, c)
		if !ok {
			return "", fmt.Errorf("%s: %w", winPath, fs.ErrNotExist)
		}
		cur = path.Join(cur, name)
	}
	return cur, nil
}

// list returns the entry names of a folder inside the root, once.
func (d *Dir) list(dir string) ([]string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if names, ok := d.listings[dir]; ok {
		return names, nil
	}
	f, err := d.root.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		if errors.Is(err, syscall.ENOTDIR) {
			err = fs.ErrNotExist
		}
		return nil, err
	}
	if d.listings == nil {
		d.listings = map[string][]string{}
	}
	d.listings[dir] = names
	return names, nil
}

// pickName finds name among names: exactly, else ignoring case.
func pickName(names []string, name string) (string, bool) {
	fold := ""
	for _, n := range names {
		if n == name {
			return n, true
		}
		if fold == "" && strings.EqualFold(n, name) {
			fold = n
		}
	}
	return fold, fold != ""
}

// splitWindowsPath splits `C:\a\b` into ["C", "a", "b"] (winpath.Split):
// the snapshot layout mirrors a node's drives.
func splitWindowsPath(p string) ([]string, error) {
	drive, names, err := winpath.Split(p)
	if err != nil {
		return nil, err
	}
	return append([]string{drive}, names...), nil
}

// readLimited reads a whole file of bounded size inside the root.
func readLimited(root *os.Root, name string) ([]byte, error) {
	// Refused before it is opened: opening a FIFO for reading blocks
	// until something writes to it, so a snapshot holding one as
	// facts.json or db.json hung the audit for ever (and SIGTERM with it).
	if st, err := root.Stat(name); err != nil {
		return nil, err
	} else if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (%s)", name, st.Mode().Type())
	}
	f, err := root.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", name)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("%s is larger than %d MiB", name, maxFileSize>>20)
	}
	return data, nil
}

// readFile reads a file outside any snapshot folder (db.json), bounded.
func readFile(name string) ([]byte, error) {
	r, err := os.OpenRoot(filepath.Dir(name))
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return readLimited(r, filepath.Base(name))
}
