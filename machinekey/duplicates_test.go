package machinekey

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tmsdrift/tmsdrift/internal/wintext"
	"golang.org/x/text/encoding/unicode"
)

func TestDuplicates(t *testing.T) {
	const a, b = `<machineKey validationKey="AA" decryptionKey="BB" />`, `<machineKey validationKey="CC" decryptionKey="DD" />`
	tests := []struct {
		name string
		in   string
		want []Duplicate
	}{
		{"one key", "<configuration>\n<system.web>\n" + a + "\n</system.web>\n</configuration>", nil},
		{"no key", "<configuration>\n<system.web/>\n</configuration>", nil},
		{"two in one system.web", "<configuration>\n<system.web>\n" + a + "\n" + b + "\n</system.web>\n</configuration>", []Duplicate{{Line: 4, FirstLine: 3}}},
		{"three, CRLF", "<configuration>\r\n<system.web>\r\n" + a + "\r\n<pages />\r\n" + b + "\r\n" + a + "\r\n</system.web>\r\n</configuration>",
			[]Duplicate{{Line: 5, FirstLine: 3}, {Line: 6, FirstLine: 3}}},
		{"two system.web elements", "<configuration>\n<system.web>\n" + a + "\n</system.web>\n<system.web>\n" + b + "\n</system.web>\n</configuration>", []Duplicate{{Line: 6, FirstLine: 3}}},
		{"location path=\".\" and the file's own", "<configuration>\n<location path=\".\">\n<system.web>\n" + b + "\n</system.web>\n</location>\n<system.web>\n" + a + "\n</system.web>\n</configuration>",
			[]Duplicate{{Line: 4, FirstLine: 8}}},
		{"location without path counts too", "<configuration>\n<system.web>\n" + a + "\n</system.web>\n<location>\n<system.web>\n" + b + "\n</system.web>\n</location>\n</configuration>", []Duplicate{{Line: 7, FirstLine: 3}}},
		{"a sub-path's key is another scope", "<configuration>\n<system.web>\n" + a + "\n</system.web>\n<location path=\"api\">\n<system.web>\n" + b + "\n</system.web>\n</location>\n</configuration>", nil},
		{"two keys for one sub-path", "<configuration>\n<system.web>\n" + a + "\n</system.web>\n<location path=\"api\">\n<system.web>\n" + a + "\n" + b + "\n</system.web>\n</location>\n</configuration>",
			[]Duplicate{{Line: 8, FirstLine: 7, Path: "api"}}},
		{"one sub-path in two spellings, no application key", "<configuration>\n<location path=\"Api/\">\n<system.web>\n" + a + "\n</system.web>\n</location>\n<location path=\"/api\">\n<system.web>\n" + b + "\n</system.web>\n</location>\n</configuration>",
			[]Duplicate{{Line: 9, FirstLine: 4, Path: "Api/"}}},
		{"two sub-paths, one key each", "<configuration>\n<location path=\"api\">\n<system.web>\n" + a + "\n</system.web>\n</location>\n<location path=\"web\">\n<system.web>\n" + b + "\n</system.web>\n</location>\n</configuration>", nil},
		{"commented-out key is no key", "<configuration>\n<system.web>\n" + a + "\n<!-- " + b + " -->\n</system.web>\n</configuration>", nil},
		{"a prefixed element is not a key", "<configuration xmlns:x=\"urn:x\">\n<system.web>\n" + a + "\n<x:machineKey/>\n</system.web>\n</configuration>", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Duplicates([]byte(tt.in))
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	assert.Equal(t, `line 8: a second <machineKey> for path "api" (the first is on line 7)`, Duplicate{Line: 8, FirstLine: 7, Path: "api"}.String())
	_, err := Duplicates(readTestdata(t, "malformed.web.config"))
	assert.ErrorContains(t, err, "not well-formed")
}

func TestDuplicatesSample(t *testing.T) {
	got, err := Duplicates(readTestdata(t, "duplicate.web.config"))
	require.NoError(t, err)
	require.Equal(t, []Duplicate{{Line: 37, FirstLine: 33}}, got, "the commented-out key on line 30 is no key")
	assert.Equal(t, "line 37: a second <machineKey> for the application (the first is on line 33)", got[0].String())
	assert.False(t, hasHexRun(got[0].String(), minSecretHexRun))

	// UTF-16: lines are counted in the text.
	utf16, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes(bytes.TrimPrefix(readTestdata(t, "duplicate.web.config"), wintext.BOMUTF8))
	require.NoError(t, err)
	got, err = Duplicates(utf16)
	require.NoError(t, err)
	assert.Equal(t, []Duplicate{{Line: 37, FirstLine: 33}}, got)
}

// The fixer leaves exactly one key: the effective one gets the new values,
// every other one goes with its line; nothing else changes.
func TestSpliceRemovesDuplicates(t *testing.T) {
	mk := "<machineKey " + newKeyAttrs + " />"
	tests := []struct{ name, in, want string }{
		{
			name: "second key in the same system.web, CRLF",
			in:   "<configuration>\r\n\t<system.web>\r\n\t\t<machineKey validationKey=\"AA\" decryptionKey=\"BB\" validation=\"HMACSHA256\" decryption=\"AES\" />\r\n\t\t<pages />\r\n\t\t<machineKey validationKey=\"CC\" decryptionKey=\"DD\" />\r\n\t</system.web>\r\n</configuration>\r\n",
			want: "<configuration>\r\n\t<system.web>\r\n\t\t" + mk + "\r\n\t\t<pages />\r\n\t</system.web>\r\n</configuration>\r\n",
		},
		{
			name: "identical copies (what a fixer must never write)",
			in:   "<configuration>\n  <system.web>\n    " + mk + "\n    " + mk + "\n  </system.web>\n</configuration>",
			want: "<configuration>\n  <system.web>\n    " + mk + "\n  </system.web>\n</configuration>",
		},
		{
			name: "a duplicate sharing its line keeps the line",
			in:   "<configuration><system.web><pages/>" + mk + "<machineKey validationKey='x' decryptionKey='y'/></system.web></configuration>",
			want: "<configuration><system.web><pages/>" + mk + "</system.web></configuration>",
		},
		{
			name: "the one in location path=\".\" goes, the file's own stays",
			in:   "<configuration>\n  <location path=\".\">\n    <system.web>\n      <machineKey validationKey=\"CC\" decryptionKey=\"DD\" />\n    </system.web>\n  </location>\n  <system.web>\n    <machineKey validationKey=\"AA\" decryptionKey=\"BB\" validation=\"HMACSHA256\" decryption=\"AES\" />\n  </system.web>\n</configuration>",
			want: "<configuration>\n  <location path=\".\">\n    <system.web>\n    </system.web>\n  </location>\n  <system.web>\n    " + mk + "\n  </system.web>\n</configuration>",
		},
		{
			name: "a sub-path's key stays",
			in:   "<configuration>\n  <system.web>\n    <machineKey validationKey=\"AA\" decryptionKey=\"BB\" validation=\"HMACSHA256\" decryption=\"AES\" />\n  </system.web>\n  <location path=\"api\">\n    <system.web>\n      <machineKey validationKey=\"CC\" decryptionKey=\"DD\" />\n    </system.web>\n  </location>\n</configuration>",
			want: "<configuration>\n  <system.web>\n    " + mk + "\n  </system.web>\n  <location path=\"api\">\n    <system.web>\n      <machineKey validationKey=\"CC\" decryptionKey=\"DD\" />\n    </system.web>\n  </location>\n</configuration>",
		},
		{
			name: "a sub-path's second key goes, its first stays",
			in:   "<configuration>\n  <system.web>\n    <machineKey validationKey=\"AA\" decryptionKey=\"BB\" validation=\"HMACSHA256\" decryption=\"AES\" />\n  </system.web>\n  <location path=\"api\">\n    <system.web>\n      <machineKey validationKey=\"CC\" decryptionKey=\"DD\" />\n      <machineKey validationKey=\"EE\" decryptionKey=\"FF\" />\n    </system.web>\n  </location>\n</configuration>",
			want: "<configuration>\n  <system.web>\n    " + mk + "\n  </system.web>\n  <location path=\"api\">\n    <system.web>\n      <machineKey validationKey=\"CC\" decryptionKey=\"DD\" />\n    </system.web>\n  </location>\n</configuration>",
		},
		{
			name: "no application key: added, and a sub-path's second key goes",
			in:   "<configuration>\r\n  <system.web>\r\n    <pages />\r\n  </system.web>\r\n  <location path=\"api\">\r\n    <system.web>\r\n      <machineKey validationKey=\"CC\" decryptionKey=\"DD\" />\r\n      <machineKey validationKey=\"EE\" decryptionKey=\"FF\" />\r\n    </system.web>\r\n  </location>\r\n</configuration>\r\n",
			want: "<configuration>\r\n  <system.web>\r\n    <pages />\r\n    " + mk + "\r\n  </system.web>\r\n  <location path=\"api\">\r\n    <system.web>\r\n      <machineKey validationKey=\"CC\" decryptionKey=\"DD\" />\r\n    </system.web>\r\n  </location>\r\n</configuration>\r\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Splice([]byte(tt.in), newKey)
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(got))
			dups, err := Duplicates(got)
			require.NoError(t, err)
			assert.Empty(t, dups)
			again, err := Splice(got, newKey)
			require.NoError(t, err)
			assert.Equal(t, string(got), string(again), "a second splice changes nothing, and never adds a key")
		})
	}
}

func TestSpliceRemovesDuplicatesSample(t *testing.T) {
	for _, utf16 := range []bool{false, true} {
		raw := readTestdata(t, "duplicate.web.config")
		if utf16 {
			var err error
			raw, err = unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes(bytes.TrimPrefix(raw, wintext.BOMUTF8))
			require.NoError(t, err)
		}
		got, err := Splice(raw, newKey)
		require.NoError(t, err)
		checkOnlyKeyChanged(t, raw, got)
		text := func(b []byte) string {
			if !utf16 {
				return string(b)
			}
			s, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewDecoder().Bytes(b)
			require.NoError(t, err)
			return string(s)
		}
		// What must come out: the effective key's values replaced, line 37
		// gone, every other line as it was (the commented-out key too).
		before := strings.Replace(strings.Replace(text(raw), tmsValidationKey, newKey.ValidationKey, 1), tmsDecryptionKey, newKey.DecryptionKey, 1)
		lines := strings.Split(before, "\r\n")
		want := strings.Join(append(lines[:36:36], lines[37:]...), "\r\n")
		assert.Equal(t, want, text(got))
		assert.Contains(t, text(got), "63301702", "the commented-out old key stays")
	}
}

// FuzzDuplicates: Duplicates never panics, names lines inside the file,
// and agrees with FromWebConfig about whether the file parses and has a
// key.
func FuzzDuplicates(f *testing.F) {
	addSeeds(f)
	f.Add([]byte("<configuration><system.web><machineKey/><machineKey/></system.web><location><system.web><machineKey/></system.web></location></configuration>"))
	f.Add([]byte("<configuration><location path='api'><system.web><machineKey/><machineKey/></system.web></location><location path='/API/'><system.web><machineKey/></system.web></location></configuration>"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		dups, err := Duplicates(raw)
		k, kerr := FromWebConfig(raw)
		if err != nil {
			assert.Error(t, kerr, "Duplicates refused what FromWebConfig read: %v", err)
			return
		}
		require.NoError(t, kerr)
		for _, d := range dups {
			if k == nil {
				assert.NotEmpty(t, d.Path, "without a key for the application, only a sub-path's keys can be duplicates")
			}
		}
		lines := bytes.Count(raw, []byte("\n")) + 1
		for _, d := range dups {
			assert.True(t, d.Line >= 1 && d.FirstLine >= 1, "%+v", d)
			if !bytes.HasPrefix(raw, wintext.BOMUTF16LE) && !bytes.HasPrefix(raw, wintext.BOMUTF16BE) {
				assert.LessOrEqual(t, d.Line, lines)
			}
		}
	})
}
