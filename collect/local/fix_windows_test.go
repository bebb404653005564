//go:build windows

package local

// `fix --apply` through the local transport, for real: the fix cycle
// (collect.Gather → checks → fixers.Build → fixers.Apply into a run
// folder → gather again → fixers.Verify, as pipeline.RunFix does it) and
// fixers.Rollback, with one node, tms02, reached through this package's
// node: its services through the service control manager, its files
// through WriteFile (internal/atomicfile: temp + MoveFileEx) in a folder
// of Wine's C: under `make test-windows`. The other node, tms01, is a
// fixers test case's snapshot folder (dir transport). pipeline itself
// cannot be imported here (it imports this package through
// collect/transports), so fixThroughLocal does its steps.

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc/mgr"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/collect"
	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/fixers"
	"github.com/tmsdrift/tmsdrift/inventory"
)

// fixService is the TMS service the standby wrongly runs (its own name:
// the runbook test's services may be installed at the same time by
// another run sharing the Wine prefix).
const fixService = "TMSDriftFixStandby"

// tms02Install is where a fixers test case keeps tms02's install folder.
var tms02Install = filepath.Join("nodes", "tms02", "fs", "C", "Program Files", "TANDBERG", "TMS")

// fixCase copies fixers/testdata/<name>/in into a folder of this machine
// (under Wine: C:\users\...\Temp) and loads its inventory with tms02
// reached through the local transport. paths.install points at the
// copy's tms02 install folder: this machine has no TMS installed, so the
// local node takes the inventory's install path (its wwwTMS\web.config
// exists) and reads and writes the copy there.
func fixCase(t *testing.T, name string) (string, *inventory.Inventory) {
	t.Helper()
	// Not t.TempDir: under Wine os.RemoveAll of a folder fails.
	dir, err := os.MkdirTemp("", "tmsdrift-fix-")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	require.NoError(t, os.CopyFS(dir, os.DirFS(filepath.Join("..", "..", "fixers", "testdata", name, "in"))))
	inv, err := inventory.Load(filepath.Join(dir, "inventory.yaml"), inventory.Options{})
	require.NoError(t, err)
	n := inv.NodeByName("tms02")
	require.NotNil(t, n)
	n.Transport = inventory.Transport{Kind: "local"}
	inv.Paths.Install = filepath.Join(dir, tms02Install)
	inv.Paths.WebRoot, inv.Paths.Software = "", ""
	inv.Database.Server = "" // no round trips to a SQL Server that is not there
	inv.ApplyDefaults()
	return dir, inv
}

// fixOpen opens tms02 through this package and the others' snapshot
// folders.
func fixOpen(_ context.Context, inv *inventory.Inventory, n *inventory.Node) (collect.Source, error) {
	if n.Transport.Kind == "local" {
		return Open(inv, n)
	}
	return collect.OpenDir(inv.Resolve(n.Transport.Path))
}

// fixRun is what one fix cycle planned, did and found afterwards.
type fixRun struct {
	runs     string
	plan     *fixers.Plan
	out      *fixers.Outcome
	records  []fixers.Record
	verdicts []fixers.Verdict
}

// audit gathers inv and evaluates the catalogue.
func audit(ctx context.Context, t *testing.T, inv *inventory.Inventory) (*facts.Deployment, []checks.Result) {
	t.Helper()
	d, err := collect.Gather(ctx, inv, collect.Options{Now: time.Now(), Open: fixOpen})
	require.NoError(t, err)
	return d, checks.Evaluate(d)
}

// fixThroughLocal is `fix --apply --only rules` on inv: audit, plan,
// apply into a run folder beside the inventory, audit again, verify.
func fixThroughLocal(t *testing.T, inv *inventory.Inventory, rules ...string) *fixRun {
	t.Helper()
	return fixOnly(t, inv, nil, rules...)
}

// fixOnly is fixThroughLocal applying only the planned changes keep
// accepts (nil: all).
func fixOnly(t *testing.T, inv *inventory.Inventory, keep func(fixers.Change) bool, rules ...string) *fixRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	d, results := audit(ctx, t, inv)
	plan, err := fixers.Build(ctx, d, results, fixers.Options{Only: rules, Open: fixOpen})
	require.NoError(t, err)
	if keep != nil {
		plan.Changes = slices.DeleteFunc(plan.Changes, func(c fixers.Change) bool { return !keep(c) })
	}
	require.NotEmpty(t, plan.Changes, "the plan changes nothing")
	run := &fixRun{runs: inv.Resolve(".tmsdrift/runs"), plan: plan}
	j, err := fixers.NewJournal(run.runs, fixers.RunManifest{Command: "fix", Deployment: inv.Deployment, Inventory: inv.File, StartedAt: time.Now()})
	require.NoError(t, err)
	run.out, err = fixers.Apply(ctx, plan, fixers.Env{Inventory: inv, Open: fixOpen, Journal: j})
	require.NoError(t, err)
	run.records = j.Manifest().Changes
	require.NoError(t, j.Close())
	_, after := audit(ctx, t, inv)
	run.verdicts = fixers.Verify(plan, after)
	return run
}

// rollbackLast is `rollback last`.
func rollbackLast(t *testing.T, run *fixRun, inv *inventory.Inventory) *fixers.Outcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	undo, _, err := fixers.Rollback(ctx, fixers.RollbackRequest{RunsDir: run.runs, Run: "last", Inventory: inv, InventoryPath: inv.File, Open: fixOpen})
	require.NoError(t, err)
	return undo
}

// record is the journal's record of the change to object.
func (r *fixRun) record(t *testing.T, object string) fixers.Record {
	t.Helper()
	i := slices.IndexFunc(r.records, func(rc fixers.Record) bool { return strings.EqualFold(rc.Object, object) })
	require.GreaterOrEqual(t, i, 0, "no change of %s in %+v", object, r.records)
	return r.records[i]
}

// TestFixStandbyServiceThroughLocal: a standby running a TMS service set
// Automatic fails services.standby-inactive; the fix plans Manual/Stopped
// from the local node's facts, sets it through the service control
// manager, checks it through the node's facts read again, the audit
// afterwards passes, and `rollback last` puts it back.
func TestFixStandbyServiceThroughLocal(t *testing.T) {
	installRunbookService(t, fixService, mgr.StartAutomatic, true)
	require.Equal(t, map[string]string{fixService: "Automatic/Running"}, scmState(t, fixService))
	_, inv := fixCase(t, "services-standby-inactive")

	// The machine may run other services named TMS... (serve/winservice's
	// test service, another run's): they are not this test's to change.
	others := 0
	run := fixOnly(t, inv, func(c fixers.Change) bool {
		if c.Object() == fixService {
			return true
		}
		others++
		return false
	}, "services.standby-inactive")
	require.True(t, run.out.Complete(), "%+v", run.out.Nodes)
	rec := run.record(t, fixService)
	assert.Equal(t, "tms02", rec.Node)
	assert.Equal(t, fixers.Applied, rec.Status)
	assert.Equal(t, fixers.State{StartType: facts.StartAutomatic, State: facts.StateRunning}, rec.Before)
	assert.Equal(t, fixers.State{StartType: facts.StartManual, State: facts.StateStopped}, rec.After)
	if others == 0 {
		assert.Contains(t, run.verdicts, fixers.Verdict{Rule: "services.standby-inactive", Node: "tms02", Status: checks.Pass})
	} else {
		t.Logf("%d other TMS services of this machine were left alone: services.standby-inactive is judged on %s only", others, fixService)
		i := slices.IndexFunc(run.verdicts, func(v fixers.Verdict) bool { return v.Rule == "services.standby-inactive" && v.Node == "tms02" })
		require.GreaterOrEqual(t, i, 0, "%+v", run.verdicts)
		assert.NotContains(t, run.verdicts[i].Left, fixService)
	}
	assert.Equal(t, map[string]string{fixService: "Manual/Stopped"}, scmState(t, fixService), "the service control manager after the fix")

	undo := rollbackLast(t, run, inv)
	require.True(t, undo.Complete(), "%+v", undo.Nodes)
	assert.Equal(t, map[string]string{fixService: "Automatic/Running"}, scmState(t, fixService), "rollback set the service back")
}

// TestFixMachineKeyThroughLocal: tms02's web.config lost its
// <machineKey> in an upgrade (fixers test case machinekey-insert, the
// post-upgrade lab's files); the fix writes the approved key back through
// the local node, byte for byte as the case's out/ says, keeps the
// original in the run folder, the audit afterwards passes, and `rollback
// last` writes the original bytes back.
func TestFixMachineKeyThroughLocal(t *testing.T) {
	dir, inv := fixCase(t, "machinekey-insert")
	wc := filepath.Join(dir, tms02Install, "wwwTMS", "web.config")
	orig, err := os.ReadFile(wc)
	require.NoError(t, err)
	want, err := os.ReadFile(filepath.Join("..", "..", "fixers", "testdata", "machinekey-insert", "out", tms02Install, "wwwTMS", "web.config"))
	require.NoError(t, err)
	require.NotEqual(t, want, orig)

	run := fixThroughLocal(t, inv, "machinekey.present")
	require.True(t, run.out.Complete(), "%+v", run.out.Nodes)
	got, err := os.ReadFile(wc)
	require.NoError(t, err)
	sameBytes(t, want, got, "web.config after the fix")
	assert.Contains(t, run.verdicts, fixers.Verdict{Rule: "machinekey.present", Node: "tms02", Status: checks.Pass})

	rec := run.record(t, wc)
	assert.Equal(t, "tms02", rec.Node)
	assert.Equal(t, fixers.Applied, rec.Status)
	require.NotEmpty(t, rec.Before.Backup, "the journal names no backup")
	backup, err := os.ReadFile(filepath.Join(run.out.RunDir, filepath.FromSlash(rec.Before.Backup)))
	require.NoError(t, err, "the backup in the run folder")
	sameBytes(t, orig, backup, "the backup is the original")

	undo := rollbackLast(t, run, inv)
	require.True(t, undo.Complete(), "%+v", undo.Nodes)
	got, err = os.ReadFile(wc)
	require.NoError(t, err)
	sameBytes(t, orig, got, "web.config after the rollback")
}

// TestFixPutsBackThroughLocal: a node's second change fails (another
// process holds the data file it replaces open without sharing delete,
// as an antivirus scanner or a backup agent may: MoveFileEx cannot replace
// it), so the first, tms02's web.config already written through the
// local node, is put back from its backup: both files are as they were.
// (A read-only file does not do: Wine's MoveFileEx replaces it, where
// Windows refuses.)
func TestFixPutsBackThroughLocal(t *testing.T) {
	dir, inv := fixCase(t, "machinekey-insert")
	wc := filepath.Join(dir, tms02Install, "wwwTMS", "web.config")
	orig, err := os.ReadFile(wc)
	require.NoError(t, err)
	// A customer file tms02 has in another version than the master's.
	rel := filepath.Join("wwwTMS", "Data", "CompanyLogo", "logo.png")
	master := filepath.Join(dir, "nodes", "tms01", "fs", "C", "Program Files", "TANDBERG", "TMS", rel)
	logo := filepath.Join(dir, tms02Install, rel)
	for p, content := range map[string]string{master: "the master's logo", logo: "tms02's old logo"} {
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	holdOpen(t, logo)

	run := fixThroughLocal(t, inv, "machinekey.present", "data.synced")
	require.Len(t, run.out.Nodes, 1, "%+v", run.out.Nodes)
	n := run.out.Nodes[0]
	assert.Equal(t, "tms02", n.Node)
	assert.Equal(t, fixers.Reverted, n.Status, n.Error)
	assert.Equal(t, fixers.Restored, run.record(t, wc).Status, "the web.config change was put back")
	assert.Equal(t, fixers.Failed, run.record(t, logo).Status)
	got, err := os.ReadFile(wc)
	require.NoError(t, err)
	sameBytes(t, orig, got, "web.config after the failed fix")
	got, err = os.ReadFile(logo)
	require.NoError(t, err)
	assert.Equal(t, "tms02's old logo", string(got))
	assert.Contains(t, n.Error, "rename")
	left, err := os.ReadDir(filepath.Dir(logo))
	require.NoError(t, err)
	assert.Len(t, left, 1, "the failed write left its temporary file")
}

// sameBytes compares two contents by size and SHA-256: a failure shows
// fingerprints, never the machineKey a web.config holds.
func sameBytes(t *testing.T, want, got []byte, msg string) {
	t.Helper()
	fp := func(b []byte) string {
		sum := sha256.Sum256(b)
		return fmt.Sprintf("%d bytes sha256:%x", len(b), sum[:6])
	}
	assert.Equal(t, fp(want), fp(got), msg)
}

// holdOpen opens path for reading, sharing reading only, until the test
// ends: the file can be read, not replaced or deleted.
func holdOpen(t *testing.T, path string) {
	t.Helper()
	p, err := windows.UTF16PtrFromString(path)
	require.NoError(t, err)
	h, err := windows.CreateFile(p, windows.GENERIC_READ, windows.FILE_SHARE_READ, nil, windows.OPEN_EXISTING, windows.FILE_ATTRIBUTE_NORMAL, 0)
	require.NoError(t, err)
	t.Cleanup(func() { _ = windows.CloseHandle(h) })
}

// TestFactsReadAgainAfterAWrite: the local node's facts depend on files
// (without an installed TMS, the inventory's install path counts only
// when its wwwTMS\web.config exists; the software folder is the newest
// that exists), so after the node writes or deletes a file, Facts reads
// the machine again instead of returning what it built before.
func TestFactsReadAgainAfterAWrite(t *testing.T) {
	dir, err := os.MkdirTemp("", "tmsdrift-facts-")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	install := filepath.Join(dir, "TMS")
	inv := &inventory.Inventory{Paths: inventory.Paths{Install: install}}
	inv.ApplyDefaults()
	n, err := Open(inv, &inventory.Node{Name: "tms02", Transport: inventory.Transport{Kind: "local"}})
	require.NoError(t, err)
	defer n.Close()
	ctx := context.Background()
	installPath := func() string {
		raw, err := n.Facts(ctx)
		require.NoError(t, err)
		f, err := facts.ParseNode(raw)
		require.NoError(t, err)
		if f.TMS == nil {
			return ""
		}
		return f.TMS.InstallPath
	}
	require.NotEqual(t, install, installPath(), "no web.config yet")

	wc := filepath.Join(install, "wwwTMS", "web.config")
	require.NoError(t, n.WriteFile(ctx, wc, strings.NewReader("<configuration />")))
	assert.Equal(t, install, installPath(), "facts after the node wrote web.config")
	require.NoError(t, n.RemoveFile(ctx, wc))
	assert.NotEqual(t, install, installPath(), "facts after the node deleted web.config")
}
