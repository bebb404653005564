package fixers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// One fixer at a time per deployment: every command that changes the
// deployment (fix --apply, post-upgrade, rollback, the runbooks) holds an
// operating system lock on <runs>/lock while it works. The OS releases the
// lock when the process ends, however it ends, so a crash never leaves a
// stale lock to clean up by hand. The file itself says who holds it (the
// command, its run once it has one, the process), for the message a
// second fixer gets.
//
// A run that ends without changing anything (refused, not confirmed,
// nothing to do) leaves no trace either: Release takes back what taking
// the lock created or rewrote (the runs folder and its .gitignore, the
// lock file or the holder it named before) unless the run said, with
// Starting, that it was about to write its run folder.

// Holder describes the process holding the lock.
type Holder struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Command string    `json:"command"`
	Since   time.Time `json:"since"`
	// Run is the run folder the holder writes, once it has one.
	Run string `json:"run,omitempty"`
}

// describe says who h is, for a person: the command, its run, the
// process.
func (h Holder) describe() string {
	what := fmt.Sprintf("%q", strings.TrimSpace(h.Command))
	var about []string
	if h.Run != "" {
		about = append(about, "run "+h.Run)
	}
	about = append(about, fmt.Sprintf("process %d on %s since %s", h.PID, h.Host, h.Since.UTC().Format(time.RFC3339)))
	return what + " (" + strings.Join(about, ", ") + ")"
}

// Lock is a held deployment lock.
type Lock struct {
	f      *os.File
	path   string
	holder Holder
	// starting is set once the run is about to change something: from
	// then on Release leaves the runs folder as it is.
	starting bool
	// What taking the lock changed, for Release to take back when the run
	// changed nothing: the folders it created (outermost first), the
	// .gitignore, the lock file, or what the lock file said before.
	madeDirs   []string
	madeIgnore bool
	madeFile   bool
	before     []byte
	beforeTime time.Time
}

// LockedError says that another fixer holds the lock.
type LockedError struct {
	Path string
	// Holder is what the lock file says; nil when it cannot be read.
	Holder *Holder
}

// Error says who holds the lock and what to do.
func (e *LockedError) Error() string {
	who := "another tmsdrift process"
	if e.Holder != nil {
		who = e.Holder.describe()
	}
	return fmt.Sprintf("this deployment is locked by %s, which holds %s; nothing was changed: wait for it to finish, or pass --wait", who, e.Path)
}

// pollInterval is how often a waiting fixer tries the lock again.
const pollInterval = 200 * time.Millisecond

// lockWaiting, when set (tests only), is called each time AcquireLock
// found the lock held and is about to wait for it: the test that releases
// the lock knows then that the wait path runs.
var lockWaiting func()

// lockOpened, when set (tests only), is called between opening the lock
// file and locking it: where another holder may take its file back.
var lockOpened func()

// AcquireLock takes the lock in runsDir, waiting up to wait for another
// holder to finish (0: fail at once with a LockedError).
func AcquireLock(ctx context.Context, runsDir string, wait time.Duration, holder Holder) (*Lock, error) {
	path := filepath.Join(runsDir, "lock")
	deadline := time.Now().Add(wait)
	for {
		l, err := tryAcquire(runsDir, path, holder)
		if err != nil {
			return nil, err
		}
		if l != nil {
			return l, nil
		}
		if !time.Now().Before(deadline) {
			return nil, &LockedError{Path: path, Holder: readHolder(path)}
		}
		if lockWaiting != nil {
			lockWaiting()
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for the lock: %w", ctx.Err())
		case <-time.After(min(pollInterval, time.Until(deadline))):
		}
	}
}

// retries bounds how often tryAcquire starts again when the lock file or
// its folder went away under it (a holder that changed nothing took them
// back): each time another process must have taken and given up the lock.
const retries = 10

// tryAcquire takes the lock if it is free; nil, nil when another process
// holds it.
func tryAcquire(runsDir, path string, holder Holder) (*Lock, error) {
	for range retries {
		l := &Lock{path: path, holder: holder}
		dirs, err := missingDirs(runsDir)
		if err != nil {
			return nil, fmt.Errorf("lock: %w", err)
		}
		if err := os.MkdirAll(runsDir, 0o700); err != nil {
			return nil, fmt.Errorf("lock: create runs folder: %w", err)
		}
		l.madeDirs = dirs
		f, made, err := openLockFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue // the folder went away: make it again
		}
		if err != nil {
			return nil, fmt.Errorf("lock: %w", err)
		}
		if lockOpened != nil {
			lockOpened()
		}
		ok, err := tryLock(f)
		if err != nil {
			_ = f.Close() // the lock failed; closing only releases the file
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if !ok {
			if err := f.Close(); err != nil {
				return nil, fmt.Errorf("lock %s: %w", path, err)
			}
			return nil, nil
		}
		// A holder that changed nothing removes the lock file it made
		// while it still holds it: a lock on a file no longer at path
		// locks nothing.
		if st, err := f.Stat(); err != nil {
			_ = f.Close() // releases the lock with it
			return nil, fmt.Errorf("lock %s: %w", path, err)
		} else if now, err := os.Stat(path); err != nil || !os.SameFile(st, now) {
			_ = f.Close() // a lock on nothing; try the file that is there now
			continue
		} else if !made {
			l.beforeTime = st.ModTime()
			if l.before, err = io.ReadAll(f); err != nil {
				_ = f.Close()
				return nil, fmt.Errorf("lock %s: %w", path, err)
			}
		}
		l.f, l.madeFile = f, made
		// The .gitignore is made, and taken back, only under the lock.
		if l.madeIgnore, err = ensureIgnore(runsDir); err == nil {
			err = writeHolder(f, holder)
		}
		if err != nil {
			return nil, errors.Join(fmt.Errorf("lock %s: %w", path, err), l.Release())
		}
		return l, nil
	}
	return nil, fmt.Errorf("lock %s: the lock file kept going away (%d tries)", path, retries)
}

// missingDirs lists the folders of dir (dir included) that do not exist,
// outermost first: what creating dir makes.
func missingDirs(dir string) ([]string, error) {
	var missing []string
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		_, err := os.Lstat(d)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		missing = append([]string{d}, missing...)
		if filepath.Dir(d) == d {
			break
		}
	}
	return missing, nil
}

// openLockFile opens the lock file at path, creating it when there is
// none (made says so).
func openLockFile(path string) (f *os.File, made bool, err error) {
	for {
		f, err = os.OpenFile(path, os.O_RDWR, 0)
		if !errors.Is(err, fs.ErrNotExist) {
			return f, false, err
		}
		f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if !errors.Is(err, fs.ErrExist) {
			return f, err == nil, err
		}
	}
}

// Starting says that the run is about to change something (create its
// run folder): Release then keeps the runs folder, the .gitignore and the
// lock file. Without it, Release takes them back. A nil Lock (no lock
// taken) does nothing.
func (l *Lock) Starting() {
	if l != nil {
		l.starting = true
	}
}

// Running records the run the holder writes in the lock file, for the
// message another fixer gets; it implies Starting.
func (l *Lock) Running(run string) error {
	if l == nil {
		return nil
	}
	l.starting = true
	l.holder.Run = run
	if err := writeHolder(l.f, l.holder); err != nil {
		return fmt.Errorf("lock %s: %w", l.path, err)
	}
	return nil
}

// Release gives the lock up. After a run that never called Starting (it
// changed nothing: refused, not confirmed, nothing to do) it first takes
// back what taking the lock changed: the lock file says again what it
// said before, or is removed with the .gitignore and the folders taking
// it created, so that the run leaves no trace.
func (l *Lock) Release() error {
	if l.starting {
		return l.close()
	}
	var errs []error
	if l.madeIgnore {
		errs = append(errs, removeIfThere(filepath.Join(filepath.Dir(l.path), ".gitignore")))
	}
	if l.madeFile {
		// Under the lock on Unix, so that whoever opened the file
		// meanwhile finds it gone once they lock it (tryAcquire).
		errs = append(errs, removeLockFile(l.f, l.path))
	} else {
		if err := writeBytes(l.f, l.before); err != nil {
			errs = append(errs, fmt.Errorf("lock %s: put back what it said: %w", l.path, err))
		} else if !l.beforeTime.IsZero() {
			errs = append(errs, os.Chtimes(l.path, l.beforeTime, l.beforeTime))
		}
		errs = append(errs, l.close())
	}
	// Folders only when empty: another run may be making its own.
	for i := len(l.madeDirs) - 1; i >= 0; i-- {
		if err := os.Remove(l.madeDirs[i]); err != nil {
			break
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("release lock: %w", err)
	}
	return nil
}

// close unlocks and closes the lock file.
func (l *Lock) close() error {
	err := unlock(l.f)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("release lock: %w", err)
	}
	return nil
}

// removeIfThere removes path; already gone is fine.
func removeIfThere(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

func writeHolder(f *os.File, h Holder) error {
	data, err := json.Marshal(h)
	if err != nil {
		return err
	}
	return writeBytes(f, append(data, '\n'))
}

// writeBytes makes data the whole content of f.
func writeBytes(f *os.File, data []byte) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	if _, err := f.WriteAt(data, 0); err != nil {
		return err
	}
	return f.Sync()
}

// readHolder reads who holds the lock from the lock file, best effort:
// nil when it cannot be read (the message is the same without it).
func readHolder(path string) *Holder {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var h Holder
	if err := json.Unmarshal(data, &h); err != nil || h.PID == 0 {
		return nil
	}
	return &h
}

// errLockUnsupported is tryLock's answer where the OS offers no file lock.
var errLockUnsupported = errors.New("file locks are not supported on this system")
