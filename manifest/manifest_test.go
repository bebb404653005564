package manifest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestKeyFoldsCaseAndSeparators(t *testing.T) {
	assert.Equal(t, `wwwtms\data\logo\a.png`, Key(`wwwTMS/Data\Logo/A.PNG`))
}

func TestAddRejectsPathsEqualButForCase(t *testing.T) {
	m := New()
	require.NoError(t, m.Add(File{Rel: `wwwTMS\Data\Logo\a.png`, SHA256: sum("a")}))
	err := m.Add(File{Rel: `wwwtms\data\logo\A.png`, SHA256: sum("b")})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `wwwTMS\Data\Logo\a.png`)
	assert.Contains(t, err.Error(), `wwwtms\data\logo\A.png`)
	assert.Equal(t, sum("a"), m.Files[`wwwtms\data\logo\a.png`].SHA256, "the first entry stays")

	err = m.Add(File{Rel: `wwwTMS\Data\Logo\a.png`, SHA256: sum("a")})
	assert.ErrorContains(t, err, "listed twice")
}

func TestListIsSortedByKey(t *testing.T) {
	m := New()
	for _, rel := range []string{`b\x`, `A\z`, `a\y`} {
		require.NoError(t, m.Add(File{Rel: rel}))
	}
	var got []string
	for _, f := range m.List() {
		got = append(got, f.Rel)
	}
	assert.Equal(t, []string{`a\y`, `A\z`, `b\x`}, got)
	assert.Equal(t, 3, m.Len())

	var none *Manifest
	assert.Empty(t, none.List())
	assert.Zero(t, none.Len())
}
