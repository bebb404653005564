package tmsversion

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzParse: versions come from outside (a node's facts, the registry, the
// inventory). Parse never panics, and what it accepts prints back to a
// string that parses to the same numbers; Lookup never panics either.
func FuzzParse(f *testing.F) {
	labs, err := filepath.Glob(filepath.Join("..", "fixtures", "labs", "*", "nodes", "*", "facts.json"))
	require.NoError(f, err)
	require.NotEmpty(f, labs)
	for _, name := range labs {
		raw, err := os.ReadFile(name)
		require.NoError(f, err)
		var facts struct {
			TMS struct {
				Version string `json:"version"`
			} `json:"tms"`
		}
		if json.Unmarshal(raw, &facts) == nil && facts.TMS.Version != "" {
			f.Add(facts.TMS.Version)
		}
	}
	for _, s := range []string{"", "15", "15.8", "v15.9", "TMS 14.6.2", "15.13.2 (build 1)", "1.2.3.4.5", "9999.9999.9999", "15.-1", "\x00", "١٥.٩"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse(s)
		if err != nil {
			return
		}
		again, err := Parse(v.String())
		if err != nil {
			t.Fatalf("%q parsed to %v, which does not parse: %v", s, v, err)
		}
		if again.Compare(v) != 0 || again.Parts != v.Parts {
			t.Fatalf("%q → %v → %v", s, v, again)
		}
		p, err := LookupVersion(v)
		if err == nil && p.Version.Compare(v) != 0 {
			t.Fatalf("looked up %v, got a profile for %v", v, p.Version)
		}
	})
}
