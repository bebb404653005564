package manifest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// benchTree writes n files of size bytes of pseudo-random data (page cache
// warm afterwards) and returns their tree.
func benchTree(b *testing.B, n, size int) []Tree {
	base := b.TempDir()
	dir := filepath.Join(base, filepath.FromSlash(dataDir), "Software")
	require.NoError(b, os.MkdirAll(dir, 0o755))
	rng := rand.NewChaCha8([32]byte{1})
	buf := make([]byte, size)
	for i := range n {
		_, err := rng.Read(buf)
		require.NoError(b, err)
		require.NoError(b, os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%03d.bin", i)), buf, 0o644))
	}
	return []Tree{tree(openNode(b, base), "Software")}
}

// BenchmarkHash measures cold hashing (no cache) from the page cache: 200
// files of 1 MiB with GOMAXPROCS workers. MB/s is the whole pool's.
func BenchmarkHash(b *testing.B) {
	const n, size = 200, 1 << 20
	trees := benchTree(b, n, size)
	h := NewHasher(HasherOptions{})
	b.SetBytes(n * size)
	b.ReportAllocs()
	for b.Loop() {
		m, err := h.Hash(context.Background(), trees)
		if err != nil || m.Len() != n {
			b.Fatalf("%d files, %v", m.Len(), err)
		}
	}
}

// BenchmarkHashCached measures a warm run: every file a cache hit, so
// only listed and stat'ed. MB/s counts the data covered, not read.
func BenchmarkHashCached(b *testing.B) {
	const n, size = 200, 1 << 20
	trees := benchTree(b, n, size)
	c, warn := LoadCache(filepath.Join(b.TempDir(), "hash.cache"))
	require.NoError(b, warn)
	c.now = func() time.Time { return time.Now().Add(time.Hour) }
	h := NewHasher(HasherOptions{Cache: c})
	_, err := h.Hash(context.Background(), trees)
	require.NoError(b, err)
	b.SetBytes(n * size)
	b.ReportAllocs()
	for b.Loop() {
		m, err := h.Hash(context.Background(), trees)
		if err != nil || m.Len() != n {
			b.Fatalf("%d files, %v", m.Len(), err)
		}
	}
	if h.Stats().Opened != n {
		b.Fatalf("warm runs opened files: %+v", h.Stats())
	}
}
