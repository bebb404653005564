//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package fixers

import (
	"errors"
	"os"
	"syscall"
)

// tryLock takes an exclusive flock on f without waiting; false when another
// open file holds it.
func tryLock(f *os.File) (bool, error) {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return false, nil
	}
	return err == nil, err
}

func unlock(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
}

// removeLockFile removes the lock file, then gives the lock up: a process
// that opened the file meanwhile and locks it next finds it gone.
func removeLockFile(f *os.File, path string) error {
	err := removeIfThere(path)
	if cerr := unlock(f); err == nil {
		err = cerr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
