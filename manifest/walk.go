package manifest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
)

// job is one file to hash, found by the walk.
type job struct {
	dir  *dirRef  // the file's open folder; nil for a symlink
	node *os.Root // the node folder
	name string   // name in dir, or slash path in node when dir is nil
	rel  string   // File.Rel
	abs  string   // cache key; "" without a cache
	size int64    // at walk time
	st   stamp
	stOK bool
}

// open opens the job's file: by name in its open folder (one system
// call), or a symlink by its path from the node folder, which follows it
// as long as it stays inside.
func (j *job) open() (*os.File, error) {
	if j.dir == nil {
		return j.node.OpenFile(j.name, openFlags, 0)
	}
	return j.dir.root.OpenFile(j.name, openFlags, 0)
}

// dirRef is an open folder shared by the walk listing it and the workers
// hashing its files. It is closed when the last of them lets go, so one
// Hash call holds open only the folders being listed (one per level) and
// those of the files being hashed (at most Workers).
type dirRef struct {
	root *os.Root
	refs atomic.Int64
}

func (r *dirRef) hold() { r.refs.Add(1) }

func (r *dirRef) release() {
	if r.refs.Add(-1) == 0 {
		r.root.Close() // read-only folder handle: nothing to lose on close
	}
}

// walker lists the files of a node's trees and hands each to submit as
// soon as its folder is listed, so hashing starts with the walk.
type walker struct {
	ctx       context.Context
	withStamp bool             // a cache is in use: record stamps and absolute paths
	submit    func(*job) error // fails once the run is over (error, cancellation)
}

// tree lists the files of t. A folder that does not exist holds no files:
// whether that is a problem is for the comparison to say.
func (w *walker) tree(t Tree) error {
	rel := normRel(t.Rel)
	dir, ok, err := resolveFold(t.Root, t.Dir)
	if err != nil {
		return fmt.Errorf("%s: %w", show(rel), err)
	}
	if !ok {
		return nil
	}
	base := ""
	if w.withStamp {
		if base, err = filepath.Abs(t.Root.Name()); err != nil {
			return fmt.Errorf("%s: %w", show(rel), err)
		}
	}
	return w.openDir(t.Root, t.Root, dir, dir, base, diskSpelling(rel, dir))
}

// openDir opens name in parent (a path from the node folder for the tree
// itself and symlinks, a plain name for subfolders) and lists it.
func (w *walker) openDir(node, parent *os.Root, name, dir, base, rel string) error {
	d, err := parent.OpenRoot(name)
	if err != nil {
		return fmt.Errorf("%s: %w", show(rel), err)
	}
	ref := &dirRef{root: d}
	ref.hold()
	defer ref.release()
	return w.dir(node, ref, dir, base, rel)
}

// dir lists the open folder ref, slash path dir in node and relative
// Windows path rel: its files, largest first, then its subfolders.
func (w *walker) dir(node *os.Root, ref *dirRef, dir, base, rel string) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	entries, err := readDir(ref.root)
	if err != nil {
		return fmt.Errorf("%s: %w", show(rel), err)
	}
	var files []*job
	var subdirs []string
	names := map[string]string{} // Key(name) → name, to catch names equal but for case
	for _, e := range entries {
		name := e.Name()
		r := joinRel(rel, name)
		if strings.Contains(name, `\`) {
			return fmt.Errorf("%s: file name contains \\ (impossible on Windows)", show(r))
		}
		if other, dup := names[Key(name)]; dup {
			return fmt.Errorf("%s and %s differ only by case (impossible on Windows)", show(joinRel(rel, other)), show(r))
		}
		names[Key(name)] = name
		p := path.Join(dir, name)
		switch {
		case e.IsDir():
			subdirs = append(subdirs, name)
		case e.Type()&fs.ModeSymlink != 0:
			// Followed, through the node folder: one leading outside it
			// (or in a loop) fails here and names the link.
			fi, err := node.Stat(p)
			if err != nil {
				return fmt.Errorf("%s: symlink: %w", show(r), err)
			}
			if fi.IsDir() {
				if err := w.openDir(node, node, p, p, base, r); err != nil {
					return err
				}
				continue
			}
			j, err := w.file(&job{node: node, name: p, rel: r}, base, p, fi)
			if err != nil {
				return err
			}
			files = append(files, j)
		default:
			fi, err := e.Info() // lstat'ed by ReadDir, in the folder: nothing followed
			if err != nil {
				return fmt.Errorf("%s: %w", show(r), err)
			}
			j, err := w.file(&job{dir: ref, node: node, name: name, rel: r}, base, p, fi)
			if err != nil {
				return err
			}
			files = append(files, j)
		}
	}
	slices.SortStableFunc(files, func(a, b *job) int { return cmp.Compare(b.size, a.size) })
	for _, j := range files {
		if err := w.submit(j); err != nil {
			return err
		}
	}
	for _, name := range subdirs {
		if err := w.openDir(node, ref.root, name, path.Join(dir, name), base, joinRel(rel, name)); err != nil {
			return err
		}
	}
	return nil
}

// file completes a job from the file's FileInfo; p is its slash path in
// the node folder. Only regular files can be a copy of a Windows file.
func (w *walker) file(j *job, base, p string, fi fs.FileInfo) (*job, error) {
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file (%s)", show(j.rel), fi.Mode().Type())
	}
	j.size = fi.Size()
	if w.withStamp {
		j.abs = filepath.Join(base, filepath.FromSlash(p))
		j.st, j.stOK = stampOf(fi)
	}
	return j, nil
}

// readDir lists an open folder sorted by name, so walks and their errors
// are the same from run to run.
func readDir(d *os.Root) ([]fs.DirEntry, error) {
	f, err := d.Open(".")
	if err != nil {
		return nil, err
	}
	entries, err := f.ReadDir(-1)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return entries, err
}

// resolveFold finds folder dir in root the way Windows would: each
// component case-insensitively (an exact match first). ok is false when
// there is no such folder; two candidates equal but for case are an error.
func resolveFold(root *os.Root, dir string) (resolved string, ok bool, err error) {
	dir = path.Clean(strings.TrimPrefix(dir, "/"))
	if !fs.ValidPath(dir) {
		return "", false, fmt.Errorf("invalid folder path %q", dir)
	}
	fi, err := root.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) && dir != "." {
		cur := "."
		for c := range strings.SplitSeq(dir, "/") {
			name, found, err := findFold(root, cur, c)
			if err != nil || !found {
				return "", false, err
			}
			cur = path.Join(cur, name)
		}
		dir = cur
		fi, err = root.Stat(dir)
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", false, nil
	case err != nil:
		return "", false, err
	case !fi.IsDir():
		return "", false, fmt.Errorf("%s is not a folder", dir)
	}
	return dir, true, nil
}

// findFold finds the entry of folder dir named name ignoring case.
func findFold(root *os.Root, dir, name string) (string, bool, error) {
	d, err := root.OpenRoot(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	entries, err := readDir(d)
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", false, err
	}
	var found []string
	for _, e := range entries {
		if Key(e.Name()) == Key(name) {
			found = append(found, e.Name())
		}
	}
	switch len(found) {
	case 0:
		return "", false, nil
	case 1:
		return found[0], true, nil
	}
	return "", false, fmt.Errorf("%s: %s are equal but for case (impossible on Windows)", dir, strings.Join(found, ", "))
}

// diskSpelling returns rel with its components spelled as in the folder
// path dir when dir ends with them (ignoring case), so File.Rel shows the
// node's own spelling; otherwise rel as configured.
func diskSpelling(rel, dir string) string {
	if rel == "" {
		return rel
	}
	want := strings.Split(rel, `\`)
	have := strings.Split(dir, "/")
	if len(have) < len(want) {
		return rel
	}
	have = have[len(have)-len(want):]
	for i := range want {
		if Key(want[i]) != Key(have[i]) {
			return rel
		}
	}
	return strings.Join(have, `\`)
}

// joinRel appends a name to a relative Windows path.
func joinRel(rel, name string) string {
	if rel == "" {
		return name
	}
	return rel + `\` + name
}
