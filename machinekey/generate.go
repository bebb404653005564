package machinekey

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
)

// validationKeySizes lists the validation algorithms Generate offers and the
// key size in bytes for each: the block size of the HMAC, which is the key
// .NET's HMAC classes create by default and hence what IIS Manager's
// "Generate Keys" and Microsoft's Generate-MachineKey script write (64 bytes
// = 128 hex digits for SHA1 and HMACSHA256). MD5 is left out on purpose.
var validationKeySizes = []struct {
	name  string
	bytes int
}{
	{"HMACSHA256", 64},
	{"SHA1", 64},
	{"HMACSHA384", 128},
	{"HMACSHA512", 128},
}

// The decryption side is always AES-256: the strongest choice ASP.NET offers
// and what IIS Manager generates for AES.
const (
	generatedDecryption = "AES"
	decryptionKeyBytes  = 32
)

// Generate creates a new random machineKey for the keygen command, with key
// sizes IIS accepts for validation (default HMACSHA256 when empty; names
// compare case-insensitively) and AES decryption. Keys are upper-case hex, as
// IIS Manager writes them.
func Generate(validation string) (Key, error) {
	if validation == "" {
		validation = DefaultValidation
	}
	size := 0
	for _, v := range validationKeySizes {
		if strings.EqualFold(v.name, validation) {
			validation, size = v.name, v.bytes
			break
		}
	}
	if size == 0 {
		return Key{}, fmt.Errorf("generate machine key: validation %s is not supported (want one of %s)", safeName(validation), supportedValidations())
	}
	validationKey, err := randomHex(size)
	if err != nil {
		return Key{}, fmt.Errorf("generate validation key: %w", err)
	}
	decryptionKey, err := randomHex(decryptionKeyBytes)
	if err != nil {
		return Key{}, fmt.Errorf("generate decryption key: %w", err)
	}
	return Key{
		ValidationKey: validationKey,
		DecryptionKey: decryptionKey,
		Validation:    validation,
		Decryption:    generatedDecryption,
	}, nil
}

// supportedValidations lists the names Generate accepts, for its error.
func supportedValidations() string {
	names := make([]string, len(validationKeySizes))
	for i, v := range validationKeySizes {
		names[i] = v.name
	}
	return strings.Join(names, ", ")
}

// randomHex returns n bytes from crypto/rand as upper-case hex.
func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("read random bytes: %w", err)
	}
	return strings.ToUpper(hex.EncodeToString(b)), nil
}
