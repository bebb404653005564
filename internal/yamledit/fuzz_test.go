package yamledit

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tmsdrift/tmsdrift/internal/wintext"
)

// fuzzPaths are the values the fuzzer edits: the ones runbooks change in
// an inventory, and a few that are often absent.
var fuzzPaths = []string{
	"nodes[0].role", "nodes[1].role", "addresses.ipv4_local", "addresses.ipv6_local",
	"addresses.dns_local", "database.server", "database.offsite_server", "database.dsn_env",
	"nodes[1].transport.host", "deployment", "k",
}

// FuzzApply edits arbitrary documents: Apply must never panic, and an edit
// it makes must read back as intended, keep the file's encoding, keep
// every comment line, and change the number of lines only by what it adds
// or removes.
func FuzzApply(f *testing.F) {
	labs, err := filepath.Glob(filepath.Join("..", "..", "fixtures", "labs", "*", "inventory*.yaml"))
	if err != nil || len(labs) == 0 {
		f.Fatalf("lab inventories: %v", err)
	}
	labs = append(labs, filepath.Join("testdata", "commented.yaml"))
	for i, file := range labs {
		raw, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw, uint8(i), "10.10.0.12", false)
		if i < 4 {
			crlf := bytes.ReplaceAll(raw, []byte("\n"), []byte("\r\n"))
			utf16, err := wintext.Encoding{UTF16: true, BOM: true}.Encode(crlf)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(crlf, uint8(i+1), "primary", false)
			f.Add(utf16, uint8(i+2), "it's \"quoted\"", false)
			f.Add(raw, uint8(i+3), "", true)
		}
	}
	f.Add([]byte("k: 'a\n  b'\n"), uint8(10), "x", false)
	f.Add([]byte("k: {a: [1, 2]}\n"), uint8(10), "x: y", false)
	f.Fuzz(func(t *testing.T, data []byte, which uint8, value string, del bool) {
		path := fuzzPaths[int(which)%len(fuzzPaths)]
		_, existed, getErr := Get(data, path)
		out, err := Apply(data, Edit{Path: path, Value: value, Delete: del, After: []string{"ipv4_local"}})
		if err != nil {
			if out != nil {
				t.Fatal("a document came back with an error")
			}
			return
		}
		if getErr != nil {
			t.Fatalf("Get failed (%v) on a document Apply edited", getErr)
		}
		got, ok, err := Get(out, path)
		switch {
		case err != nil:
			t.Fatalf("the edited document does not read: %v", err)
		case del && ok:
			t.Fatalf("%s still there after delete", path)
		case !del && (!ok || got != value):
			t.Fatalf("%s = %q %v, want %q", path, got, ok, value)
		}
		if wintext.Detect(out) != wintext.Detect(data) {
			t.Fatalf("encoding changed from %s to %s", wintext.Detect(data), wintext.Detect(out))
		}
		before, _, _ := wintext.Decode(data)
		after, _, err := wintext.Decode(out)
		if err != nil {
			t.Fatal(err)
		}
		inLines, outLines := lines(before), lines(after)
		for _, c := range commentLines(inLines) {
			if !slices.Contains(outLines, c) {
				t.Fatalf("comment line %q lost", c)
			}
		}
		switch {
		case del && existed && len(outLines) != len(inLines)-1:
			t.Fatalf("delete: %d lines became %d", len(inLines), len(outLines))
		case !del && existed && len(outLines) != len(inLines):
			t.Fatalf("set: %d lines became %d", len(inLines), len(outLines))
		case !existed && len(outLines) < len(inLines):
			t.Fatalf("add: %d lines became %d", len(inLines), len(outLines))
		}
	})
}

// lines splits text at LF, CRLF and CR.
func lines(text []byte) []string {
	s := strings.ReplaceAll(strings.ReplaceAll(string(text), "\r\n", "\n"), "\r", "\n")
	return strings.Split(s, "\n")
}

func commentLines(ls []string) []string {
	var out []string
	for _, l := range ls {
		if strings.HasPrefix(strings.TrimSpace(l), "#") {
			out = append(out, l)
		}
	}
	return out
}
