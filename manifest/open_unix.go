//go:build unix

package manifest

import (
	"os"
	"syscall"
)

// openFlags opens files to hash. O_NONBLOCK does nothing to reads of
// regular files, but tells package os the descriptor is already
// non-blocking, which spares it four fcntl calls per file on Linux (it
// would set and clear the flag around a failed attempt to put a disk file
// in the network poller): with thousands of small files, a measurable
// share of a cold run. It also keeps the open from hanging should a file
// have been replaced by a named pipe since the walk.
const openFlags = os.O_RDONLY | syscall.O_NONBLOCK
