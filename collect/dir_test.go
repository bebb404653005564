package collect

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for rel, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	return dir
}

func TestLookupIsCaseInsensitiveLikeWindows(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"fs/C/program files/Tandberg/TMS/WWWTMS/Web.config": "<configuration/>",
	})
	d, err := OpenDir(dir)
	require.NoError(t, err)
	defer d.Close()

	for _, p := range []string{
		`C:\Program Files\TANDBERG\TMS\wwwTMS\web.config`,
		`c:\PROGRAM FILES\tandberg\tms\wwwtms\WEB.CONFIG`,
		`C:/Program Files/TANDBERG/TMS/wwwTMS/web.config`,
		`C:\Program Files\TANDBERG\TMS\\wwwTMS\.\web.config`,
	} {
		got, err := d.Lookup(p)
		require.NoError(t, err, p)
		assert.Equal(t, "fs/C/program files/Tandberg/TMS/WWWTMS/Web.config", got)
	}
	data, err := d.ReadFile(context.Background(), `C:\PROGRAM FILES\TANDBERG\TMS\WWWTMS\WEB.CONFIG`)
	require.NoError(t, err)
	assert.Equal(t, "<configuration/>", string(data))

	_, err = d.Lookup(`C:\Program Files\TANDBERG\TMS\wwwTMS\missing.config`)
	assert.ErrorIs(t, err, fs.ErrNotExist)
	_, err = d.Lookup(`D:\TMS\web.config`)
	assert.ErrorIs(t, err, fs.ErrNotExist)
}

func TestLookupRefusesWhatIsNotADrivePath(t *testing.T) {
	d, err := OpenDir(t.TempDir())
	require.NoError(t, err)
	defer d.Close()
	for _, p := range []string{`\\server\share\web.config`, `relative\web.config`, ``, `C:\TMS\..\..\etc\passwd`} {
		_, err := d.Lookup(p)
		assert.Error(t, err, p)
		assert.False(t, errors.Is(err, fs.ErrNotExist), "%q must be refused, not just missing", p)
	}
}

func TestSymlinkOutOfTheSnapshotIsRefused(t *testing.T) {
	outside := writeTree(t, map[string]string{"secret.txt": "not yours"})
	dir := writeTree(t, map[string]string{"fs/C/TMS/wwwTMS/placeholder": ""})
	require.NoError(t, os.Symlink(filepath.Join(outside, "secret.txt"), filepath.Join(dir, "fs/C/TMS/wwwTMS/web.config")))
	require.NoError(t, os.Symlink("../../../../..", filepath.Join(dir, "fs/C/TMS/up")))

	d, err := OpenDir(dir)
	require.NoError(t, err)
	defer d.Close()
	_, err = d.ReadFile(context.Background(), `C:\TMS\wwwTMS\web.config`)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "escapes")
	_, err = d.ReadFile(context.Background(), `C:\TMS\up\secret.txt`)
	require.Error(t, err)
}

func TestReadFileRefusesDirectoriesAndHugeFiles(t *testing.T) {
	dir := writeTree(t, map[string]string{"fs/C/TMS/web.config/inner": ""})
	d, err := OpenDir(dir)
	require.NoError(t, err)
	defer d.Close()
	_, err = d.ReadFile(context.Background(), `C:\TMS\web.config`)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not a regular file")

	big := filepath.Join(dir, "facts.json")
	require.NoError(t, os.WriteFile(big, nil, 0o644))
	require.NoError(t, os.Truncate(big, maxFileSize+1))
	_, err = d.Facts(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "larger than")
}
