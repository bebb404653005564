package machinekey

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// addLabWebConfigs seeds f with every web.config of the lab deployments:
// the files the fixer meets first.
func addLabWebConfigs(f *testing.F) {
	labs := filepath.Join("..", "fixtures", "labs")
	n := 0
	err := filepath.WalkDir(labs, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.EqualFold(d.Name(), "web.config") {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f.Add(raw, "HMACSHA256")
		n++
		return nil
	})
	require.NoError(f, err)
	require.NotZero(f, n, "lab web.configs")
}

// FuzzSplice: Splice never panics; what it returns carries the key, differs
// from the input only at the key, and does not change when spliced again.
func FuzzSplice(f *testing.F) {
	addLabWebConfigs(f)
	files, err := filepath.Glob(filepath.Join("testdata", "*.web.config"))
	require.NoError(f, err)
	for _, name := range files {
		raw, err := os.ReadFile(name)
		require.NoError(f, err)
		f.Add(raw, "SHA1")
	}
	f.Add([]byte("<configuration><system.web/></configuration>"), "a'b\"c&d")
	f.Add([]byte("<configuration>\r\n</configuration>"), "")
	f.Add([]byte("<configuration>\n<location path=\"api\">\n<system.web>\n<machineKey/>\n<machineKey/>\n</system.web>\n</location>\n</configuration>"), "")
	f.Add([]byte("\xFF\xFE<\x00c\x00o\x00n\x00f\x00i\x00g\x00u\x00r\x00a\x00t\x00i\x00o\x00n\x00/\x00>\x00"), "AES")
	f.Fuzz(func(t *testing.T, raw []byte, validation string) {
		k := newKey
		k.Validation = validation
		out, err := Splice(raw, k)
		if err != nil {
			assert.Nil(t, out)
			assert.False(t, hasHexRun(err.Error(), minSecretHexRun), "error quotes what may be a key: %v", err)
			return
		}
		got, err := FromWebConfig(out)
		require.NoError(t, err, "the result parses")
		require.NotNil(t, got)
		assert.True(t, got.Equal(k), "the result carries the key")
		checkOnlyKeyChanged(t, raw, out)
		again, err := Splice(out, k)
		require.NoError(t, err)
		assert.Equal(t, out, again, "idempotent")
	})
}
