package manifest

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A write tmsdrift's fixer did not finish (killed mid copy) leaves a
// temporary file beside its target. It is no customer file: the walk and
// manifest.json both set it apart as debris, and Diff never calls it extra.
const debrisName = ".MeetingReminder.txt.tmsdrift-0123456789abcdef.tmp"

func TestHashSetsDebrisApart(t *testing.T) {
	base := t.TempDir()
	writeFiles(t, base, map[string]string{
		dataDir + "/EmailTemplate/MeetingReminder.txt":                  "hello",
		dataDir + "/EmailTemplate/" + debrisName:                        "hel",
		dataDir + "/EmailTemplate/.notes.tmsdrift-draft.tmp":            "a person's file", // not hex: not ours
		dataDir + "/EmailTemplate/report.tmsdrift-0123456789abcdef.tmp": "no leading dot: not ours",
	})
	node := openNode(t, base)
	m, err := NewHasher(HasherOptions{}).Hash(context.Background(), []Tree{tree(node, "EmailTemplate")})
	require.NoError(t, err)
	assert.Equal(t, map[string]File{
		`wwwtms\data\emailtemplate\` + lowerASCII(debrisName): {Rel: `wwwTMS\Data\EmailTemplate\` + debrisName, Size: 3, SHA256: sum("hel")},
	}, m.Debris)
	assert.Len(t, m.Files, 3)
	assert.Equal(t, 3, m.Len(), "debris is not counted as a file")

	master := New()
	require.NoError(t, master.Add(File{Rel: `wwwTMS\Data\EmailTemplate\MeetingReminder.txt`, Size: 5, SHA256: sum("hello")}))
	require.NoError(t, master.Add(File{Rel: `wwwTMS\Data\EmailTemplate\.notes.tmsdrift-draft.tmp`, Size: 15, SHA256: sum("a person's file")}))
	require.NoError(t, master.Add(File{Rel: `wwwTMS\Data\EmailTemplate\report.tmsdrift-0123456789abcdef.tmp`, Size: 24, SHA256: sum("no leading dot: not ours")}))
	d := Diff(master, m)
	assert.Empty(t, d.Extra, "the temporary file is not an extra customer file")
	assert.Equal(t, []File{m.Debris[`wwwtms\data\emailtemplate\`+lowerASCII(debrisName)]}, d.Debris)
	assert.False(t, d.Empty(), "a node with debris is not in sync")
	assert.Empty(t, Diff(master, master).Debris)
}

func TestManifestJSONSetsDebrisApartAndKeepsIt(t *testing.T) {
	doc := `{"schema": "tmsdrift/manifest/v1", "files": {
"C:\\Program Files\\TANDBERG\\TMS\\wwwTMS\\Data\\EmailTemplate\\MeetingReminder.txt": {"size": 5, "sha256": "` + sum("hello") + `"},
"C:\\Program Files\\TANDBERG\\TMS\\wwwTMS\\Data\\EmailTemplate\\.MeetingReminder.txt.tmsdrift-0123456789ABCDEF0123456789ABCDEF.tmp": {"size": 3, "sha256": "` + sum("hel") + `"}
}}`
	m, err := Parse([]byte(doc), install)
	require.NoError(t, err)
	assert.Len(t, m.Files, 1)
	require.Len(t, m.Debris, 1, "the PowerShell writer's GUID spelling is debris too")

	var out bytes.Buffer
	require.NoError(t, Write(&out, m, install))
	back, err := Parse(out.Bytes(), install)
	require.NoError(t, err)
	assert.Equal(t, m, back, "written and read back, debris stays debris")

	f := Filter(m, []string{`wwwTMS\Data\EmailTemplate`})
	assert.Equal(t, m, f, "Filter keeps debris of the folders it keeps")
	assert.Empty(t, Filter(m, []string{`wwwTMS\Data\Logo`}).Debris)
}

func lowerASCII(s string) string { return Key(s) }
