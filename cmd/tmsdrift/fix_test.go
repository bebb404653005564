package main

import (
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/fixers"
	"github.com/tmsdrift/tmsdrift/fixtures"
	"github.com/tmsdrift/tmsdrift/fixtures/tdsserver"
	"github.com/tmsdrift/tmsdrift/machinekey"
	"github.com/tmsdrift/tmsdrift/report"
)

const tms02WebConfig = "nodes/tms02/fs/C/Program Files/TANDBERG/TMS/wwwTMS/web.config"

// labCopy copies a lab into a temporary folder (fixtures are never
// changed) and returns the folder and its inventory.
func labCopy(t *testing.T, name string) (string, string) {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.CopyFS(dir, os.DirFS(filepath.Join(fixtures.LabsDir(), name))))
	return dir, filepath.Join(dir, "inventory.yaml")
}

// files reads every file under dir but the run folders.
func files(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".tmsdrift" {
			return filepath.SkipDir
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		data, err := os.ReadFile(p)
		out[filepath.ToSlash(rel)] = string(data)
		return err
	}))
	return out
}

// runFolders lists the run IDs under a lab copy.
func runFolders(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, ".tmsdrift", "runs"))
	if os.IsNotExist(err) {
		return nil
	}
	require.NoError(t, err)
	var ids []string
	for _, e := range entries {
		if e.IsDir() {
			ids = append(ids, e.Name())
		}
	}
	return ids
}

// secretsOf returns every machineKey key value in the lab's files.
func secretsOf(t *testing.T, dir string) []string {
	t.Helper()
	re := regexp.MustCompile(`(?:validationKey|decryptionKey)=["']([0-9A-Fa-f]{16,})["']`)
	var out []string
	for _, data := range files(t, dir) {
		for _, m := range re.FindAllStringSubmatch(data, -1) {
			out = append(out, m[1])
		}
	}
	require.NotEmpty(t, out)
	return out
}

func assertNoSecrets(t *testing.T, secrets []string, outputs ...string) {
	t.Helper()
	for _, s := range secrets {
		for _, o := range outputs {
			assert.NotContains(t, strings.ToUpper(o), strings.ToUpper(s), "key material in the output")
		}
	}
}

// The acceptance test: post-upgrade restores the machineKey and
// the address; the audit afterwards passes; the web.config is the
// pre-upgrade file byte for byte; a second run changes nothing.
func TestPostUpgradeRestoresTheLab(t *testing.T) {
	dir, inv := labCopy(t, "post-upgrade")
	secrets := secretsOf(t, dir)
	code, stdout, stderr := tmsdrift(t, "post-upgrade", "-i", inv)
	require.Equal(t, report.ExitOK, code, "stdout: %s\nstderr: %s", stdout, stderr)
	assertNoSecrets(t, secrets, stdout, stderr)

	got := files(t, dir)
	assert.True(t, got["pre-upgrade/web.config"] == got[tms02WebConfig], "tms02's web.config is the pre-upgrade file, byte for byte (BOM, CRLF)")
	assert.Contains(t, got["db.json"], `"ipv4_local": "10.10.0.11"`)
	assert.Regexp(t, `tms02\s+fixed`, stdout)
	assert.Regexp(t, `pass\s+machinekey.present tms02`, stdout)
	assert.Regexp(t, `pass\s+addresses.match`, stdout)

	code, stdout, _ = tmsdrift(t, "audit", "-i", inv, "--format", "json")
	assert.Equal(t, report.ExitOK, code, "the audit afterwards passes")
	var rep report.Report
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
	assert.Zero(t, rep.Summary.Fail)

	runs := runFolders(t, dir)
	require.Len(t, runs, 1)
	code, stdout, _ = tmsdrift(t, "post-upgrade", "-i", inv)
	assert.Equal(t, report.ExitOK, code)
	assert.Contains(t, stdout, "Nothing tmsdrift can change")
	assert.Equal(t, got, files(t, dir), "the second run changes nothing")
	assert.Equal(t, runs, runFolders(t, dir), "and leaves no run behind")
}

func TestFixPlanChangesNothing(t *testing.T) {
	t.Setenv("COLUMNS", "1000") // long lines of the plan and run are matched whole below
	dir, inv := labCopy(t, "post-upgrade")
	orig := files(t, dir)
	code, stdout, stderr := tmsdrift(t, "fix", "-i", inv)
	assert.Equal(t, report.ExitFail, code, "exit code as for audit: the failures are still there")
	assert.Contains(t, stdout, "+\t\t<machineKey validationKey=\"sha256:")
	assert.Contains(t, stdout, `-    "ipv4_local": "10.10.0.12",`)
	assert.Contains(t, stdout, "Nothing was changed. To apply: tmsdrift fix -i "+inv+" --apply")
	assertNoSecrets(t, secretsOf(t, dir), stdout, stderr)
	assert.Equal(t, orig, files(t, dir))
	assert.NoDirExists(t, filepath.Join(dir, ".tmsdrift"), "a plan writes nothing, not even a run folder")

	code, stdout, _ = tmsdrift(t, "fix", "-i", inv, "--only", "time.synced,addresses.match")
	assert.Equal(t, report.ExitFail, code)
	assert.NotContains(t, stdout, "web.config")
	assert.Contains(t, stdout, "ipv4_local")
}

func TestFixApplyReportsPerNodeInJSON(t *testing.T) {
	dir, inv := labCopy(t, "standby-awake")
	code, stdout, stderr := tmsdrift(t, "fix", "-i", inv, "--apply", "--format", "json")
	require.Equal(t, report.ExitOK, code, stderr)
	var doc struct {
		Schema  string `json:"schema"`
		Applied bool   `json:"applied"`
		Run     string `json:"run"`
		RunDir  string `json:"run_dir"`
		Changes []struct {
			Node   string `json:"node"`
			Kind   string `json:"kind"`
			Object string `json:"object"`
		} `json:"changes"`
		Nodes []struct {
			Node    string `json:"node"`
			Status  string `json:"status"`
			Changes []struct {
				Object string `json:"object"`
				Status string `json:"status"`
			} `json:"changes"`
		} `json:"nodes"`
		Verdicts []fixers.Verdict `json:"verdicts"`
		Audit    report.Report    `json:"audit"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &doc))
	assert.Equal(t, fixers.DocumentSchema, doc.Schema)
	assert.True(t, doc.Applied)
	assert.DirExists(t, doc.RunDir)
	assert.Equal(t, filepath.Join(dir, ".tmsdrift", "runs", doc.Run), doc.RunDir)
	var nodes []string
	for _, n := range doc.Nodes {
		nodes = append(nodes, n.Node)
		assert.Equal(t, "fixed", n.Status, n.Node)
		require.NotEmpty(t, n.Changes)
		for _, c := range n.Changes {
			assert.Equal(t, "applied", c.Status, c.Object)
		}
	}
	assert.Equal(t, []string{"tms02", "tms03", "tms04"}, nodes)
	for _, v := range doc.Verdicts {
		assert.Equal(t, "pass", string(v.Status), v.Rule+" "+v.Node)
	}
	assert.Equal(t, report.Schema, doc.Audit.Schema, "the audit after the fix is embedded")
	assert.Zero(t, doc.Audit.Summary.Fail)
}

func TestFixThenRollbackLast(t *testing.T) {
	dir, inv := labCopy(t, "post-upgrade")
	orig := files(t, dir)
	code, _, stderr := tmsdrift(t, "fix", "-i", inv, "--apply")
	require.Equal(t, report.ExitOK, code, stderr)
	require.NotEqual(t, orig, files(t, dir))

	code, stdout, stderr := tmsdrift(t, "rollback", "-i", inv, "last")
	require.Equal(t, report.ExitOK, code, stderr)
	assert.Contains(t, stdout, "Rollback of run ")
	assert.Equal(t, orig, files(t, dir), "every file and db.json byte for byte")

	code, _, stderr = tmsdrift(t, "rollback", "-i", inv, "last")
	assert.Equal(t, report.ExitUsage, code)
	assert.Contains(t, stderr, "rolled back already")
	code, _, stderr = tmsdrift(t, "rollback", "-i", inv, "20260101T000000Z-000000")
	assert.Equal(t, report.ExitUsage, code)
	assert.Contains(t, stderr, "no run")
}

func TestRollbackRefusesAChangedFile(t *testing.T) {
	dir, inv := labCopy(t, "post-upgrade")
	code, _, _ := tmsdrift(t, "fix", "-i", inv, "--apply")
	require.Equal(t, report.ExitOK, code)
	wc := filepath.Join(dir, filepath.FromSlash(tms02WebConfig))
	data, err := os.ReadFile(wc)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(wc, append(data, "<!-- edited -->"...), 0o644))
	edited := files(t, dir)

	code, _, stderr := tmsdrift(t, "rollback", "-i", inv, "last")
	assert.Equal(t, report.ExitFail, code, "refused because something changed: 1")
	assert.Contains(t, stderr, "changed since the run")
	assert.Contains(t, stderr, "--force")
	assert.Equal(t, edited, files(t, dir), "refused: nothing changed")

	code, _, stderr = tmsdrift(t, "rollback", "-i", inv, "last", "--force")
	assert.Equal(t, report.ExitOK, code, stderr)
	assert.Equal(t, files(t, filepath.Join(fixtures.LabsDir(), "post-upgrade")), files(t, dir))
}

func TestSecondFixFailsClearlyWhileOneRuns(t *testing.T) {
	dir, inv := labCopy(t, "post-upgrade")
	orig := files(t, dir)
	lock, err := fixers.AcquireLock(context.Background(), filepath.Join(dir, ".tmsdrift", "runs"), 0,
		fixers.Holder{PID: 999, Host: "ops01", Command: "tmsdrift fix", Since: time.Now()})
	require.NoError(t, err)
	defer lock.Release()
	for _, args := range [][]string{{"fix", "-i", inv, "--apply"}, {"post-upgrade", "-i", inv}, {"rollback", "-i", inv, "last"}} {
		code, stdout, stderr := tmsdrift(t, args...)
		assert.Equal(t, report.ExitUsage, code, args)
		assert.Empty(t, stdout)
		assert.Contains(t, stderr, "this deployment is locked by \"tmsdrift fix\" (process 999 on ops01")
	}
	assert.Equal(t, orig, files(t, dir))
	code, _, _ := tmsdrift(t, "fix", "-i", inv)
	assert.Equal(t, report.ExitFail, code, "a plan needs no lock")
}

func TestFixBadUsage(t *testing.T) {
	_, inv := labCopy(t, "post-upgrade")
	for _, args := range [][]string{
		{"fix", "-i", inv, "--only", "machinekey.presence"},
		{"fix", "-i", inv, "--node", "tms09"},
		{"fix", "-i", inv, "--format", "junit"},
		{"fix"},
		{"rollback", "-i", inv, "last", "more"},
		{"keygen"},
	} {
		code, _, stderr := tmsdrift(t, args...)
		assert.Equal(t, report.ExitUsage, code, "%v: %s", args, stderr)
	}
}

func TestKeygen(t *testing.T) {
	dir, inv := labCopy(t, "machinekey-drift")
	out := filepath.Join(dir, "keys", "new", "machinekey.xml")
	code, stdout, stderr := tmsdrift(t, "keygen", "-o", out)
	require.Equal(t, report.ExitOK, code, stderr)
	st, err := os.Stat(out)
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o600), st.Mode().Perm())
	k, err := machinekey.ReadKeyFile(out)
	require.NoError(t, err)
	assert.Regexp(t, `^[0-9A-F]{128}$`, k.ValidationKey, "64-byte HMAC key")
	assert.Regexp(t, `^[0-9A-F]{64}$`, k.DecryptionKey, "AES-256")
	assert.Equal(t, "HMACSHA256", k.Validation)
	assert.Equal(t, "AES", k.Decryption)
	assert.Contains(t, stdout, k.Fingerprint())
	assertNoSecrets(t, []string{k.ValidationKey, k.DecryptionKey}, stdout, stderr)

	code, _, stderr = tmsdrift(t, "keygen", "-o", out)
	assert.Equal(t, report.ExitUsage, code)
	assert.Contains(t, stderr, "--force")
	again, err := machinekey.ReadKeyFile(out)
	require.NoError(t, err)
	assert.True(t, again.Equal(*k), "kept")

	sha1 := filepath.Join(dir, "sha1.xml")
	code, _, _ = tmsdrift(t, "keygen", "-o", sha1, "--validation", "sha1")
	require.Equal(t, report.ExitOK, code)
	k1, err := machinekey.ReadKeyFile(sha1)
	require.NoError(t, err)
	assert.Equal(t, "SHA1", k1.Validation)
	assert.Regexp(t, `^[0-9A-F]{128}$`, k1.ValidationKey)
	code, _, _ = tmsdrift(t, "keygen", "-o", filepath.Join(dir, "md5.xml"), "--validation", "MD5")
	assert.Equal(t, report.ExitUsage, code)

	// Rolled out with fix: every node then carries the new key.
	raw, err := os.ReadFile(inv)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(inv, []byte(strings.Replace(string(raw), "file: keys/machinekey.xml", "file: keys/new/machinekey.xml", 1)), 0o644))
	code, stdout, stderr = tmsdrift(t, "fix", "-i", inv, "--only", "machinekey.match", "--apply")
	require.Equal(t, report.ExitOK, code, stdout+stderr)
	assertNoSecrets(t, []string{k.ValidationKey, k.DecryptionKey}, stdout, stderr)
	for _, n := range []string{"tms01", "tms02", "tms03", "tms04", "tms05"} {
		wc, err := os.ReadFile(filepath.Join(dir, "nodes", n, "fs/C/Program Files/TANDBERG/TMS/wwwTMS/web.config"))
		require.NoError(t, err)
		got, err := machinekey.FromWebConfig(wc)
		require.NoError(t, err)
		require.NotNil(t, got, n)
		assert.True(t, got.Equal(*k), n)
	}
}

// post-upgrade on a live database (the TDS test server playing the lab's
// SQL Server): the address is written with the parameterized statement.
func TestPostUpgradeOnTheLiveDatabase(t *testing.T) {
	cat, err := tdsserver.LoadCatalogue(filepath.Join(fixtures.LabsDir(), "post-upgrade", "db.yaml"))
	require.NoError(t, err)
	s, err := tdsserver.Start(tdsserver.Config{Catalogue: cat, User: "tmsdrift", Password: "pa55 w/rd"})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	t.Setenv("TMSDRIFT_DSN", s.DSN("tmsdrift", "pa55 w/rd", "tmsng"))
	dir, _ := labCopy(t, "post-upgrade")
	inv := filepath.Join(dir, "inventory.live.yaml")

	code, stdout, stderr := tmsdrift(t, "post-upgrade", "-i", inv, "--dry-run")
	require.Equal(t, report.ExitFail, code, stderr)
	assert.Contains(t, stdout, "UPDATE dbo.NetworkSettings SET Value = @value WHERE Name = @name;")
	assert.Contains(t, stdout, `@value = "10.10.0.11" (was "10.10.0.12")`)

	code, stdout, stderr = tmsdrift(t, "post-upgrade", "-i", inv)
	require.Equal(t, report.ExitOK, code, stdout+stderr)
	for _, o := range []string{stdout, stderr} {
		assert.NotContains(t, o, "pa55")
		assert.NotContains(t, o, s.DSN("tmsdrift", "pa55 w/rd", "tmsng"))
	}
	for _, st := range s.Settings("tmsng") {
		if st.Name == "TMSServerIPv4Address" {
			require.NotNil(t, st.Value)
			assert.Equal(t, "10.10.0.11", *st.Value)
		}
	}
	got := files(t, dir)
	assert.True(t, got["pre-upgrade/web.config"] == got[tms02WebConfig])
}
