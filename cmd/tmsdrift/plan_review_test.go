package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/inventory"
	"github.com/tmsdrift/tmsdrift/report"
)

// Review findings: a clock offset of -0, a plan resting on an audit
// that could not check everything, numeric inventory values beyond what
// a limit can be.

// A facts.json "offset_ms": -0 (PowerShell prints a tiny negative
// offset rounded so) is a clock on time: the report says "offset 0 ms",
// as for 0, never "offset -0 ms" (a clock behind).
func TestClockOffsetNegativeZeroShowsZero(t *testing.T) {
	dir, inv := labCopy(t, "clock")
	facts := filepath.Join(dir, "nodes", "tms01", "facts.json")
	raw, err := os.ReadFile(facts)
	require.NoError(t, err)
	require.Contains(t, string(raw), `"offset_ms": -500`)
	require.NoError(t, os.WriteFile(facts, []byte(strings.Replace(string(raw), `"offset_ms": -500`, `"offset_ms": -0.0001`, 1)), 0o644))

	_, stdout, stderr := tmsdrift(t, "audit", "-i", inv, "--format", "json")
	var rep report.Report
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep), stderr)
	found := false
	for _, r := range rep.Results {
		if r.Rule == "time.synced" && r.Node == "tms01" {
			found = true
			assert.Equal(t, "pass", string(r.Status))
			assert.Contains(t, r.Observed, "offset 0 ms")
		}
	}
	assert.True(t, found, "time.synced has a result for tms01")
	assert.NotContains(t, stdout, "-0 ms")

	t.Setenv("COLUMNS", "1000")
	_, stdout, _ = tmsdrift(t, "audit", "-i", inv, "--verbose")
	assert.NotContains(t, stdout, "-0 ms")
	assert.Contains(t, stdout, "offset 0 ms")
}

// planJSON is what these tests read of a tmsdrift/fix/v1 document.
type planJSON struct {
	Complete  bool `json:"complete"`
	Unchecked []struct {
		Rule, Node, Reason string
	} `json:"unchecked"`
	Changes []struct{ Node, Object string } `json:"changes"`
}

// unreachableDatabase points a lab copy's inventory.live.yaml at a local
// port nothing listens on (the demo's TDS stand-in, stopped) and returns
// the inventory and the password of its DSN, which must not show.
func unreachableDatabase(t *testing.T, lab string) (string, string, map[string]string) {
	t.Helper()
	dir, _ := labCopy(t, lab)
	const password = "Plan-review-pw-5513"
	t.Setenv(dbEnv, fmt.Sprintf("sqlserver://tmsdrift_audit:%s@127.0.0.1:%d/?database=tmsng&dial+timeout=5", password, closedPort(t)))
	return filepath.Join(dir, "inventory.live.yaml"), password, files(t, dir)
}

// auditErrors runs the audit and returns its `error` results as
// "rule node" and its exit code.
func auditErrors(t *testing.T, inv string, within func(rule string) bool) ([]string, int) {
	t.Helper()
	code, stdout, stderr := tmsdrift(t, "audit", "-i", inv, "--format", "json")
	var rep report.Report
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep), stderr)
	var out []string
	for _, r := range rep.Results {
		if r.Status == checks.Error && within(r.Rule) {
			out = append(out, r.Rule+" "+r.Node)
		}
	}
	require.NotEmpty(t, out, "the audit could not check some rules")
	return out, code
}

// Review finding 1: with the database unreachable, post-upgrade --dry-run
// and fix without --apply planned the machineKey alone and never said
// that addresses.match and the db.* rules could not be checked. The plan
// now lists every `error` result within its reach, per node and for the
// deployment, says plainly that it may be incomplete (table: INCOMPLETE,
// json: "complete": false and "unchecked"), and exits as the audit does
// (1 with a failure, else 3). Nothing is changed.
func TestPlanSaysWhatCouldNotBeChecked(t *testing.T) {
	t.Setenv("COLUMNS", "1000") // lines matched whole
	upgrade := func(rule string) bool {
		for _, r := range checks.UpgradeRules() {
			if r == rule {
				return true
			}
		}
		return false
	}
	all := func(string) bool { return true }
	for _, tc := range []struct {
		name, lab string
		args      []string
		within    func(string) bool
		changes   bool
	}{
		{"post-upgrade --dry-run", "post-upgrade", []string{"post-upgrade", "--dry-run"}, upgrade, true},
		{"fix", "post-upgrade", []string{"fix"}, all, true},
		{"fix --only", "post-upgrade", []string{"fix", "--only", "addresses.match"}, func(r string) bool { return r == "addresses.match" }, false},
		{"fix, nothing failing", "manual-cutover", []string{"fix"}, all, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inv, password, before := unreachableDatabase(t, tc.lab)
			want, auditCode := auditErrors(t, inv, tc.within)

			args := append(append([]string{}, tc.args...), "-i", inv)
			code, stdout, stderr := tmsdrift(t, args...)
			assert.Equal(t, auditCode, code, "exit code as for the audit the plan rests on; stderr: %s", stderr)
			assert.Contains(t, stdout, "INCOMPLETE: "+plural(len(want), "result")+" could not be checked")
			assert.Contains(t, stdout, "Could not check (error in the audit), so this plan may be incomplete")
			for _, w := range want {
				rule, node, _ := strings.Cut(w, " ")
				where := "for the deployment"
				if node != "" {
					where = "on " + node
				}
				assert.Contains(t, stdout, rule+" "+where+": ", "the plan names %s", w)
			}
			if tc.changes {
				assert.Contains(t, stdout, "Plan for acme-post-upgrade (manual-cutover): 1 change on tms02. INCOMPLETE")
			} else {
				assert.Contains(t, stdout, "as far as it could check. INCOMPLETE")
			}

			code, stdout, stderr = tmsdrift(t, append(args, "--format", "json")...)
			assert.Equal(t, auditCode, code)
			var doc planJSON
			require.NoError(t, json.Unmarshal([]byte(stdout), &doc), stderr)
			assert.False(t, doc.Complete)
			var got []string
			for _, u := range doc.Unchecked {
				got = append(got, u.Rule+" "+u.Node)
				assert.Contains(t, u.Reason, "127.0.0.1", "the reason names the unreachable server")
			}
			assert.ElementsMatch(t, want, got)
			assert.Equal(t, tc.changes, len(doc.Changes) > 0)
			assert.NotContains(t, stdout+stderr, password)
			dir := filepath.Dir(inv)
			assert.Equal(t, before, files(t, dir), "a plan changes nothing")
			assert.NoDirExists(t, filepath.Join(dir, ".tmsdrift"))
		})
	}
}

// A plan that could check everything says nothing of the kind and is
// complete.
func TestPlanCompleteWhenEverythingWasChecked(t *testing.T) {
	_, inv := labCopy(t, "post-upgrade")
	code, stdout, _ := tmsdrift(t, "post-upgrade", "--dry-run", "-i", inv)
	assert.Equal(t, report.ExitFail, code)
	assert.NotContains(t, stdout, "INCOMPLETE")
	assert.NotContains(t, stdout, "Could not check")
	_, stdout, _ = tmsdrift(t, "post-upgrade", "--dry-run", "-i", inv, "--format", "json")
	var doc planJSON
	require.NoError(t, json.Unmarshal([]byte(stdout), &doc))
	assert.True(t, doc.Complete)
	assert.Empty(t, doc.Unchecked)
}

// The runbook plan of upgrade finish restores what post-upgrade
// restores: with the database unreachable its step said only what it
// would repair on the nodes. It now says what it could not check and
// exits 3 (an incomplete plan), changing nothing.
func TestPlanOfUpgradeFinishSaysWhatCouldNotBeChecked(t *testing.T) {
	t.Setenv("COLUMNS", "1000")
	inv, password, before := unreachableDatabase(t, "post-upgrade")
	code, stdout, stderr := tmsdrift(t, "upgrade", "finish", "-i", inv)
	assert.Equal(t, report.ExitErrored, code, "stderr: %s", stderr)
	assert.Contains(t, stdout, "INCOMPLETE: could not check (error in the audit)")
	assert.Regexp(t, `unchecked addresses\.match: database facts unavailable: .*127\.0\.0\.1`, stdout)
	assert.Contains(t, stdout, "repairs machinekey.present tms02")
	assert.NotContains(t, stdout+stderr, password)
	assert.Equal(t, before, files(t, filepath.Dir(inv)))
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// numericKeys walks the inventory's Go type and returns the YAML path of
// every numeric key (lists as "[]"), so a key added later must be in the
// table of TestInventoryNumbersOutOfRange.
func numericKeys(t reflect.Type, path string, out *[]string) {
	switch t.Kind() {
	case reflect.Pointer:
		numericKeys(t.Elem(), path, out)
	case reflect.Slice:
		numericKeys(t.Elem(), path+"[]", out)
	case reflect.Struct:
		if t == reflect.TypeFor[time.Time]() {
			return
		}
		for f := range t.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if !f.IsExported() || name == "-" || name == "" {
				continue
			}
			p := name
			if path != "" {
				p = path + "." + name
			}
			numericKeys(f.Type, p, out)
		}
	case reflect.Int, reflect.Int64, reflect.Uint, reflect.Float64, reflect.Float32:
		*out = append(*out, path)
	}
}

// Review finding 2: max_latency_ms: 1e308 was refused as "expected a
// number, found text" (goccy's lexer reads 1e308 and a number past int64
// as text), and 1e308 ms, were it read, overflows a time.Duration. Every
// numeric key of the inventory, set to a huge, negative, infinite or NaN
// value in a copy of a lab, is refused through `validate` and `audit`
// with exit 2 and a message naming file:line:column, the key, and the
// range it must be in; never "found text".
func TestInventoryNumbersOutOfRange(t *testing.T) {
	// How to put VALUE at each key into the lab's inventory: the text
	// replaced, and what replaces it.
	type place struct{ old, new string }
	db := func(key string) place {
		return place{"database:\n", "database:\n  " + key + ": VALUE\n"}
	}
	appendix := func(text string) place { return place{"nodes:\n", text + "nodes:\n"} }
	email := "notify:\n  email:\n    host: smtp.acme.local\n    from: tmsdrift@acme.local\n    to: [ops@acme.local]\n"
	table := map[string]struct {
		place place
		max   string
	}{
		"time.max_offset_ms":                    {place{"max_offset_ms: 1000", "max_offset_ms: VALUE"}, "86400000"},
		"database.max_latency_ms":               {place{"max_latency_ms: 10", "max_latency_ms: VALUE"}, "3600000"},
		"database.max_backup_age_hours":         {place{"max_backup_age_hours: 26", "max_backup_age_hours: VALUE"}, "87600"},
		"database.max_log_shipping_lag_minutes": {db("max_log_shipping_lag_minutes"), "5256000"},
		"database.connect_timeout_seconds":      {db("connect_timeout_seconds"), "86400"},
		"database.query_timeout_seconds":        {db("query_timeout_seconds"), "86400"},
		"database.latency_samples":              {db("latency_samples"), "1000"},
		"nodes[].transport.port":                {place{"transport: {kind: dir, path: nodes/tms01}", "transport: {kind: winrm, host: 10.10.0.11, port: VALUE}"}, "65535"},
		"nodes[].transport.timeout_seconds":     {place{"transport: {kind: dir, path: nodes/tms01}", "transport: {kind: winrm, host: 10.10.0.11, timeout_seconds: VALUE}"}, "86400"},
		"notify.email.port":                     {appendix(email + "    port: VALUE\n"), "65535"},
		"notify.email.timeout_seconds":          {appendix(email + "    timeout_seconds: VALUE\n"), "86400"},
		"notify.webhook.timeout_seconds":        {appendix("notify:\n  webhook:\n    url: https://hooks.acme.local/tms\n    timeout_seconds: VALUE\n"), "86400"},
		"schedule.keep":                         {appendix("schedule:\n  keep: VALUE\n"), "1000000"},
	}
	var keys []string
	numericKeys(reflect.TypeFor[inventory.Inventory](), "", &keys)
	require.NotEmpty(t, keys)
	for _, k := range keys {
		assert.Contains(t, table, k, "numeric inventory key %s has no case here", k)
	}

	dir, inv := labCopy(t, "post-upgrade")
	raw, err := os.ReadFile(inv)
	require.NoError(t, err)
	base := string(raw)
	before := files(t, dir)
	for key, tc := range table {
		for _, value := range []string{"1e308", "-1", ".inf", "-.inf", ".nan", "99999999999999999999", "1e400", "1E+20"} {
			t.Run(key+"="+value, func(t *testing.T) {
				require.Contains(t, base, tc.place.old)
				text := strings.Replace(base, tc.place.old, strings.ReplaceAll(tc.place.new, "VALUE", value), 1)
				// Where the value stands, as an editor shows it.
				line, col := 0, 0
				for i, l := range strings.Split(text, "\n") {
					leaf := key[strings.LastIndex(key, ".")+1:]
					if j := strings.Index(l, leaf+": "+value); j >= 0 {
						line, col = i+1, j+len(leaf)+3
						break
					}
				}
				require.NotZero(t, line)
				file := filepath.Join(t.TempDir(), "inventory.yaml")
				require.NoError(t, os.WriteFile(file, []byte(text), 0o644))
				shown := strings.ReplaceAll(key, "[]", "[0]")
				lo := "0"
				if strings.HasSuffix(key, ".port") || key == "database.latency_samples" {
					lo = "1"
				}
				for _, cmd := range []string{"validate", "audit"} {
					code, stdout, stderr := tmsdrift(t, cmd, "-i", file)
					assert.Equal(t, report.ExitUsage, code, "%s: stdout %s", cmd, stdout)
					assert.Contains(t, stderr, fmt.Sprintf("%s:%d:%d: %s: ", file, line, col, shown), cmd)
					assert.Contains(t, stderr, "must be between "+lo+" and "+tc.max, cmd)
					if strings.Contains(value, "inf") || strings.Contains(value, "nan") {
						assert.Contains(t, stderr, "is not a finite number", cmd)
					}
					assert.NotContains(t, stderr, "found text", cmd)
				}
			})
		}
	}
	assert.Equal(t, before, files(t, dir), "nothing changed")
}
