//go:build !unix

package manifest

import "os"

// openFlags opens files to hash (see open_unix.go).
const openFlags = os.O_RDONLY
