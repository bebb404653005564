//go:build windows

package local

// A runbook's node steps through the local transport, for real: the
// runbook engine (fixers.RunRunbook, fixers.Rollback) drives this
// package's node, whose SetService and Facts go to the service control
// manager (Wine's services.exe under `make test-windows`).

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/windows/svc/mgr"

	"github.com/tmsdrift/tmsdrift/collect"
	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/fixers"
	"github.com/tmsdrift/tmsdrift/fixtures/winsvc"
	"github.com/tmsdrift/tmsdrift/inventory"
	"github.com/tmsdrift/tmsdrift/runbooks"
)

// The two services the runbook moves: the old primary's and the standby's
// TMS service (names start with TMS, so the node lists them).
const (
	primaryService = "TMSDriftRunbookPrimary"
	standbyService = "TMSDriftRunbookStandby"
)

// TestRunbookServiceChild is not a test: started by the service control
// manager (installRunbookService), the test binary runs here as a service
// that runs until it is told to stop.
func TestRunbookServiceChild(t *testing.T) {
	if _, err := winsvc.Child(flag.Args()); err != nil {
		t.Fatal(err)
	}
}

// installRunbookService creates a service that runs the test binary
// (TestRunbookServiceChild), with start type start, and starts it when
// running; it is stopped and removed when the test ends.
func installRunbookService(t *testing.T, name string, start uint32, running bool) {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	winsvc.Install(t, exe, "TestRunbookServiceChild", name, winsvc.UntilStopped, start, running)
}

// scmState reads the services from the service control manager, as
// "Automatic/Running".
func scmState(t *testing.T, names ...string) map[string]string {
	t.Helper()
	list, err := Services(IsAuditedService)
	require.NoError(t, err)
	out := map[string]string{}
	for _, name := range names {
		s := findService(list, name)
		require.NotNil(t, s, name)
		out[name] = s.StartType + "/" + s.State
	}
	return out
}

// TestPromoteNodeStepsThroughLocal runs promote's two node steps — the
// old primary's TMS services stopped and set Manual, the new primary's set
// Automatic and started — through the runbook engine, with both nodes
// reached through the local transport: the engine plans each step from
// the node's facts as they are when the step runs, sets the services
// through the service control manager, checks them afterwards through the
// node's facts and journals each step; `rollback last` then sets both
// services back. (Both nodes are this machine; each step names its own
// service, as it would on two machines.)
func TestPromoteNodeStepsThroughLocal(t *testing.T) {
	installRunbookService(t, primaryService, mgr.StartAutomatic, true)
	installRunbookService(t, standbyService, mgr.StartManual, false)
	before := map[string]string{primaryService: "Automatic/Running", standbyService: "Manual/Stopped"}
	require.Equal(t, before, scmState(t, primaryService, standbyService))

	inv := &inventory.Inventory{Deployment: "wine", Model: inventory.ManualCutover, Nodes: []inventory.Node{
		{Name: "tms01", Role: inventory.Primary, Transport: inventory.Transport{Kind: "local"}},
		{Name: "tms02", Role: inventory.Standby, Transport: inventory.Transport{Kind: "local"}},
	}}
	inv.ApplyDefaults()
	open := func(_ context.Context, inv *inventory.Inventory, n *inventory.Node) (collect.Source, error) {
		return Open(inv, n)
	}
	step := func(id, node, service string, from, to runbooks.ServiceState) runbooks.Step {
		return runbooks.Step{ID: id, Title: id, Target: runbooks.OnNode, Node: node, NeedsNode: true,
			Services: []runbooks.ServiceChange{{Name: service, From: from, To: to}}}
	}
	auto := runbooks.ServiceState{StartType: facts.StartAutomatic, State: facts.StateRunning}
	manual := runbooks.ServiceState{StartType: facts.StartManual, State: facts.StateStopped}
	rb := &runbooks.Runbook{Command: "promote", Args: []string{"tms02"}, Deployment: inv.Deployment, Model: inv.Model, Steps: []runbooks.Step{
		step("stop:tms01", "tms01", primaryService, auto, manual),
		step("start:tms02", "tms02", standbyService, manual, auto),
	}}

	// Not t.TempDir: under Wine os.RemoveAll of a folder fails.
	dir, err := os.MkdirTemp("", "tmsdrift-runbook-")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	runs, invPath := filepath.Join(dir, "runs"), filepath.Join(dir, "inventory.yaml")
	j, rf, err := fixers.StartRunbook(runs, fixers.RunManifest{Command: rb.Command, Deployment: rb.Deployment, Inventory: invPath, StartedAt: time.Now()}, rb, invPath)
	require.NoError(t, err)
	defer j.Close()

	var seen []map[string]string
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := fixers.RunRunbook(ctx, j, rf, fixers.RunbookEnv{
		Env:       fixers.Env{Inventory: inv, Open: open},
		AfterStep: func(int, string) { seen = append(seen, scmState(t, primaryService, standbyService)) },
	})
	require.NoError(t, err)
	require.True(t, out.Complete, "%+v", out.Steps)
	for _, s := range out.Steps {
		assert.Equal(t, fixers.StepDone, s.Status, s.ID)
		assert.False(t, s.Already, "%s changed its service", s.ID)
		require.Len(t, s.Nodes, 1, s.ID)
		assert.Equal(t, fixers.Fixed, s.Nodes[0].Status, s.ID)
	}
	assert.Equal(t, []map[string]string{
		{primaryService: "Manual/Stopped", standbyService: "Manual/Stopped"},
		{primaryService: "Manual/Stopped", standbyService: "Automatic/Running"},
	}, seen, "the service control manager after each step")

	undo, _, err := fixers.Rollback(ctx, fixers.RollbackRequest{RunsDir: runs, Run: "last", Inventory: inv, InventoryPath: invPath, Open: open})
	require.NoError(t, err)
	require.True(t, undo.Complete(), "%+v", undo.Nodes)
	assert.Equal(t, before, scmState(t, primaryService, standbyService), "rollback set both services back")
}

// TestWineSetServiceFailsToStart: a service that stops while it starts
// is reported at once with its exit code, not waited for until the time
// runs out — whether the service control manager takes the start and the
// service stops afterwards (Windows; under Wine a service that reports
// StartPending first) or refuses the start because it stopped already
// (Wine's ERROR_SERVICE_REQUEST_TIMEOUT) — and its start type is left as
// SetService set it.
func TestWineSetServiceFailsToStart(t *testing.T) {
	exe, err := os.Executable()
	require.NoError(t, err)
	for mode, want := range map[string]string{
		winsvc.FailsWhileStarting: "started, then stopped (service-specific exit code 3)",
		winsvc.FailsToStart:       "running: Service request timeout.; the service stopped (service-specific exit code 3)",
	} {
		t.Run(mode, func(t *testing.T) {
			name := "TMSDriftFailing-" + mode
			winsvc.Install(t, exe, "TestRunbookServiceChild", name, mode, mgr.StartManual, false)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			err := SetService(ctx, name, facts.StartAutomatic, facts.StateRunning)
			require.Error(t, err)
			assert.Equal(t, "service "+name+": "+want, err.Error())
			assert.NoError(t, ctx.Err(), "returned before the time ran out")
			assert.Equal(t, map[string]string{name: "Automatic/Stopped"}, scmState(t, name))
		})
	}
}
