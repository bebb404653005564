//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly || windows)

package fixers

import "os"

// tryLock fails where the operating system offers no file lock tmsdrift
// knows: fixing without the lock would let two fixers interleave.
func tryLock(*os.File) (bool, error) { return false, errLockUnsupported }

func unlock(*os.File) error { return nil }

// removeLockFile gives the lock up and removes the lock file (never
// reached: tryLock never locks here).
func removeLockFile(f *os.File, path string) error {
	if err := f.Close(); err != nil {
		return err
	}
	return removeIfThere(path)
}
