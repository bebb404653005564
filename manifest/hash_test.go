package manifest

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const dataDir = "fs/C/Program Files/TANDBERG/TMS/wwwTMS/Data"

// writeFiles creates files (slash paths relative to base) with contents.
func writeFiles(t testing.TB, base string, files map[string]string) {
	t.Helper()
	for p, content := range files {
		full := filepath.Join(base, filepath.FromSlash(p))
		require.NoError(t, os.MkdirAll(filepath.Dir(full), 0o755))
		require.NoError(t, os.WriteFile(full, []byte(content), 0o644))
	}
}

// openNode opens base as a node snapshot folder.
func openNode(t testing.TB, base string) *os.Root {
	t.Helper()
	r, err := os.OpenRoot(base)
	require.NoError(t, err)
	t.Cleanup(func() { r.Close() })
	return r
}

// tree is the Tree of data folder name (Logo, Map...) of node.
func tree(node *os.Root, name string) Tree {
	return Tree{Rel: `wwwTMS\Data\` + name, Root: node, Dir: dataDir + "/" + name}
}

func TestHashListsFilesWithSizesAndSHA256(t *testing.T) {
	base := t.TempDir()
	big := strings.Repeat("0123456789abcdef", 3*bufferSize/16+5) // several buffers, not a multiple
	huge := strings.Repeat("fedcba9876543210", 5<<20/16+1)       // megabytes
	writeFiles(t, base, map[string]string{
		dataDir + "/Logo/a.png":           "a",
		dataDir + "/Logo/Sub Dir/B.png":   big,
		dataDir + "/Logo/empty":           "",
		dataDir + "/Logo/Sub Dir/huge":    huge,
		dataDir + "/Map/m.png":            "map",
		dataDir + "/Other/not-listed.txt": "x",
	})
	node := openNode(t, base)
	h := NewHasher(HasherOptions{Workers: 2})

	m, err := h.Hash(context.Background(), []Tree{tree(node, "Logo"), tree(node, "Map"), tree(node, "Sound")})
	require.NoError(t, err)
	assert.Equal(t, map[string]File{
		`wwwtms\data\logo\a.png`:         {Rel: `wwwTMS\Data\Logo\a.png`, Size: 1, SHA256: sum("a")},
		`wwwtms\data\logo\sub dir\b.png`: {Rel: `wwwTMS\Data\Logo\Sub Dir\B.png`, Size: int64(len(big)), SHA256: sum(big)},
		`wwwtms\data\logo\empty`:         {Rel: `wwwTMS\Data\Logo\empty`, Size: 0, SHA256: sum("")},
		`wwwtms\data\logo\sub dir\huge`:  {Rel: `wwwTMS\Data\Logo\Sub Dir\huge`, Size: int64(len(huge)), SHA256: sum(huge)},
		`wwwtms\data\map\m.png`:          {Rel: `wwwTMS\Data\Map\m.png`, Size: 3, SHA256: sum("map")},
	}, m.Files)
	assert.Equal(t, Stats{Files: 5, Opened: 5, Bytes: int64(1 + len(big) + len(huge) + 3)}, h.Stats())
}

func TestHashFindsFoldersIgnoringCaseAndKeepsDiskSpelling(t *testing.T) {
	base := t.TempDir()
	writeFiles(t, base, map[string]string{"fs/C/program files/tandberg/tms/WWWTMS/data/LOGO/A.png": "a"})
	node := openNode(t, base)

	m, err := NewHasher(HasherOptions{}).Hash(context.Background(), []Tree{tree(node, "Logo")})
	require.NoError(t, err)
	assert.Equal(t, []File{{Rel: `WWWTMS\data\LOGO\A.png`, Size: 1, SHA256: sum("a")}}, m.List())
}

func TestHashMissingFoldersContributeNothing(t *testing.T) {
	base := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(base, "fs", "C"), 0o755))
	node := openNode(t, base)

	m, err := NewHasher(HasherOptions{}).Hash(context.Background(), []Tree{tree(node, "Logo"), tree(node, "Map")})
	require.NoError(t, err)
	assert.Zero(t, m.Len())
	assert.NotNil(t, m.Files)
}

func TestHashNestedTreesListFilesOnce(t *testing.T) {
	base := t.TempDir()
	writeFiles(t, base, map[string]string{dataDir + "/Logo/a.png": "a", dataDir + "/Map/b.png": "b"})
	node := openNode(t, base)
	h := NewHasher(HasherOptions{})

	m, err := h.Hash(context.Background(), []Tree{
		tree(node, "Logo"),
		{Rel: `wwwTMS\Data`, Root: node, Dir: dataDir},
		{Rel: `wwwtms\data\logo\`, Root: node, Dir: dataDir + "/Logo"},
	})
	require.NoError(t, err)
	assert.Equal(t, []File{
		{Rel: `wwwTMS\Data\Logo\a.png`, Size: 1, SHA256: sum("a")},
		{Rel: `wwwTMS\Data\Map\b.png`, Size: 1, SHA256: sum("b")},
	}, m.List())
	assert.Equal(t, int64(2), h.Stats().Opened)
}

func TestHashRejectsWhatCannotBeAWindowsFolder(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files []string
		want  []string
	}{
		{"files equal but for case", []string{"Logo/a.png", "Logo/A.png"}, []string{`wwwTMS\Data\Logo\A.png and wwwTMS\Data\Logo\a.png differ only by case`}},
		{"folders equal but for case", []string{"Logo/x/a.png", "Logo/X/b.png"}, []string{`wwwTMS\Data\Logo\X and wwwTMS\Data\Logo\x differ only by case`}},
		{"backslash in a name", []string{`Logo/a\b.png`}, []string{`wwwTMS\Data\Logo\a\b.png`, `contains \`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			files := map[string]string{}
			for _, f := range tc.files {
				files[dataDir+"/"+f] = "x"
			}
			writeFiles(t, base, files)
			_, err := NewHasher(HasherOptions{}).Hash(context.Background(), []Tree{tree(openNode(t, base), "Logo")})
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestHashRejectsAmbiguousFolder(t *testing.T) {
	base := t.TempDir()
	writeFiles(t, base, map[string]string{dataDir + "/logo/a": "a", dataDir + "/LOGO/b": "b"})
	_, err := NewHasher(HasherOptions{}).Hash(context.Background(), []Tree{tree(openNode(t, base), "Logo")})
	assert.ErrorContains(t, err, "LOGO, logo are equal but for case")
}

func TestHashFollowsSymlinksInsideTheNode(t *testing.T) {
	base := t.TempDir()
	writeFiles(t, base, map[string]string{
		dataDir + "/Logo/a.png":  "a",
		"shared/theme/bg.png":    "bg",
		"shared/theme/x/y/z.png": "z",
	})
	logo := filepath.Join(base, dataDir, "Logo")
	require.NoError(t, os.Symlink("a.png", filepath.Join(logo, "link.png")))
	require.NoError(t, os.Symlink(strings.Repeat("../", 8)+"shared/theme", filepath.Join(logo, "theme")))

	m, err := NewHasher(HasherOptions{}).Hash(context.Background(), []Tree{tree(openNode(t, base), "Logo")})
	require.NoError(t, err)
	assert.Equal(t, []File{
		{Rel: `wwwTMS\Data\Logo\a.png`, Size: 1, SHA256: sum("a")},
		{Rel: `wwwTMS\Data\Logo\link.png`, Size: 1, SHA256: sum("a")},
		{Rel: `wwwTMS\Data\Logo\theme\bg.png`, Size: 2, SHA256: sum("bg")},
		{Rel: `wwwTMS\Data\Logo\theme\x\y\z.png`, Size: 1, SHA256: sum("z")},
	}, m.List())
}

func TestHashRejectsSymlinksLeavingTheNodeOrBroken(t *testing.T) {
	for _, tc := range []struct {
		name, target string
		want         string
	}{
		{"absolute, outside", "/etc/passwd", "escapes"},
		{"relative, outside", strings.Repeat("../", 9) + "outside.txt", "escapes"},
		{"folder outside", strings.Repeat("../", 9), "escapes"},
		{"the node folder itself: a loop", strings.Repeat("../", 8), "too many levels of symbolic links"},
		{"dangling", "nothing-here", "no such file"},
		{"loop", ".", "too many levels of symbolic links"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			base := filepath.Join(dir, "node")
			writeFiles(t, dir, map[string]string{"outside.txt": "secret"})
			writeFiles(t, base, map[string]string{dataDir + "/Logo/a.png": "a"})
			require.NoError(t, os.Symlink(tc.target, filepath.Join(base, dataDir, "Logo", "evil")))

			m, err := NewHasher(HasherOptions{}).Hash(context.Background(), []Tree{tree(openNode(t, base), "Logo")})
			require.Error(t, err)
			assert.Nil(t, m)
			assert.Contains(t, err.Error(), `wwwTMS\Data\Logo\evil`)
			assert.Contains(t, err.Error(), "symlink")
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestHashRejectsTreeReachedThroughEscapingSymlink(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "node")
	writeFiles(t, dir, map[string]string{"elsewhere/Logo/a.png": "a"})
	require.NoError(t, os.MkdirAll(filepath.Join(base, dataDir), 0o755))
	require.NoError(t, os.Symlink(filepath.Join(dir, "elsewhere", "Logo"), filepath.Join(base, dataDir, "Logo")))

	_, err := NewHasher(HasherOptions{}).Hash(context.Background(), []Tree{tree(openNode(t, base), "Logo")})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `wwwTMS\Data\Logo`)
	assert.Contains(t, err.Error(), "escapes")
}

func TestHashNamesUnreadableFolders(t *testing.T) {
	base := t.TempDir()
	writeFiles(t, base, map[string]string{dataDir + "/Logo": "a file where a folder should be"})
	_, err := NewHasher(HasherOptions{}).Hash(context.Background(), []Tree{tree(openNode(t, base), "Logo")})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `wwwTMS\Data\Logo`)
	assert.Contains(t, err.Error(), "not a folder")
}

func TestHashSharedByConcurrentNodes(t *testing.T) {
	// The same Hasher serves several nodes at once (run with -race); each
	// gets its own files.
	const nodes = 6
	h := NewHasher(HasherOptions{Workers: 3})
	roots := make([]*os.Root, nodes)
	for i := range roots {
		base := t.TempDir()
		files := map[string]string{}
		for j := range 20 {
			files[dataDir+"/Logo/"+strings.Repeat("f", j+1)] = strings.Repeat(string(rune('a'+i)), j*1000)
		}
		writeFiles(t, base, files)
		roots[i] = openNode(t, base)
	}
	results := make([]*Manifest, nodes)
	errs := make([]error, nodes)
	var wg sync.WaitGroup
	for i := range roots {
		wg.Go(func() { results[i], errs[i] = h.Hash(context.Background(), []Tree{tree(roots[i], "Logo")}) })
	}
	wg.Wait()
	for i := range roots {
		require.NoError(t, errs[i])
		require.Equal(t, 20, results[i].Len())
		for j := range 20 {
			name := strings.Repeat("f", j+1)
			assert.Equal(t, sum(strings.Repeat(string(rune('a'+i)), j*1000)), results[i].Files[`wwwtms\data\logo\`+name].SHA256)
		}
	}
	assert.Equal(t, int64(nodes*20), h.Stats().Opened)
	assert.Len(t, h.sem, 0, "every worker token returned")
}

func TestHashStopsWhenCancelled(t *testing.T) {
	base := t.TempDir()
	files := map[string]string{}
	for i := range 10 {
		files[dataDir+"/Logo/"+strings.Repeat("f", i+1)] = "x"
	}
	writeFiles(t, base, files)
	node := openNode(t, base)

	t.Run("before it starts", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		h := NewHasher(HasherOptions{Workers: 1})
		_, err := h.Hash(ctx, []Tree{tree(node, "Logo")})
		assert.ErrorIs(t, err, context.Canceled)
		assert.Zero(t, h.Stats().Opened)
	})
	t.Run("while hashing", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		h := NewHasher(HasherOptions{Workers: 1})
		h.onOpen = func(string) { cancel() }
		m, err := h.Hash(ctx, []Tree{tree(node, "Logo")})
		assert.ErrorIs(t, err, context.Canceled)
		assert.Nil(t, m)
		assert.Equal(t, int64(1), h.Stats().Opened, "no file opened after the cancellation")
		assert.Zero(t, h.Stats().Bytes, "the open file not read either")
		assert.Len(t, h.sem, 0)
	})
}

func TestHashStopsAtTheFirstError(t *testing.T) {
	base := t.TempDir()
	writeFiles(t, base, map[string]string{dataDir + "/Logo/a": "a", dataDir + "/Logo/b": "b"})
	node := openNode(t, base)
	h := NewHasher(HasherOptions{Workers: 1})
	boom := errors.New("boom")
	// Remove the first file opened under the walk's feet: its open fails.
	h.onOpen = func(rel string) {
		require.NoError(t, os.Remove(filepath.Join(base, dataDir, "Logo", rel[len(`wwwTMS\Data\Logo\`):])))
	}
	_, err := h.Hash(context.Background(), []Tree{tree(node, "Logo")})
	require.Error(t, err)
	assert.NotErrorIs(t, err, boom)
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assert.Regexp(t, `^wwwTMS\\Data\\Logo\\[ab]: `, err.Error())
	assert.Equal(t, int64(1), h.Stats().Opened)
}

func TestOutermost(t *testing.T) {
	rels := func(ts []Tree) (out []string) {
		for _, t := range ts {
			out = append(out, t.Rel)
		}
		return out
	}
	in := []Tree{{Rel: `a\b\d`}, {Rel: `a\b-c`}, {Rel: `A\B`}, {Rel: `x`}, {Rel: `a\bc`}}
	assert.Equal(t, []string{`A\B`, `a\b-c`, `a\bc`, `x`}, rels(outermost(in)))
	assert.Equal(t, []string{``}, rels(outermost([]Tree{{Rel: `x`}, {Rel: ``}})))
}

func TestHashTreeSpelling(t *testing.T) {
	base := t.TempDir()
	writeFiles(t, base, map[string]string{
		"fs/C/Program Files/TANDBERG/TMS/top.txt": "top",
		"copies/logo-2024/a.png":                  "a",
	})
	node := openNode(t, base)
	h := NewHasher(HasherOptions{})

	// The install folder itself: paths start at the file name.
	m, err := h.Hash(context.Background(), []Tree{{Rel: ``, Root: node, Dir: "fs/C/Program Files/TANDBERG/TMS"}})
	require.NoError(t, err)
	assert.Equal(t, []File{{Rel: `top.txt`, Size: 3, SHA256: sum("top")}}, m.List())

	// A folder not named like Rel: Rel as configured, separators normalised.
	m, err = h.Hash(context.Background(), []Tree{{Rel: `/wwwTMS/Data/Logo/`, Root: node, Dir: "copies/logo-2024"}})
	require.NoError(t, err)
	assert.Equal(t, []File{{Rel: `wwwTMS\Data\Logo\a.png`, Size: 1, SHA256: sum("a")}}, m.List())
}
