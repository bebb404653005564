package machinekey

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGenerate(t *testing.T) {
	tests := []struct {
		validation     string
		wantValidation string
		wantHexDigits  int
	}{
		{"", "HMACSHA256", 128},
		{"HMACSHA256", "HMACSHA256", 128},
		{"hmacsha256", "HMACSHA256", 128},
		{"SHA1", "SHA1", 128},
		{"HMACSHA384", "HMACSHA384", 256},
		{"HMACSHA512", "HMACSHA512", 256},
	}
	upperHex := regexp.MustCompile(`^[0-9A-F]+$`)
	for _, tt := range tests {
		t.Run(tt.validation, func(t *testing.T) {
			k, err := Generate(tt.validation)
			require.NoError(t, err)
			assert.Equal(t, tt.wantValidation, k.Validation)
			assert.Equal(t, "AES", k.Decryption)
			assert.Len(t, k.ValidationKey, tt.wantHexDigits)
			assert.Len(t, k.DecryptionKey, 64, "AES-256")
			assert.Regexp(t, upperHex, k.ValidationKey)
			assert.Regexp(t, upperHex, k.DecryptionKey)
			assert.True(t, k.Fixed())

			again, err := Generate(tt.validation)
			require.NoError(t, err)
			assert.False(t, k.Equal(again), "every key is new")
			assert.NotEqual(t, k.ValidationKey, again.ValidationKey)
			assert.NotEqual(t, k.DecryptionKey, again.DecryptionKey)
		})
	}
}

func TestGenerateUnsupported(t *testing.T) {
	for _, v := range []string{"MD5", "AES", "3DES", "HMACSHA1024", "alg:Custom"} {
		_, err := Generate(v)
		require.Error(t, err, v)
		assert.Contains(t, err.Error(), "want one of HMACSHA256, SHA1, HMACSHA384, HMACSHA512")
	}
}

// TestGeneratedKeyRoundTrips writes a new key the way keygen will, into a key
// file and into a web.config, and reads it back.
func TestGeneratedKeyRoundTrips(t *testing.T) {
	k, err := Generate("")
	require.NoError(t, err)

	fromFile, err := ParseKeyFile([]byte("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n" + Element(k) + "\n"))
	require.NoError(t, err)
	assert.Equal(t, k, *fromFile)

	cfg := strings.Replace(string(readTestdata(t, "commented.web.config")), "<authentication", Element(k)+"\r\n    <authentication", 1)
	fromConfig, err := FromWebConfig([]byte(cfg))
	require.NoError(t, err)
	require.NotNil(t, fromConfig)
	assert.Equal(t, k, *fromConfig)
	assert.Equal(t, k.Fingerprint(), fromConfig.Fingerprint())
}
