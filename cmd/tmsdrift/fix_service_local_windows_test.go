//go:build windows

package main

// Service changes through the whole command line and the local transport,
// under Wine (`make test-windows`): `tmsdrift fix`, `fix --apply` and
// `rollback last` on a fixers test case whose node is this machine, its
// TMS service the test binary installed as a real service
// (fixtures/winsvc) and read back from the service control manager
// (Wine's services.exe) after each command.

import (
	"flag"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/windows/svc/mgr"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/collect/local"
	"github.com/tmsdrift/tmsdrift/fixers"
	"github.com/tmsdrift/tmsdrift/fixtures/winsvc"
	"github.com/tmsdrift/tmsdrift/report"
)

// TestWineServiceChild is not a test: started by the service control
// manager (wineService), the test binary runs here as a service.
func TestWineServiceChild(t *testing.T) {
	if _, err := winsvc.Child(flag.Args()); err != nil {
		t.Fatal(err)
	}
}

// wineService installs the test binary as the service name (mode, start
// type and state as winsvc.Install takes them) after checking that this
// machine has no other TMS service: `fix` plans for every TMS service of
// the local node, and another's would be changed too.
func wineService(t *testing.T, name, mode string, start uint32, running bool) {
	t.Helper()
	list, err := local.Services(local.IsAuditedService)
	require.NoError(t, err)
	for _, s := range list {
		require.Failf(t, "this machine has a TMS service already", "%s (%s/%s): a leftover of another test? The fix would change it too", s.Name, s.StartType, s.State)
	}
	exe, err := os.Executable()
	require.NoError(t, err)
	winsvc.Install(t, exe, "TestWineServiceChild", name, mode, start, running)
}

// wineSCM reads the local node's services from the service control
// manager, as name → "Automatic/Running".
func wineSCM(t *testing.T) map[string]string {
	t.Helper()
	list, err := local.Services(local.IsAuditedService)
	require.NoError(t, err)
	out := map[string]string{}
	for _, s := range list {
		out[s.Name] = s.StartType + "/" + s.State
	}
	return out
}

// wineRecords is the journal of run in dir's run folder.
func wineRecords(t *testing.T, dir, run string) []fixers.Record {
	t.Helper()
	j, err := fixers.OpenJournal(filepath.Join(dir, ".tmsdrift", "runs"), run)
	require.NoError(t, err)
	defer j.Close()
	return j.Manifest().Changes
}

// TestWineFixStandbyServiceThroughLocal: standby tms02 (this machine,
// through the local transport) runs its TMS service, set Automatic, and
// fails services.standby-inactive. `fix` plans Manual/Stopped and changes
// nothing; `fix --apply` sets it through the service control manager,
// journals it, and the audit after passes services.standby-inactive on
// tms02; `rollback last` sets it back to Automatic and starts it.
func TestWineFixStandbyServiceThroughLocal(t *testing.T) {
	const name = "TMSDriftCmdStandby"
	wineService(t, name, winsvc.UntilStopped, mgr.StartAutomatic, true)
	before := map[string]string{name: "Automatic/Running"}
	require.Equal(t, before, wineSCM(t))
	dir, inv := wineLocalCase(t, "services-standby-inactive", "tms02")
	orig := files(t, dir)
	var outputs []string

	code, plan, stderr := wineFix(t, &outputs, "-i", inv, "--only", "services.standby-inactive")
	assert.Empty(t, stderr)
	assert.Equal(t, report.ExitFail, code)
	assert.False(t, plan.Applied)
	require.Len(t, plan.Changes, 1, "%+v", plan.Changes)
	assert.Equal(t, "tms02", plan.Changes[0].Node)
	assert.Equal(t, string(fixers.KindService), plan.Changes[0].Kind)
	assert.Equal(t, name, plan.Changes[0].Object)
	assert.Equal(t, checks.Fail, verdict(t, plan.Audit, "services.standby-inactive", "tms02").Status)
	assert.Equal(t, before, wineSCM(t), "a plan changes no service")
	assert.True(t, maps.Equal(orig, files(t, dir)), "a plan changes no file")

	code, done, stderr := wineFix(t, &outputs, "-i", inv, "--only", "services.standby-inactive", "--apply")
	assert.Empty(t, stderr)
	assert.Equal(t, done.Audit.ExitCode(checks.Low), code, "the exit code is the audit's after the fix")
	require.Len(t, done.Nodes, 1, "%+v", done.Nodes)
	assert.Equal(t, "fixed", done.Nodes[0].Status, done.Nodes[0].Error)
	assert.Equal(t, map[string]string{name: "Manual/Stopped"}, wineSCM(t), "the service control manager after fix --apply")
	assert.Contains(t, done.Verdicts, fixers.Verdict{Rule: "services.standby-inactive", Node: "tms02", Status: checks.Pass})
	assert.Equal(t, checks.Pass, verdict(t, done.Audit, "services.standby-inactive", "tms02").Status, "the audit after the fix")
	recs := wineRecords(t, dir, done.Run)
	require.Len(t, recs, 1, "%+v", recs)
	assert.Equal(t, fixers.Applied, recs[0].Status)
	assert.Equal(t, fixers.State{StartType: "Automatic", State: "Running"}, recs[0].Before)
	assert.Equal(t, fixers.State{StartType: "Manual", State: "Stopped"}, recs[0].After)

	code, stdout, stderr := tmsdrift(t, "rollback", "-i", inv, "last")
	assert.Equal(t, report.ExitOK, code, "stdout: %s\nstderr: %s", stdout, stderr)
	assert.Contains(t, stdout, "Rollback of run "+done.Run)
	assert.Equal(t, before, wineSCM(t), "rollback last set the service back and started it")
}

// TestWineFixServiceFailsToStart: primary tms01 (this machine) has its TMS
// service set Manual and stopped, and fails services.active-running. Its
// service cannot start: it stops as it starts, with a service-specific
// exit code. `fix --apply` reports tms01 reverted at once (not when the
// node's time runs out), naming the service and its exit code; the
// service control manager has the service Manual and stopped again, the
// journal says the change failed and was put back, and the exit code is
// the audit's: services.active-running still fails.
func TestWineFixServiceFailsToStart(t *testing.T) {
	const name = "TMSDriftCmdFailing"
	wineService(t, name, winsvc.FailsToStart, mgr.StartManual, false)
	before := map[string]string{name: "Manual/Stopped"}
	require.Equal(t, before, wineSCM(t))
	dir, inv := wineLocalCase(t, "services-active-running", "tms01")
	orig := files(t, dir)
	var outputs []string

	code, done, stderr := wineFix(t, &outputs, "-i", inv, "--only", "services.active-running", "--apply")
	assert.Empty(t, stderr)
	assert.Equal(t, report.ExitFail, code, "services.active-running still fails")
	assert.Equal(t, done.Audit.ExitCode(checks.Low), code)
	require.Len(t, done.Nodes, 1, "%+v", done.Nodes)
	n := done.Nodes[0]
	assert.Equal(t, "tms01", n.Node)
	assert.Equal(t, string(fixers.Reverted), n.Status, n.Error)
	t.Logf("tms01: %s", n.Error)
	assert.Contains(t, n.Error, name)
	assert.Contains(t, n.Error, "stopped (service-specific exit code 3)")
	assert.NotContains(t, n.Error, "time ran out")
	assert.Equal(t, before, wineSCM(t), "the service control manager: the start type put back")
	assert.Equal(t, checks.Fail, verdict(t, done.Audit, "services.active-running", "tms01").Status)
	i := slices.IndexFunc(done.Verdicts, func(v fixers.Verdict) bool {
		return v.Rule == "services.active-running" && v.Node == "tms01"
	})
	require.GreaterOrEqual(t, i, 0, "%+v", done.Verdicts)
	assert.NotEqual(t, checks.Pass, done.Verdicts[i].Status)

	recs := wineRecords(t, dir, done.Run)
	require.Len(t, recs, 1, "%+v", recs)
	assert.Equal(t, name, recs[0].Object)
	assert.Equal(t, fixers.Failed, recs[0].Status)
	assert.Equal(t, fixers.State{StartType: "Manual", State: "Stopped"}, recs[0].Before)

	assert.True(t, maps.Equal(orig, files(t, dir)), "the case's files as they were (the run folder aside)")
}
