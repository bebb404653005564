package jsondoc

import (
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
		{"type", "{\n\"name\": \"a\",\n\"time\": {\"offset_ms\": \"2\"}}", "line 3: time.offset_ms: expected float64, got JSON string"},
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

func TestLine(t *testing.T) {
	data := []byte("a\nb\nc")
	assert.Equal(t, 1, Line(data, 0))
	assert.Equal(t, 2, Line(data, 2))
	assert.Equal(t, 3, Line(data, 99), "past the end")
	assert.Equal(t, 1, Line(data, -1))
}
