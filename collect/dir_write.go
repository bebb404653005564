package collect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/internal/atomicfile"
	"github.com/tmsdrift/tmsdrift/internal/jsonedit"
)

// The dir transport's write side (collect.Target): fixers change a
// snapshot folder the way they change a live server, so a fix can be
// planned, applied, verified and rolled back on the labs and in CI.
// Every write stays inside the os.Root of the snapshot.

var _ Target = (*Dir)(nil)

// Modes of what the dir transport creates: what a checkout would have.
const (
	newFileMode = 0o644
	newDirMode  = 0o755
)

// OpenFile streams a node file by its Windows path (case-insensitive).
func (d *Dir) OpenFile(ctx context.Context, winPath string) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p, err := d.Lookup(winPath)
	if err != nil {
		return nil, err
	}
	f, err := d.root.Open(p)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err == nil && !st.Mode().IsRegular() {
		err = fmt.Errorf("%s is not a regular file", winPath)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// WriteFile replaces or creates the file at winPath with the bytes of r,
// atomically: a temporary file in the same folder, synced, then renamed
// over the original. An existing file is found case-insensitively and
// keeps its spelling and mode; a new one gets mode 0644 and the folders it
// needs. A failure (r's error, a full disk, ctx ending) leaves the original
// as it was and no temporary file behind. A symbolic link is not replaced.
func (d *Dir) WriteFile(ctx context.Context, winPath string, r io.Reader) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	dir, name, err := d.resolveForWrite(winPath)
	if err != nil {
		return fmt.Errorf("write %s: %w", winPath, err)
	}
	if err := d.writeAtomic(ctx, dir, name, r); err != nil {
		return fmt.Errorf("write %s: %w", winPath, err)
	}
	return nil
}

// RemoveFile deletes the file at winPath; a missing file is not an error.
// Folders are never removed.
func (d *Dir) RemoveFile(ctx context.Context, winPath string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p, err := d.Lookup(winPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("remove %s: %w", winPath, err)
	}
	st, err := d.root.Lstat(p)
	if err != nil {
		return fmt.Errorf("remove %s: %w", winPath, err)
	}
	if st.IsDir() {
		return fmt.Errorf("remove %s: is a folder", winPath)
	}
	if err := d.root.Remove(p); err != nil {
		return fmt.Errorf("remove %s: %w", winPath, err)
	}
	d.forget(path.Dir(p), path.Base(p))
	return nil
}

// SetService records a service's new start type and state in facts.json,
// which stands for the node's service manager in a snapshot. Only the two
// values change; every other byte of facts.json stays as it was, so that a
// rollback gives back the original file. The service must be listed.
func (d *Dir) SetService(ctx context.Context, name, startType, state string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if startType != "" && !slices.Contains([]string{facts.StartAutomatic, facts.StartAutomaticDelayed, facts.StartManual, facts.StartDisabled}, startType) {
		return fmt.Errorf("set service %s: unknown start type %q", name, startType)
	}
	// A snapshot records any state; rollback may put back a StartPending.
	if state != "" && !slices.Contains([]string{facts.StateRunning, facts.StateStopped, facts.StateStartPending, facts.StateStopPending, facts.StatePaused}, state) {
		return fmt.Errorf("set service %s: unknown state %q", name, state)
	}
	raw, err := readLimited(d.root, "facts.json")
	if err != nil {
		return fmt.Errorf("set service %s: %w", name, err)
	}
	f, err := facts.ParseNode(raw)
	if err != nil {
		return fmt.Errorf("set service %s: facts.json: %w", name, err)
	}
	i := slices.IndexFunc(f.Services, func(s facts.Service) bool { return strings.EqualFold(s.Name, name) })
	if i < 0 {
		return fmt.Errorf("set service %s: not installed on the node: %w", name, fs.ErrNotExist)
	}
	idx := "[" + strconv.Itoa(i) + "]"
	out := raw
	for _, v := range []struct{ key, value string }{{"start_type", startType}, {"state", state}} {
		if v.value == "" {
			continue
		}
		if out, err = jsonedit.SetString(out, v.value, "services", idx, v.key); err != nil {
			return fmt.Errorf("set service %s: facts.json: %w", name, err)
		}
	}
	if bytes.Equal(out, raw) {
		return nil
	}
	if err := d.writeAtomic(ctx, ".", "facts.json", bytes.NewReader(out)); err != nil {
		return fmt.Errorf("set service %s: %w", name, err)
	}
	return nil
}

// resolveForWrite maps a Windows path to the folder (slash path inside the
// root) and file name to write: existing components keep their spelling,
// missing folders are created.
func (d *Dir) resolveForWrite(winPath string) (dir, name string, err error) {
	comps, err := splitWindowsPath(winPath)
	if err != nil {
		return "", "", err
	}
	if len(comps) < 2 {
		return "", "", fmt.Errorf("%q names a drive, not a file", winPath)
	}
	cur := "fs"
	switch st, err := d.root.Stat(cur); {
	case errors.Is(err, fs.ErrNotExist):
		if err := d.root.Mkdir(cur, newDirMode); err != nil {
			return "", "", err
		}
	case err != nil:
		return "", "", err
	case !st.IsDir():
		return "", "", errors.New("fs is not a folder")
	}
	for _, c := range comps[:len(comps)-1] {
		names, err := d.list(cur)
		if err != nil {
			return "", "", err
		}
		found, ok := pickName(names, c)
		next := path.Join(cur, found)
		if !ok {
			next = path.Join(cur, c)
			if err := d.root.Mkdir(next, newDirMode); err != nil {
				return "", "", err
			}
			d.remember(cur, c)
		} else if st, err := d.root.Stat(next); err != nil {
			return "", "", err
		} else if !st.IsDir() {
			return "", "", fmt.Errorf("%s is a file, not a folder", found)
		}
		cur = next
	}
	names, err := d.list(cur)
	if err != nil {
		return "", "", err
	}
	last := comps[len(comps)-1]
	if found, ok := pickName(names, last); ok {
		last = found
	}
	return cur, last, nil
}

// writeAtomic writes r to dir/name inside the root with atomicfile.Replace:
// a temporary file in dir, synced, given the mode of the file it replaces
// (new files: newFileMode), then renamed. A link or a device is refused.
func (d *Dir) writeAtomic(ctx context.Context, dir, name string, r io.Reader) error {
	target := path.Join(dir, name)
	_, statErr := d.root.Lstat(target)
	err := atomicfile.Replace(d.root, target, newFileMode, func(w io.Writer) error {
		_, err := io.Copy(w, ctxReader{ctx, r})
		return err
	})
	if err != nil {
		return err
	}
	if errors.Is(statErr, fs.ErrNotExist) {
		d.remember(dir, name)
	}
	return nil
}

// remember adds a new entry to a remembered folder listing.
func (d *Dir) remember(dir, name string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	dir = path.Clean(dir)
	if names, ok := d.listings[dir]; ok && !slices.Contains(names, name) {
		d.listings[dir] = append(slices.Clone(names), name)
	}
}

// forget drops a removed entry from a remembered folder listing.
func (d *Dir) forget(dir, name string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	dir = path.Clean(dir)
	if names, ok := d.listings[dir]; ok {
		d.listings[dir] = slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == name })
	}
}

// ctxReader stops a copy when ctx ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

// Read reads unless ctx has ended.
func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
