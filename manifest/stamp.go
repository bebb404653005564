package manifest

// stamp is what the hash cache compares to decide that a file has not
// changed since it was hashed. Which fields are filled depends on the
// system (stamp_unix.go, stamp_bsd.go, stamp_other.go).
type stamp struct {
	Size    int64
	MtimeNS int64
	// CtimeNS is the inode change time. Unlike mtime, user space cannot
	// set it (os.Chtimes, touch -d, robocopy /COPY:T and unpackers set
	// mtime only); any write, chmod, rename or Chtimes moves it to "now".
	// A file rewritten with the same size and its old mtime restored
	// therefore still misses the cache.
	CtimeNS int64
	// Ino and Dev tell a file replaced by another (rename over it, restore
	// from backup) from the original.
	Ino uint64
	Dev uint64
}
