package fixers

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/facts"
)

func TestServiceOpMakesChecksAndPutsBack(t *testing.T) {
	dir, r, _ := kindRun(t, "standby-awake", false)
	ctx := testContext(t)
	factsJSON := filepath.Join(dir, "nodes/tms02/facts.json")
	orig := must(os.ReadFile(factsJSON))
	running := ServiceState{StartType: facts.StartAutomatic, State: facts.StateRunning}
	stopped := ServiceState{StartType: facts.StartManual, State: facts.StateStopped}
	op := &ServiceOp{Name: "W3SVC", Before: running, After: stopped}
	oc := opContext(t, r, "tms02")

	assert.Equal(t, KindService, op.Kind())
	assert.Equal(t, Set, op.Action())
	assert.Equal(t, "w3svc", op.Identity())
	assert.Equal(t, State{StartType: "Manual", State: "Stopped"}, op.StateAfter())

	is, err := op.Verify(ctx, oc)
	require.NoError(t, err)
	assert.Equal(t, IsBefore, is)
	was, err := op.Prepare(ctx, oc)
	require.NoError(t, err)
	assert.Equal(t, State{StartType: "Automatic", State: "Running"}, was, "the way back, no backup file")
	require.NoError(t, op.Apply(ctx, oc))
	is, err = op.Verify(ctx, oc)
	require.NoError(t, err)
	assert.Equal(t, IsAfter, is)
	require.NoError(t, op.Undo(ctx, oc, was))
	assert.Equal(t, orig, must(os.ReadFile(factsJSON)), "facts.json byte for byte")
	require.NoError(t, op.Undo(ctx, oc, was), "putting back what is back changes nothing")
	assert.Equal(t, orig, must(os.ReadFile(factsJSON)))

	// Someone set it by hand meanwhile: refused unless forced.
	moved := &ServiceOp{Name: "W3SVC", Before: stopped, After: running}
	_, err = moved.Prepare(ctx, oc)
	assert.ErrorIs(t, err, errChanged)
	assert.ErrorContains(t, err, "it is Automatic/Running, the plan expected Manual/Stopped")
	_, err = (&ServiceOp{Name: "NoSuchService"}).Prepare(ctx, oc)
	assert.ErrorContains(t, err, "service NoSuchService is not installed")
}

func TestServiceKindReadsRecordsBack(t *testing.T) {
	rec := Record{Node: "tms02", Kind: KindService, Object: "W3SVC", Action: Set, Status: Applied,
		Before: State{StartType: "Automatic", State: "Running"}, After: State{StartType: "Manual", State: "Stopped"}}
	require.NoError(t, serviceKind{}.validate(rec))
	c, err := serviceKind{}.inverse(rec, nil)
	require.NoError(t, err)
	assert.Equal(t, &ServiceOp{Name: "W3SVC",
		Before: ServiceState{StartType: "Manual", State: "Stopped"},
		After:  ServiceState{StartType: "Automatic", State: "Running"}}, c.Op)
	assert.Equal(t, "set W3SVC back to Automatic/Running", c.Summary)
	for name, edit := range map[string]func(*Record){
		"no node":         func(r *Record) { r.Node = "" },
		"replace":         func(r *Record) { r.Action = Replace },
		"unknown state":   func(r *Record) { r.After.State = "Asleep" },
		"unknown start":   func(r *Record) { r.Before.StartType = "Sometimes" },
		"with a backup":   func(r *Record) { r.Before.Backup = "backup/x" },
		"with no state":   func(r *Record) { r.Before = State{} },
		"unknown kind":    func(r *Record) { r.Kind = "registry" },
		"object missing":  func(r *Record) { r.Object = "" },
		"status unknown":  func(r *Record) { r.Status = "maybe" },
		"after backed up": func(r *Record) { r.After.Backup = "backup/x" },
	} {
		bad := rec
		edit(&bad)
		assert.Error(t, bad.validate(), name)
	}
}
