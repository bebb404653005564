package inventory

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to the loader: it must never panic, and
// must either return an inventory that validates or an *Error whose every
// problem has a message and a position inside the input.
func FuzzLoad(f *testing.F) {
	for _, m := range Models {
		src, err := Starter(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	files, err := filepath.Glob(filepath.Join("testdata", "*", "*.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	labs, err := filepath.Glob(filepath.Join("..", "fixtures", "labs", "*", "inventory*.yaml"))
	if err != nil || len(labs) == 0 {
		f.Fatalf("lab inventories: %v", err)
	}
	files = append(files, labs...)
	for _, file := range files {
		f.Add(readFileF(f, file))
	}
	// As Windows saves them: UTF-8 with a BOM, UTF-16 with one, CRLF.
	for _, file := range labs[:min(len(labs), 4)] {
		text := string(readFileF(f, file))
		f.Add(psUTF8(text))
		f.Add(psRedirect(text))
		f.Add(utf16BE(text))
	}
	f.Add([]byte("deployment: 'lab\nmodel: 'single'\n"))
	name := filepath.Join("testdata", "good", "fuzz.yaml") // snapshot folders nodes/tms01, nodes/tms02 exist here
	f.Fuzz(func(t *testing.T, data []byte) {
		inv, err := LoadBytes(name, data, Options{KnownRules: testRules})
		if err == nil {
			if inv == nil {
				t.Fatal("no error and no inventory")
			}
			if verr := inv.Validate(Options{KnownRules: testRules}); verr != nil {
				t.Fatalf("loaded inventory does not validate: %v", verr)
			}
			return
		}
		if inv != nil {
			t.Fatal("an inventory returned with an error")
		}
		var ie *Error
		if !errors.As(err, &ie) || len(ie.Problems) == 0 {
			t.Fatalf("want *Error with problems, got %T %v", err, err)
		}
		// YAML breaks lines at \n, \r\n and a lone \r.
		lines := bytes.Count(bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n")), []byte("\n")) +
			bytes.Count(bytes.ReplaceAll(data, []byte("\r\n"), nil), []byte("\r")) + 1
		for _, p := range ie.Problems {
			if p.Message == "" {
				t.Fatalf("problem without a message: %#v", p)
			}
			if p.Line < 0 || p.Line > lines+1 {
				t.Fatalf("line %d outside the input (%d lines): %v", p.Line, lines, p)
			}
		}
	})
}

func readFileF(f *testing.F, path string) []byte {
	f.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	return b
}
