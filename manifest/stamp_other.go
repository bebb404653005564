//go:build !(linux || openbsd || dragonfly || solaris || darwin || freebsd || netbsd)

package manifest

import "io/fs"

// stampOf falls back to size and mtime where the system gives no portable
// change time or file ID (Windows: FileInfo.Sys has neither; getting them
// needs an open handle, which is what the cache saves). This key is
// weaker: a file rewritten with the same size and its mtime restored
// (os.Chtimes) is not noticed. Use no cache where that matters.
func stampOf(fi fs.FileInfo) (s stamp, ok bool) {
	return stamp{Size: fi.Size(), MtimeNS: fi.ModTime().UnixNano()}, true
}

// changedNS is the best change time available here: mtime.
func (s stamp) changedNS() int64 { return s.MtimeNS }
