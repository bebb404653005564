package yamledit

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/tmsdrift/tmsdrift/internal/wintext"
)

// variant is the commented inventory as some editor saved it.
type variant struct {
	name string
	eol  string
	enc  wintext.Encoding
	// noFinalEOL drops the line break at the end of the file.
	noFinalEOL bool
}

var variants = []variant{
	{name: "LF", eol: "\n"},
	{name: "CRLF", eol: "\r\n"},
	{name: "CR", eol: "\r"},
	{name: "CRLF, UTF-8 with BOM", eol: "\r\n", enc: wintext.Encoding{BOM: true}},
	{name: "CRLF, UTF-16LE with BOM", eol: "\r\n", enc: wintext.Encoding{UTF16: true, BOM: true}},
	{name: "LF, UTF-16BE with BOM", eol: "\n", enc: wintext.Encoding{UTF16: true, BigEndian: true, BOM: true}},
	{name: "CRLF, no final line break", eol: "\r\n", noFinalEOL: true},
}

// form writes LF text as v saves it.
func (v variant) form(t *testing.T, text string) []byte {
	t.Helper()
	if v.noFinalEOL {
		text = strings.TrimSuffix(text, "\n")
	}
	text = strings.ReplaceAll(text, "\n", v.eol)
	out, err := v.enc.Encode([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func readCommented(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile("testdata/commented.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// replaceOnce replaces the one occurrence of old in s, failing the test
// when there is not exactly one: the expected output is the input with
// exactly these bytes changed.
func replaceOnce(t *testing.T, s, old, new string) string {
	t.Helper()
	if n := strings.Count(s, old); n != 1 {
		t.Fatalf("%q occurs %d times in the fixture", old, n)
	}
	return strings.Replace(s, old, new, 1)
}

// TestApplyKeepsEveryOtherByte edits the commented inventory in each form
// Windows and Unix editors save it, and compares the result byte for byte
// with the input where only the edited values (or the added line) differ.
func TestApplyKeepsEveryOtherByte(t *testing.T) {
	in := readCommented(t)
	cases := []struct {
		name  string
		edits []Edit
		want  func(string) string
	}{
		{
			name: "promote tms02: roles swapped, address moved",
			edits: []Edit{
				{Path: "nodes[0].role", Value: "standby"},
				{Path: "nodes[1].role", Value: "primary"},
				{Path: "addresses.ipv4_local", Value: "10.10.0.12"},
			},
			want: func(s string) string {
				s = replaceOnce(t, s, "role: primary              # promote", "role: standby              # promote")
				s = replaceOnce(t, s, "role: 'standby'", "role: 'primary'")
				return replaceOnce(t, s, "ipv4_local: 10.10.0.11       #", "ipv4_local: 10.10.0.12       #")
			},
		},
		{
			name: "a flow mapping keeps its form",
			edits: []Edit{
				{Path: "nodes[2].role", Value: "primary"},
				{Path: "nodes[2].address", Value: "10.10.0.23"},
			},
			want: func(s string) string {
				return replaceOnce(t, s, "{name: tms03, role: standby, address: 10.10.0.13,", "{name: tms03, role: primary, address: 10.10.0.23,")
			},
		},
		{
			name: "the live database switches, each value in its own quotes",
			edits: []Edit{
				{Path: "database.server", Value: "sql-dr.acme.local"},
				{Path: "database.offsite_server", Value: `sql01.acme.local\TMS`},
			},
			want: func(s string) string {
				s = replaceOnce(t, s, `server: 'sql01.acme.local\TMS'`, `server: 'sql-dr.acme.local'`)
				return replaceOnce(t, s, `offsite_server: "sql-dr.acme.local"`, `offsite_server: "sql01.acme.local\\TMS"`)
			},
		},
		{
			name:  "a missing key is added after its sibling, indented like it",
			edits: []Edit{{Path: "addresses.ipv6_local", Value: "fd00::12", After: []string{"ipv4_local"}}},
			want: func(s string) string {
				return replaceOnce(t, s, "# the primary's address\n", "# the primary's address\n  ipv6_local: fd00::12\n")
			},
		},
		{
			name:  "a key added at the end of the last mapping of the file",
			edits: []Edit{{Path: "nodes[1].transport.port", Value: "5986"}},
			want: func(s string) string {
				return replaceOnce(t, s, "      path: nodes/tms02\n", "      path: nodes/tms02\n      port: '5986'\n")
			},
		},
		{
			name:  "a key added to a flow mapping",
			edits: []Edit{{Path: "nodes[0].transport.host", Value: "tms01.acme.local"}},
			want: func(s string) string {
				return replaceOnce(t, s, "{kind: dir, path: nodes/tms01}", "{kind: dir, path: nodes/tms01, host: tms01.acme.local}")
			},
		},
		{
			name:  "a key deleted with its line",
			edits: []Edit{{Path: "database.max_latency_ms", Delete: true}},
			want: func(s string) string {
				return replaceOnce(t, s, "  max_latency_ms: 10\n", "")
			},
		},
		{
			name:  "a missing mapping is created at the end of the document's mapping",
			edits: []Edit{{Path: "machine_key.file", Value: "keys/machinekey.xml"}},
			want: func(s string) string {
				return replaceOnce(t, s, "waivers: []\n", "waivers: []\nmachine_key:\n  file: keys/machinekey.xml\n")
			},
		},
	}
	for _, c := range cases {
		for _, v := range variants {
			t.Run(c.name+"/"+v.name, func(t *testing.T) {
				if v.noFinalEOL && strings.Contains(c.name, "created at the end") {
					// The created lines come after the last line, which then
					// gets the document's line break first.
					t.Skip("covered by TestInsertAfterLastLineWithoutBreak")
				}
				got, err := Apply(v.form(t, in), c.edits...)
				if err != nil {
					t.Fatal(err)
				}
				want := v.form(t, c.want(in))
				if !bytes.Equal(got, want) {
					t.Errorf("got\n%q\nwant\n%q", got, want)
				}
			})
		}
	}
}

func TestInsertAfterLastLineWithoutBreak(t *testing.T) {
	got, err := Apply([]byte("a: 1\r\nb: x"), Edit{Path: "c", Value: "z"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "a: 1\r\nb: x\r\nc: z"; string(got) != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestStyles(t *testing.T) {
	cases := []struct {
		name, in string
		edit     Edit
		want     string
	}{
		{"plain stays plain", "k: old\n", Edit{Path: "k", Value: "new-value.acme.local"}, "k: new-value.acme.local\n"},
		{"plain quoted when it would read as a number", "k: old\n", Edit{Path: "k", Value: "10"}, "k: '10'\n"},
		{"plain quoted when it would read as true", "k: old\n", Edit{Path: "k", Value: "yes"}, "k: 'yes'\n"},
		{"plain quoted for a comment sign", "k: old # c\n", Edit{Path: "k", Value: "a #b"}, "k: 'a #b' # c\n"},
		{"plain quoted for a colon and space", "k: old\n", Edit{Path: "k", Value: "a: b"}, "k: 'a: b'\n"},
		{"plain quoted for leading space", "k: old\n", Edit{Path: "k", Value: " a"}, "k: ' a'\n"},
		{"empty text quoted", "k: old\n", Edit{Path: "k", Value: ""}, "k: ''\n"},
		{"a number replaced by text", "k: 10\n", Edit{Path: "k", Value: "ten"}, "k: ten\n"},
		{"single quotes doubled", "k: 'x'\n", Edit{Path: "k", Value: "it's"}, "k: 'it''s'\n"},
		{"single quoted control character goes double", "k: 'x'\n", Edit{Path: "k", Value: "a\tb"}, "k: \"a\\tb\"\n"},
		{"double quotes escaped", "k: \"x\"\n", Edit{Path: "k", Value: `say "hi" \ bye`}, "k: \"say \\\"hi\\\" \\\\ bye\"\n"},
		{"double keeps non-ASCII", "k: \"x\"\n", Edit{Path: "k", Value: "Zürich"}, "k: \"Zürich\"\n"},
		{"empty value filled before its comment", "k:   # later\nz: 1\n", Edit{Path: "k", Value: "v"}, "k: v   # later\nz: 1\n"},
		{"null replaced", "k: ~\n", Edit{Path: "k", Value: "v"}, "k: v\n"},
		{"first among siblings", "m:\n  b: 2\n  c: 3\n", Edit{Path: "m.a", Value: "1", After: []string{}}, "m:\n  a: '1'\n  b: 2\n  c: 3\n"},
		{"after the sibling named", "m:\n  a: 1\n  c: 3\n", Edit{Path: "m.b", Value: "x", After: []string{"a"}}, "m:\n  a: 1\n  b: x\n  c: 3\n"},
		{"four-space indentation", "m:\n    a: 1\n", Edit{Path: "n.b", Value: "x"}, "m:\n    a: 1\nn:\n    b: x\n"},
		{"under an empty key", "m:\nz: 1\n", Edit{Path: "m.a", Value: "x"}, "m:\n  a: x\nz: 1\n"},
		{"first key of a list item stays first", "l:\n  - a: 1\n    c: 3\n", Edit{Path: "l[0].b", Value: "x", After: []string{}}, "l:\n  - a: 1\n    b: x\n    c: 3\n"},
		{"into an empty flow mapping", "t: {}\n", Edit{Path: "t.k", Value: "v"}, "t: {k: v}\n"},
		{"flow value with a comma is quoted", "t: {a: 1}\n", Edit{Path: "t.a", Value: "x,y"}, "t: {a: 'x,y'}\n"},
		{"deleting a missing key changes nothing", "a: 1\n", Edit{Path: "b", Delete: true}, "a: 1\n"},
		{"a tab before a comment stays", "k:\tv\t# c\n", Edit{Path: "k", Value: "w"}, "k:\tw\t# c\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Apply([]byte(c.in), c.edit)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
			if !c.edit.Delete {
				v, ok, err := Get(got, c.edit.Path)
				if err != nil || !ok || v != c.edit.Value {
					t.Errorf("Get = %q %v %v, want %q", v, ok, err, c.edit.Value)
				}
			}
		})
	}
}

func TestRefusals(t *testing.T) {
	cases := []struct {
		name, in string
		edit     Edit
		want     string
	}{
		{"block scalar", "k: |\n  text\n", Edit{Path: "k", Value: "v"}, "block scalar"},
		{"anchor", "k: &a v\nj: *a\n", Edit{Path: "k", Value: "w"}, "anchor"},
		{"alias", "k: &a v\nj: *a\n", Edit{Path: "j", Value: "w"}, "anchor"},
		{"tag", "k: !!str 10\n", Edit{Path: "k", Value: "w"}, "anchor, alias or tag"},
		{"through an alias", "base: &b {x: 1}\nk: *b\n", Edit{Path: "k.x", Value: "2"}, "anchor, alias or tag"},
		{"multi-line quoted value", "k: 'a\n  b'\n", Edit{Path: "k", Value: "w"}, "several lines"},
		{"a mapping is not text", "k:\n  a: 1\n", Edit{Path: "k", Value: "w"}, "not text"},
		{"a list is not text", "k: [1]\n", Edit{Path: "k", Value: "w"}, "not text"},
		{"into a list", "k: [1]\n", Edit{Path: "k.a", Value: "w"}, "not a mapping"},
		{"missing element", "k: [1]\n", Edit{Path: "k[3].a", Value: "w"}, "no list element"},
		{"key twice", "k: 1\nk: 2\n", Edit{Path: "k", Value: "w"}, "cannot read the document"},
		{"two documents", "a: 1\n---\nb: 2\n", Edit{Path: "a", Value: "w"}, "more than one YAML document"},
		{"delete in a flow mapping", "t: {a: 1, b: 2}\n", Edit{Path: "t.a", Delete: true}, "flow mapping"},
		{"delete a key sharing its line", "l:\n  - a: 1\n    b: 2\n", Edit{Path: "l[0].a", Delete: true}, "shares its line"},
		{"delete a nested mapping", "m:\n  a: 1\nz: 2\n", Edit{Path: "m", Delete: true}, "spans several lines"},
		{"index as the last step", "k: [1]\n", Edit{Path: "k[0]", Value: "w"}, "last step must be a key"},
		{"not YAML", "k: [1\n", Edit{Path: "k", Value: "w"}, "cannot read"},
		{"UTF-16 without BOM", "k\x00:\x00 \x00v\x00", Edit{Path: "k", Value: "w"}, "UTF-16"},
		{"invalid UTF-8 value", "k: v\n", Edit{Path: "k", Value: "\xff"}, "no way to write"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Apply([]byte(c.in), c.edit)
			if err == nil {
				t.Fatalf("edited: %q", got)
			}
			if got != nil {
				t.Errorf("a document came back with the error")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
		})
	}
}

func TestRefusalsWrapErrRefused(t *testing.T) {
	_, err := Apply([]byte("k: |\n  x\n"), Edit{Path: "k", Value: "v"})
	if !errors.Is(err, ErrRefused) {
		t.Errorf("%v does not wrap ErrRefused", err)
	}
}

func TestUTF16OddBytesRefused(t *testing.T) {
	doc := append([]byte{0xFF, 0xFE}, []byte("k\x00:\x00 \x00v\x00\n")...)
	if _, err := Apply(doc, Edit{Path: "k", Value: "w"}); err == nil {
		t.Fatal("an odd-length UTF-16 file was edited")
	}
}

func TestGet(t *testing.T) {
	doc := []byte("a: {b: [x, {c: 'd'}]}\nn: 10\nz:\n")
	for _, c := range []struct {
		path, want string
		ok         bool
	}{
		{"a.b[1].c", "d", true},
		{"n", "10", true},
		{"z", "", true},
		{"a.q", "", false},
		{"a.b[5].c", "", false},
		{"n.x", "", false},
	} {
		got, ok, err := Get(doc, c.path)
		if err != nil || got != c.want || ok != c.ok {
			t.Errorf("Get(%s) = %q %v %v, want %q %v", c.path, got, ok, err, c.want, c.ok)
		}
	}
}
