//go:build windows

package main

// A whole `promote` through the local transport, under Wine (`make
// test-windows`): the manual-cutover lab with tms02, the standby to
// promote, being this machine — its TMS files in Wine's own C:\Program
// Files\TANDBERG\TMS (the lab's path, so nothing else of the lab is
// rewritten), its TMS version and database in a registry key the
// inventory names, its TMS service the test binary installed as a real
// service (Manual, stopped) — and tms01 and tms03 snapshot folders.

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/windows/registry"
	"golang.org/x/sys/windows/svc/mgr"

	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/fixers"
	"github.com/tmsdrift/tmsdrift/fixtures"
	"github.com/tmsdrift/tmsdrift/fixtures/winsvc"
	"github.com/tmsdrift/tmsdrift/report"
)

const (
	// winePromoteService is tms02's TMS service.
	winePromoteService = "TMSDriftPromoteStandby"
	// wineTMSFolder is where the lab (and TMS) keeps the install folder,
	// here on this machine's C:.
	wineTMSFolder = `C:\Program Files\TANDBERG\TMS`
	// wineTMSMarker, beside it, says the folder is this test's to replace.
	wineTMSMarker = `C:\Program Files\TANDBERG\tmsdrift-wine-test.txt`
	// wineRegistryKey holds tms02's TMS version and database, as the
	// inventory's registry block names it (below HKEY_LOCAL_MACHINE).
	wineRegistryKey = `SOFTWARE\tmsdrift-wine-test\TMS`
)

// wineTMS02 makes this machine the lab's tms02: its install folder, its
// registry values (the version in the lab's facts.json, the database
// server sql) and its TMS service. All is removed when the test ends.
func wineTMS02(t *testing.T, sql string, mode string) {
	t.Helper()
	if _, err := os.Stat(filepath.Dir(wineTMSFolder)); err == nil {
		_, err := os.Stat(wineTMSMarker)
		require.NoError(t, err, "%s exists and is not this test's", filepath.Dir(wineTMSFolder))
		wineRemoveTree(t, filepath.Dir(wineTMSFolder)) // a leftover of an interrupted run
	}
	require.NoError(t, os.MkdirAll(wineTMSFolder, 0o755))
	require.NoError(t, os.WriteFile(wineTMSMarker, []byte("made by cmd/tmsdrift's TestWinePromote... tests"), 0o644))
	t.Cleanup(func() { wineRemoveTree(t, filepath.Dir(wineTMSFolder)) })
	lab := filepath.Join(fixtures.LabsDir(), "manual-cutover", "nodes", "tms02")
	require.NoError(t, os.CopyFS(wineTMSFolder, os.DirFS(filepath.Join(lab, "fs", "c", "program files", "Tandberg", "TMS"))))

	raw, err := os.ReadFile(filepath.Join(lab, "facts.json"))
	require.NoError(t, err)
	f, err := facts.ParseNode(raw)
	require.NoError(t, err)
	k, _, err := registry.CreateKey(registry.LOCAL_MACHINE, wineRegistryKey, registry.ALL_ACCESS)
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = registry.DeleteKey(registry.LOCAL_MACHINE, wineRegistryKey)
		_ = registry.DeleteKey(registry.LOCAL_MACHINE, filepath.Dir(wineRegistryKey))
	})
	for name, v := range map[string]string{"Version": f.TMS.Version, "DatabaseServer": sql, "DatabaseName": f.TMS.DBName} {
		require.NoError(t, k.SetStringValue(name, v))
	}
	require.NoError(t, k.Close())

	wineService(t, winePromoteService, mode, mgr.StartManual, false)
}

// wineRemoveTree deletes dir one entry at a time, deepest first (Wine
// refuses os.RemoveAll of a folder).
func wineRemoveTree(t *testing.T, dir string) {
	t.Helper()
	require.NoError(t, fixtures.RemoveTree(dir))
}

// winePromoteLab copies the manual-cutover lab into a folder of this
// machine with tms02 on the local transport and the inventory naming the
// registry key. It returns the folder and the inventory.
func winePromoteLab(t *testing.T) (string, string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "tmsdrift-cmd-promote-")
	require.NoError(t, err)
	t.Cleanup(func() { wineRemoveTree(t, dir) })
	require.NoError(t, os.CopyFS(dir, os.DirFS(filepath.Join(fixtures.LabsDir(), "manual-cutover"))))
	inv := filepath.Join(dir, "inventory.yaml")
	raw, err := os.ReadFile(inv)
	require.NoError(t, err)
	text := replaceOnce(t, string(raw), "transport: {kind: dir, path: nodes/tms02}", "transport: {kind: local}")
	text += "registry:\n  key: '" + wineRegistryKey + "'\n"
	require.NoError(t, os.WriteFile(inv, []byte(text), 0o644))
	return dir, inv
}

// wineKilledRunbook runs a runbook command in a child process (this test
// binary as tmsdrift), lets it journal step n, and kills it there
// (TerminateProcess: no deferred function, no clean-up of the child's
// runs). It returns the step's ID.
func wineKilledRunbook(t *testing.T, n int, args ...string) string {
	t.Helper()
	raw, err := json.Marshal(args)
	require.NoError(t, err)
	dir, err := os.MkdirTemp("", "tmsdrift-cmd-halt-")
	require.NoError(t, err)
	t.Cleanup(func() { wineRemoveTree(t, dir) })
	halted := filepath.Join(dir, "halted")
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), childArgsEnv+"="+string(raw), childHaltStepEnv+"="+strconv.Itoa(n), childHaltFileEnv+"="+halted)
	var out strings.Builder
	child.Stdout, child.Stderr = &out, &out
	require.NoError(t, child.Start())
	exited := make(chan error, 1)
	go func() { exited <- child.Wait() }()
	var line string
	require.Eventually(t, func() bool {
		select {
		case err := <-exited:
			exited <- err
			return true
		default:
		}
		b, _ := os.ReadFile(halted)
		line = string(b)
		return strings.HasSuffix(line, "\n")
	}, 2*time.Minute, 100*time.Millisecond, "the child never halted")
	require.NotEmpty(t, line, "the child ended before it halted: %s", out.String())
	require.NoError(t, child.Process.Kill())
	err = <-exited
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "%v", err)
	require.Equal(t, 1, exit.ExitCode(), "TerminateProcess's exit code, not the command's: %s", out.String())
	return strings.TrimSpace(strings.TrimPrefix(line, "halted "))
}

// TestWinePromoteThroughLocal: `promote tms02 --apply --yes` through the
// local transport. Uninterrupted: tms01 (a snapshot) stopped and set
// Manual, tms02's service set Automatic and started through the service
// control manager, the database settings and the inventory rewritten, the
// audit run; `rollback last` gives every file back byte for byte and the
// service back to Manual/Stopped. Killed (TerminateProcess) once its third
// step, the database, is journaled, and run again: it carries the run on
// in its own run folder to the same end state — every file byte for
// byte, the service as the service control manager says — and rolls back
// the same.
func TestWinePromoteThroughLocal(t *testing.T) {
	t.Setenv("COLUMNS", "1000")        // long lines of the plan and run are matched whole below
	const sql = `sql01.acme.local\TMS` // the lab's
	wineTMS02(t, sql, winsvc.UntilStopped)
	before := map[string]string{winePromoteService: "Manual/Stopped"}
	after := map[string]string{winePromoteService: "Automatic/Running"}
	require.Equal(t, before, wineSCM(t))

	wantDir, wantInv := winePromoteLab(t)
	orig := files(t, wantDir)
	// This machine is no TMS server: its address, workgroup, clock and
	// the database it cannot reach fail or error on tms02, before and
	// after; everything else of the lab passes.
	wineOnly := []string{"nodes.identity tms02 fail", "domain.joined tms02 fail", "domain.same tms02 fail",
		"time.synced tms02 fail", "db.latency tms02 error"}
	nonPassing, code := nonPass(t, wantInv)
	assert.Equal(t, report.ExitFail, code)
	require.ElementsMatch(t, wineOnly, nonPassing, "the audit before promote")

	code, stdout, stderr := tmsdrift(t, "promote", "tms02", "-i", wantInv, "--apply", "--yes")
	assert.Equal(t, report.ExitFail, code, "the exit code of the audit after the promote (this machine's rules): %s%s", stdout, stderr)
	for i, step := range []string{"stop the old primary", "set the new primary", "set the TMS server addresses", "rewrite the inventory", "audit the deployment again"} {
		assert.Contains(t, stdout, fmt.Sprintf("  %d. done       %s", i+1, step))
	}
	assert.Contains(t, stdout, "set "+winePromoteService+" Manual/Stopped -> Automatic/Running")
	assert.Contains(t, stdout, "Every step is done.")
	assert.Equal(t, after, wineSCM(t), "the service control manager after promote")
	want := files(t, wantDir)
	assert.ElementsMatch(t, []string{"inventory.yaml", "db.json", "nodes/tms01/facts.json"}, diffFiles(orig, want),
		"promote changed tms01's services, the database and the inventory (tms02's services are this machine's)")
	nonPassing, code = nonPass(t, wantInv)
	assert.Equal(t, report.ExitFail, code)
	assert.ElementsMatch(t, append([]string{"services.active-running tms02 fail"}, wineOnly...), nonPassing,
		"the audit after promote: tms02 is the primary, and this machine has no IIS (W3SVC)")
	code, stdout, stderr = tmsdrift(t, "rollback", "-i", wantInv, "last")
	require.Equal(t, report.ExitOK, code, stdout+stderr)
	assert.Equal(t, orig, files(t, wantDir), "rollback last: every file back byte for byte")
	assert.Equal(t, before, wineSCM(t), "rollback last: the service back")

	dir, inv := winePromoteLab(t)
	require.Equal(t, orig, files(t, dir), "two copies of the lab compare equal")
	step := wineKilledRunbook(t, 3, "promote", "tms02", "-i", inv, "--apply", "--yes")
	assert.Equal(t, "database", step)
	ids := runFolders(t, dir)
	require.Len(t, ids, 1)
	open, err := fixers.Unfinished(filepath.Join(dir, ".tmsdrift", "runs"))
	require.NoError(t, err)
	require.Len(t, open, 1, "the killed run is open")
	assert.Equal(t, after, wineSCM(t), "the killed promote started tms02's service")
	left := files(t, dir)
	assert.Equal(t, orig["inventory.yaml"], left["inventory.yaml"], "killed before the inventory step")
	for _, p := range []string{"db.json", "nodes/tms01/facts.json"} {
		assert.Equal(t, want[p], left[p], "%s: made before the kill", p)
	}

	code, stdout, stderr = tmsdrift(t, "promote", "tms02", "-i", inv, "--apply", "--yes")
	assert.Equal(t, report.ExitFail, code, "the audit's, as uninterrupted: %s%s", stdout, stderr)
	assert.Contains(t, stdout, "Run "+ids[0]+" (promote, started ")
	assert.Contains(t, stdout, "3 of 5 steps are done. Carrying it on")
	assert.Contains(t, stdout, "done (before the interruption)")
	assert.Contains(t, stdout, "Every step is done.")
	assert.Equal(t, want, files(t, dir), "the same end state as the uninterrupted promote")
	assert.Equal(t, after, wineSCM(t))
	assert.Equal(t, ids, runFolders(t, dir), "carried on in its own run folder")

	code, stdout, stderr = tmsdrift(t, "rollback", "-i", inv, "last")
	require.Equal(t, report.ExitOK, code, stdout+stderr)
	assert.Equal(t, orig, files(t, dir), "rollback last after the resumed promote")
	assert.Equal(t, before, wineSCM(t))
}

// TestWinePromoteServiceFailsToStart: promote through the local transport
// when tms02's TMS service cannot start (it stops as it starts, with a
// service-specific exit code). The start step fails naming the service
// and its exit code, the run stops there and stays open (the database and
// the inventory untouched), the service control manager has the service
// back at Manual, stopped; `rollback last` sets tms01's services back:
// every file as before.
func TestWinePromoteServiceFailsToStart(t *testing.T) {
	t.Setenv("COLUMNS", "1000") // long lines of the plan and run are matched whole below
	wineTMS02(t, `sql01.acme.local\TMS`, winsvc.FailsToStart)
	before := map[string]string{winePromoteService: "Manual/Stopped"}
	require.Equal(t, before, wineSCM(t))
	dir, inv := winePromoteLab(t)
	orig := files(t, dir)

	code, stdout, stderr := tmsdrift(t, "promote", "tms02", "-i", inv, "--apply", "--yes")
	assert.Equal(t, report.ExitFail, code, "%s%s", stdout, stderr)
	assert.Contains(t, stdout, "  1. done       stop the old primary")
	assert.Contains(t, stdout, "  2. failed     set the new primary")
	assert.NotContains(t, stdout, "  3. done")
	assert.Contains(t, stderr, "tmsdrift: step 2 failed: tms02 reverted: "+winePromoteService+": service "+winePromoteService+": running: ")
	assert.Contains(t, stderr, "stopped (service-specific exit code 3)")
	assert.Contains(t, stderr, "stopped before its end: fix what it says and run the same command again to carry it on, or put it back with: tmsdrift rollback")
	assert.Equal(t, before, wineSCM(t), "the service control manager after the failed start")
	ids := runFolders(t, dir)
	require.Len(t, ids, 1)
	open, err := fixers.Unfinished(filepath.Join(dir, ".tmsdrift", "runs"))
	require.NoError(t, err)
	require.Len(t, open, 1, "the failed run stays open")
	left := files(t, dir)
	assert.Equal(t, []string{"nodes/tms01/facts.json"}, diffFiles(orig, left), "only step 1 was made")

	code, stdout, stderr = tmsdrift(t, "rollback", "-i", inv, "last")
	require.Equal(t, report.ExitOK, code, stdout+stderr)
	assert.Equal(t, orig, files(t, dir), "rollback last: every file back byte for byte")
	assert.Equal(t, before, wineSCM(t))
}
