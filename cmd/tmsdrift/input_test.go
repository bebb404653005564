package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/fixtures"
	"github.com/tmsdrift/tmsdrift/fixtures/tdsserver"
	"github.com/tmsdrift/tmsdrift/report"
)

// Inputs as users meet them: files saved on Windows, values that cannot be
// true, snapshots of the wrong server (issue 8, items 5, 6, 8, 10).

// Windows PowerShell 5.1 writes `Set-Content -Encoding UTF8` as UTF-8 with a
// byte order mark, and `>` / Out-File as UTF-16LE with one; both with CRLF.
func winUTF8(text []byte) []byte {
	return append([]byte{0xEF, 0xBB, 0xBF}, crlf(text)...)
}

func winUTF16(text []byte) []byte {
	out := []byte{0xFF, 0xFE}
	for _, u := range utf16.Encode([]rune(string(crlf(text)))) {
		out = append(out, byte(u), byte(u>>8))
	}
	return out
}

func crlf(text []byte) []byte {
	return []byte(strings.ReplaceAll(strings.ReplaceAll(string(text), "\r\n", "\n"), "\n", "\r\n"))
}

// rewrite replaces a file of a lab copy with change(its content).
func rewrite(t *testing.T, path string, change func([]byte) []byte) {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, change(raw), 0o644))
}

// labNamedT finds a lab's ground truth by name.
func labNamedT(t *testing.T, name string) fixtures.Lab {
	t.Helper()
	labs, err := fixtures.Labs()
	require.NoError(t, err)
	for _, l := range labs {
		if l.Name == name {
			return l
		}
	}
	t.Fatalf("no lab %s", name)
	return fixtures.Lab{}
}

// findResult returns the result of rule on node.
func findResult(t *testing.T, rep report.Report, rule, node string) checks.Result {
	t.Helper()
	for _, r := range rep.Results {
		if r.Rule == rule && r.Node == node {
			return r
		}
	}
	t.Fatalf("no result for %s %q", rule, node)
	return checks.Result{}
}

// TestInventorySavedByWindowsPowerShell: an inventory written by
// `tmsdrift init ... > inventory.yaml` in Windows PowerShell 5.1 (UTF-16LE)
// or saved with Set-Content -Encoding UTF8 (BOM) validates and audits
// exactly as the original; a problem in it is placed on the right line and
// column.
func TestInventorySavedByWindowsPowerShell(t *testing.T) {
	lab := labNamedT(t, "post-upgrade")
	for name, encode := range map[string]func([]byte) []byte{"UTF-16LE (>)": winUTF16, "UTF-8 with BOM (Set-Content)": winUTF8} {
		t.Run(name, func(t *testing.T) {
			dir, inv := labCopy(t, lab.Name)
			_ = dir
			rewrite(t, inv, encode)
			code, stdout, stderr := tmsdrift(t, "validate", "-i", inv)
			require.Equal(t, report.ExitOK, code, stderr)
			assert.Contains(t, stdout, "valid (acme-post-upgrade, model manual-cutover, 3 nodes)")

			rep, code, stderr := auditJSON(t, inv)
			require.Equal(t, lab.Expected.Exit, code, stderr)
			CheckExpected(t, lab, rep.Results)

			// Line 5 of the lab's inventory is `model: manual-cutover`.
			rewrite(t, inv, func(raw []byte) []byte {
				src, err := os.ReadFile(lab.Inventory)
				require.NoError(t, err)
				return encode([]byte(strings.Replace(string(src), "model: manual-cutover", "model: manual-cutover\nmodle: x", 1)))
			})
			code, _, stderr = tmsdrift(t, "validate", "-i", inv)
			assert.Equal(t, report.ExitUsage, code)
			assert.Contains(t, stderr, inv+`:5:1: modle: unknown key; did you mean "model"?`)
		})
	}
}

// TestSnapshotSavedByWindows: facts.json, db.json and manifest.json written
// by PowerShell (UTF-16LE with BOM, or UTF-8 with BOM, CRLF) audit exactly
// as the lab's own files.
func TestSnapshotSavedByWindows(t *testing.T) {
	lab := labNamedT(t, "data-manifest")
	dir, inv := labCopy(t, lab.Name)
	n := 0
	require.NoError(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch d.Name() {
		case "facts.json", "manifest.json", "db.json":
			encode := winUTF16
			if n%2 == 1 {
				encode = winUTF8
			}
			n++
			rewrite(t, p, encode)
		}
		return nil
	}))
	require.GreaterOrEqual(t, n, 6, "facts.json of every node, two manifest.json, db.json")
	rep, code, stderr := auditJSON(t, inv)
	require.Equal(t, lab.Expected.Exit, code, stderr)
	CheckExpected(t, lab, rep.Results)
}

// TestDuplicateKeysAreRefused: a key given twice in facts.json or db.json
// makes every rule that needs the file `error`, naming the line and key.
func TestDuplicateKeysAreRefused(t *testing.T) {
	dir, inv := labCopy(t, "manual-cutover")
	rewrite(t, filepath.Join(dir, "nodes", "tms02", "facts.json"), func(raw []byte) []byte {
		return []byte(strings.Replace(string(raw), `"hostname": "TMS02",`, `"hostname": "TMS02",`+"\n  \"HostName\": \"TMS03\",", 1))
	})
	rewrite(t, filepath.Join(dir, "db.json"), func(raw []byte) []byte {
		return []byte(strings.Replace(string(raw), `"schema": "tmsdrift/db/v1",`, `"schema": "tmsdrift/db/v1",`+"\n  \"rtt_ms\": [0.1],", 1))
	})
	rep, code, stderr := auditJSON(t, inv)
	require.Equal(t, report.ExitErrored, code, stderr)
	r := findResult(t, rep, "domain.same", "tms02")
	assert.Equal(t, checks.Error, r.Status)
	assert.Contains(t, r.Message, `facts.json: line 4: "HostName" repeats "hostname" (line 3)`)
	r = findResult(t, rep, "db.online", "")
	assert.Equal(t, checks.Error, r.Status)
	assert.Contains(t, r.Message, `line `)
	assert.Contains(t, r.Message, `"rtt_ms" appears twice (first on line 3)`)
	assert.Equal(t, checks.Pass, findResult(t, rep, "domain.same", "tms01").Status)
}

// TestImpossibleFactsAreErrors: a negative round trip, an offset of 1e308
// ms, a backup and a restore after observed_at each make their rule
// `error`, naming the fact; nothing passes on them, and the audit does not
// exit 0.
func TestImpossibleFactsAreErrors(t *testing.T) {
	type want struct{ rule, node, fragment string }
	for _, tc := range []struct {
		name   string
		lab    string
		change map[string]func(map[string]any)
		want   []want
	}{
		{"manual-cutover", "manual-cutover", map[string]func(map[string]any){
			"nodes/tms02/facts.json": func(m map[string]any) { m["db_rtt_ms"] = []float64{-30, -31, -29} },
			"nodes/tms03/facts.json": func(m map[string]any) { m["time"].(map[string]any)["offset_ms"] = 1e308 },
			"db.json": func(m map[string]any) {
				m["last_full_backup"] = "2101-03-01T00:00:00Z"
				m["rtt_ms"] = []float64{-30, 0.8, 0.9}
			},
		}, []want{
			{"db.latency", "tms02", "facts.json db_rtt_ms: impossible value: db_rtt_ms[0] is -30 ms, and a round trip cannot take negative time"},
			{"time.synced", "tms03", "facts.json time.offset_ms: impossible value: time.offset_ms is 1e+308 ms, more than 100 years"},
			{"db.backup-recent", "", "database facts from db.json lack last_full_backup: impossible value: last_full_backup 2101-03-01T00:00:00Z is 74.3 years after observed_at 2026-11-25T02:00:00Z"},
			{"db.latency", "", "database facts from db.json lack rtt_ms: impossible value: rtt_ms[0] is -30 ms"},
		}},
		{"offsite", "offsite", map[string]func(map[string]any){
			"db.json": func(m map[string]any) {
				m["log_shipping"].(map[string]any)["last_restored"] = "2026-11-25T03:00:00Z"
				m["connect_ms"] = -2.5
			},
		}, []want{
			{"db.log-shipping-lag", "", "log_shipping.last_restored 2026-11-25T03:00:00Z is 1 h after observed_at"},
			{"db.latency", "", "database facts from db.json lack connect_ms: impossible value: connect_ms is -2.5 ms"},
		}},
		// time.Sub saturates at 292 years: observed_at in 9999 failed both
		// rules at "2562047.8 h" and "153722867.3 min"; a backup in year 1
		// failed at the same 2562047.8 h.
		{"observed far in the future", "offsite", map[string]func(map[string]any){
			"db.json": func(m map[string]any) { m["observed_at"] = "9999-12-31T23:59:59Z" },
		}, []want{
			{"db.backup-recent", "", "database facts from db.json lack observed_at: impossible value: observed_at 9999-12-31T23:59:59Z is 7972.9 years after this machine's clock"},
			{"db.log-shipping-lag", "", "database facts from db.json lack observed_at: impossible value: observed_at 9999-12-31T23:59:59Z"},
		}},
		{"observed in year 1", "offsite", map[string]func(map[string]any){
			"db.json": func(m map[string]any) { m["observed_at"] = "0001-01-01T00:00:00Z" },
		}, []want{
			{"db.backup-recent", "", "database facts from db.json lack observed_at: impossible value: observed_at 0001-01-01T00:00:00Z is before 2000"},
			{"db.log-shipping-lag", "", "observed_at 0001-01-01T00:00:00Z is before 2000"},
		}},
		{"backup in year 1, restored in 1970", "offsite", map[string]func(map[string]any){
			"db.json": func(m map[string]any) {
				m["last_full_backup"] = "0001-01-01T00:00:00Z"
				m["log_shipping"].(map[string]any)["last_restored"] = "1970-01-01T00:00:00Z"
			},
		}, []want{
			{"db.backup-recent", "", "database facts from db.json lack last_full_backup: impossible value: last_full_backup 0001-01-01T00:00:00Z is before 2000"},
			{"db.log-shipping-lag", "", "log_shipping.last_restored 1970-01-01T00:00:00Z is before 2000"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, inv := labCopy(t, tc.lab)
			for file, change := range tc.change {
				rewrite(t, filepath.Join(dir, file), func(raw []byte) []byte {
					var m map[string]any
					require.NoError(t, json.Unmarshal(raw, &m))
					change(m)
					out, err := json.MarshalIndent(m, "", "  ")
					require.NoError(t, err)
					return out
				})
			}
			rep, code, stderr := auditJSON(t, inv)
			require.Equal(t, report.ExitErrored, code, stderr)
			var nonPass []string
			for _, r := range rep.Results {
				if r.Status != checks.Pass {
					nonPass = append(nonPass, r.Rule+" "+r.Node+" "+string(r.Status))
				}
			}
			var wantKeys []string
			for _, w := range tc.want {
				wantKeys = append(wantKeys, w.rule+" "+w.node+" error")
				assert.Contains(t, findResult(t, rep, w.rule, w.node).Message, w.fragment)
			}
			assert.ElementsMatch(t, wantKeys, nonPass)
		})
	}
}

// TestImpossibleFactsLive: the live probe's facts are held to the same
// ranges: a backup the server dates after its own clock is `error`, and
// `snapshot db` records why.
func TestImpossibleFactsLive(t *testing.T) {
	dbNoLeaks(t)
	lab := labNamedT(t, "manual-cutover")
	dbServeLab(t, lab, tdsserver.Faults{}, func(c *tdsserver.Catalogue) {
		require.NotEmpty(t, c.Backups)
		for i := range c.Backups {
			c.Backups[i].Finished = tdsserver.Instant{Time: c.Clock.Add(40 * 24 * time.Hour)}
		}
	})
	code, out, stderr := dbRun(t, "audit", "-i", lab.LiveInventory, "--format", "json")
	require.Equal(t, report.ExitErrored, code, stderr)
	r := findResult(t, dbReport(t, out), "db.backup-recent", "")
	assert.Equal(t, checks.Error, r.Status)
	assert.Contains(t, r.Message, "is 40 days after observed_at")

	dbJSON := filepath.Join(t.TempDir(), "db.json")
	code, _, stderr = dbRun(t, "snapshot", "db", "-i", lab.LiveInventory, "-o", dbJSON)
	assert.Equal(t, report.ExitErrored, code)
	assert.Contains(t, stderr, "last_full_backup: impossible value")
}

// TestImpossibleObservedAtLive: a live server whose clock says 9999 gave
// db.backup-recent fail at "2562047.8 h" (time.Sub saturated); its
// observed_at is impossible, `error` naming it and where it came from.
func TestImpossibleObservedAtLive(t *testing.T) {
	dbNoLeaks(t)
	lab := labNamedT(t, "manual-cutover")
	dbServeLab(t, lab, tdsserver.Faults{}, func(c *tdsserver.Catalogue) {
		c.Clock = tdsserver.Instant{Time: time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)}
	})
	code, out, stderr := dbRun(t, "audit", "-i", lab.LiveInventory, "--format", "json")
	require.Equal(t, report.ExitErrored, code, stderr)
	r := findResult(t, dbReport(t, out), "db.backup-recent", "")
	assert.Equal(t, checks.Error, r.Status)
	assert.Contains(t, r.Message, "database facts from the live SQL Server lack observed_at: impossible value: observed_at 9999-12-31T00:00:00Z is 7972.9 years after this machine's clock")
}

// TestValidateRefusesImpossibleAddresses: 999.10.0.300 and "not an ip"
// are bad input, placed by file:line:column and key; nothing is audited or
// planned.
func TestValidateRefusesImpossibleAddresses(t *testing.T) {
	_, inv := labCopy(t, "post-upgrade")
	rewrite(t, inv, func(raw []byte) []byte {
		s := strings.Replace(string(raw), "ipv4_local: 10.10.0.11", "ipv4_local: 999.10.0.300", 1)
		return []byte(strings.Replace(s, "address: 10.10.0.12", "address: not an ip", 1))
	})
	for _, cmd := range []string{"validate", "audit", "fix"} {
		code, stdout, stderr := tmsdrift(t, cmd, "-i", inv)
		assert.Equal(t, report.ExitUsage, code, cmd)
		assert.Empty(t, stdout, cmd)
		assert.Contains(t, stderr, inv+`:8:15: addresses.ipv4_local: "999.10.0.300" is not an IPv4 address: 999 is more than 255`, cmd)
		assert.Contains(t, stderr, inv+`:33:14: nodes[1].address: "not an ip" is not an IP address`, cmd)
	}
}

// TestValidateChecksTheFilesTheInventoryNames: validate refuses a
// machine_key.file or database.snapshot that does not exist; the audit
// still reports them as `error` results (contract §7).
func TestValidateChecksTheFilesTheInventoryNames(t *testing.T) {
	for lab, want := range map[string]string{
		"keyfile-missing": `:15:9: machine_key.file: cannot read keys/machinekey.xml: no such file`,
		"db-missing":      `:22:13: database.snapshot: cannot read db.json: no such file`,
	} {
		t.Run(lab, func(t *testing.T) {
			code, stdout, stderr := tmsdrift(t, "validate", "-i", labNamedT(t, lab).Inventory)
			assert.Equal(t, report.ExitUsage, code)
			assert.Empty(t, stdout)
			assert.Contains(t, stderr, "inventory.yaml"+want)
			code, _, _ = tmsdrift(t, "audit", "-i", labNamedT(t, lab).Inventory, "--format", "json")
			assert.Equal(t, report.ExitErrored, code)
		})
	}
}

// TestMissingSnapshotFolderSaysHowToGetOne points to collect and to the
// live transports.
func TestMissingSnapshotFolderSaysHowToGetOne(t *testing.T) {
	dir, inv := labCopy(t, "single")
	require.NoError(t, os.RemoveAll(filepath.Join(dir, "nodes")))
	code, _, stderr := tmsdrift(t, "validate", "-i", inv)
	assert.Equal(t, report.ExitUsage, code)
	assert.Contains(t, stderr, "nodes[0].transport.path: missing snapshot folder")
	assert.Contains(t, stderr, "tmsdrift collect")
	assert.Contains(t, stderr, "transport kind winrm, ssh or local")
}

// TestUnclosedQuoteIsReportedOnItsLine: the quote opened on line 3 is
// blamed, not the line where YAML gave up.
func TestUnclosedQuoteIsReportedOnItsLine(t *testing.T) {
	_, inv := labCopy(t, "single")
	rewrite(t, inv, func(raw []byte) []byte {
		return winUTF8([]byte(strings.Replace(string(raw), "deployment: acme-single", "deployment: 'acme-single", 1)))
	})
	code, _, stderr := tmsdrift(t, "validate", "-i", inv)
	assert.Equal(t, report.ExitUsage, code)
	assert.Contains(t, stderr, inv+":3:13: YAML syntax: the single quote here is not closed on this line")
}

// TestNodeHoldingAnotherServersSnapshotFails: tms02's folder holds tms03's
// facts; the audit must not exit 0 (it gave 39 pass before).
func TestNodeHoldingAnotherServersSnapshotFails(t *testing.T) {
	rep, code, stderr := auditJSON(t, labNamedT(t, "node-swapped").Inventory)
	require.Equal(t, report.ExitFail, code, stderr)
	r := findResult(t, rep, "nodes.identity", "tms02")
	assert.Equal(t, checks.Fail, r.Status)
	assert.Equal(t, "the node reports host name TMS03, not tms02.acme.local; the node does not report 10.10.0.12 (its ipv4 addresses: 10.10.0.13): these facts belong to another server, or the inventory is wrong", r.Message)

	// Without an address or host name to hold the facts to, the rule
	// cannot tell: error, not pass.
	_, inv := labCopy(t, "node-swapped")
	rewrite(t, inv, func(raw []byte) []byte {
		s := strings.Replace(string(raw), "    address: 10.10.0.12\n    hostname: tms02.acme.local\n", "", 1)
		return []byte(s)
	})
	rep, code, stderr = auditJSON(t, inv)
	require.Equal(t, report.ExitErrored, code, stderr)
	assert.Equal(t, checks.Error, findResult(t, rep, "nodes.identity", "tms02").Status)
}

// TestFixKeepsWindowsEncodings: post-upgrade on a snapshot whose db.json
// was saved by PowerShell's > (UTF-16LE, BOM, CRLF) writes the address and
// keeps the file's form; a standby's facts.json in UTF-8 with BOM keeps its
// BOM when its services are set.
func TestFixKeepsWindowsEncodings(t *testing.T) {
	dir, inv := labCopy(t, "post-upgrade")
	dbJSON := filepath.Join(dir, "db.json")
	orig, err := os.ReadFile(dbJSON)
	require.NoError(t, err)
	rewrite(t, dbJSON, winUTF16)
	code, stdout, stderr := tmsdrift(t, "post-upgrade", "-i", inv)
	require.Equal(t, report.ExitOK, code, "stdout: %s\nstderr: %s", stdout, stderr)
	got, err := os.ReadFile(dbJSON)
	require.NoError(t, err)
	want := winUTF16([]byte(strings.Replace(string(orig), `"ipv4_local": "10.10.0.12"`, `"ipv4_local": "10.10.0.11"`, 1)))
	assert.Equal(t, want, got, "only the address changed; UTF-16LE, BOM and CRLF kept")

	dir, inv = labCopy(t, "standby-awake")
	facts := filepath.Join(dir, "nodes", "tms02", "facts.json")
	rewrite(t, facts, winUTF8)
	code, stdout, stderr = tmsdrift(t, "fix", "-i", inv, "--only", "services.standby-inactive", "--node", "tms02", "--apply")
	require.Equal(t, report.ExitFail, code, "tms03 and tms04 still fail; stdout: %s\nstderr: %s", stdout, stderr)
	assert.Regexp(t, `tms02\s+fixed`, stdout)
	got, err = os.ReadFile(facts)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(got), "\xEF\xBB\xBF{\r\n"), "BOM and CRLF kept")
	assert.Contains(t, string(got), `"start_type": "Manual",`+"\r\n")
}
