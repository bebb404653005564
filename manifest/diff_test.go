package manifest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// manifestOf builds a manifest from files, failing the test on a clash.
func manifestOf(t *testing.T, files ...File) *Manifest {
	t.Helper()
	m := New()
	for _, f := range files {
		require.NoError(t, m.Add(f))
	}
	return m
}

func TestDiff(t *testing.T) {
	a := File{Rel: `wwwTMS\Data\Logo\a.png`, Size: 1, SHA256: hexA}
	aUpper := File{Rel: `WWWTMS\DATA\LOGO\A.PNG`, Size: 1, SHA256: hexA}
	aOther := File{Rel: `wwwTMS\Data\Logo\a.png`, Size: 1, SHA256: hexB}
	aLonger := File{Rel: `wwwTMS\Data\Logo\a.png`, Size: 2, SHA256: hexA}
	b := File{Rel: `wwwTMS\Data\Map\b.png`, Size: 1, SHA256: hexB}
	c := File{Rel: `wwwTMS\Data\Sound\c.wav`, Size: 3, SHA256: hexB}
	z := File{Rel: `wwwTMS\Data\Image\Z.png`, Size: 3, SHA256: hexA}

	for _, tc := range []struct {
		name         string
		master, node *Manifest
		want         Delta
	}{
		{"both nil: folders missing on both sides", nil, nil, Delta{}},
		{"same", manifestOf(t, a, b), manifestOf(t, a, b), Delta{}},
		{"paths compare case-insensitively", manifestOf(t, a), manifestOf(t, aUpper), Delta{}},
		{"missing", manifestOf(t, a, b, c), manifestOf(t, b), Delta{Missing: []File{a, c}}},
		{"node empty", manifestOf(t, a), nil, Delta{Missing: []File{a}}},
		{"different content, master's entry", manifestOf(t, a, b), manifestOf(t, aOther, b), Delta{Different: []File{a}}},
		{"different size alone counts", manifestOf(t, a), manifestOf(t, aLonger), Delta{Different: []File{a}}},
		{"extra, node's entries, sorted", manifestOf(t, b), manifestOf(t, z, b, c), Delta{Extra: []File{z, c}}},
		{"master empty", New(), manifestOf(t, a), Delta{Extra: []File{a}}},
		{"all three", manifestOf(t, a, b), manifestOf(t, aOther, c), Delta{Missing: []File{b}, Different: []File{a}, Extra: []File{c}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Diff(tc.master, tc.node)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.want.Empty(), got.Empty())
		})
	}
}

func TestDeltaEmpty(t *testing.T) {
	assert.True(t, Delta{}.Empty())
	assert.False(t, Delta{Missing: []File{{}}}.Empty())
	assert.False(t, Delta{Different: []File{{}}}.Empty())
	assert.False(t, Delta{Extra: []File{{}}}.Empty())
}

func TestFilter(t *testing.T) {
	logo := File{Rel: `wwwTMS\Data\Logo\a.png`, SHA256: hexA}
	logoDeep := File{Rel: `wwwTMS\Data\Logo\x\y.png`, SHA256: hexA}
	logo2 := File{Rel: `wwwTMS\Data\Logo2\a.png`, SHA256: hexA}
	logoFile := File{Rel: `wwwTMS\Data\Logo`, SHA256: hexA}
	web := File{Rel: `wwwTMS\web.config`, SHA256: hexB}
	m := manifestOf(t, logo, logoDeep, logo2, logoFile, web)

	for _, tc := range []struct {
		name string
		dirs []string
		want []File
	}{
		{"none", nil, nil},
		{"one folder, not its namesake sibling nor a file of its name", []string{`wwwTMS\Data\Logo`}, []File{logo, logoDeep}},
		{"case, slashes and trailing separators", []string{`/WWWTMS/data/logo/`}, []File{logo, logoDeep}},
		{"two folders", []string{`wwwTMS\Data\Logo2`, `wwwTMS`}, []File{logo, logo2, logoFile, logoDeep, web}},
		{"install folder itself", []string{``}, []File{logo, logo2, logoFile, logoDeep, web}},
		{"no match", []string{`wwwTMS\Data\Map`}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Filter(m, tc.dirs)
			require.NotNil(t, got)
			want := manifestOf(t, tc.want...)
			assert.Equal(t, want.List(), got.List())
		})
	}
	assert.Equal(t, 5, m.Len(), "Filter leaves its input alone")
	assert.Zero(t, Filter(nil, []string{"x"}).Len())
}
