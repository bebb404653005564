package manifest

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const install = `C:\Program Files\TANDBERG\TMS`

var (
	hexA = sum("a")
	hexB = sum("b")
)

func TestParseMakesPathsRelativeAndHashesLower(t *testing.T) {
	doc := `{
  "schema": "tmsdrift/manifest/v1",
  "generator": "collect.ps1 2.0",
  "files": {
    "C:\\Program Files\\TANDBERG\\TMS\\wwwTMS\\Data\\Logo\\a.png": {"size": 1, "sha256": "` + strings.ToUpper(hexA) + `"},
    "c:\\program files\\tandberg\\tms\\wwwTMS\\Data\\Map\\b.png": {"size": 0, "sha256": "` + hexB + `", "mtime": "ignored"}
  }
}`
	m, err := Parse([]byte(doc), install+`\`) // trailing \ ignored
	require.NoError(t, err)
	assert.Equal(t, map[string]File{
		`wwwtms\data\logo\a.png`: {Rel: `wwwTMS\Data\Logo\a.png`, Size: 1, SHA256: hexA},
		`wwwtms\data\map\b.png`:  {Rel: `wwwTMS\Data\Map\b.png`, Size: 0, SHA256: hexB},
	}, m.Files)
}

func TestParseAcceptsSlashesAndLongPathPrefix(t *testing.T) {
	doc := `{"schema": "tmsdrift/manifest/v1", "files": {
"\\\\?\\C:\\Program Files\\TANDBERG\\TMS\\wwwTMS\\Data\\Logo\\a.png": {"size": 1, "sha256": "` + hexA + `"},
"C:/Program Files/TANDBERG/TMS/wwwTMS/Data/Logo/b.png": {"size": 1, "sha256": "` + hexB + `"}}}`
	m, err := Parse([]byte(doc), `c:/program files/tandberg/tms/`)
	require.NoError(t, err)
	assert.Equal(t, []File{
		{Rel: `wwwTMS\Data\Logo\a.png`, Size: 1, SHA256: hexA},
		{Rel: `wwwTMS\Data\Logo\b.png`, Size: 1, SHA256: hexB},
	}, m.List())
}

func TestParseEmptyFiles(t *testing.T) {
	m, err := Parse([]byte(`{"schema": "tmsdrift/manifest/v1", "files": {}}`), install)
	require.NoError(t, err)
	assert.Zero(t, m.Len())
	assert.NotNil(t, m.Files)
}

func TestParseRejects(t *testing.T) {
	entry := func(path, value string) string {
		return "{\n\"schema\": \"tmsdrift/manifest/v1\",\n\"files\": {\n\"" + path + "\": " + value + "\n}}"
	}
	good := `{"size": 1, "sha256": "` + hexA + `"}`
	logo := `C:\\Program Files\\TANDBERG\\TMS\\wwwTMS\\Data\\Logo\\a.png`
	for _, tc := range []struct {
		name, doc string
		want      []string // substrings of the error
	}{
		{"not JSON", "{\n\"schema\": \n", []string{"unexpected end of file"}},
		{"syntax error line", "{\n\"schema\": \"tmsdrift/manifest/v1\",\n\"files\": {,}}", []string{"line 3", "malformed JSON"}},
		{"trailing data", `{"schema": "tmsdrift/manifest/v1", "files": {}}` + "\n{}", []string{"line 2", "after the JSON document"}},
		{"wrong schema", `{"schema": "tmsdrift/facts/v1", "files": {}}`, []string{"schema", "tmsdrift/facts/v1"}},
		{"no schema", `{"files": {}}`, []string{"schema"}},
		{"not an object", `[1]`, []string{"line 1", "expected a JSON object, got JSON array"}},
		{"schema not a string", "{\n\"schema\": 1}", []string{"line 2", `schema: expected text, got JSON number`}},
		{"no files", `{"schema": "tmsdrift/manifest/v1"}`, []string{`"files"`, "missing"}},
		{"null files", `{"schema": "tmsdrift/manifest/v1", "files": null}`, []string{`"files"`}},
		{"files not an object", `{"schema": "tmsdrift/manifest/v1", "files": []}`, []string{`"files"`, "not an object"}},
		{"files twice", "{\"schema\": \"tmsdrift/manifest/v1\",\n\"files\": {},\n\"files\": {}}", []string{"line 3", "twice"}},
		{"outside install", entry(`C:\\Program Files\\TANDBERG\\TMS2\\x.png`, good), []string{"line 4", `TMS2\x.png`, "not under the install path"}},
		{"other drive", entry(`D:\\Program Files\\TANDBERG\\TMS\\x.png`, good), []string{"line 4", "not under the install path"}},
		{"install itself", entry(`C:\\Program Files\\TANDBERG\\TMS\\`, good), []string{"line 4", "not under the install path"}},
		{"dot dot", entry(`C:\\Program Files\\TANDBERG\\TMS\\wwwTMS\\..\\..\\x`, good), []string{"line 4", `".."`}},
		{"doubled separator", entry(`C:\\Program Files\\TANDBERG\\TMS\\wwwTMS\\\\x`, good), []string{"line 4", "empty path component"}},
		{"negative size", entry(logo, `{"size": -1, "sha256": "`+hexA+`"}`), []string{"line 4", `wwwTMS\Data\Logo\a.png`, "negative"}},
		{"size not integer", entry(logo, `{"size": 1.5, "sha256": "`+hexA+`"}`), []string{"line 4", `"size"`, "number 1.5"}},
		{"size a string", entry(logo, `{"size": "1", "sha256": "`+hexA+`"}`), []string{"line 4", `"size"`, "string"}},
		{"size missing", entry(logo, `{"sha256": "`+hexA+`"}`), []string{"line 4", `"size": missing`}},
		{"sha missing", entry(logo, `{"size": 1}`), []string{"line 4", `"sha256": missing`}},
		{"sha short", entry(logo, `{"size": 1, "sha256": "abc"}`), []string{"line 4", "64 hex digits", `"abc"`}},
		{"sha not hex", entry(logo, `{"size": 1, "sha256": "`+strings.Repeat("g", 64)+`"}`), []string{"line 4", "64 hex digits"}},
		{"entry not an object", entry(logo, `5`), []string{"line 4", "expected an object"}},
		{"duplicate by case", "{\"schema\": \"tmsdrift/manifest/v1\", \"files\": {\n\"" + logo + "\": " + good + ",\n\"" + strings.ToUpper(logo) + "\": " + good + "}}",
			[]string{"line 3", "in files (line 2)", "matched ignoring case"}},
		{"same file, other separators", "{\"schema\": \"tmsdrift/manifest/v1\", \"files\": {\n\"" + logo + "\": " + good + ",\n\"" + strings.ReplaceAll(logo, `\\`, `/`) + "\": " + good + "}}",
			[]string{"line 3", "same file as line 2"}},
		{"exact duplicate", "{\"schema\": \"tmsdrift/manifest/v1\", \"files\": {\n\"" + logo + "\": " + good + ",\n\n\"" + logo + "\": " + good + "}}",
			[]string{"line 4", "appears twice in files (first on line 2)"}},
		{"control character shown quoted", entry(`C:\\Program Files\\TANDBERG\\TMS\\a\u0007b`, `{"size": -1, "sha256": "`+hexA+`"}`), []string{`\a`, "negative"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Parse([]byte(tc.doc), install)
			require.Error(t, err)
			assert.Nil(t, m)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestParseRejectsEmptyInstallPath(t *testing.T) {
	_, err := Parse([]byte(`{"schema": "tmsdrift/manifest/v1", "files": {}}`), `\`)
	assert.ErrorContains(t, err, "install path is empty")
}

func TestWriteIsSortedAndReadsBack(t *testing.T) {
	m := New()
	require.NoError(t, m.Add(File{Rel: `wwwTMS\Data\Map\z.png`, Size: 7, SHA256: hexB}))
	require.NoError(t, m.Add(File{Rel: `wwwTMS\Data\Logo\a<b>&.png`, Size: 0, SHA256: hexA}))

	var buf bytes.Buffer
	require.NoError(t, Write(&buf, m, install+`\`))
	want := `{
  "schema": "tmsdrift/manifest/v1",
  "files": {
    "C:\\Program Files\\TANDBERG\\TMS\\wwwTMS\\Data\\Logo\\a<b>&.png": {
      "size": 0,
      "sha256": "` + hexA + `"
    },
    "C:\\Program Files\\TANDBERG\\TMS\\wwwTMS\\Data\\Map\\z.png": {
      "size": 7,
      "sha256": "` + hexB + `"
    }
  }
}
`
	assert.Equal(t, want, buf.String())

	back, err := Parse(buf.Bytes(), install)
	require.NoError(t, err)
	assert.Equal(t, m, back)
}

func TestWriteRefusesWhatParseWouldReject(t *testing.T) {
	for _, f := range []File{
		{Rel: `a\..\b`, SHA256: hexA},
		{Rel: ``, SHA256: hexA},
		{Rel: `a`, Size: -1, SHA256: hexA},
		{Rel: `a`, SHA256: strings.ToUpper(hexA)},
	} {
		m := &Manifest{Files: map[string]File{Key(f.Rel): f}}
		assert.Error(t, Write(&bytes.Buffer{}, m, install), "%+v", f)
	}
	assert.Error(t, Write(&bytes.Buffer{}, New(), ""))
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"schema": "tmsdrift/manifest/v1", "files": {}}`))
	f.Add([]byte(`{"schema": "tmsdrift/manifest/v1", "files": {"C:\\Program Files\\TANDBERG\\TMS\\wwwTMS\\Data\\Logo\\a.png": {"size": 1, "sha256": "` + strings.ToUpper(hexA) + `"}}}`))
	f.Add([]byte(`{"schema": "tmsdrift/manifest/v1", "files": {"c:/program files/tandberg/tms/x": {"size": 0, "sha256": "` + hexB + `"}, "C:\\PROGRAM FILES\\TANDBERG\\TMS\\X": {"size": 0, "sha256": "` + hexB + `"}}}`))
	f.Add([]byte(`{"schema": "tmsdrift/manifest/v1", "files": {"D:\\x": {"size": -1, "sha256": "zz"}}, "files": 1}`))
	f.Add([]byte("{\"schema\": \"tmsdrift/manifest/v1\",\n\"files\": {\"\\\\\\\\?\\\\C:\\\\Program Files\\\\TANDBERG\\\\TMS\\\\..\\\\a\": {}}}"))
	f.Add([]byte(`[1, 2`))
	labs, err := filepath.Glob(filepath.Join("..", "fixtures", "labs", "*", "nodes", "*", "manifest.json"))
	require.NoError(f, err)
	require.NotEmpty(f, labs, "the labs carry manifest.json seeds (fixtures/labs/data-manifest)")
	for _, p := range labs {
		data, err := os.ReadFile(p)
		require.NoError(f, err)
		f.Add(data)
		// As PowerShell's Out-File writes it: UTF-16LE with a BOM.
		u := []byte{0xFF, 0xFE}
		for _, r := range utf16.Encode([]rune(string(data))) {
			u = append(u, byte(r), byte(r>>8))
		}
		f.Add(u)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(data, install)
		if err != nil {
			require.Nil(t, m)
			return
		}
		for k, file := range m.Files {
			require.Equal(t, Key(file.Rel), k)
			require.NoError(t, checkRel(file.Rel))
			require.True(t, isSHA256(file.SHA256), file.SHA256)
			require.GreaterOrEqual(t, file.Size, int64(0))
		}
		// What Parse accepts, Write writes and Parse reads back the same.
		var buf bytes.Buffer
		require.NoError(t, Write(&buf, m, install))
		back, err := Parse(buf.Bytes(), install)
		require.NoError(t, err)
		require.Equal(t, m, back)
	})
}
