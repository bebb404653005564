package jsonedit

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/internal/wintext"
)

func TestSetString(t *testing.T) {
	tests := []struct {
		name, in string
		path     []string
		value    string
		want     string
	}{
		{"nested key, spacing kept", "{\n  \"settings\": {\"ipv4_local\" :  \"10.10.0.12\", \"dns_local\": \"a\"},\n  \"n\": 1.50\n}\n",
			[]string{"settings", "ipv4_local"}, "10.10.0.11",
			"{\n  \"settings\": {\"ipv4_local\" :  \"10.10.0.11\", \"dns_local\": \"a\"},\n  \"n\": 1.50\n}\n"},
		{"array element by index", `{"services":[{"name":"A","state":"Running"},{"name":"B","state":"Running"}]}`,
			[]string{"services", "[1]", "state"}, "Stopped",
			`{"services":[{"name":"A","state":"Running"},{"name":"B","state":"Stopped"}]}`},
		{"case-insensitive, last duplicate wins (as encoding/json)", `{"Settings":{"x":"1"},"settings":{"X":"2","x":"3"}}`,
			[]string{"settings", "x"}, "9",
			`{"Settings":{"x":"1"},"settings":{"X":"2","x":"9"}}`},
		{"missing key added like its neighbours", "{\r\n\t\"settings\": {\r\n\t\t\"ipv4_local\": \"1\"\r\n\t}\r\n}",
			[]string{"settings", "dns_public"}, "tms.example.com",
			"{\r\n\t\"settings\": {\r\n\t\t\"ipv4_local\": \"1\",\r\n\t\t\"dns_public\": \"tms.example.com\"\r\n\t}\r\n}"},
		{"missing key in an empty object", `{"settings":{}}`, []string{"settings", "a"}, "b", `{"settings":{"a": "b"}}`},
		{"null replaced", `{"a":null}`, []string{"a"}, "x", `{"a":"x"}`},
		{"escaping", `{"a":"b"}`, []string{"a"}, "q\"<\\\n", `{"a":"q\"<\\\n"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SetString([]byte(tt.in), tt.value, tt.path...)
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(got))
		})
	}
}

func TestSetStringErrors(t *testing.T) {
	_, err := SetString([]byte(`{"a":1}`), "x", "a")
	assert.ErrorContains(t, err, "a: not a string")
	_, err = SetString([]byte(`{"a":{}}`), "x", "b", "c")
	assert.ErrorIs(t, err, ErrNotFound)
	_, err = SetString([]byte(`{"a":[1]}`), "x", "a", "[3]")
	assert.ErrorIs(t, err, ErrNotFound)
	_, err = SetString([]byte(`{"a":`), "x", "a")
	assert.ErrorContains(t, err, "malformed JSON")
	_, err = SetString([]byte(`{"a":"b"} {}`), "x", "a")
	assert.ErrorContains(t, err, "not valid JSON")
}

func TestLocate(t *testing.T) {
	doc := []byte(`{"a": [10, {"b" : "c"}]}`)
	s, e, err := Locate(doc, "a", "[1]", "b")
	require.NoError(t, err)
	assert.Equal(t, `"c"`, string(doc[s:e]))
	s, e, err = Locate(doc)
	require.NoError(t, err)
	assert.Equal(t, string(doc), string(doc[s:e]))
}

// FuzzSetString: never panics; a successful edit is valid JSON whose value
// at the path is the new string, and every byte outside the old value (or
// the inserted member) is unchanged. Seeded with the labs' facts.json and
// db.json.
func FuzzSetString(f *testing.F) {
	for _, pattern := range []string{"*/db.json", "*/nodes/*/facts.json"} {
		files, err := filepath.Glob(filepath.Join("..", "..", "fixtures", "labs", pattern))
		require.NoError(f, err)
		require.NotEmpty(f, files)
		for _, name := range files[:min(len(files), 12)] {
			raw, err := os.ReadFile(name)
			require.NoError(f, err)
			f.Add(raw, "10.10.0.11", uint8(0))
			f.Add(raw, "Stopped", uint8(1))
			f.Add(windowsUTF16(raw), "10.10.0.11", uint8(0))
			f.Add(append(append([]byte(nil), wintext.BOMUTF8...), raw...), "Stopped", uint8(1))
		}
	}
	f.Add([]byte(`{"settings":{}}`), "x", uint8(2))
	paths := [][]string{{"settings", "ipv4_local"}, {"services", "[0]", "state"}, {"settings", "dns_public"}}
	f.Fuzz(func(t *testing.T, doc []byte, value string, which uint8) {
		path := paths[int(which)%len(paths)]
		out, err := SetString(doc, value, path...)
		if err != nil {
			return
		}
		// A UTF-16 document is edited as text and keeps its encoding: judge
		// the texts.
		if _, enc, err := wintext.Decode(doc); err == nil && enc.UTF16 {
			_, outEnc, err := wintext.Decode(out)
			require.NoError(t, err)
			assert.Equal(t, enc, outEnc, "the encoding is kept")
			doc, _, _ = wintext.Decode(doc)
			out, _, _ = wintext.Decode(out)
		}
		s0, e0, locErr := Locate(doc, path...)
		require.True(t, json.Valid(bytes.TrimPrefix(out, wintext.BOMUTF8)))
		s, e, err := Locate(out, path...)
		require.NoError(t, err)
		var got, want string
		require.NoError(t, json.Unmarshal(out[s:e], &got))
		enc, err := json.Marshal(value) // invalid UTF-8 becomes U+FFFD, both ways
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(enc, &want))
		assert.Equal(t, want, got)

		if locErr == nil {
			// Replaced: everything but the old value is the original.
			assert.Equal(t, string(doc[:s0]), string(out[:s0]))
			assert.Equal(t, string(doc[e0:]), string(out[len(out)-(len(doc)-e0):]))
			return
		}
		// Added: the original with one chunk inserted.
		p := 0
		for p < len(doc) && doc[p] == out[p] {
			p++
		}
		assert.Equal(t, string(doc[p:]), string(out[len(out)-(len(doc)-p):]), "one insertion")
	})
}

// windowsUTF16 is text as Windows PowerShell 5.1's > writes it: UTF-16LE
// with a byte order mark, CRLF.
func windowsUTF16(text []byte) []byte {
	out := append([]byte(nil), wintext.BOMUTF16LE...)
	for _, u := range utf16.Encode([]rune(strings.ReplaceAll(string(text), "\n", "\r\n"))) {
		out = append(out, byte(u), byte(u>>8))
	}
	return out
}

// TestSetStringKeepsWindowsEncodings: a db.json or facts.json saved by
// PowerShell is edited in place and keeps its byte order mark, encoding
// and line breaks; every other character stays.
func TestSetStringKeepsWindowsEncodings(t *testing.T) {
	text := []byte("{\n  \"settings\": {\"ipv4_local\": \"10.10.0.12\", \"dns_local\": \"tms.acme.local\"}\n}\n")
	want := []byte(strings.Replace(string(text), "10.10.0.12", "10.10.0.11", 1))
	bom := append(append([]byte(nil), wintext.BOMUTF8...), text...)
	for name, tc := range map[string]struct{ in, want []byte }{
		"UTF-16LE with BOM, CRLF": {windowsUTF16(text), windowsUTF16(want)},
		"UTF-8 with BOM":          {bom, append(append([]byte(nil), wintext.BOMUTF8...), want...)},
	} {
		t.Run(name, func(t *testing.T) {
			out, err := SetString(tc.in, "10.10.0.11", "settings", "ipv4_local")
			require.NoError(t, err)
			assert.Equal(t, tc.want, out)
		})
	}
	s, e, err := Locate(bom, "settings", "ipv4_local")
	require.NoError(t, err)
	assert.Equal(t, `"10.10.0.12"`, string(bom[s:e]), "offsets count the byte order mark")
	_, _, err = Locate(windowsUTF16(text), "settings")
	assert.ErrorContains(t, err, "no byte offsets in a transcoded file")

	// An unpaired surrogate would not survive decoding: refused, not changed.
	broken := append(windowsUTF16(text)[:len(windowsUTF16(text))-2], 0x00, 0xD8)
	_, err = SetString(broken, "10.10.0.11", "settings", "ipv4_local")
	assert.Error(t, err)
}
