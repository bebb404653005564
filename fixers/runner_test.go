package fixers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/inventory"
)

// memoOp is a kind of change that exists only in this test: a value in
// memory. The Runner drives it like any other kind, which is the point: a
// runbook's new kinds (an inventory edit, a start order) plug in without
// the engine or the other kinds knowing them.
type memoOp struct {
	name          string
	value         *string
	before, after string
	applyErr      error // returned by Apply, after (or, for errChanged, instead of) writing
}

func (m *memoOp) Kind() Kind         { return "memo" }
func (m *memoOp) Object() string     { return m.name }
func (m *memoOp) Action() Action     { return Set }
func (m *memoOp) Identity() string   { return m.name }
func (m *memoOp) StateBefore() State { return State{State: m.before} }
func (m *memoOp) StateAfter() State  { return State{State: m.after} }
func (m *memoOp) Undo(_ context.Context, _ *OpContext, was State) error {
	*m.value = was.State
	return nil
}

func (m *memoOp) Prepare(_ context.Context, oc *OpContext) (State, error) {
	if *m.value != m.before && !oc.Force {
		return State{}, fmt.Errorf("%w: it is %q", errChanged, *m.value)
	}
	return State{State: *m.value}, nil
}

func (m *memoOp) Apply(context.Context, *OpContext) error {
	if errors.Is(m.applyErr, errChanged) {
		return m.applyErr
	}
	*m.value = m.after
	return m.applyErr
}

func (m *memoOp) Verify(context.Context, *OpContext) (Is, error) {
	switch *m.value {
	case m.after:
		return IsAfter, nil
	case m.before:
		return IsBefore, nil
	}
	return IsNeither, nil
}

// onDisk reads the statuses of the journal as saved.
func onDisk(t *testing.T, j *Journal) []RecordStatus {
	t.Helper()
	var m RunManifest
	require.NoError(t, json.Unmarshal(must(os.ReadFile(filepath.Join(j.Dir(), "manifest.json"))), &m))
	var out []RecordStatus
	for _, c := range m.Changes {
		out = append(out, c.Status)
	}
	return out
}

// The journal says what happened before and after each step: a run
// killed at any point leaves a true account on disk.
func TestRunnerJournalsEachStep(t *testing.T) {
	j, err := NewJournal(t.TempDir(), RunManifest{Command: "promote"})
	require.NoError(t, err)
	defer j.Close()
	r := NewRunner(Env{Inventory: &inventory.Inventory{}, Journal: j})
	defer r.Close()
	ctx := testContext(t)
	v := "old"
	c := Change{Step: "1-set-memo", Summary: "set memo", Op: &memoOp{name: "memo", value: &v, before: "old", after: "new"}}

	rec := r.Record(&c)
	require.NoError(t, r.Save())
	assert.Equal(t, []RecordStatus{NotAttempted}, onDisk(t, j), "planned, before anything")
	assert.Equal(t, "1-set-memo", j.record(rec).Step)
	require.NoError(t, r.Prepare(ctx, &c, rec))
	require.NoError(t, r.Save())
	assert.Equal(t, []RecordStatus{Pending}, onDisk(t, j), "about to act")
	made, err := r.Do(ctx, &c, rec)
	require.NoError(t, err)
	assert.False(t, made)
	assert.Equal(t, "new", v)
	assert.Equal(t, []RecordStatus{Applied}, onDisk(t, j), "saved as soon as it is made")
	is, err := r.Check(ctx, &c)
	require.NoError(t, err)
	assert.Equal(t, IsAfter, is)
	require.NoError(t, r.Undo(ctx, &c, rec))
	assert.Equal(t, "old", v)
	assert.Equal(t, Restored, j.record(rec).Status)
}

func TestRunnerRecordsFailuresAndRefusals(t *testing.T) {
	j, err := NewJournal(t.TempDir(), RunManifest{Command: "promote"})
	require.NoError(t, err)
	defer j.Close()
	r := NewRunner(Env{Inventory: &inventory.Inventory{}, Journal: j})
	defer r.Close()
	ctx := testContext(t)

	v := "moved"
	moved := Change{Op: &memoOp{name: "a", value: &v, before: "old", after: "new"}}
	rec := r.Record(&moved)
	err = r.Prepare(ctx, &moved, rec)
	assert.ErrorIs(t, err, errChanged)
	assert.Equal(t, NotAttempted, j.record(rec).Status)
	assert.Contains(t, j.record(rec).Error, `it is "moved"`)

	w := "old"
	broken := Change{Op: &memoOp{name: "b", value: &w, before: "old", after: "new", applyErr: errors.New("connection reset")}}
	rec = r.Record(&broken)
	require.NoError(t, r.Prepare(ctx, &broken, rec))
	_, err = r.Do(ctx, &broken, rec)
	assert.ErrorContains(t, err, "connection reset")
	assert.Equal(t, Failed, j.record(rec).Status)
	require.NoError(t, r.Undo(ctx, &broken, rec), "a failed change that changed something is put back")
	assert.Equal(t, "old", w)
	assert.Equal(t, Failed, j.record(rec).Status, "and stays recorded as failed")

	x := "old"
	refused := Change{Op: &memoOp{name: "c", value: &x, before: "old", after: "new", applyErr: fmt.Errorf("%w: at the write", errChanged)}}
	rec = r.Record(&refused)
	require.NoError(t, r.Prepare(ctx, &refused, rec))
	_, err = r.Do(ctx, &refused, rec)
	assert.ErrorIs(t, err, errChanged)
	assert.Equal(t, Failed, j.record(rec).Status)
	require.NoError(t, r.Undo(ctx, &refused, rec))
	assert.Equal(t, "old", x, "nothing to put back")
	assert.Equal(t, "old", x)
}
