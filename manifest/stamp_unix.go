//go:build linux || openbsd || dragonfly || solaris

package manifest

import (
	"io/fs"
	"syscall"
)

// stampOf reads size, mtime, ctime, inode and device from fi; ok is false
// when fi carries no stat data, and then nothing is cached.
func stampOf(fi fs.FileInfo) (s stamp, ok bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return stamp{}, false
	}
	return stamp{
		Size:    fi.Size(),
		MtimeNS: st.Mtim.Nano(),
		CtimeNS: st.Ctim.Nano(),
		Ino:     uint64(st.Ino),
		Dev:     uint64(st.Dev),
	}, true
}

// changedNS is the time of the file's last change that no program can
// back-date: its ctime.
func (s stamp) changedNS() int64 { return s.CtimeNS }
