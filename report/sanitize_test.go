package report

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/checks"
)

func TestSanitize(t *testing.T) {
	for in, want := range map[string]string{
		"ACME.LOCAL":                     "ACME.LOCAL",
		`C:\Program Files\TANDBERG`:      `C:\Program Files\TANDBERG`,
		"Größe 東京 ✓":                     "Größe 東京 ✓",
		"two\nlines\tand a tab":          "two\nlines\tand a tab",
		"\x1b[2J\x1b]0;pwned\a":          `\x1b[2J\x1b]0;pwned\x07`,
		"crlf\r\nline":                   "crlf\nline",
		"overwrite\rAll pass":            "overwrite\nAll pass",
		"nul\x00del\x7f":                 `nul\x00del\x7f`,
		"c1 csi \u009b2J":                `c1 csi \u009b2J`,
		"user\u202etxt.exe":              `user\u202etxt.exe`,
		"iso\u2066late\u2069 \u200fmark": `iso\u2066late\u2069 \u200fmark`,
		"line\u2028sep":                  `line\u2028sep`,
		"bad \xff\xfe utf8":              `bad \xff\xfe utf8`,
		"":                               "",
	} {
		assert.Equal(t, want, Sanitize(in), "%q", in)
	}
}

// FuzzSanitize: whatever the input, the output is valid UTF-8 with no
// character a terminal acts on, and clean text passes unchanged.
func FuzzSanitize(f *testing.F) {
	for _, s := range []string{"\x1b[2J\x1b]0;pwned\a", "a\r\nb\rc", "\u202e\u2066x", "\xff", "plain"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Sanitize(s)
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 out of %q: %q", s, out)
		}
		for _, r := range out {
			if unsafeRune(r) || r == '\r' {
				t.Fatalf("%U survives in %q (from %q)", r, out, s)
			}
		}
		if firstUnsafe(s) < 0 && out != s {
			t.Fatalf("clean %q changed to %q", s, out)
		}
		if Sanitize(out) != out {
			t.Fatalf("not idempotent on %q", out)
		}
	})
}

// JSON keeps every value as it was, but spells what a terminal would act
// on as \u escapes, so `audit --format json` on a terminal is safe too.
func TestJSONEscapesWhatTerminalsObey(t *testing.T) {
	nasty := "dom\x1b[2J\x7f\u009b31m\u202eexe\u2066"
	r := New("d", "nlb", fixtureStart, fixtureEnd, []checks.Result{
		{Rule: "domain.same", Node: "tms02", Status: checks.Fail, Severity: checks.High, Observed: nasty},
	})
	var b bytes.Buffer
	require.NoError(t, NewJSON(Options{}).Write(&b, r))
	for _, r := range b.String() {
		assert.False(t, unsafeRune(r), "%U raw in the JSON", r)
	}
	assert.Contains(t, b.String(), `dom\u001b[2J\u007f\u009b31m\u202eexe\u2066`)
	var back struct {
		Results []struct{ Observed string }
	}
	require.NoError(t, json.Unmarshal(b.Bytes(), &back))
	assert.Equal(t, nasty, back.Results[0].Observed, "the value is unchanged")
}
