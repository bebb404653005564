package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/report"
)

// Issue 8, item 6, hostile: every numeric and time field of facts.json and
// db.json, found by reflection on the facts structs so that a field added
// later is tested too, is set to extreme values in a copy of a compliant
// lab and audited through the command line. No rule that reads the field
// may pass on an impossible value: it is `error` naming the field and the
// file, or `fail` where the value is possible but non-compliant. Nothing
// panics, and nothing reaches the terminal unescaped.

// factField is one numeric or time field of a facts file.
type factField struct {
	file string   // "facts.json" or "db.json"
	path []string // its JSON keys
	list bool     // a list of numbers: the value goes into its first element
	time bool     // a timestamp; else a number
}

func (f factField) key() string { return strings.Join(f.path, ".") }

// factFields walks a facts struct: every float, integer and timestamp
// field it holds, through pointers, Optional and nested blocks.
func factFields(t *testing.T, file string, v any) []factField {
	t.Helper()
	timestamp, timeType := reflect.TypeFor[facts.Timestamp](), reflect.TypeFor[time.Time]()
	var out []factField
	var walk func(typ reflect.Type, path []string, list bool)
	walk = func(typ reflect.Type, path []string, list bool) {
		for typ.Kind() == reflect.Pointer {
			typ = typ.Elem()
		}
		switch {
		case typ == timestamp || typ == timeType:
			out = append(out, factField{file: file, path: path, list: list, time: true})
			return
		case typ.Kind() == reflect.Struct && strings.HasPrefix(typ.Name(), "Optional["):
			walk(typ.Field(2).Type, path, list) // Optional's Value
			return
		}
		switch typ.Kind() {
		case reflect.Float32, reflect.Float64, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			out = append(out, factField{file: file, path: path, list: list})
		case reflect.Slice, reflect.Array:
			require.False(t, list, "%s: a list of lists: extend factFields", strings.Join(path, "."))
			walk(typ.Elem(), path, true)
		case reflect.Map:
			k := typ.Elem().Kind()
			require.True(t, k == reflect.String || k == reflect.Bool, "%s: a map of %s: extend factFields", strings.Join(path, "."), typ.Elem())
		case reflect.Struct:
			for i := range typ.NumField() {
				sf := typ.Field(i)
				name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
				if !sf.IsExported() || name == "-" {
					continue
				}
				require.NotEmpty(t, name, "%s.%s has no JSON name", typ, sf.Name)
				walk(sf.Type, append(slices.Clone(path), name), list)
			}
		case reflect.String, reflect.Bool:
		default:
			t.Fatalf("%s: %s: extend factFields", strings.Join(path, "."), typ)
		}
	}
	walk(reflect.TypeOf(v), nil, false)
	return out
}

// readers are the rules that read each field, and on which node of the
// offsite lab ("" for the deployment). A field factFields finds that is
// missing here fails the test: give it a range in facts/plausible.go and
// its rules here.
var readers = map[string][]string{
	"facts.json db_rtt_ms":               {"db.latency tms01"},
	"facts.json time.offset_ms":          {"time.synced tms01"},
	"db.json rtt_ms":                     {"db.latency "},
	"db.json connect_ms":                 {"db.latency "},
	"db.json observed_at":                {"db.backup-recent ", "db.log-shipping-lag "},
	"db.json last_full_backup":           {"db.backup-recent "},
	"db.json log_shipping.last_restored": {"db.log-shipping-lag "},
}

// extreme is a value to set and what the rules reading it must give:
// checks.Error (impossible), checks.Fail (possible, non-compliant) or ""
// (possible: any verdict but no crash and nothing unescaped).
type extreme struct {
	raw  string // JSON
	want checks.Status
}

// extremes are the values tried on a field.
func extremes(f factField) []extreme {
	if f.time {
		now := time.Now().UTC()
		out := []extreme{
			{`"0001-01-01T00:00:00Z"`, checks.Error},
			{`"1753-01-01T00:00:00"`, checks.Error}, // SQL Server's first datetime
			{`"1970-01-01T00:00:00Z"`, checks.Error},
			{`"1999-12-31T23:59:59Z"`, checks.Error},
			{`"9999-12-31T23:59:59.9999999Z"`, checks.Error},
			{`"0001-01-01T00:00:00+01:00"`, checks.Error}, // year 0 in UTC
			{`"9999-12-31T23:59:59-23:59"`, checks.Error}, // year 10000 in UTC
			{`"` + now.AddDate(10, 0, 0).Format(time.RFC3339) + `"`, checks.Error},
			{`"` + now.Add(72*time.Hour).Format(time.RFC3339) + `"`, checks.Error},
			{`"yesterday\u001b[2J\u001b]0;pwned\u0007"`, checks.Error},
			{`"2000-01-01T00:00:00Z"`, checks.Fail}, // possible for a backup; makes the others impossible for observed_at
		}
		if f.key() != "observed_at" {
			// The lab's observed_at is 2026-11-25T02:00:00Z: this is 23:59 later.
			out = append(out, extreme{`"2026-11-25T02:00:00-23:59"`, checks.Error})
		}
		return out
	}
	out := []extreme{
		{"-1e308", checks.Error},
		{"1e308", checks.Error},
		{"1e309", checks.Error}, // beyond float64: the file is unreadable
		{"9223372036854775807", checks.Error},
		{"-9223372036854775808", checks.Error},
		{"0", ""},
		{"5e-324", ""},
	}
	if f.key() == "time.offset_ms" {
		// Signed: the clock may be behind; up to 100 years.
		return append(out,
			extreme{"-0", ""}, extreme{"-1", ""},
			extreme{"3.2e12", checks.Error}, extreme{"-3.2e12", checks.Error},
			extreme{"86400000", checks.Fail}, extreme{"-86400000", checks.Fail})
	}
	// A duration: never negative, at most an hour.
	out = append(out, extreme{"-1", checks.Error}, extreme{"-0", checks.Error}, extreme{"-5e-324", checks.Error},
		extreme{"3600001", checks.Error})
	if f.list {
		// Every sample a minute: the median is too.
		return append(out, extreme{"60000", checks.Fail})
	}
	// connect_ms is shown, not judged: a slow login is not a far database.
	return append(out, extreme{"60000", ""})
}

// setJSON sets the value at path in a JSON document to raw, making the
// objects on the way; in a list, its first element, or every element
// when all.
func setJSON(t *testing.T, doc []byte, f factField, raw string, all bool) []byte {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(doc, &m))
	at := m
	for _, k := range f.path[:len(f.path)-1] {
		next, ok := at[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			at[k] = next
		}
		at = next
	}
	last := f.path[len(f.path)-1]
	var v any = json.RawMessage(raw)
	if f.list {
		list, _ := at[last].([]any)
		list = append([]any{json.RawMessage(raw)}, list[min(1, len(list)):]...)
		for i := range list {
			if all {
				list[i] = json.RawMessage(raw)
			}
		}
		v = list
	}
	at[last] = v
	out, err := json.MarshalIndent(m, "", "  ")
	require.NoError(t, err)
	return out
}

func TestImpossibleAndExtremeFactValues(t *testing.T) {
	fields := append(factFields(t, "facts.json", facts.NodeFacts{}), factFields(t, "db.json", facts.DBFacts{})...)
	var found []string
	for _, f := range fields {
		found = append(found, f.file+" "+f.key())
	}
	assert.ElementsMatch(t, slices.Collect(maps.Keys(readers)), found,
		"numeric and time fields of the facts structs: a new one needs a range check (facts/plausible.go) and its rules in readers")

	for _, f := range fields {
		rules := readers[f.file+" "+f.key()]
		file := "db.json"
		if f.file == "facts.json" {
			file = filepath.Join("nodes", "tms01", "facts.json")
		}
		for _, x := range extremes(f) {
			t.Run(fmt.Sprintf("%s %s=%s", f.file, f.key(), x.raw), func(t *testing.T) {
				dir, inv := labCopy(t, "offsite")
				rewrite(t, filepath.Join(dir, file), func(b []byte) []byte { return setJSON(t, b, f, x.raw, x.want == checks.Fail) })

				rep, code, printed := auditJSON(t, inv)
				assertNoControls(t, printed)
				for _, rn := range rules {
					rule, node, _ := strings.Cut(rn, " ")
					r := findResult(t, rep, rule, node)
					switch x.want {
					case checks.Error:
						assert.Equal(t, checks.Error, r.Status, "%s: %+v", rn, r)
						assert.Contains(t, r.Message, f.path[len(f.path)-1], "%s names the field", rn)
						assert.Contains(t, r.Message, f.file, "%s names the file", rn)
						assert.NotEqual(t, report.ExitOK, code)
					case checks.Fail:
						assert.NotEqual(t, checks.Pass, r.Status, "%s: %+v", rn, r)
						if r.Status == checks.Error {
							assert.Contains(t, r.Message, f.file, "%s names the file", rn)
						}
					}
				}
				for _, format := range []string{"table", "markdown"} {
					_, stdout, stderr := tmsdrift(t, "audit", "-i", inv, "--format", format)
					assertNoControls(t, stdout)
					assertNoControls(t, stderr)
				}
			})
		}
	}
}
