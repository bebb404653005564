package manifest

import (
	"crypto/sha256"
	"encoding/hex"
)

// sum is the lower-case hex SHA-256 of s, the reference the package must
// agree with.
func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}
