// Package atomicfile is tmsdrift's one way of writing a file that someone
// else may be reading: reports (-o), key files, db.json, the hash cache,
// run journals, files on a node. Readers never see half a file, and a path
// that is not a plain file is never replaced by one.
//
// What a path gets depends on what is there:
//
//   - nothing, or a regular file: the data goes to a temporary file beside
//     it, which is synced and renamed over the path (a replaced file keeps
//     its permission bits unless ExactMode is given);
//   - a character device or a FIFO (/dev/null, /dev/stdout on a terminal
//     or a pipe, a shell's process substitution): the data is written
//     through it, and the device stays what it is;
//   - a symbolic link: followed. A link to a regular file replaces that
//     file (the link stays a link); a link to a device or a FIFO writes
//     through it; a link to nothing or to anything else is refused;
//   - a folder or anything else: refused with a sentence that says so.
//
// A secret (a key file) is written with NotToTerminal: into a file or a
// pipe, never onto a terminal.
//
// Temporary files are named by TempName and recognised by IsTemp, so a
// write that was killed half-way leaves debris that the audit and the
// fixers know to be tmsdrift's own.
package atomicfile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/term"
)

// tempMark is what every temporary file name carries. Keep it in step
// with collect/psscript/write-file.ps1, which names temporaries on Windows
// nodes the same way.
const tempMark = ".tmsdrift-"

// TempName is the name of a new temporary file for base (a file name, not
// a path): ".<base>.tmsdrift-<16 hex digits>.tmp", hidden on Unix and
// unique to its writer.
func TempName(base string) string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return "." + base + tempMark + hex.EncodeToString(b) + ".tmp"
}

// IsTemp reports whether name (a file name, not a path) is a temporary file
// of tmsdrift's: a write that never finished. It accepts every spelling a
// tmsdrift writer uses, including the 32-digit GUID of the PowerShell
// writer, and nothing a person is likely to name a file.
func IsTemp(name string) bool {
	_, ok := TempOwner(name)
	return ok
}

// TempOwner returns the name of the file a temporary file was going to
// replace, and whether name is a temporary file at all.
func TempOwner(name string) (string, bool) {
	if !strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".tmp") {
		return "", false
	}
	core := strings.TrimSuffix(name[1:], ".tmp")
	i := strings.LastIndex(core, tempMark)
	if i <= 0 {
		return "", false
	}
	suffix := core[i+len(tempMark):]
	if len(suffix) < 8 || len(suffix) > 32 {
		return "", false
	}
	for _, c := range suffix {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return "", false
		}
	}
	return core[:i], true
}

// Option changes how a file is written.
type Option func(*options)

type options struct {
	exactMode     bool
	notToTerminal bool
}

// ExactMode gives a replaced file the permission bits passed to Write,
// instead of keeping its own: a key file stays 0600 even where an older
// file was readable by all.
func ExactMode() Option { return func(o *options) { o.exactMode = true } }

// NotToTerminal refuses, with ErrTerminal, a path that turns out to be a
// terminal (/dev/stdout or /dev/tty of an interactive shell), before a byte
// is written: for secrets, which may go into a file or a pipe but must not
// be shown on a screen, in a scroll-back buffer or a session recording.
func NotToTerminal() Option { return func(o *options) { o.notToTerminal = true } }

// ErrTerminal is the error of a write that NotToTerminal refused.
var ErrTerminal = errors.New("is a terminal; not written there")

// Through reports whether a write to path goes through what is there (a
// character device, a FIFO, one of the process's own descriptors) rather
// than replacing a file: what is written then cannot be read back from
// path. A path Write would refuse is an error.
func Through(path string) (bool, error) {
	_, through, err := resolve(path)
	if err != nil {
		return false, fmt.Errorf("%s: %w", path, err)
	}
	return through != 0, nil
}

// WriteFile writes data to path as the package comment describes; perm is
// the mode of a file it creates.
func WriteFile(path string, data []byte, perm fs.FileMode, opts ...Option) error {
	return Write(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	}, opts...)
}

// Write streams what fill writes to path, as the package comment
// describes. When fill fails, a regular file is left as it was and the
// temporary file is removed; a device or a FIFO may have received part of
// the data.
func Write(path string, perm fs.FileMode, fill func(io.Writer) error, opts ...Option) error {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	target, through, err := resolve(path)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if through != 0 {
		if err := writeThrough(target, through, o.notToTerminal, fill); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		return nil
	}
	if err := Replace(osDir{}, target, perm, fill, opts...); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// OpenAppend opens path to append to it (a log file), by the rules Write
// follows: nothing or a regular file is opened for appending (created
// with perm); a character device or a FIFO is written through; a link is
// followed to one of these; a dangling link, a folder, a block device or
// a socket is refused with the sentence Write gives. Appending is not
// atomic: it is for files that only ever grow.
func OpenAppend(path string, perm fs.FileMode) (*os.File, error) {
	target, through, err := resolve(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if through != 0 {
		return os.OpenFile(target, through, 0)
	}
	return os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_APPEND, perm)
}

// resolve says where a write to path lands: a path to replace (through ==
// 0), or a path to open and write through with the given open flags.
func resolve(path string) (target string, through int, err error) {
	lst, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return path, 0, nil
	case err != nil:
		return "", 0, err
	}
	if lst.Mode()&fs.ModeSymlink == 0 {
		if k := kind(lst.Mode()); k != "" {
			return "", 0, errors.New(k)
		}
		if lst.Mode().IsRegular() {
			return path, 0, nil
		}
		return path, os.O_WRONLY, nil
	}
	st, err := os.Stat(path)
	if err != nil {
		dest, _ := os.Readlink(path)
		return "", 0, fmt.Errorf("is a symbolic link to %q, which cannot be followed (%v); not replaced", dest, errors.Unwrap(err))
	}
	if k := kind(st.Mode()); k != "" {
		return "", 0, fmt.Errorf("is a symbolic link to something that %s", k)
	}
	if !st.Mode().IsRegular() {
		return path, os.O_WRONLY, nil
	}
	if viaFD(path) {
		// /dev/stdout redirected to a file by the shell: write where the
		// shell's descriptor writes, after what is there (">>" stays an
		// append, ">" has already emptied the file).
		return path, os.O_WRONLY | os.O_APPEND, nil
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", 0, err
	}
	return real, 0, nil
}

// kind names what a write must refuse, or "" when it can go ahead.
func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "is a folder; name a file in it"
	case m.IsRegular(), m&fs.ModeCharDevice != 0, m&fs.ModeNamedPipe != 0:
		return ""
	case m&fs.ModeDevice != 0:
		return "is a block device; not written"
	case m&fs.ModeSocket != 0:
		return "is a socket; not written"
	default:
		return "is not a regular file, a character device or a FIFO; not written"
	}
}

// viaFD reports whether path names one of the process's own descriptors
// (/dev/stdout, /dev/stderr, /dev/fd/N, /proc/self/fd/N), directly or
// through links.
func viaFD(path string) bool {
	_, ok := ownFD(path)
	return ok
}

// ownFD returns the number of the process's own descriptor that path
// names (/dev/stdout 1, /dev/stderr 2, /dev/fd/N and /proc/self/fd/N N),
// directly or through links; -1 when the number cannot be told.
func ownFD(path string) (int, bool) {
	for range 8 {
		clean := filepath.Clean(path)
		switch {
		case clean == "/dev/stdout":
			return 1, true
		case clean == "/dev/stderr":
			return 2, true
		case strings.HasPrefix(clean, "/dev/fd/"), strings.HasPrefix(clean, "/proc/self/fd/"),
			strings.HasPrefix(clean, "/proc/thread-self/fd/"):
			n, err := strconv.Atoi(filepath.Base(clean))
			if err != nil {
				return -1, true
			}
			return n, true
		}
		dest, err := os.Readlink(clean)
		if err != nil {
			return -1, false
		}
		if !filepath.IsAbs(dest) {
			dest = filepath.Join(filepath.Dir(clean), dest)
		}
		path = dest
	}
	return -1, false
}

// writeThrough opens path (no create) and writes what fill writes; with
// notToTerminal, a terminal is refused before anything is written.
func writeThrough(path string, flags int, notToTerminal bool, fill func(io.Writer) error) error {
	// Standard output or error itself, not a new opening of it: a file
	// the shell opened with ">" has one offset, shared with everything
	// else the program prints there afterwards; a second opening (even
	// appending) would have its own, and a later line on stdout would be
	// written over the start of what was written here.
	switch fd, _ := ownFD(path); fd {
	case 1:
		return writeOwn(os.Stdout, notToTerminal, fill)
	case 2:
		return writeOwn(os.Stderr, notToTerminal, fill)
	}
	f, err := os.OpenFile(path, flags, 0)
	if err != nil {
		return err
	}
	if notToTerminal && term.IsTerminal(int(f.Fd())) {
		f.Close()
		return ErrTerminal
	}
	if err := fill(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writeOwn writes what fill writes to one of the process's standard
// descriptors, which stays open.
func writeOwn(f *os.File, notToTerminal bool, fill func(io.Writer) error) error {
	if notToTerminal && term.IsTerminal(int(f.Fd())) {
		return ErrTerminal
	}
	return fill(f)
}

// Dir is a folder that files can be replaced in: *os.Root is one, which is
// how the dir transport keeps its writes inside a snapshot.
type Dir interface {
	OpenFile(name string, flag int, perm fs.FileMode) (*os.File, error)
	Lstat(name string) (fs.FileInfo, error)
	Rename(oldname, newname string) error
	Remove(name string) error
}

// osDir is the file system itself, for paths that are not confined.
type osDir struct{}

func (osDir) OpenFile(name string, flag int, perm fs.FileMode) (*os.File, error) {
	return os.OpenFile(name, flag, perm)
}
func (osDir) Lstat(name string) (fs.FileInfo, error) { return os.Lstat(name) }
func (osDir) Rename(oldname, newname string) error   { return os.Rename(oldname, newname) }
func (osDir) Remove(name string) error               { return os.Remove(name) }

// Replace writes what fill writes to name in d through a temporary file
// beside it: synced, given its mode, then renamed over name. Only a regular
// file or a name that does not exist yet is replaced; a link, a device or a
// folder is refused. perm is the mode of a new file; a replaced file keeps
// its own unless ExactMode is given. Names use forward slashes for an
// *os.Root and the system's separator otherwise.
func Replace(d Dir, name string, perm fs.FileMode, fill func(io.Writer) error, opts ...Option) (err error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	mode := perm
	switch st, lerr := d.Lstat(name); {
	case lerr == nil && st.Mode()&fs.ModeSymlink != 0:
		return errors.New("is a symbolic link; not replaced")
	case lerr == nil && !st.Mode().IsRegular():
		if k := kind(st.Mode()); k != "" {
			return errors.New(k)
		}
		return errors.New("is not a regular file; not replaced")
	case lerr == nil && !o.exactMode:
		mode = st.Mode().Perm()
	case lerr != nil && !errors.Is(lerr, fs.ErrNotExist):
		return lerr
	}
	dir, base := splitName(name)
	tmp := joinName(dir, TempName(base))
	f, err := d.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			if rmErr := d.Remove(tmp); rmErr != nil && !errors.Is(rmErr, fs.ErrNotExist) {
				err = fmt.Errorf("%w (temporary file %s left behind: %v)", err, tmp, rmErr)
			}
		}
	}()
	if err = fill(f); err != nil {
		return err
	}
	// Created 0600 so nobody reads it half-written; the umask does not
	// apply to Chmod, so the mode is exactly the one chosen.
	if err = f.Chmod(mode); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return d.Rename(tmp, name)
}

// splitName splits a name on its last separator, forward or back slash.
func splitName(name string) (dir, base string) {
	i := strings.LastIndexAny(name, `/`+string(filepath.Separator))
	if i < 0 {
		return "", name
	}
	return name[:i+1], name[i+1:]
}

// joinName puts dir (ending in its separator, or empty) before base.
func joinName(dir, base string) string { return dir + base }
