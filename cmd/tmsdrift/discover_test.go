package main

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/collect/sqlserver"
	"github.com/tmsdrift/tmsdrift/fixtures"
	"github.com/tmsdrift/tmsdrift/fixtures/tdsserver"
	"github.com/tmsdrift/tmsdrift/report"
)

// discoverLab is the lab whose registry and tmsng schema are not
// tmsdrift's reference ones.
func discoverLab(t *testing.T) fixtures.Lab {
	t.Helper()
	labs, err := fixtures.Labs()
	require.NoError(t, err)
	for _, l := range labs {
		if l.Name == "discover" {
			return l
		}
	}
	t.Fatal("no lab discover")
	return fixtures.Lab{}
}

// settingsBlock cuts the database.settings block discover printed.
func settingsBlock(t *testing.T, out string) string {
	t.Helper()
	i := strings.Index(out, "  settings:")
	require.GreaterOrEqual(t, i, 0, "a settings block in:\n%s", out)
	var b strings.Builder
	for _, line := range strings.SplitAfter(out[i:], "\n") {
		if strings.TrimSpace(line) == "" {
			break
		}
		b.WriteString(line)
	}
	return b.String()
}

// pasteUnderDatabase puts block into the inventory's database mapping, as
// an administrator pastes it.
func pasteUnderDatabase(t *testing.T, inventory, block string) string {
	t.Helper()
	raw, err := os.ReadFile(inventory)
	require.NoError(t, err)
	text := strings.Replace(string(raw), "database:\n", "database:\n"+block, 1)
	out := filepath.Join(t.TempDir(), "inventory.yaml")
	for _, rel := range []string{"keys", "nodes"} {
		require.NoError(t, os.Symlink(filepath.Join(filepath.Dir(inventory), rel), filepath.Join(filepath.Dir(out), rel)))
	}
	require.NoError(t, os.WriteFile(out, []byte(text), 0o644))
	return out
}

func TestDiscoverDatabaseFindsTheAddressesInAnotherSchema(t *testing.T) {
	dbNoLeaks(t)
	lab := discoverLab(t)
	srv := dbServeLab(t, lab, tdsserver.Faults{})

	code, out, errOut := dbRun(t, "discover", "database", "-i", lab.LiveInventory, "--value", "10.10.0.11")
	require.Equal(t, report.ExitOK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	t.Log(out)
	assert.Contains(t, out, "dbo.tblServerSettings.SettingValue")
	assert.Contains(t, out, "dbo.TmsServer.IpAddress")
	assert.Contains(t, out, "log.EventLog.Source")
	assert.NotContains(t, out, "Sm7p-table-s3cret", "a secret-looking row's value never shows")
	assert.Contains(t, out, "Facts to report")
	block := settingsBlock(t, out)
	assert.Contains(t, block, "query: 'SELECT [SettingKey], [SettingValue] FROM [dbo].[tblServerSettings];'")
	assert.Contains(t, block, "ipv4_local: 'TmsServerIpV4Address'")
	assert.Contains(t, block, "dns_local: 'TmsServerHostName'")
	assert.Contains(t, block, "ipv6_local: 'TmsServerIpV6Address'")
	assert.Contains(t, block, "dns_public: 'TmsServerPublicHostName'")

	// Bounded and read-only: the lock timeout set, every search a SELECT,
	// the value a parameter.
	var sawLock bool
	for _, e := range srv.Executed() {
		sawLock = sawLock || strings.EqualFold(e.Text, "SET LOCK_TIMEOUT 2000")
		assert.NotContains(t, strings.ToUpper(e.Text), "UPDATE ", e.Text)
		assert.NotContains(t, e.Text, "10.10.0.11", "the value travels as a parameter")
	}
	assert.True(t, sawLock, "SET LOCK_TIMEOUT")
	// Only columns long enough are searched, each for at most --top rows
	// (5 by default), identifiers quoted by the server (QUOTENAME), the
	// value a parameter.
	flat := strings.Join(strings.Fields(out), " ")
	assert.Contains(t, flat, "7 searches, at most 5 rows each, lock timeout 2 s")
	assert.Contains(t, flat, "2 column searches skipped (the column is shorter than the value)")
	var searches int
	for _, e := range srv.Executed() {
		if e.Text != sqlserver.DiscoverValuesStatement {
			continue
		}
		assert.Contains(t, e.Text, "SELECT TOP (@top)")
		assert.Contains(t, e.Text, "QUOTENAME(@table)")
		params := map[string]any{}
		for _, p := range e.Params {
			params[p.Name] = p.Value
		}
		assert.EqualValues(t, 5, params["@top"], "TOP per column")
		assert.Equal(t, "10.10.0.11", params["@value"], "the value a parameter")
		if params["@column"] == params["@match_column"] {
			searches++
		}
	}
	assert.Equal(t, 7, searches, "one search per long enough column")

	// Pasted into the inventory, the block makes addresses.match judge.
	inv := pasteUnderDatabase(t, lab.LiveInventory, block)
	code, out, errOut = dbRun(t, "audit", "-i", inv, "--format", "json")
	rep := dbReport(t, out)
	assert.Equal(t, checks.Pass, findResult(t, rep, "addresses.match", "").Status, errOut)

	require.NoError(t, srv.SetTableValue("tmsng", "dbo", "tblServerSettings", "SettingKey", "TmsServerIpV4Address", "SettingValue", "10.10.0.12"))
	code, out, _ = dbRun(t, "audit", "-i", inv, "--format", "json")
	r := findResult(t, dbReport(t, out), "addresses.match", "")
	assert.Equal(t, checks.Fail, r.Status, "an upgrade overwrote the IPv4 address: it fails")
	assert.Contains(t, r.Observed, "10.10.0.12")
	assert.Equal(t, report.ExitFail, code)

	// And fix writes the address back through the block's update.
	code, out, errOut = dbRun(t, "fix", "-i", inv, "--only", "addresses.match", "--apply")
	// Exit 3: the re-audit still cannot check db.single-live (the
	// registry names are discover node's part).
	require.Equal(t, report.ExitErrored, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, out, "pass   addresses.match")
	rows := srv.Rows("tmsng", "dbo", "tblServerSettings")
	require.NotEmpty(t, rows)
	assert.Equal(t, "10.10.0.11", *rows[0][2], "TmsServerIpV4Address written back")
	assert.Equal(t, "10.10.0.11", *rows[4][2], "the look-alike row left alone")
	assert.Equal(t, "10.10.0.11", *rows[5][2])
}

func TestDiscoverDatabaseSaysWhatItCouldNotDo(t *testing.T) {
	dbNoLeaks(t)
	lab := discoverLab(t)

	// A value nowhere in the database: exit 3, and what to check.
	dbServeLab(t, lab, tdsserver.Faults{})
	code, out, _ := dbRun(t, "discover", "database", "-i", lab.LiveInventory, "--value", "dns_public=tms.example.org")
	assert.Equal(t, report.ExitErrored, code)
	assert.Contains(t, out, "No column holds tms.example.org")
	assert.Contains(t, out, "settings_table: not found")

	// The budget runs out: what was not searched is said to be so.
	dbServeLab(t, lab, tdsserver.Faults{StallQueries: true})
	code, out, errOut := dbRun(t, "discover", "database", "-i", lab.LiveInventory, "--value", "10.10.0.11", "--budget", "1s")
	assert.Equal(t, report.ExitErrored, code, out+errOut)
	assert.Contains(t, out, "NOT COMPLETE: the time budget (1s) ran out after 0 searches", errOut)

	// Nobody listens: exit 3 naming the cause, no secret.
	t.Setenv(dbEnv, "sqlserver://"+dbUser+":"+url.QueryEscape(dbPassword)+"@127.0.0.1:1?database=tmsng&dial+timeout=2")
	code, _, errOut = dbRun(t, "discover", "database", "-i", lab.LiveInventory, "--value", "10.10.0.11")
	assert.Equal(t, report.ExitErrored, code)
	assert.Contains(t, errOut, "refused the connection")

	for _, args := range [][]string{
		{"discover", "database", "-i", lab.Inventory, "--value", "10.10.0.11"}, // reads db.json: no dsn_env
		{"discover", "database", "-i", lab.LiveInventory},                      // no --value
		{"discover", "database", "-i", lab.LiveInventory, "--value", ""},
		{"discover", "database", "-i", lab.LiveInventory, "--value", "10.10.0.11", "--top", "0"},
		{"discover", "database", "-i", lab.LiveInventory, "--value", "10.10.0.11", "--budget", "-1s"},
		{"discover"},
	} {
		code, _, errOut := dbRun(t, args...)
		assert.Equal(t, report.ExitUsage, code, "%v: %s", args, errOut)
	}
}

// yamlBlock cuts the top-level key's block (its line and the indented
// lines after it) from printed YAML.
func yamlBlock(t *testing.T, out, key string) string {
	t.Helper()
	var b strings.Builder
	in := false
	for _, line := range strings.SplitAfter(out, "\n") {
		switch {
		case strings.HasPrefix(line, key+":"):
			in = true
		case in && !strings.HasPrefix(line, "  "):
			return b.String()
		}
		if in {
			b.WriteString(line)
		}
	}
	require.True(t, in, "no %s block in:\n%s", key, out)
	return b.String()
}

// discover node works through every remote transport (issue 10: WinRM,
// SSH and local; local runs under Wine, collect/local): the same probe
// through the WinRM and the SSH stand-in finds the registry names that
// make db.single-live pass.
func TestDiscoverNodeThroughWinRMAndSSHFindsTheRegistryNames(t *testing.T) {
	for _, kind := range []string{"winrm", "ssh"} {
		t.Run(kind, func(t *testing.T) { testDiscoverNodeFindsTheRegistryNames(t, kind) })
	}
}

func testDiscoverNodeFindsTheRegistryNames(t *testing.T, kind string) {
	t.Setenv("COLUMNS", "1000") // the service rows are matched whole below
	setCredentials(t)
	lab := discoverLab(t)
	ll := serveLab(t, lab.Inventory, kind)

	// Before: the guessed value names find nothing.
	rep, code, printed := auditJSON(t, ll.Inventory)
	assert.Equal(t, report.ExitErrored, code, printed)
	assert.Equal(t, checks.Error, findResult(t, rep, "db.single-live", "tms01").Status)

	code, out, errOut := tmsdrift(t, "discover", "node", "tms01", "-i", ll.Inventory)
	require.Equal(t, report.ExitOK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	t.Log(out)
	assert.Contains(t, out, "through "+kind)
	assert.NotContains(t, out, "Wq9-registry-s3cret", "the registry secret never shows")
	assert.Contains(t, out, "SqlUserPassword")
	assert.Contains(t, out, "sha256:")
	assert.Contains(t, out, `HKLM\SOFTWARE\WOW6432Node\Tandberg\TMS\Legacy`)
	assert.Contains(t, out, "Cisco TelePresence Management Suite 15.9")
	assert.Contains(t, out, "TMSLiveService")
	// The services with their start types, display names and binary paths.
	assert.Regexp(t, `TMSLiveService +Automatic/Running +"TMS Live Service" +"C:\\Program Files\\TANDBERG\\TMS\\Services\\TMSLiveService.exe"`, out)
	assert.Regexp(t, `W3SVC +Automatic/Running +"World Wide Web Publishing Service" +C:\\Windows\\system32\\svchost.exe -k iissvcs`, out)
	// The folders under the install path.
	assert.Contains(t, out, `Folders under C:\Program Files\TANDBERG\TMS`)
	assert.Contains(t, out, `wwwTMS\Public\Data\SystemSoftware`)
	assert.Contains(t, out, "/tms/public")
	assert.Contains(t, out, "Facts to report")
	assert.NotContains(t, out, livePassword)

	assert.Contains(t, out, "tms_version: '15.9'")
	paths := yamlBlock(t, out, "paths")
	assert.Contains(t, paths, `software: 'C:\Program Files\TANDBERG\TMS\wwwTMS\Public\Data\SystemSoftware'`)
	assert.Contains(t, paths, `- 'Public\web.config'`)
	block := yamlBlock(t, out, "registry")
	assert.Contains(t, block, `key: 'SOFTWARE\WOW6432Node\Tandberg\TMS'`, "TMS's key, not the legacy one or the extension's")
	assert.Contains(t, block, "db_server: 'SqlServerInstanceName'")
	assert.Contains(t, block, "db_name: 'SqlDatabaseName'")

	// Put into the inventory, the names make db.single-live pass.
	f, err := os.OpenFile(ll.Inventory, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(block)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	rep, _, printed = auditJSON(t, ll.Inventory)
	for _, n := range []string{"tms01", "tms02"} {
		assert.Equal(t, checks.Pass, findResult(t, rep, "db.single-live", n).Status, printed)
	}
}

func TestDiscoverNodeRefusesWhatItCannotProbe(t *testing.T) {
	lab := discoverLab(t)
	code, _, errOut := tmsdrift(t, "discover", "node", "tms01", "-i", lab.Inventory)
	assert.Equal(t, report.ExitUsage, code)
	assert.Contains(t, errOut, "reads a snapshot folder")
	code, _, errOut = tmsdrift(t, "discover", "node", "tms09", "-i", lab.Inventory)
	assert.Equal(t, report.ExitUsage, code)
	assert.Contains(t, errOut, `no node "tms09" (nodes: tms01, tms02)`)

	setCredentials(t)
	ll := serveLab(t, lab.Inventory, "ssh")
	for _, n := range ll.Nodes {
		n.SetFailure(1, "powershell is not here")
	}
	code, _, errOut = tmsdrift(t, "discover", "node", "tms02", "-i", ll.Inventory)
	assert.Equal(t, report.ExitErrored, code)
	assert.Contains(t, errOut, "discover node tms02")
}
