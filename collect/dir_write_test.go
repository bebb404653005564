package collect

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/facts"
)

// listAll returns every file and folder under dir (slash paths).
func listAll(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	require.NoError(t, filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
		rel, _ := filepath.Rel(dir, p)
		out = append(out, filepath.ToSlash(rel))
		return err
	}))
	return out
}

func TestWriteFileReplacesAtomicallyKeepingSpellingAndMode(t *testing.T) {
	dir := writeTree(t, map[string]string{"fs/C/Program Files/TMS/wwwTMS/Web.config": "old"})
	p := filepath.Join(dir, "fs/C/Program Files/TMS/wwwTMS/Web.config")
	require.NoError(t, os.Chmod(p, 0o640))
	d, err := OpenDir(dir)
	require.NoError(t, err)
	defer d.Close()
	before := listAll(t, dir)

	require.NoError(t, d.WriteFile(context.Background(), `C:\PROGRAM FILES\tms\WWWTMS\web.config`, strings.NewReader("new")))
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	assert.Equal(t, "new", string(data), "the existing file, found case-insensitively, is replaced")
	st, err := os.Stat(p)
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o640), st.Mode().Perm(), "mode kept")
	assert.Equal(t, before, listAll(t, dir), "no second spelling, no temporary file")
}

func TestWriteFileCreatesFoldersAndIsSeenByLookup(t *testing.T) {
	dir := writeTree(t, map[string]string{"fs/C/TMS/wwwTMS/Data/placeholder": ""})
	d, err := OpenDir(dir)
	require.NoError(t, err)
	defer d.Close()
	ctx := context.Background()
	// Remember the listing first, as a gathering run would have.
	_, err = d.Lookup(`C:\TMS\wwwTMS\Data\Logo\a.png`)
	require.ErrorIs(t, err, fs.ErrNotExist)

	require.NoError(t, d.WriteFile(ctx, `C:\tms\WWWTMS\data\Logo\Sub\a.png`, strings.NewReader("png")))
	got, err := d.Lookup(`C:\TMS\wwwTMS\Data\logo\sub\A.PNG`)
	require.NoError(t, err)
	assert.Equal(t, "fs/C/TMS/wwwTMS/Data/Logo/Sub/a.png", got, "existing folders keep their spelling, new ones take the path's")
	st, err := os.Stat(filepath.Join(dir, filepath.FromSlash(got)))
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o644), st.Mode().Perm())

	r, err := d.OpenFile(ctx, `C:\TMS\wwwTMS\Data\Logo\Sub\a.png`)
	require.NoError(t, err)
	data, err := io.ReadAll(r)
	require.NoError(t, err)
	require.NoError(t, r.Close())
	assert.Equal(t, "png", string(data))

	// A snapshot with no fs/ folder yet.
	empty, err := OpenDir(t.TempDir())
	require.NoError(t, err)
	defer empty.Close()
	require.NoError(t, empty.WriteFile(ctx, `D:\x.txt`, strings.NewReader("x")))
	_, err = empty.Lookup(`d:\X.TXT`)
	assert.NoError(t, err)
}

// failingReader gives some bytes, then an error: a write cut off half-way.
type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("connection reset")
	}
	n := min(f.n, len(p))
	for i := range n {
		p[i] = 'x'
	}
	f.n -= n
	return n, nil
}

func TestFailedWriteLeavesTheOriginalAndNoTemporaryFile(t *testing.T) {
	dir := writeTree(t, map[string]string{"fs/C/TMS/web.config": "original"})
	d, err := OpenDir(dir)
	require.NoError(t, err)
	defer d.Close()
	before := listAll(t, dir)

	err = d.WriteFile(context.Background(), `C:\TMS\web.config`, &failingReader{n: 100})
	require.ErrorContains(t, err, "connection reset")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, d.WriteFile(ctx, `C:\TMS\web.config`, strings.NewReader("new")), context.Canceled)
	err = d.WriteFile(context.Background(), `C:\TMS\new.txt`, &failingReader{n: 10})
	require.Error(t, err)

	data, err := os.ReadFile(filepath.Join(dir, "fs/C/TMS/web.config"))
	require.NoError(t, err)
	assert.Equal(t, "original", string(data))
	assert.Equal(t, before, listAll(t, dir))
}

func TestWriteFileRefusesFoldersSymlinksAndEscapes(t *testing.T) {
	dir := writeTree(t, map[string]string{"fs/C/TMS/web.config/inner": "", "fs/C/TMS/file": "f"})
	outside := filepath.Join(t.TempDir(), "outside")
	require.NoError(t, os.WriteFile(outside, []byte("mine"), 0o644))
	require.NoError(t, os.Symlink(outside, filepath.Join(dir, "fs/C/TMS/link")))
	d, err := OpenDir(dir)
	require.NoError(t, err)
	defer d.Close()
	ctx := context.Background()
	assert.ErrorContains(t, d.WriteFile(ctx, `C:\TMS\web.config`, strings.NewReader("x")), "is a folder")
	assert.ErrorContains(t, d.WriteFile(ctx, `C:\TMS\file\below`, strings.NewReader("x")), "not a folder")
	assert.ErrorContains(t, d.WriteFile(ctx, `C:\TMS\link`, strings.NewReader("x")), "symbolic link")
	assert.Error(t, d.WriteFile(ctx, `C:\TMS\..\..\x`, strings.NewReader("x")))
	data, err := os.ReadFile(outside)
	require.NoError(t, err)
	assert.Equal(t, "mine", string(data))
}

func TestRemoveFile(t *testing.T) {
	dir := writeTree(t, map[string]string{"fs/C/TMS/Data/a.txt": "a", "fs/C/TMS/Data/sub/b.txt": "b"})
	d, err := OpenDir(dir)
	require.NoError(t, err)
	defer d.Close()
	ctx := context.Background()
	require.NoError(t, d.RemoveFile(ctx, `C:\tms\data\A.TXT`))
	_, err = os.Stat(filepath.Join(dir, "fs/C/TMS/Data/a.txt"))
	assert.ErrorIs(t, err, fs.ErrNotExist)
	_, err = d.Lookup(`C:\TMS\Data\a.txt`)
	assert.ErrorIs(t, err, fs.ErrNotExist, "the remembered listing forgets it")
	assert.NoError(t, d.RemoveFile(ctx, `C:\TMS\Data\a.txt`), "missing is not an error")
	assert.ErrorContains(t, d.RemoveFile(ctx, `C:\TMS\Data\sub`), "is a folder")
}

const factsDoc = `{
  "schema": "tmsdrift/facts/v1",
  "hostname": "TMS02",
  "services": [
    {"name": "TMSLiveService", "start_type": "Automatic", "state": "Running"},
    {
      "name": "W3SVC",
      "start_type": "Automatic",
      "state": "Running"
    }
  ],
  "db_rtt_ms": [1.10, 0.9]
}
`

func TestSetServiceEditsFactsJSONInPlace(t *testing.T) {
	dir := writeTree(t, map[string]string{"facts.json": factsDoc})
	require.NoError(t, os.Chmod(filepath.Join(dir, "facts.json"), 0o600))
	d, err := OpenDir(dir)
	require.NoError(t, err)
	defer d.Close()
	ctx := context.Background()

	require.NoError(t, d.SetService(ctx, "w3svc", facts.StartManual, facts.StateStopped))
	raw, err := os.ReadFile(filepath.Join(dir, "facts.json"))
	require.NoError(t, err)
	want := strings.Replace(factsDoc, `"start_type": "Automatic",
      "state": "Running"`, `"start_type": "Manual",
      "state": "Stopped"`, 1)
	assert.Equal(t, want, string(raw), "only the two values changed")
	st, err := os.Stat(filepath.Join(dir, "facts.json"))
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o600), st.Mode().Perm())

	// Only the state; the start type stays.
	require.NoError(t, d.SetService(ctx, "TMSLiveService", "", facts.StateStopped))
	raw, err = d.Facts(ctx)
	require.NoError(t, err)
	f, err := facts.ParseNode(raw)
	require.NoError(t, err)
	assert.Equal(t, []facts.Service{
		{Name: "TMSLiveService", StartType: facts.StartAutomatic, State: facts.StateStopped},
		{Name: "W3SVC", StartType: facts.StartManual, State: facts.StateStopped},
	}, f.Services)

	// Setting it back gives back the original bytes (what rollback relies on).
	require.NoError(t, d.SetService(ctx, "W3SVC", facts.StartAutomatic, facts.StateRunning))
	require.NoError(t, d.SetService(ctx, "TMSLiveService", facts.StartAutomatic, facts.StateRunning))
	raw, err = os.ReadFile(filepath.Join(dir, "facts.json"))
	require.NoError(t, err)
	assert.Equal(t, factsDoc, string(raw))
}

func TestSetServiceRefuses(t *testing.T) {
	dir := writeTree(t, map[string]string{"facts.json": factsDoc})
	d, err := OpenDir(dir)
	require.NoError(t, err)
	defer d.Close()
	ctx := context.Background()
	assert.ErrorIs(t, d.SetService(ctx, "TMSSnmpService", facts.StartManual, ""), fs.ErrNotExist)
	assert.ErrorContains(t, d.SetService(ctx, "W3SVC", "Sometimes", ""), "unknown start type")
	assert.ErrorContains(t, d.SetService(ctx, "W3SVC", "", "Sleeping"), "unknown state")

	broken := writeTree(t, map[string]string{"facts.json": `{"schema": "tmsdrift/facts/v1", "services": [`})
	b, err := OpenDir(broken)
	require.NoError(t, err)
	defer b.Close()
	assert.ErrorContains(t, b.SetService(ctx, "W3SVC", facts.StartManual, ""), "facts.json")
	raw, err := os.ReadFile(filepath.Join(dir, "facts.json"))
	require.NoError(t, err)
	assert.Equal(t, factsDoc, string(raw), "nothing written")
}
