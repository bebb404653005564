package record

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/collect"
	"github.com/tmsdrift/tmsdrift/manifest"
)

func TestFSPath(t *testing.T) {
	got, err := fsPath(`c:\Program Files\TANDBERG\TMS\wwwTMS\web.config`)
	require.NoError(t, err)
	assert.Equal(t, filepath.Join("fs", "C", "Program Files", "TANDBERG", "TMS", "wwwTMS", "web.config"), got)
	for _, bad := range []string{`\\server\share\x`, `relative\x`, `C:\a\..\..\etc\passwd`, "C:"} {
		_, err := fsPath(bad)
		assert.Error(t, err, bad)
	}
}

// TestWriteNodeKeepsErrorsErrors: a node whose data folders could not be
// read is written so that the dir transport reports an error, not a node
// without files; its web.config lands at its Windows path under fs/.
func TestWriteNodeKeepsErrorsErrors(t *testing.T) {
	dir := t.TempDir()
	n := &Node{
		Facts:   []byte(`{"schema":"tmsdrift/facts/v1"}`),
		Files:   map[string][]byte{`D:\TMS\wwwTMS\web.config`: []byte("<configuration/>")},
		DataErr: errors.New("Access to the path 'D:\\TMS\\wwwTMS\\Data\\Logo' is denied."),
	}
	n.problem("data folders: %v", n.DataErr)
	require.NoError(t, WriteNode(dir, n))
	d, err := collect.OpenDir(dir)
	require.NoError(t, err)
	defer d.Close()
	wc, err := d.ReadFile(context.Background(), `d:\tms\WWWTMS\web.config`)
	require.NoError(t, err)
	assert.Equal(t, "<configuration/>", string(wc))
	_, err = d.Data(context.Background(), `D:\TMS`, []string{`wwwTMS\Data\Logo`}, manifest.NewHasher(manifest.HasherOptions{}))
	var rec *manifest.RecordedError
	require.ErrorAs(t, err, &rec)
	assert.Contains(t, err.Error(), "is denied")
	notes, err := os.ReadFile(filepath.Join(dir, "NOTES.txt"))
	require.NoError(t, err)
	assert.Contains(t, string(notes), "is denied")
}

// TestWriteNodeIsPrivate: a recorded web.config holds the machineKey, so
// everything recorded is readable by its owner only.
func TestWriteNodeIsPrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tms01")
	n := &Node{
		Facts: []byte(`{"schema":"tmsdrift/facts/v1"}`),
		Files: map[string][]byte{`C:\TMS\wwwTMS\web.config`: []byte(`<configuration><system.web><machineKey validationKey="AB"/></system.web></configuration>`)},
	}
	require.NoError(t, WriteNode(dir, n))
	require.NoError(t, filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		require.NoError(t, err)
		if fi.IsDir() {
			assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm(), p)
		} else {
			assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), p)
		}
		return nil
	}))
}
