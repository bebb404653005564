package fixers

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/collect/transports"
	"github.com/tmsdrift/tmsdrift/inventory"
	"github.com/tmsdrift/tmsdrift/runbooks"
)

// promoteRun builds promote tms02 on a copy of the manual-cutover lab and
// starts its run; it returns the lab folder, the runs folder, the run
// and the engine's environment.
func promoteRun(t *testing.T) (string, string, *Journal, *RunbookFile, RunbookEnv) {
	t.Helper()
	invPath := copyLab(t, "manual-cutover")
	a := audit(t, invPath)
	rb, err := runbooks.Promote(a.d, a.results, "tms02")
	require.NoError(t, err)
	require.Empty(t, rb.Preflight)
	runs := filepath.Join(filepath.Dir(invPath), ".tmsdrift", "runs")
	j, rf, err := StartRunbook(runs, RunManifest{Command: rb.Command, Deployment: rb.Deployment, Inventory: invPath}, rb, invPath)
	require.NoError(t, err)
	t.Cleanup(func() { j.Close() })
	env := RunbookEnv{
		Env: Env{Inventory: a.inv, Open: transports.Open, Settings: store(a.inv)},
		Reload: func(context.Context) (*inventory.Inventory, SettingsStore, error) {
			inv, err := inventory.Load(invPath, inventory.Options{KnownRules: checks.IDs()})
			if err != nil {
				return nil, nil, err
			}
			return inv, store(inv), nil
		},
	}
	return filepath.Dir(invPath), runs, j, rf, env
}

// TestRunRunbookJournalsEachStep: runbook.json holds every step pending
// before the first acts, then each step done; every change is recorded
// with its step; the run is finished.
func TestRunRunbookJournalsEachStep(t *testing.T) {
	dir, runs, j, rf, env := promoteRun(t)
	raw := must(os.ReadFile(filepath.Join(j.Dir(), "runbook.json")))
	var before RunbookFile
	require.NoError(t, json.Unmarshal(raw, &before))
	for _, s := range before.Steps {
		assert.Equal(t, StepPending, s.Status, s.ID)
	}
	var seen []string
	env.AfterStep = func(i int, id string) {
		// Journaled before the next step: runbook.json says done.
		rf2, err := ReadRunbook(runs, j.ID())
		require.NoError(t, err)
		assert.Equal(t, StepDone, rf2.Steps[i].Status, id)
		seen = append(seen, id)
	}
	out, err := RunRunbook(testContext(t), j, rf, env)
	require.NoError(t, err)
	assert.True(t, out.Complete)
	assert.Equal(t, []string{"stop:tms01", "start:tms02", "database", "inventory", "audit"}, seen)
	m := j.Manifest()
	assert.True(t, m.Finished())
	steps := map[string]int{}
	for _, c := range m.Changes {
		assert.Equal(t, Applied, c.Status, c.Object)
		steps[c.Step]++
	}
	assert.Equal(t, map[string]int{"stop:tms01": 7, "start:tms02": 6, "database": 1, "inventory": 1}, steps)
	a := audit(t, filepath.Join(dir, "inventory.yaml"))
	for _, r := range a.results {
		assert.NotEqual(t, checks.Fail, r.Status, "%s %s", r.Rule, r.Node)
	}
	id, err := FindRunbookRun(runs, "promote", []string{"tms02"})
	require.NoError(t, err)
	assert.Empty(t, id, "a finished run is not carried on")
	last, err := LastRunbook(runs, "promote")
	require.NoError(t, err)
	require.NotNil(t, last)
	assert.Equal(t, []string{"tms02"}, last.Args)
}

// TestRunRunbookStopsAtAFailedStep: a step that cannot be made stops the
// run there, journaled failed, with the steps after it pending and the run
// open; the node it failed on is as it was.
func TestRunRunbookStopsAtAFailedStep(t *testing.T) {
	dir, runs, j, rf, env := promoteRun(t)
	// The plan wants a service tms02 does not have.
	st := &rf.Runbook.Steps[1]
	st.Services = append(st.Services, runbooks.ServiceChange{Name: "TMSGhostService", To: runbooks.ServiceState{StartType: "Automatic", State: "Running"}})
	facts02 := must(os.ReadFile(filepath.Join(dir, "nodes/tms02/facts.json")))
	out, err := RunRunbook(testContext(t), j, rf, env)
	require.NoError(t, err)
	assert.False(t, out.Complete)
	require.Len(t, out.Steps, 2)
	assert.Equal(t, StepFailed, out.Steps[1].Status)
	assert.Contains(t, out.Steps[1].Error, "service TMSGhostService is not installed")
	assert.Equal(t, facts02, must(os.ReadFile(filepath.Join(dir, "nodes/tms02/facts.json"))))
	back, err := ReadRunbook(runs, j.ID())
	require.NoError(t, err)
	assert.Equal(t, []StepStatus{StepDone, StepFailed, StepPending, StepPending, StepPending},
		[]StepStatus{back.Steps[0].Status, back.Steps[1].Status, back.Steps[2].Status, back.Steps[3].Status, back.Steps[4].Status})
	m := j.Manifest()
	assert.False(t, m.Finished())
	id, err := FindRunbookRun(runs, "promote", []string{"TMS02"})
	require.NoError(t, err)
	assert.Equal(t, j.ID(), id, "the open run is found to be carried on")
	_, err = FindRunbookRun(runs, "promote", []string{"tms03"})
	require.NoError(t, err)
	sums, err := Summaries(runs)
	require.NoError(t, err)
	require.Len(t, sums, 1)
	assert.Equal(t, "promote tms02", sums[0].What)
	assert.Equal(t, "never finished", sums[0].State)
	assert.True(t, sums[0].Runbook)
}

// TestRunRunbookRefusesAnInventoryChangedSinceThePlan: a value someone
// changed since the plan is not overwritten.
func TestRunRunbookRefusesAnInventoryChangedSinceThePlan(t *testing.T) {
	dir, _, j, rf, env := promoteRun(t)
	invPath := filepath.Join(dir, "inventory.yaml")
	raw := must(os.ReadFile(invPath))
	edited := strings.Replace(string(raw), "master: tms01", "master: tms03", 1)
	require.NoError(t, os.WriteFile(invPath, []byte(edited), 0o644))
	out, err := RunRunbook(testContext(t), j, rf, env)
	require.NoError(t, err)
	require.Len(t, out.Steps, 4)
	assert.Equal(t, StepFailed, out.Steps[3].Status)
	assert.Contains(t, out.Steps[3].Error, `the inventory's data_sync.master is "tms03", the plan expected "tms01"`)
	assert.Equal(t, edited, string(must(os.ReadFile(invPath))))
}

// TestRunRunbookWritesTheOtherDatabaseOnlyAfterTheSwitch: the engine
// refuses a step order that would write the off-site database before the
// inventory names it live (a rollback would look for it elsewhere).
func TestRunRunbookWritesTheOtherDatabaseOnlyAfterTheSwitch(t *testing.T) {
	_, _, j, rf, env := promoteRun(t)
	rf.Runbook.Steps[2].Settings.Store = runbooks.OffsiteStore
	out, err := RunRunbook(testContext(t), j, rf, env)
	require.NoError(t, err)
	require.Len(t, out.Steps, 3)
	assert.Contains(t, out.Steps[2].Error, "the inventory step must come first")
}

// TestRunRunbookNeverWritesAnImpossibleAddress: whatever built or edited
// the runbook, the engine refuses to write an address TMS cannot use into
// the database, as the addresses fixer does (issue 8, item 8).
func TestRunRunbookNeverWritesAnImpossibleAddress(t *testing.T) {
	dir, _, j, rf, env := promoteRun(t)
	rf.Runbook.Steps[2].Settings.After.IPv4Local = "999.10.0.300"
	db := must(os.ReadFile(filepath.Join(dir, "db.json")))
	out, err := RunRunbook(testContext(t), j, rf, env)
	require.NoError(t, err)
	assert.False(t, out.Complete)
	require.Len(t, out.Steps, 3)
	assert.Equal(t, StepFailed, out.Steps[2].Status)
	assert.Contains(t, out.Steps[2].Error, `refusing to set ipv4_local in`)
	assert.Contains(t, out.Steps[2].Error, `"999.10.0.300" is not an IPv4 address`)
	assert.Equal(t, db, must(os.ReadFile(filepath.Join(dir, "db.json"))), "db.json unchanged")
}

// TestReadRunbookIsStrict: the engine acts on runbook.json; what a hand
// edit could make of it is refused.
func TestReadRunbookIsStrict(t *testing.T) {
	_, runs, j, rf, _ := promoteRun(t)
	path := filepath.Join(j.Dir(), "runbook.json")
	good := must(os.ReadFile(path))
	for name, edit := range map[string]func(*RunbookFile) any{
		"unknown key":       func(r *RunbookFile) any { return map[string]any{"schema": RunbookSchema, "extra": 1} },
		"schema":            func(r *RunbookFile) any { r.Schema = "tmsdrift/runbook/v9"; return r },
		"relative path":     func(r *RunbookFile) any { r.Inventory = "inventory.yaml"; return r },
		"steps mismatch":    func(r *RunbookFile) any { r.Steps = r.Steps[:2]; return r },
		"steps out of step": func(r *RunbookFile) any { r.Steps[0].ID = "audit"; return r },
	} {
		var cp RunbookFile
		require.NoError(t, json.Unmarshal(good, &cp))
		raw, err := json.Marshal(edit(&cp))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(path, raw, 0o600))
		_, err = ReadRunbook(runs, j.ID())
		assert.Error(t, err, name)
	}
	require.NoError(t, os.WriteFile(path, good, 0o600))
	back, err := ReadRunbook(runs, j.ID())
	require.NoError(t, err)
	assert.Equal(t, rf.Runbook.Steps, back.Runbook.Steps)
}

// TestParseRunbookFile: runbook.json as the engine writes it parses back
// to the same runbook; every way it can be wrong is refused, since a run
// that is carried on acts on what it says.
func TestParseRunbookFile(t *testing.T) {
	_, _, j, rf, _ := promoteRun(t)
	raw := must(os.ReadFile(filepath.Join(j.Dir(), "runbook.json")))
	got, err := ParseRunbookFile(raw)
	require.NoError(t, err)
	assert.Equal(t, rf.Runbook, got.Runbook)
	assert.Equal(t, rf.Inventory, got.Inventory)
	_, err = ParseRunbookFile(must(os.ReadFile(filepath.Join("testdata", "runbook", "promote-tms02.json"))))
	require.NoError(t, err, "the fuzz seed is a runbook.json of today's shape (regenerate it from a promote run if not)")

	bad := map[string]string{
		"unknown key":       strings.Replace(string(raw), `"schema"`, `"colour": 1, "schema"`, 1),
		"another schema":    strings.Replace(string(raw), RunbookSchema, "tmsdrift/runbook/v9", 1),
		"relative path":     strings.Replace(string(raw), `"inventory": "`+rf.Inventory, `"inventory": "inventory.yaml`, 1),
		"steps out of step": strings.Replace(string(raw), `"id": "stop:tms01",`, `"id": "stop:tms03",`, 1),
		"two values":        string(raw) + "{}",
		"not json":          "runbook",
	}
	for name, text := range bad {
		require.NotEqual(t, string(raw), text, name)
		_, err := ParseRunbookFile([]byte(text))
		assert.Error(t, err, name)
	}
}

// FuzzParseRunbookFile: whatever runbook.json holds, parsing never panics,
// and what it accepts has one progress entry per step, matching by id,
// and an absolute inventory path.
func FuzzParseRunbookFile(f *testing.F) {
	f.Add(must(os.ReadFile(filepath.Join("testdata", "runbook", "promote-tms02.json"))))
	f.Add([]byte(`{"schema":"tmsdrift/runbook/v1","inventory":"/x/inventory.yaml","runbook":{"steps":[]},"steps":[]}`))
	f.Add([]byte("null"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		rf, err := ParseRunbookFile(raw)
		if err != nil {
			return
		}
		require.Len(t, rf.Steps, len(rf.Runbook.Steps))
		for i, s := range rf.Runbook.Steps {
			require.Equal(t, s.ID, rf.Steps[i].ID)
		}
		require.True(t, filepath.IsAbs(rf.Inventory))
	})
}
