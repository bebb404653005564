package jsonedit

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
		}
	}
	f.Add([]byte(`{"settings":{}}`), "x", uint8(2))
	paths := [][]string{{"settings", "ipv4_local"}, {"services", "[0]", "state"}, {"settings", "dns_public"}}
	f.Fuzz(func(t *testing.T, doc []byte, value string, which uint8) {
		path := paths[int(which)%len(paths)]
		s0, e0, locErr := Locate(doc, path...)
		out, err := SetString(doc, value, path...)
		if err != nil {
			return
		}
		require.True(t, json.Valid(out))
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
