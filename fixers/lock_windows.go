//go:build windows

package fixers

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// lockOffsetHigh is where the locked byte sits: far beyond the holder text, so
// that the mandatory Windows lock does not stop others from reading who
// holds it.
const lockOffsetHigh = 0x7FFFFFFF

// tryLock takes an exclusive LockFileEx lock on f without waiting; false
// when another handle holds it.
func tryLock(f *os.File) (bool, error) {
	ol := &windows.Overlapped{OffsetHigh: lockOffsetHigh}
	err := windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, ol)
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) || errors.Is(err, windows.ERROR_IO_PENDING) {
		return false, nil
	}
	return err == nil, err
}

func unlock(f *os.File) error {
	ol := &windows.Overlapped{OffsetHigh: lockOffsetHigh}
	return windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, ol)
}

// removeLockFile gives the lock up, then removes the lock file: Windows
// removes no file that is open. When another process opened it meanwhile
// (it waits for the lock), the removal fails with a sharing violation and
// the file stays, for that process to lock; a process that opens it later
// finds none and makes its own.
func removeLockFile(f *os.File, path string) error {
	err := unlock(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := removeIfThere(path); err != nil && !errors.Is(err, windows.ERROR_SHARING_VIOLATION) {
		return err
	}
	return nil
}
