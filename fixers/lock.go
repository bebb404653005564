package fixers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// One fixer at a time per deployment: every command that changes the
// deployment (fix --apply, post-upgrade, rollback) holds an operating
// system lock on <runs>/lock while it works. The OS releases the lock when
// the process ends, however it ends, so a crash never leaves a stale lock
// to clean up by hand. The file itself says who holds it, for the message
// a second fixer gets.

// Holder describes the process holding the lock.
type Holder struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Command string    `json:"command"`
	Since   time.Time `json:"since"`
}

// Lock is a held deployment lock.
type Lock struct {
	f *os.File
}

// LockedError says that another fixer holds the lock.
type LockedError struct {
	Path   string
	Holder string // what the lock file says, "" when unreadable
}

// Error says who holds the lock and what to do.
func (e *LockedError) Error() string {
	who := "another tmsdrift process"
	if e.Holder != "" {
		who = e.Holder
	}
	return fmt.Sprintf("another fix is running on this deployment (%s holds %s); nothing was changed: wait for it, or pass --wait", who, e.Path)
}

// pollInterval is how often a waiting fixer tries the lock again.
const pollInterval = 200 * time.Millisecond

// lockWaiting, when set (tests only), is called each time AcquireLock
// found the lock held and is about to wait for it: the test that releases
// the lock knows then that the wait path runs.
var lockWaiting func()

// AcquireLock takes the lock in runsDir, waiting up to wait for another
// holder to finish (0: fail at once with a LockedError).
func AcquireLock(ctx context.Context, runsDir string, wait time.Duration, holder Holder) (*Lock, error) {
	if err := prepareRunsDir(runsDir); err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	path := filepath.Join(runsDir, "lock")
	deadline := time.Now().Add(wait)
	for {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("lock: %w", err)
		}
		ok, err := tryLock(f)
		if err != nil {
			_ = f.Close() // the lock failed; closing only releases the file
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if ok {
			if err := writeHolder(f, holder); err != nil {
				_ = f.Close() // releases the lock with it
				return nil, fmt.Errorf("lock %s: %w", path, err)
			}
			return &Lock{f: f}, nil
		}
		if err := f.Close(); err != nil {
			return nil, fmt.Errorf("lock %s: %w", path, err)
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

// Release gives the lock up.
func (l *Lock) Release() error {
	err := unlock(l.f)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("release lock: %w", err)
	}
	return nil
}

func writeHolder(f *os.File, h Holder) error {
	data, err := json.Marshal(h)
	if err != nil {
		return err
	}
	if err := f.Truncate(0); err != nil {
		return err
	}
	if _, err := f.WriteAt(append(data, '\n'), 0); err != nil {
		return err
	}
	return f.Sync()
}

// readHolder describes the holder from the lock file, best effort: the
// message is the same without it.
func readHolder(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	var h Holder
	if err := json.Unmarshal(data, &h); err != nil || h.PID == 0 {
		return ""
	}
	return fmt.Sprintf("%q, process %d on %s since %s", strings.TrimSpace(h.Command), h.PID, h.Host, h.Since.UTC().Format(time.RFC3339))
}

// errLockUnsupported is tryLock's answer where the OS offers no file lock.
var errLockUnsupported = errors.New("file locks are not supported on this system")
