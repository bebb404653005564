package fixers

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/collect"
	"github.com/tmsdrift/tmsdrift/collect/transports"
	"github.com/tmsdrift/tmsdrift/inventory"
)

// Fixing then rolling back gives back every file byte for byte, the
// database values (db.json) included, on the labs with something to fix.
func TestFixThenRollbackRestoresEverything(t *testing.T) {
	for _, lab := range []string{"post-upgrade", "standby-awake", "data-drift", "machinekey-drift", "single-drift"} {
		t.Run(lab, func(t *testing.T) {
			inv := copyLab(t, lab)
			dir := filepath.Dir(inv)
			orig := readTree(t, dir)
			runs := t.TempDir()
			a := audit(t, inv)
			p := plan(t, a, Options{Prune: true})
			require.NotEmpty(t, p.Changes)
			out := apply(t, a, p, runs, nil)
			require.True(t, out.Complete(), "%+v", out.Nodes)
			assert.NotEqual(t, orig, readTree(t, dir), "the fix changed something")

			rb, back, err := Rollback(testContext(t), RollbackRequest{Open: transports.Open, RunsDir: runs, Run: "last", Inventory: a.inv, Settings: store(a.inv)})
			require.NoError(t, err)
			assert.True(t, rb.Complete())
			assert.Equal(t, out.Run, rb.RollbackOf)
			assert.Len(t, back.Changes, len(p.Changes))
			assertSameTree(t, orig, readTree(t, dir))

			// The run is marked; "last" does not roll it back twice.
			_, err = ResolveRun(runs, "last")
			assert.ErrorContains(t, err, "rolled back already")
			_, _, err = Rollback(testContext(t), RollbackRequest{Open: transports.Open, RunsDir: runs, Run: out.Run, Inventory: a.inv, Settings: store(a.inv)})
			assert.ErrorContains(t, err, "rolled back already")
		})
	}
}

func TestRollbackRefusesWhatChangedSinceTheRunUnlessForced(t *testing.T) {
	_, inv := twoBrokenNodes(t)
	dir := filepath.Dir(inv)
	orig := readTree(t, dir)
	runs := t.TempDir()
	a := audit(t, inv)
	out := apply(t, a, plan(t, a, Options{}), runs, nil)
	require.True(t, out.Complete())

	// An operator edits tms02's web.config after the fix.
	wc := filepath.Join(dir, "nodes/tms02", webConfig)
	edited := append(must(os.ReadFile(wc)), "<!-- later edit -->\r\n"...)
	require.NoError(t, os.WriteFile(wc, edited, 0o644))
	fixed := readTree(t, dir)

	req := RollbackRequest{Open: transports.Open, RunsDir: runs, Run: "last", Inventory: a.inv, Settings: store(a.inv)}
	_, _, err := Rollback(testContext(t), req)
	var refused *RefusedError
	require.True(t, errors.As(err, &refused), "%v", err)
	require.Len(t, refused.Conflicts, 1)
	assert.Equal(t, "tms02", refused.Conflicts[0].Node)
	assert.Contains(t, err.Error(), "nothing was changed")
	assertSameTree(t, fixed, readTree(t, dir))
	runsNow, err := ListRuns(runs)
	require.NoError(t, err)
	assert.Len(t, runsNow, 1, "a refused rollback leaves no run behind")

	// --force puts it back, keeping the later edit in its own run folder.
	req.Force = true
	rb, _, err := Rollback(testContext(t), req)
	require.NoError(t, err)
	assert.True(t, rb.Complete())
	assertSameTree(t, orig, readTree(t, dir))
	j, err := OpenJournal(runs, rb.Run)
	require.NoError(t, err)
	defer j.Close()
	var saved bool
	for _, r := range j.Manifest().Changes {
		if r.Node == "tms02" && r.Kind == KindFile && r.Before.Backup != "" {
			data, err := os.ReadFile(filepath.Join(j.Dir(), filepath.FromSlash(r.Before.Backup)))
			require.NoError(t, err)
			saved = saved || string(data) == string(edited)
		}
	}
	assert.True(t, saved, "what --force overwrote is in the rollback's run folder")

	// And the rollback itself can be rolled back: the fix is back, edit
	// included.
	_, _, err = Rollback(testContext(t), RollbackRequest{Open: transports.Open, RunsDir: runs, Run: rb.Run, Inventory: a.inv, Settings: store(a.inv)})
	require.NoError(t, err)
	assertSameTree(t, fixed, readTree(t, dir))
}

func TestRollbackSkipsWhatIsAlreadyBack(t *testing.T) {
	inv := copyLab(t, "standby-awake")
	dir := filepath.Dir(inv)
	orig := readTree(t, dir)
	runs := t.TempDir()
	a := audit(t, inv)
	out := apply(t, a, plan(t, a, Options{}), runs, nil)
	require.True(t, out.Complete())
	// Someone put tms02's facts back by hand.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "nodes/tms02/facts.json"), []byte(orig["nodes/tms02/facts.json"]), 0o644))

	_, back, err := Rollback(testContext(t), RollbackRequest{Open: transports.Open, RunsDir: runs, Run: "last", Inventory: a.inv, Settings: store(a.inv)})
	require.NoError(t, err)
	for _, c := range back.Changes {
		assert.NotEqual(t, "tms02", c.Node, "nothing to put back on tms02")
	}
	assertSameTree(t, orig, readTree(t, dir))
}

func TestResolveRun(t *testing.T) {
	runs := t.TempDir()
	_, err := ResolveRun(runs, "last")
	assert.ErrorContains(t, err, "no fix run")
	_, err = ResolveRun(runs, "20261125T020000Z-000000")
	assert.ErrorContains(t, err, "no run 20261125T020000Z-000000")

	// A folder with a broken manifest is an error, not skipped.
	require.NoError(t, os.MkdirAll(filepath.Join(runs, "20261125T020000Z-abcdef"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(runs, "20261125T020000Z-abcdef", "manifest.json"), []byte("{"), 0o600))
	_, err = ResolveRun(runs, "last")
	assert.ErrorContains(t, err, "manifest.json")
}

func TestVerifySaysWhatIsLeft(t *testing.T) {
	p := &Plan{
		Changes: []Change{{Node: "tms02", Rules: []string{"machinekey.present", "machinekey.match"}, Op: &FileOp{Path: `C:\TMS\wwwTMS\web.config`}}},
		Skipped: []Skipped{{Rule: "data.synced", Node: "tms03", Reason: "kept"}},
	}
	after := []checks.Result{
		{Rule: "machinekey.present", Node: "tms02", Status: checks.Pass},
		{Rule: "machinekey.match", Node: "tms02", Status: checks.Fail, Observed: "key=sha256:aaa", Message: "differs"},
		{Rule: "data.synced", Node: "tms03", Status: checks.Fail, Observed: "1 extra: a.txt"},
	}
	assert.Equal(t, []Verdict{
		{Rule: "machinekey.present", Node: "tms02", Status: checks.Pass},
		{Rule: "machinekey.match", Node: "tms02", Status: checks.Fail, Left: "key=sha256:aaa; differs"},
		{Rule: "data.synced", Node: "tms03", Status: checks.Fail, Left: "1 extra: a.txt"},
	}, Verify(p, after))
}

// A database value changed since the run is refused like a file, and
// --force puts the run's value back.
func TestRollbackForcesDatabaseValues(t *testing.T) {
	inv := copyLab(t, "post-upgrade")
	dbJSON := filepath.Join(filepath.Dir(inv), "db.json")
	orig := must(os.ReadFile(dbJSON))
	runs := t.TempDir()
	a := audit(t, inv)
	out := apply(t, a, plan(t, a, Options{Only: []string{"addresses.match"}}), runs, nil)
	require.True(t, out.Complete())
	fixed := must(os.ReadFile(dbJSON))
	require.NotEqual(t, string(orig), string(fixed))

	// Someone sets another address after the fix.
	later := strings.Replace(string(fixed), `"10.10.0.11"`, `"10.10.0.99"`, 1)
	require.NotEqual(t, string(fixed), later)
	require.NoError(t, os.WriteFile(dbJSON, []byte(later), 0o644))

	req := RollbackRequest{Open: transports.Open, RunsDir: runs, Run: "last", Inventory: a.inv, Settings: store(a.inv)}
	_, _, err := Rollback(testContext(t), req)
	var refused *RefusedError
	require.True(t, errors.As(err, &refused), "%v", err)
	assert.Equal(t, later, string(must(os.ReadFile(dbJSON))), "refused: nothing changed")

	req.Force = true
	rb, _, err := Rollback(testContext(t), req)
	require.NoError(t, err)
	assert.True(t, rb.Complete())
	assert.Equal(t, string(orig), string(must(os.ReadFile(dbJSON))), "the value before the run is back, byte for byte")
}

// countingOpener opens through transports.Open and counts the sources
// still open; fail names a node whose opening fails.
type countingOpener struct {
	open atomic.Int32
	fail string
}

func (c *countingOpener) Open(ctx context.Context, inv *inventory.Inventory, n *inventory.Node) (collect.Source, error) {
	if n.Name == c.fail {
		return nil, errors.New("connection refused")
	}
	src, err := transports.Open(ctx, inv, n)
	if err != nil {
		return nil, err
	}
	c.open.Add(1)
	return &countedTarget{Target: src.(collect.Target), open: &c.open}, nil
}

type countedTarget struct {
	collect.Target
	open   *atomic.Int32
	closed atomic.Bool
}

func (t *countedTarget) Close() error {
	if t.closed.CompareAndSwap(false, true) {
		t.open.Add(-1)
	}
	return t.Target.Close()
}

// Code review of issue 8: rollback closed the node connections only when
// it succeeded. Refused, or stopped by an unreachable node, it leaves
// none open.
func TestRollbackClosesTheNodesOnEveryPath(t *testing.T) {
	_, inv := twoBrokenNodes(t)
	dir := filepath.Dir(inv)
	runs := t.TempDir()
	a := audit(t, inv)
	out := apply(t, a, plan(t, a, Options{}), runs, nil)
	require.True(t, out.Complete())

	// A node that cannot be reached (each in turn, so that one comes
	// after a node already opened): the nodes opened before it are closed.
	for _, node := range []string{"tms02", "tms03"} {
		c := &countingOpener{fail: node}
		_, _, err := Rollback(testContext(t), RollbackRequest{Open: c.Open, RunsDir: runs, Run: "last", Inventory: a.inv, Settings: store(a.inv)})
		require.ErrorContains(t, err, "connection refused")
		assert.Zero(t, c.open.Load(), "every opened node closed after %s could not be reached", node)
	}

	// Refused because tms02 changed since the run.
	wc := filepath.Join(dir, "nodes/tms02", webConfig)
	require.NoError(t, os.WriteFile(wc, append(must(os.ReadFile(wc)), "<!-- later edit -->\r\n"...), 0o644))
	c := &countingOpener{}
	_, _, err := Rollback(testContext(t), RollbackRequest{Open: c.Open, RunsDir: runs, Run: "last", Inventory: a.inv, Settings: store(a.inv)})
	var refused *RefusedError
	require.ErrorAs(t, err, &refused)
	assert.Zero(t, c.open.Load(), "every opened node closed after a refusal")

	// Forced through: closed as well.
	c = &countingOpener{}
	rb, _, err := Rollback(testContext(t), RollbackRequest{Open: c.Open, RunsDir: runs, Run: "last", Inventory: a.inv, Settings: store(a.inv), Force: true})
	require.NoError(t, err)
	require.True(t, rb.Complete())
	assert.Zero(t, c.open.Load(), "every opened node closed after a rollback")
}
