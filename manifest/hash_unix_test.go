//go:build unix

package manifest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHashRejectsSpecialFiles(t *testing.T) {
	base := t.TempDir()
	writeFiles(t, base, map[string]string{dataDir + "/Logo/a.png": "a"})
	require.NoError(t, syscall.Mkfifo(filepath.Join(base, dataDir, "Logo", "pipe"), 0o644))

	_, err := NewHasher(HasherOptions{}).Hash(context.Background(), []Tree{tree(openNode(t, base), "Logo")})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `wwwTMS\Data\Logo\pipe: not a regular file`)
}

// openFDs counts this process's open file descriptors (Linux).
func openFDs(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	return len(entries)
}

func TestHashClosesEveryFolderAndFile(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("counts descriptors in /proc/self/fd")
	}
	base := t.TempDir()
	files := map[string]string{}
	for i := range 40 {
		files[fmt.Sprintf("%s/Logo/d%02d/e/f%02d.png", dataDir, i, i)] = "x"
	}
	writeFiles(t, base, files)
	node := openNode(t, base)
	h := NewHasher(HasherOptions{Workers: 2})

	before := openFDs(t)
	m, err := h.Hash(context.Background(), []Tree{tree(node, "Logo")})
	require.NoError(t, err)
	assert.Equal(t, 40, m.Len())
	assert.Equal(t, before, openFDs(t), "after a run")

	// And after a run stopped half-way by an error.
	require.NoError(t, os.WriteFile(filepath.Join(base, dataDir, "Logo", "d20", "e", "F20.png"), nil, 0o644))
	_, err = h.Hash(context.Background(), []Tree{tree(node, "Logo")})
	require.ErrorContains(t, err, "differ only by case")
	assert.Equal(t, before, openFDs(t), "after a failed run")
}
