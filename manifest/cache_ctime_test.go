//go:build linux || openbsd || dragonfly || solaris || darwin || freebsd || netbsd

package manifest

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCacheMissesAFileRewrittenWithSameSizeAndMtime(t *testing.T) {
	base, trees := cacheNode(t)
	cachePath := filepath.Join(t.TempDir(), "hash.cache")
	c := loadCache(t, cachePath)
	_, err := NewHasher(HasherOptions{Cache: c}).Hash(context.Background(), trees)
	require.NoError(t, err)
	require.NoError(t, c.Save())

	// Rewrite a.png with other content of the same size and put its mtime
	// back, as a careless copy tool would. Only ctime, which user space
	// cannot set, still tells. Rewrite until the file system clock has
	// ticked so the ctime really differs (ticks are milliseconds).
	a := filepath.Join(base, dataDir, "Logo", "a.png")
	before := statOf(t, a)
	mtime := time.Unix(0, before.MtimeNS)
	for {
		require.NoError(t, os.WriteFile(a, []byte("A"), 0o644))
		require.NoError(t, os.Chtimes(a, mtime, mtime))
		if after := statOf(t, a); after.CtimeNS != before.CtimeNS {
			require.Equal(t, before.Size, after.Size)
			require.Equal(t, before.MtimeNS, after.MtimeNS)
			require.Equal(t, before.Ino, after.Ino)
			break
		}
	}

	h := NewHasher(HasherOptions{Cache: loadCache(t, cachePath)})
	var mu sync.Mutex
	var opened []string
	h.onOpen = func(rel string) { mu.Lock(); opened = append(opened, rel); mu.Unlock() }
	m, err := h.Hash(context.Background(), trees)
	require.NoError(t, err)
	assert.Equal(t, []string{`wwwTMS\Data\Logo\a.png`}, opened)
	assert.Equal(t, sum("A"), m.Files[`wwwtms\data\logo\a.png`].SHA256)
	assert.Equal(t, sum("bb"), m.Files[`wwwtms\data\logo\b.png`].SHA256)
	assert.Equal(t, int64(2), h.Stats().CacheHits)
}
