// Package secretname tells, from its name alone, whether a registry value
// or a settings row probably holds a secret, so tmsdrift's probes show
// it only as a fingerprint: on the node (the discover script hashes it
// before it leaves), in the local transport, and in what discover prints.
package secretname

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode"
)

// Words are the parts of a name that say its value is a secret, in the
// form Normal gives names.
var Words = []string{"password", "passwd", "pwd", "secret", "token", "credential", "apikey", "privatekey",
	"connectionstring", "connstr", "salt", "passphrase", "certificate", "cert", "encrypted", "hash"}

// Normal is a name as Words are matched against it: lower case, letters
// and digits only.
func Normal(name string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return unicode.ToLower(r)
		}
		return -1
	}, name)
}

// Looks reports whether a value named name probably holds a secret. It
// errs on the side of hiding: a hidden harmless value costs a line, a
// shown password costs a breach.
func Looks(name string) bool {
	n := Normal(name)
	for _, w := range Words {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// SHA256 is the hex SHA-256 of a value, as the discover script computes
// it on the node (UTF-8 bytes).
func SHA256(value string) string {
	sum := sha256.Sum256([]byte(value))
	return hex.EncodeToString(sum[:])
}
