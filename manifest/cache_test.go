package manifest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// loadCache loads the cache at path with a clock an hour ahead, so files
// written by the test count as settled (see racyWindow) without waiting.
func loadCache(t *testing.T, path string) *Cache {
	t.Helper()
	c, warn := LoadCache(path)
	require.NoError(t, warn)
	c.now = func() time.Time { return time.Now().Add(time.Hour) }
	return c
}

// cacheNode makes a node with a few data files and returns its trees.
func cacheNode(t *testing.T) (base string, trees []Tree) {
	t.Helper()
	base = t.TempDir()
	writeFiles(t, base, map[string]string{
		dataDir + "/Logo/a.png": "a",
		dataDir + "/Logo/b.png": "bb",
		dataDir + "/Map/c.png":  "ccc",
	})
	node := openNode(t, base)
	return base, []Tree{tree(node, "Logo"), tree(node, "Map")}
}

// savedPaths reads a cache file back as its list of absolute paths.
func savedPaths(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	entries, err := decodeCache(data)
	require.NoError(t, err)
	var out []string
	for p := range entries {
		out = append(out, p)
	}
	return out
}

func TestCacheHitDoesNotOpenTheFile(t *testing.T) {
	base, trees := cacheNode(t)
	cachePath := filepath.Join(t.TempDir(), "hash.cache")

	c := loadCache(t, cachePath)
	cold := NewHasher(HasherOptions{Cache: c})
	want, err := cold.Hash(context.Background(), trees)
	require.NoError(t, err)
	assert.Equal(t, Stats{Files: 3, Opened: 3, Bytes: 6}, cold.Stats())
	require.NoError(t, c.Save())
	assert.ElementsMatch(t, []string{
		filepath.Join(base, dataDir, "Logo", "a.png"),
		filepath.Join(base, dataDir, "Logo", "b.png"),
		filepath.Join(base, dataDir, "Map", "c.png"),
	}, savedPaths(t, cachePath))

	warm := NewHasher(HasherOptions{Cache: loadCache(t, cachePath)})
	warm.onOpen = func(rel string) { t.Errorf("%s opened despite a cache hit", rel) }
	got, err := warm.Hash(context.Background(), trees)
	require.NoError(t, err)
	assert.Equal(t, want, got)
	assert.Equal(t, Stats{Files: 3, CacheHits: 3}, warm.Stats())
}

// statOf returns the stamp of the file at p.
func statOf(t *testing.T, p string) stamp {
	t.Helper()
	fi, err := os.Stat(p)
	require.NoError(t, err)
	s, ok := stampOf(fi)
	require.True(t, ok)
	return s
}

func TestCacheSkipsFilesChangedJustBeforeHashing(t *testing.T) {
	base, trees := cacheNode(t)
	cachePath := filepath.Join(t.TempDir(), "hash.cache")
	c, warn := LoadCache(cachePath)
	require.NoError(t, warn)
	// The clock reads 1 s after a.png's last change: within racyWindow, a
	// change in the same timestamp tick could still follow unnoticed.
	changed := time.Unix(0, statOf(t, filepath.Join(base, dataDir, "Logo", "a.png")).changedNS())
	c.now = func() time.Time { return changed.Add(time.Second) }

	_, err := NewHasher(HasherOptions{Cache: c}).Hash(context.Background(), trees)
	require.NoError(t, err)
	assert.NotContains(t, c.seen, filepath.Join(base, dataDir, "Logo", "a.png"))

	c.now = func() time.Time { return changed.Add(racyWindow + time.Second) }
	_, err = NewHasher(HasherOptions{Cache: c}).Hash(context.Background(), trees)
	require.NoError(t, err)
	assert.Contains(t, c.seen, filepath.Join(base, dataDir, "Logo", "a.png"))
}

func TestCacheDropsFilesNoLongerSeen(t *testing.T) {
	base, trees := cacheNode(t)
	cachePath := filepath.Join(t.TempDir(), "hash.cache")
	c := loadCache(t, cachePath)
	_, err := NewHasher(HasherOptions{Cache: c}).Hash(context.Background(), trees)
	require.NoError(t, err)
	require.NoError(t, c.Save())
	require.Len(t, savedPaths(t, cachePath), 3)

	require.NoError(t, os.Remove(filepath.Join(base, dataDir, "Logo", "b.png")))
	c = loadCache(t, cachePath)
	h := NewHasher(HasherOptions{Cache: c})
	_, err = h.Hash(context.Background(), trees)
	require.NoError(t, err)
	assert.Equal(t, int64(2), h.Stats().CacheHits)
	require.NoError(t, c.Save())
	assert.ElementsMatch(t, []string{
		filepath.Join(base, dataDir, "Logo", "a.png"),
		filepath.Join(base, dataDir, "Map", "c.png"),
	}, savedPaths(t, cachePath))

	leftovers, err := filepath.Glob(cachePath + ".*")
	require.NoError(t, err)
	assert.Empty(t, leftovers, "no temporary file left behind")
}

// sealed adds the end line a cache file needs to body (header and
// entries), so tests can reach the checks behind the checksum.
func sealed(body string, n int) string {
	sum := sha256.Sum256([]byte(body))
	return body + fmt.Sprintf("end %d %s\n", n, hex.EncodeToString(sum[:]))
}

func TestCacheCorruptFileIsIgnoredWithAWarningAndRebuilt(t *testing.T) {
	_, trees := cacheNode(t)
	line := hexA + " 1 2 3 4 5 /x\n"
	valid := sealed(cacheHeader+"\n"+line, 1)
	for name, content := range map[string]string{
		"empty":          "",
		"truncated":      valid[:len(valid)-10],
		"damaged":        strings.Replace(valid, " 1 2 ", " 1 3 ", 1),
		"other header":   sealed("tmsdrift/hashcache/v0\n"+line, 1),
		"count mismatch": sealed(cacheHeader+"\n"+line, 2),
		"bad sha256":     sealed(cacheHeader+"\nnothex 1 2 3 4 5 /x\n", 1),
		"negative size":  sealed(cacheHeader+"\n"+hexA+" -1 2 3 4 5 /x\n", 1),
		"relative path":  sealed(cacheHeader+"\n"+hexA+" 1 2 3 4 5 x\n", 1),
		"few fields":     sealed(cacheHeader+"\n"+hexA+" 1 2 3\n", 1),
		"not a number":   sealed(cacheHeader+"\n"+hexA+" 1 two 3 4 5 /x\n", 1),
		"duplicate":      sealed(cacheHeader+"\n"+line+line, 2),
	} {
		t.Run(name, func(t *testing.T) {
			cachePath := filepath.Join(t.TempDir(), "hash.cache")
			require.NoError(t, os.WriteFile(cachePath, []byte(content), 0o600))

			c, warn := LoadCache(cachePath)
			require.Error(t, warn)
			assert.Contains(t, warn.Error(), cachePath)
			assert.Contains(t, warn.Error(), "rebuilding")
			require.NotNil(t, c)
			c.now = func() time.Time { return time.Now().Add(time.Hour) }

			h := NewHasher(HasherOptions{Cache: c})
			_, err := h.Hash(context.Background(), trees)
			require.NoError(t, err)
			assert.Equal(t, int64(3), h.Stats().Opened)
			require.NoError(t, c.Save())

			again := loadCache(t, cachePath) // no warning now
			h = NewHasher(HasherOptions{Cache: again})
			_, err = h.Hash(context.Background(), trees)
			require.NoError(t, err)
			assert.Equal(t, int64(3), h.Stats().CacheHits)
		})
	}
}

func TestCacheSaveLeavesAnUnchangedFileAlone(t *testing.T) {
	_, trees := cacheNode(t)
	cachePath := filepath.Join(t.TempDir(), "hash.cache")
	c := loadCache(t, cachePath)
	_, err := NewHasher(HasherOptions{Cache: c}).Hash(context.Background(), trees)
	require.NoError(t, err)
	require.NoError(t, c.Save())
	written, err := os.Stat(cachePath)
	require.NoError(t, err)

	c = loadCache(t, cachePath)
	_, err = NewHasher(HasherOptions{Cache: c}).Hash(context.Background(), trees)
	require.NoError(t, err)
	require.NoError(t, c.Save())
	again, err := os.Stat(cachePath)
	require.NoError(t, err)
	assert.True(t, os.SameFile(written, again), "not replaced: every entry was the same")
	assert.Equal(t, 3, c.Len())
}

func TestCacheMissingFileIsEmptyWithoutWarning(t *testing.T) {
	c, warn := LoadCache(filepath.Join(t.TempDir(), "none"))
	require.NoError(t, warn)
	assert.Zero(t, c.Len())
}

func TestCacheSaveReportsUnwritableFolder(t *testing.T) {
	c, warn := LoadCache(filepath.Join(t.TempDir(), "missing-folder", "hash.cache"))
	require.NoError(t, warn)
	assert.ErrorContains(t, c.Save(), "save hash cache")
}

func TestCacheFileRoundTrip(t *testing.T) {
	entries := map[string]cacheEntry{
		"/plain/path with spaces": {stamp{Size: 1, MtimeNS: -2, CtimeNS: 3, Ino: 1 << 63, Dev: 5}, hexA},
		"/odd\nname\r":            {stamp{Size: 0}, hexB},
		`/"quoted"`:               {stamp{Size: 7, MtimeNS: 8}, hexA},
		"/trailing space ":        {stamp{Size: 9}, hexB},
		filepath.Join("/", "ünï"): {stamp{Size: 10}, hexA},
	}
	got, err := decodeCache(encodeCache(entries))
	require.NoError(t, err)
	assert.Equal(t, entries, got)

	got, err = decodeCache(encodeCache(nil))
	require.NoError(t, err)
	assert.Empty(t, got)
}

func FuzzDecodeCache(f *testing.F) {
	f.Add(encodeCache(nil))
	f.Add(encodeCache(map[string]cacheEntry{"/a/b": {stamp{Size: 1, MtimeNS: 5, CtimeNS: 6, Ino: 7, Dev: 8}, hexA}, "/x\ny": {SHA256: hexB}}))
	f.Add([]byte(sealed(cacheHeader+"\n"+hexA+" -1 2 3 4 5 /x\n", 1)))
	f.Add([]byte(sealed(cacheHeader+"\n"+hexA+" 1 2 3 4 5 \"/x\n", 1)))
	f.Add([]byte("end 0 x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := decodeCache(data)
		if err != nil {
			return
		}
		for p, e := range entries {
			require.True(t, filepath.IsAbs(p))
			require.GreaterOrEqual(t, e.Size, int64(0))
			require.True(t, isSHA256(e.SHA256))
		}
		// What decodes, encodes back to the same entries.
		again, err := decodeCache(encodeCache(entries))
		require.NoError(t, err)
		require.Equal(t, entries, again)
	})
}

func TestCacheSkipsFilesChangedWhileHashed(t *testing.T) {
	base, trees := cacheNode(t)
	c := loadCache(t, filepath.Join(t.TempDir(), "hash.cache"))
	h := NewHasher(HasherOptions{Cache: c, Workers: 1})
	a := filepath.Join(base, dataDir, "Logo", "a.png")
	h.onOpen = func(rel string) { // between the walk's stat and the read
		if rel == `wwwTMS\Data\Logo\a.png` {
			require.NoError(t, os.WriteFile(a, []byte("grown"), 0o644))
		}
	}
	m, err := h.Hash(context.Background(), trees)
	require.NoError(t, err)
	assert.Equal(t, File{Rel: `wwwTMS\Data\Logo\a.png`, Size: 5, SHA256: sum("grown")}, m.Files[`wwwtms\data\logo\a.png`], "what was read")
	assert.NotContains(t, c.seen, a, "not cached: the stamp it would be filed under is not the one read")
	assert.Contains(t, c.seen, filepath.Join(base, dataDir, "Logo", "b.png"))
}

// A file that is not a cache at all (--hash-cache inventory.yaml by
// mistake) was taken for a damaged cache and replaced by one: the
// inventory was gone. It is not used, and left byte for byte.
func TestCacheNeverOverwritesAFileThatIsNotOne(t *testing.T) {
	_, trees := cacheNode(t)
	for name, content := range map[string]string{
		"inventory": "deployment: acme\nmodel: single\n",
		"binary":    "\x00\x01\x02\n",
	} {
		t.Run(name, func(t *testing.T) {
			cachePath := filepath.Join(t.TempDir(), "inventory.yaml")
			require.NoError(t, os.WriteFile(cachePath, []byte(content), 0o644))
			c, warn := LoadCache(cachePath)
			require.Error(t, warn)
			assert.Contains(t, warn.Error(), cachePath+" is not a tmsdrift hash cache; not used, and left as it is")
			_, err := NewHasher(HasherOptions{Cache: c}).Hash(context.Background(), trees)
			require.NoError(t, err)
			require.NoError(t, c.Save())
			got, err := os.ReadFile(cachePath)
			require.NoError(t, err)
			assert.Equal(t, content, string(got))
		})
	}
}
