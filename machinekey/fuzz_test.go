package machinekey

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// addSeeds seeds a fuzz target with every sample in testdata and a few small
// documents around the edges the parser decides on.
func addSeeds(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*"))
	require.NoError(f, err)
	require.NotEmpty(f, files)
	for _, name := range files {
		if info, err := os.Stat(name); err != nil || info.IsDir() {
			continue
		}
		raw, err := os.ReadFile(name)
		require.NoError(f, err)
		f.Add(raw)
	}
	// The labs' web.configs and key files (fixtures/labs).
	for _, pattern := range []string{
		filepath.Join("..", "fixtures", "labs", "*", "keys", "machinekey.xml"),
		filepath.Join("..", "fixtures", "labs", "*", "nodes", "*", "fs", "C", "*", "*", "*", "*", "[Ww]eb.config"),
	} {
		labs, err := filepath.Glob(pattern)
		require.NoError(f, err)
		require.NotEmpty(f, labs, pattern)
		for _, name := range labs {
			raw, err := os.ReadFile(name)
			require.NoError(f, err)
			f.Add(raw)
		}
	}
	for _, s := range []string{
		"",
		Element(tmsKey),
		"<configuration><location path=\".\"><system.web><machineKey validationKey=\"AB\" decryptionKey=\"CD\"/></system.web></location></configuration>",
		"<configuration><system.web><machineKey validationKey=\"A&amp;B\" validationKey=\"C\"/></system.web></configuration>",
		"<?xml version=\"1.0\" encoding=\"utf-16\"?><configuration/>",
		"\xEF\xBB\xBF<configuration>\r\n<system.web><machineKey validation='SHA1'/></system.web>\r\n</configuration>",
		"\xFF\xFE<\x00c\x00/\x00>\x00",
		"<a/><b/>",
	} {
		f.Add([]byte(s))
	}
}

// checkFromInput asserts that every value of a parsed key was in the input.
// It holds for ASCII input without references (&...;), NUL bytes (UTF-16) or
// CR (which XML turns into LF); other input is transformed on the way in.
func checkFromInput(t *testing.T, raw []byte, k *Key) {
	for _, c := range raw {
		if c >= 0x80 || c == '&' || c == 0 || c == '\r' {
			return
		}
	}
	for _, v := range []string{k.ValidationKey, k.DecryptionKey, k.Validation, k.Decryption} {
		assert.True(t, bytes.Contains(raw, []byte(v)), "value %q is not in the input", v)
	}
}

// checkNoLeak asserts that the key's description does not show a key that
// looks like key material.
func checkNoLeak(t *testing.T, k *Key) {
	out := k.String() + k.GoString()
	for _, v := range []string{k.ValidationKey, k.DecryptionKey} {
		if hasHexRun(v, 16) {
			assert.False(t, strings.Contains(out, v), "description shows a key: %s", out)
		}
	}
}

func FuzzFromWebConfig(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		k, err := FromWebConfig(raw)
		if err != nil {
			assert.Nil(t, k)
			assert.False(t, hasHexRun(err.Error(), minSecretHexRun), "error quotes what may be a key: %v", err)
			return
		}
		if k == nil {
			return
		}
		checkFromInput(t, raw, k)
		checkNoLeak(t, k)
		flipped := Key{
			ValidationKey: flipASCIICase(k.ValidationKey), DecryptionKey: flipASCIICase(k.DecryptionKey),
			Validation: flipASCIICase(k.Validation), Decryption: flipASCIICase(k.Decryption),
		}
		assert.True(t, k.Equal(flipped), "case does not matter")
		assert.Equal(t, k.Fingerprint(), flipped.Fingerprint(), "case does not change the fingerprint")
	})
}

func FuzzParseKeyFile(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		k, err := ParseKeyFile(raw)
		if err != nil {
			assert.Nil(t, k)
			assert.False(t, hasHexRun(err.Error(), minSecretHexRun), "error quotes what may be a key: %v", err)
			return
		}
		require.NotNil(t, k)
		assert.True(t, k.Fixed(), "a key file's key is fixed")
		checkFromInput(t, raw, k)
		checkNoLeak(t, k)

		again, err := ParseKeyFile([]byte(Element(*k)))
		require.NoError(t, err, "Element writes what ParseKeyFile reads")
		assert.Equal(t, *k, *again)
	})
}

func flipASCIICase(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z':
			return r - 'A' + 'a'
		}
		return r
	}, s)
}
