package jsondoc

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type doc struct {
	Name string `json:"name"`
	Time struct {
		Offset float64 `json:"offset_ms"`
	} `json:"time"`
}

func TestDecodeNamesLineAndField(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"syntax", "{\n\"name\": \"a\",\n\"time\": x}", "line 3: malformed JSON"},
		{"type", "{\n\"name\": \"a\",\n\"time\": {\"offset_ms\": \"2\"}}", "line 3: time.offset_ms: expected a number, got JSON string"},
		{"not an object", "[1]", "line 1: expected a JSON object, got JSON array"},
		{"truncated", `{"name": "a`, "unexpected end of file"},
		{"empty", "", "unexpected end of file"},
		{"trailing", "{}\n\n{}", "line 3: unexpected data after the JSON document"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var d doc
			err := Decode([]byte(tc.in), &d)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	var d doc
	require.NoError(t, Decode([]byte("{\"name\": \"a\"}\n\n"), &d), "trailing white space is fine")
	assert.Equal(t, "a", d.Name)
}

// stamp is a value whose own UnmarshalJSON refuses what it cannot read,
// as facts.Timestamp does: the decoder adds the field, not the place.
type stamp struct{}

func (*stamp) UnmarshalJSON(b []byte) error {
	return &json.UnmarshalTypeError{Value: "text " + string(b), Type: reflect.TypeFor[stamp]()}
}

func (stamp) JSONKind() string { return "a time" }

func TestDecodePlacesErrorsOfOwnUnmarshalers(t *testing.T) {
	var d struct {
		Name string `json:"name"`
		Log  struct {
			At []stamp `json:"at"`
		} `json:"log"`
	}
	err := Decode([]byte("{\n\"name\": \"a\",\n\"log\": {\n  \"At\": [\"x\"]}}"), &d)
	require.Error(t, err)
	assert.Equal(t, `line 4: log.at: expected a time, got JSON text "x"`, err.Error(), "the line of the key, matched ignoring case as the decoder does")
}

func TestFieldLine(t *testing.T) {
	data := []byte("{\"a\": 1,\n \"b\": [{\"c\": \"a\"},\n {\"d\": {\"e\": 2}}],\n \"f\": {\"a\": \"b\"}}")
	for path, want := range map[string]int{"a": 1, "b": 2, "b.c": 2, "b.d.e": 3, "f": 4, "f.a": 4, "F.A": 4, "c": 0, "b.d.e.x": 0, "": 0} {
		assert.Equal(t, want, FieldLine(data, path), path)
	}
	assert.Equal(t, 0, FieldLine([]byte(`{"a": `), "b"), "malformed: not found")
	assert.Equal(t, 1, FieldLine([]byte(`{"0": {"": ""}}`), "0."), "an empty key is a key")
	assert.Equal(t, 1, FieldLine([]byte(`{"": {"0": ""}}`), ".0"))
}

func TestLine(t *testing.T) {
	data := []byte("a\nb\nc")
	assert.Equal(t, 1, Line(data, 0))
	assert.Equal(t, 2, Line(data, 2))
	assert.Equal(t, 3, Line(data, 99), "past the end")
	assert.Equal(t, 1, Line(data, -1))
}

func TestDecodeRefusesDuplicateKeys(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"top level", "{\n\"name\": \"a\",\n\"name\": \"b\"\n}", `line 3: "name" appears twice (first on line 2)`},
		{"nested", "{\"time\": {\n\"offset_ms\": 1,\n\"offset_ms\": 2}}", `line 3: "offset_ms" appears twice in time (first on line 2)`},
		{"other case", "{\n\"name\": \"a\",\n\"Name\": \"b\"\n}", `line 3: "Name" repeats "name" (line 2): keys are matched ignoring case`},
		{"in a list", "{\"list\": [{}, {\"a\": 1,\n\"a\": 2}]}", `line 2: "a" appears twice in list[1] (first on line 1)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var d struct {
				doc
				List []map[string]int `json:"list"`
			}
			err := Decode([]byte(tc.in), &d)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	var d doc
	require.NoError(t, Decode([]byte(`{"name": "a", "time": {"name": "b"}, "x": [{"name": 1}, {"name": 2}]}`), &d),
		"the same key in different objects is fine")
}

func TestDecodeReadsWindowsEncodings(t *testing.T) {
	text := "{\r\n  \"name\": \"Zürich\",\r\n  \"time\": {\"offset_ms\": \"x\"}\r\n}\r\n"
	utf16le := []byte{0xFF, 0xFE}
	for _, r := range text {
		utf16le = append(utf16le, byte(r), byte(r>>8))
	}
	for name, raw := range map[string][]byte{
		"UTF-8 with BOM":    append([]byte{0xEF, 0xBB, 0xBF}, text...),
		"UTF-16LE with BOM": utf16le,
	} {
		t.Run(name, func(t *testing.T) {
			var d doc
			err := Decode(raw, &d)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "line 3: time.offset_ms", "line numbers are the file's")
			ok := []byte(strings.Replace(text, `"x"`, "2.5", 1))
			if name == "UTF-16LE with BOM" {
				ok = []byte{0xFF, 0xFE}
				for _, r := range strings.Replace(text, `"x"`, "2.5", 1) {
					ok = append(ok, byte(r), byte(r>>8))
				}
			} else {
				ok = append([]byte{0xEF, 0xBB, 0xBF}, ok...)
			}
			require.NoError(t, Decode(ok, &d))
			assert.Equal(t, "Zürich", d.Name)
			assert.Equal(t, 2.5, d.Time.Offset)
		})
	}
}

// FuzzDecode: Decode never panics, and a document it accepts holds no key
// twice: every key token of the text is a distinct key of the decoded
// value. Seeded from the labs' facts.json, db.json and manifest.json.
func FuzzDecode(f *testing.F) {
	for _, pattern := range []string{"*/db.json", "*/nodes/*/facts.json", "*/nodes/*/manifest.json"} {
		files, err := filepath.Glob(filepath.Join("..", "..", "fixtures", "labs", pattern))
		if err != nil || len(files) == 0 {
			f.Fatalf("no lab files %s: %v", pattern, err)
		}
		for _, file := range files[:min(len(files), 4)] {
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Add([]byte(`{"a": 1, "A": 2}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var v any
		if err := Decode(data, &v); err != nil {
			return
		}
		text, err := Text(data)
		if err != nil {
			t.Fatalf("Decode accepted what Text refuses: %v", err)
		}
		if tokens, keys := countKeyTokens(t, text), countKeys(v); tokens != keys {
			t.Fatalf("%d keys in the text, %d in the decoded value: a duplicate got through", tokens, keys)
		}
		// Every key's path is found, on a line of the text.
		lines := bytes.Count(text, []byte{'\n'}) + 1
		for _, path := range keyPaths(v, nil) {
			if n := FieldLine(text, path); n < 1 || n > lines {
				t.Fatalf("FieldLine(%q) = %d, want a line of 1..%d", path, n, lines)
			}
		}
	})
}

// keyPaths lists the field paths of every key in a decoded document, as
// encoding/json names them (list positions left out).
func keyPaths(v any, path []string) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			p := append(slices.Clone(path), k)
			out = append(append(out, strings.Join(p, ".")), keyPaths(e, p)...)
		}
	case []any:
		for _, e := range v {
			out = append(out, keyPaths(e, path)...)
		}
	}
	return out
}

// countKeys counts the keys of every object in a decoded value.
func countKeys(v any) int {
	switch x := v.(type) {
	case map[string]any:
		n := len(x)
		for _, e := range x {
			n += countKeys(e)
		}
		return n
	case []any:
		n := 0
		for _, e := range x {
			n += countKeys(e)
		}
		return n
	}
	return 0
}

// countKeyTokens counts the key tokens of every object in a JSON text.
func countKeyTokens(t *testing.T, text []byte) int {
	dec := json.NewDecoder(bytes.NewReader(text))
	n := 0
	var walk func()
	walk = func() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		switch tok {
		case json.Delim('{'):
			for dec.More() {
				if _, err := dec.Token(); err != nil {
					t.Fatal(err)
				}
				n++
				walk()
			}
			_, _ = dec.Token()
		case json.Delim('['):
			for dec.More() {
				walk()
			}
			_, _ = dec.Token()
		}
	}
	walk()
	return n
}

// Messages speak JSON, not Go: a services object where a list belongs is
// "expected a list", not "expected []facts.Service".
func TestDecodeSpeaksJSON(t *testing.T) {
	var v struct {
		Services []struct{ Name string } `json:"services"`
		Port     int                     `json:"port"`
		Obj      *struct{ A int }        `json:"obj"`
	}
	for in, want := range map[string]string{
		`{"services": {"a": 1}}`: "services: expected a list, got JSON object",
		`{"port": 1.5}`:          "port: expected a whole number, got JSON number 1.5",
		`{"obj": [1]}`:           "obj: expected an object, got JSON array",
	} {
		err := Decode([]byte(in), &v)
		require.Error(t, err)
		assert.Contains(t, err.Error(), want)
		assert.NotContains(t, err.Error(), "struct")
	}
}
