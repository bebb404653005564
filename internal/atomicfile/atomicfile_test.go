package atomicfile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriteCreatesAndReplacesRegularFiles(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "report.json")
	require.NoError(t, WriteFile(p, []byte("one"), 0o640))
	assertFile(t, p, "one")
	st, err := os.Stat(p)
	require.NoError(t, err)
	if runtime.GOOS != "windows" {
		assert.Equal(t, fs.FileMode(0o640), st.Mode().Perm(), "a new file gets perm exactly, whatever the umask")
		require.NoError(t, os.Chmod(p, 0o600))
	}
	require.NoError(t, WriteFile(p, []byte("two"), 0o644))
	assertFile(t, p, "two")
	if runtime.GOOS != "windows" {
		st, err = os.Stat(p)
		require.NoError(t, err)
		assert.Equal(t, fs.FileMode(0o600), st.Mode().Perm(), "a replaced file keeps its mode")
		require.NoError(t, os.Chmod(p, 0o644))
		require.NoError(t, WriteFile(p, []byte("key"), 0o600, ExactMode()))
		st, err = os.Stat(p)
		require.NoError(t, err)
		assert.Equal(t, fs.FileMode(0o600), st.Mode().Perm(), "ExactMode narrows a replaced file")
	}
	assertOnly(t, dir, "report.json")
}

func TestWriteFailureLeavesTheFileAndNoDebris(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "db.json")
	require.NoError(t, os.WriteFile(p, []byte("original"), 0o644))
	boom := errors.New("boom")
	err := Write(p, 0o644, func(w io.Writer) error {
		_, _ = w.Write([]byte("half"))
		return boom
	})
	require.ErrorIs(t, err, boom)
	assert.Contains(t, err.Error(), p)
	assertFile(t, p, "original")
	assertOnly(t, dir, "db.json")
}

func TestWriteThroughCharacterDevice(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no /dev/null on Windows")
	}
	before, err := os.Stat(os.DevNull)
	require.NoError(t, err)
	require.NoError(t, WriteFile(os.DevNull, []byte("discarded"), 0o644))
	after, err := os.Stat(os.DevNull)
	require.NoError(t, err)
	assert.Equal(t, before.Mode(), after.Mode(), "/dev/null is still a character device")
	assert.True(t, os.SameFile(before, after))
}

func TestWriteFollowsSymlinkToRegularFile(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symlinks need privileges on Windows")
	}
	dir := t.TempDir()
	real := filepath.Join(dir, "real.json")
	link := filepath.Join(dir, "link.json")
	require.NoError(t, os.WriteFile(real, []byte("old"), 0o644))
	require.NoError(t, os.Symlink("real.json", link))
	require.NoError(t, WriteFile(link, []byte("new"), 0o644))
	assertFile(t, real, "new")
	st, err := os.Lstat(link)
	require.NoError(t, err)
	assert.NotZero(t, st.Mode()&fs.ModeSymlink, "the link is still a link")
	assertOnly(t, dir, "link.json", "real.json")
}

func TestWriteRefuses(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symlinks need privileges on Windows")
	}
	dir := t.TempDir()
	sub := filepath.Join(dir, "reports")
	require.NoError(t, os.Mkdir(sub, 0o755))
	dangling := filepath.Join(dir, "dangling")
	require.NoError(t, os.Symlink("nowhere", dangling))
	toDir := filepath.Join(dir, "todir")
	require.NoError(t, os.Symlink("reports", toDir))

	for name, tc := range map[string]struct{ path, want string }{
		"folder":          {sub, "is a folder; name a file in it"},
		"dangling link":   {dangling, `symbolic link to "nowhere", which cannot be followed`},
		"link to folder":  {toDir, "symbolic link to something that is a folder"},
		"missing parent ": {filepath.Join(dir, "no", "such", "file"), "no such file"},
	} {
		t.Run(name, func(t *testing.T) {
			err := WriteFile(tc.path, []byte("x"), 0o644)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Contains(t, err.Error(), tc.path)
		})
	}
	l, err := os.Readlink(dangling)
	require.NoError(t, err)
	assert.Equal(t, "nowhere", l, "a refused link is left as it was")
	assertOnly(t, dir, "dangling", "reports", "todir")
	assertOnly(t, sub)
}

func TestReplaceInRootStaysInside(t *testing.T) {
	dir := t.TempDir()
	root, err := os.OpenRoot(dir)
	require.NoError(t, err)
	defer root.Close()
	require.NoError(t, root.Mkdir("nodes", 0o755))
	fill := func(w io.Writer) error { _, err := io.WriteString(w, "facts"); return err }
	require.NoError(t, Replace(root, "nodes/facts.json", 0o644, fill))
	assertFile(t, filepath.Join(dir, "nodes", "facts.json"), "facts")
	assert.Error(t, Replace(root, "../escape.json", 0o644, fill), "a root keeps writes inside")
	if runtime.GOOS != "windows" {
		require.NoError(t, os.Symlink("/etc/hostname", filepath.Join(dir, "nodes", "link")))
		err := Replace(root, "nodes/link", 0o644, fill)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "symbolic link")
	}
	assertOnly(t, filepath.Join(dir, "nodes"), "facts.json", "link")
}

func TestTempNames(t *testing.T) {
	n := TempName("web.config")
	assert.True(t, strings.HasPrefix(n, ".web.config.tmsdrift-"), n)
	assert.True(t, IsTemp(n), n)
	owner, ok := TempOwner(n)
	assert.True(t, ok)
	assert.Equal(t, "web.config", owner)
	assert.NotEqual(t, n, TempName("web.config"), "two writers never share a name")

	for name, want := range map[string]string{
		".logo.png.tmsdrift-0123456789abcdef0123456789ABCDEF.tmp": "logo.png", // the PowerShell writer's GUID
		".a.tmsdrift-deadbeef.tmp":                                "a",
	} {
		got, ok := TempOwner(name)
		assert.True(t, ok, name)
		assert.Equal(t, want, got, name)
	}
	for _, name := range []string{
		"web.config", ".tmsdrift-deadbeef.tmp", ".a.tmsdrift-xyz12345.tmp", ".a.tmsdrift-dead.tmp",
		"a.tmsdrift-deadbeef.tmp", ".a.tmsdrift-deadbeef", ".a.tmsdrift-deadbeefdeadbeefdeadbeefdeadbeef0.tmp",
	} {
		assert.False(t, IsTemp(name), name)
	}
}

func assertFile(t *testing.T, path, want string) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, want, string(b))
}

// assertOnly checks that dir holds exactly names: no temporary file left.
func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	assert.ElementsMatch(t, names, got)
}

func itoa(n int) string { return strconv.Itoa(n) }
