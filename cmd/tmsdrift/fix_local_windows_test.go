//go:build windows

package main

// The whole command line through the local transport, under Wine
// (`make test-windows` runs the TestWine... tests of this package):
// `tmsdrift fix`, `fix --apply` and `rollback last` as a user types them —
// cobra's wiring, pipeline.RunFix with its lock, run folder, audit after
// and verdicts, and the exit code decided in run() — on a copy of the
// fixers test case machinekey-insert whose tms02 is this machine
// (`transport: {kind: local}`, its install folder in Wine's C:) and whose
// tms01 stays a snapshot folder. collect/local/fix_windows_test.go does
// the same steps by hand below the pipeline (it cannot import it).

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/fixers"
	"github.com/tmsdrift/tmsdrift/report"
)

// wineTMS02Install is where the fixers test case keeps tms02's install
// folder, relative to the case.
var wineTMS02Install = wineInstall("tms02")

// wineInstall is where a fixers test case keeps node's install folder,
// relative to the case.
func wineInstall(node string) string {
	return filepath.Join("nodes", node, "fs", "C", "Program Files", "TANDBERG", "TMS")
}

// wineLocalCase copies fixers/testdata/<name>/in into a folder of this
// machine (under Wine: C:\users\...\Temp) and rewrites its inventory so
// node is reached through the local transport: paths.install is the
// copy's install folder of node (this machine has no TMS installed, so the
// local node takes the inventory's install path when its
// wwwTMS\web.config exists), and database.server is a TCP listener on
// 127.0.0.1 that the local node times its round trips to (the database's
// facts stay the case's db.json). It returns the folder and the
// inventory.
func wineLocalCase(t *testing.T, name, node string) (string, string) {
	t.Helper()
	// Not t.TempDir: under Wine os.RemoveAll of a folder fails.
	dir, err := os.MkdirTemp("", "tmsdrift-cmd-local-")
	require.NoError(t, err)
	t.Cleanup(func() { wineRemoveTree(t, dir) })
	require.NoError(t, os.CopyFS(dir, os.DirFS(filepath.Join("..", "..", "fixers", "testdata", name, "in"))))
	invPath := filepath.Join(dir, "inventory.yaml")
	raw, err := os.ReadFile(invPath)
	require.NoError(t, err)
	text := string(raw)
	install := filepath.Join(dir, wineInstall(node))
	require.NotContains(t, install, "'", "a path YAML's single quotes cannot hold as it is")
	for old, repl := range map[string]string{
		`server: 'sql01.acme.local\TMS'`:                   "server: '" + sqlStandIn(t) + "'",
		"transport: {kind: dir, path: nodes/" + node + "}": "transport: {kind: local}",
		`install: 'C:\Program Files\TANDBERG\TMS'`:         "install: '" + install + "'",
	} {
		require.Contains(t, text, old, "the case's inventory changed: %s", invPath)
		text = strings.Replace(text, old, repl, 1)
	}
	require.NoError(t, os.WriteFile(invPath, []byte(text), 0o644))
	return dir, invPath
}

// sqlStandIn listens on 127.0.0.1 until the test ends, accepting and
// closing connections: the local node's round trips to the SQL Server
// are TCP connects. It returns the address as SQL Server writes it
// (host,port).
func sqlStandIn(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()
	return strings.Replace(ln.Addr().String(), ":", ",", 1)
}

// fixJSON is the part of `fix --format json` this test reads.
type fixJSON struct {
	Applied bool   `json:"applied"`
	Run     string `json:"run"`
	RunDir  string `json:"run_dir"`
	Changes []struct {
		Node   string `json:"node"`
		Kind   string `json:"kind"`
		Object string `json:"object"`
	} `json:"changes"`
	Nodes []struct {
		Node   string `json:"node"`
		Status string `json:"status"`
		Error  string `json:"error"`
	} `json:"nodes"`
	Verdicts []fixers.Verdict `json:"verdicts"`
	Audit    report.Report    `json:"audit"`
}

// wineFix runs `tmsdrift fix args... --format json`, decodes stdout and
// adds stdout and stderr to outputs (checked for key material at the end).
func wineFix(t *testing.T, outputs *[]string, args ...string) (int, fixJSON, string) {
	t.Helper()
	code, stdout, stderr := tmsdrift(t, append(append([]string{"fix"}, args...), "--format", "json")...)
	*outputs = append(*outputs, stdout, stderr)
	var doc fixJSON
	require.NoError(t, json.Unmarshal([]byte(stdout), &doc), "exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	return code, doc, stderr
}

// verdict is the audit's result of rule on node.
func verdict(t *testing.T, rep report.Report, rule, node string) checks.Result {
	t.Helper()
	i := slices.IndexFunc(rep.Results, func(r checks.Result) bool { return r.Rule == rule && r.Node == node })
	require.GreaterOrEqual(t, i, 0, "no result of %s on %s", rule, node)
	return rep.Results[i]
}

// notPassing is the audit's results other than pass, as "rule node" →
// status.
func notPassing(rep report.Report) map[string]checks.Status {
	out := map[string]checks.Status{}
	for _, r := range rep.Results {
		if r.Status != checks.Pass {
			out[r.Rule+" "+r.Node] = r.Status
		}
	}
	return out
}

// TestWineFixMachineKeyThroughLocal: tms02 (this machine, through the
// local transport) lost its <machineKey> in an upgrade. `fix` plans the
// write and changes nothing; `fix --apply` writes the approved key back
// byte for byte as the case's out/ says, keeps the original in the run
// folder, and the audit after it passes machinekey.present on tms02;
// `rollback last` puts every byte back.
func TestWineFixMachineKeyThroughLocal(t *testing.T) {
	dir, inv := wineLocalCase(t, "machinekey-insert", "tms02")
	wc := filepath.Join(dir, wineTMS02Install, "wwwTMS", "web.config")
	orig := files(t, dir)
	origWC, err := os.ReadFile(wc)
	require.NoError(t, err)
	want, err := os.ReadFile(filepath.Join("..", "..", "fixers", "testdata", "machinekey-insert", "out", wineTMS02Install, "wwwTMS", "web.config"))
	require.NoError(t, err)
	require.False(t, bytes.Equal(want, origWC), "the case's in/ and out/ web.config are the same")
	secrets := secretsOf(t, dir)
	var outputs []string
	defer func() { assertNoSecrets(t, secrets, outputs...) }()

	// The plan: one write, to tms02's web.config through the local node.
	// --only: other fixers would plan from this machine's own facts (its
	// services named TMS...), which are not this test's to change.
	code, plan, stderr := wineFix(t, &outputs, "-i", inv, "--only", "machinekey.present")
	assert.Empty(t, stderr)
	assert.Equal(t, report.ExitFail, code, "exit code as for audit: machinekey.present still fails")
	assert.Equal(t, plan.Audit.ExitCode(checks.Low), code)
	assert.False(t, plan.Applied)
	require.Len(t, plan.Changes, 1, "%+v", plan.Changes)
	assert.Equal(t, "tms02", plan.Changes[0].Node)
	assert.True(t, strings.EqualFold(wc, plan.Changes[0].Object), plan.Changes[0].Object)
	assert.Equal(t, checks.Fail, verdict(t, plan.Audit, "machinekey.present", "tms02").Status)
	assert.True(t, maps.Equal(orig, files(t, dir)), "a plan changes nothing")
	assert.NoDirExists(t, filepath.Join(dir, ".tmsdrift"), "a plan writes nothing, not even a run folder")

	// --apply.
	code, done, stderr := wineFix(t, &outputs, "-i", inv, "--only", "machinekey.present", "--apply")
	assert.Empty(t, stderr, "no warning: the lock released, the run folder closed")
	assert.Equal(t, done.Audit.ExitCode(checks.Low), code, "the exit code is the audit's after the fix")
	assert.True(t, done.Applied)
	require.Len(t, done.Nodes, 1, "%+v", done.Nodes)
	assert.Equal(t, "tms02", done.Nodes[0].Node)
	assert.Equal(t, "fixed", done.Nodes[0].Status, done.Nodes[0].Error)
	got, err := os.ReadFile(wc)
	require.NoError(t, err)
	wineSameBytes(t, want, got, "web.config after fix --apply")
	assert.Contains(t, done.Verdicts, fixers.Verdict{Rule: "machinekey.present", Node: "tms02", Status: checks.Pass})
	assert.Equal(t, checks.Pass, verdict(t, done.Audit, "machinekey.present", "tms02").Status, "the audit after the fix")
	// This machine is no TMS server (no domain, no TMS version or database
	// in its registry, not 10.10.0.12): those results stay as they were,
	// and so the exit code (1); the fix changed tms02's machineKey
	// verdicts only (present, and now the same as tms01's).
	wantLeft := notPassing(plan.Audit)
	for _, r := range []string{"machinekey.present tms02", "machinekey.match tms02"} {
		require.Contains(t, wantLeft, r, "before the fix")
		delete(wantLeft, r)
	}
	assert.Equal(t, wantLeft, notPassing(done.Audit), "what the audit after the fix does not pass")

	// The run folder keeps the original.
	assert.Equal(t, []string{done.Run}, runFolders(t, dir))
	assert.Equal(t, filepath.Join(dir, ".tmsdrift", "runs", done.Run), done.RunDir)
	j, err := fixers.OpenJournal(filepath.Join(dir, ".tmsdrift", "runs"), done.Run)
	require.NoError(t, err)
	m := j.Manifest()
	require.NoError(t, j.Close())
	require.Len(t, m.Changes, 1, "%+v", m.Changes)
	rec := m.Changes[0]
	assert.Equal(t, "tms02", rec.Node)
	assert.Equal(t, fixers.Applied, rec.Status)
	require.NotEmpty(t, rec.Before.Backup, "the journal names no backup")
	backup, err := os.ReadFile(filepath.Join(done.RunDir, filepath.FromSlash(rec.Before.Backup)))
	require.NoError(t, err, "the backup in the run folder")
	wineSameBytes(t, origWC, backup, "the backup is the original")

	// `audit` on its own agrees.
	code, stdout, stderr := tmsdrift(t, "audit", "-i", inv, "--format", "json")
	outputs = append(outputs, stdout, stderr)
	var after report.Report
	require.NoError(t, json.Unmarshal([]byte(stdout), &after), stdout)
	assert.Equal(t, after.ExitCode(checks.Low), code)
	assert.Equal(t, checks.Pass, verdict(t, after, "machinekey.present", "tms02").Status, "audit after the fix")

	// rollback last: every byte back.
	code, stdout, stderr = tmsdrift(t, "rollback", "-i", inv, "last")
	outputs = append(outputs, stdout, stderr)
	assert.Equal(t, report.ExitOK, code, "stdout: %s\nstderr: %s", stdout, stderr)
	assert.Contains(t, stdout, "Rollback of run "+done.Run)
	got, err = os.ReadFile(wc)
	require.NoError(t, err)
	wineSameBytes(t, origWC, got, "web.config after rollback last")
	assert.True(t, maps.Equal(orig, files(t, dir)), "every file as before the fix")
}

// wineSameBytes compares two contents by size and SHA-256: a failure
// shows fingerprints, never the machineKey a web.config holds.
func wineSameBytes(t *testing.T, want, got []byte, msg string) {
	t.Helper()
	fp := func(b []byte) string {
		sum := sha256.Sum256(b)
		return fmt.Sprintf("%d bytes sha256:%x", len(b), sum[:6])
	}
	assert.Equal(t, fp(want), fp(got), msg)
}
