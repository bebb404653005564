package inventory

import (
	"path/filepath"
	"testing"
)

// editFields are the fields runbooks change.
var editFields = []string{
	"nodes[0].role", "nodes[1].role", "nodes[2].role", "addresses.ipv4_local", "addresses.ipv6_local",
	"addresses.dns_local", "database.server", "database.offsite_server", "database.snapshot",
	"database.offsite_snapshot", "database.dsn_env", "database.offsite_dsn_env",
}

// FuzzEdit changes one field of arbitrary inventories: Edit must never
// panic, and an inventory it returns must load again, from the bytes it
// returns, with the field holding the new value.
func FuzzEdit(f *testing.F) {
	labs, err := filepath.Glob(filepath.Join("..", "fixtures", "labs", "*", "inventory.yaml"))
	if err != nil || len(labs) == 0 {
		f.Fatalf("lab inventories: %v", err)
	}
	for i, file := range append(labs, filepath.Join("testdata", "good", "commented.yaml")) {
		text := readFileF(f, file)
		f.Add(text, uint8(i), "primary")
		if i < 3 {
			f.Add(psRedirect(string(text)), uint8(i+3), "10.10.0.12")
		}
	}
	name := filepath.Join("testdata", "good", "fuzz.yaml") // snapshot folders nodes/tms01, nodes/tms02 exist here
	f.Fuzz(func(t *testing.T, data []byte, which uint8, value string) {
		field := editFields[int(which)%len(editFields)]
		out, inv, err := Edit(name, data, []Change{{Field: field, Value: value}}, Options{KnownRules: testRules})
		if err != nil {
			if out != nil || inv != nil {
				t.Fatal("a result came back with an error")
			}
			return
		}
		again, err := LoadBytes(name, out, Options{KnownRules: testRules})
		if err != nil {
			t.Fatalf("the edited inventory does not load: %v", err)
		}
		if got, err := again.FieldText(field); err != nil || got != value {
			t.Fatalf("%s = %q (%v), want %q", field, got, err, value)
		}
	})
}
