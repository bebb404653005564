package fixers

import (
	"github.com/tmsdrift/tmsdrift/collect/transports"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/inventory"
)

// kindRun opens a run on a copy of lab: a Runner with a journal, for
// testing one kind of change by itself.
func kindRun(t *testing.T, lab string, force bool) (dir string, r *Runner, j *Journal) {
	t.Helper()
	invPath := copyLab(t, lab)
	inv, err := inventory.Load(invPath, inventory.Options{KnownRules: checks.IDs()})
	require.NoError(t, err)
	j, err = NewJournal(t.TempDir(), RunManifest{Command: "test"})
	require.NoError(t, err)
	t.Cleanup(func() { j.Close() })
	r = NewRunner(Env{Inventory: inv, Open: transports.Open, Settings: store(inv), Journal: j, Force: force})
	t.Cleanup(r.Close)
	return filepath.Dir(invPath), r, j
}

// opContext is the context of node's ops in run r.
func opContext(t *testing.T, r *Runner, node string) *OpContext {
	t.Helper()
	oc, err := r.context(testContext(t), node)
	require.NoError(t, err)
	return oc
}

func TestFileOpMakesChecksAndPutsBack(t *testing.T) {
	dir, r, j := kindRun(t, "post-upgrade", false)
	ctx := testContext(t)
	wc := filepath.Join(dir, "nodes/tms02", webConfig)
	stripped := must(os.ReadFile(wc))
	restored := must(os.ReadFile(filepath.Join(dir, "pre-upgrade/web.config")))
	op := &FileOp{Path: `C:\Program Files\TANDBERG\TMS\wwwTMS\web.config`, Before: stateOf(stripped), After: stateOf(restored), Data: restored}
	oc := opContext(t, r, "tms02")

	assert.Equal(t, KindFile, op.Kind())
	assert.Equal(t, Replace, op.Action())
	assert.Equal(t, `c:\program files\tandberg\tms\wwwtms\web.config`, (&FileOp{Path: `C:/Program Files/TANDBERG/TMS/wwwTMS/Web.config`}).Identity())
	assert.Equal(t, Create, (&FileOp{After: FileState{Exists: true}}).Action())
	assert.Equal(t, Delete, (&FileOp{Before: FileState{Exists: true}}).Action())

	is, err := op.Verify(ctx, oc)
	require.NoError(t, err)
	assert.Equal(t, IsBefore, is)
	was, err := op.Prepare(ctx, oc)
	require.NoError(t, err)
	assert.Equal(t, stateOfFile(stateOf(stripped), "backup/tms02/C/Program Files/TANDBERG/TMS/wwwTMS/web.config"), was, "backed up where a person finds it")
	assert.Equal(t, stripped, must(os.ReadFile(filepath.Join(j.Dir(), filepath.FromSlash(was.Backup)))))

	require.NoError(t, op.Apply(ctx, oc))
	assert.Equal(t, restored, must(os.ReadFile(wc)))
	is, err = op.Verify(ctx, oc)
	require.NoError(t, err)
	assert.Equal(t, IsAfter, is)

	require.NoError(t, op.Undo(ctx, oc, was))
	assert.Equal(t, stripped, must(os.ReadFile(wc)), "the backup, byte for byte")
}

func TestFileOpRefusesWhatMovedUnlessForced(t *testing.T) {
	dir, r, _ := kindRun(t, "post-upgrade", false)
	ctx := testContext(t)
	wc := filepath.Join(dir, "nodes/tms02", webConfig)
	restored := must(os.ReadFile(filepath.Join(dir, "pre-upgrade/web.config")))
	op := &FileOp{Path: `C:\Program Files\TANDBERG\TMS\wwwTMS\web.config`, Before: stateOf([]byte("what the plan saw")), After: stateOf(restored), Data: restored}

	_, err := op.Prepare(ctx, opContext(t, r, "tms02"))
	assert.ErrorIs(t, err, errChanged)
	is, err := op.Verify(ctx, opContext(t, r, "tms02"))
	require.NoError(t, err)
	assert.Equal(t, IsNeither, is)

	r.env.Force = true
	was, err := op.Prepare(ctx, opContext(t, r, "tms02"))
	require.NoError(t, err, "forced: what is there is backed up instead")
	assert.Equal(t, stateOf(must(os.ReadFile(wc))).SHA256, was.SHA256)
	assert.Equal(t, "backup/tms02/C/Program Files/TANDBERG/TMS/wwwTMS/web.config~1", was.Backup, "backed up twice in one run: the first copy stays")

	// Content that is not what the plan says fails the write, which
	// changes nothing.
	before := must(os.ReadFile(wc))
	bad := &FileOp{Path: op.Path, Before: op.Before, After: op.After, Data: []byte("other content")}
	err = bad.Apply(ctx, opContext(t, r, "tms02"))
	assert.ErrorIs(t, err, errChanged)
	assert.Equal(t, before, must(os.ReadFile(wc)))
}

func TestFileKindReadsRecordsBack(t *testing.T) {
	yes, no := true, false
	file := State{Exists: &yes, Size: 3, SHA256: sha(1), Backup: "backup/tms02/C/TMS/a.txt"}
	rec := Record{Node: "tms02", Kind: KindFile, Object: `C:\TMS\a.txt`, Action: Replace, Status: Applied,
		Before: file, After: State{Exists: &yes, Size: 4, SHA256: sha(2)}}
	require.NoError(t, fileKind{}.validate(rec))
	c, err := fileKind{}.inverse(rec, &Journal{})
	require.NoError(t, err)
	op := c.Op.(*FileOp)
	assert.Equal(t, Replace, op.Action())
	assert.Equal(t, FileState{Exists: true, Size: 4, SHA256: sha(2)}, op.Before, "the inverse starts where the run left the file")
	assert.Equal(t, FileState{Exists: true, Size: 3, SHA256: sha(1)}, op.After)
	assert.Equal(t, "backup/tms02/C/TMS/a.txt", op.backup.rel)
	assert.Equal(t, `put back C:\TMS\a.txt from the run's backup`, c.Summary)

	created := rec
	created.Action, created.Before = Create, State{Exists: &no}
	c, err = fileKind{}.inverse(created, &Journal{})
	require.NoError(t, err)
	assert.Equal(t, Delete, c.Op.Action())

	noBackup := rec
	noBackup.Before.Backup = ""
	_, err = fileKind{}.inverse(noBackup, &Journal{})
	assert.ErrorContains(t, err, "has no backup")

	for name, edit := range map[string]func(*Record){
		"no node":           func(r *Record) { r.Node = "" },
		"set":               func(r *Record) { r.Action = Set },
		"no exists":         func(r *Record) { r.After.Exists = nil },
		"bad hash":          func(r *Record) { r.Before.SHA256 = "xyz" },
		"backup outside":    func(r *Record) { r.Before.Backup = "../x" },
		"negative size":     func(r *Record) { r.After.Size = -1 },
		"after has backup":  func(r *Record) { r.After.Backup = "backup/x" },
		"step with control": func(r *Record) { r.Step = "stop\x1b[2J" },
	} {
		bad := rec
		bad.Before, bad.After = rec.Before, rec.After
		edit(&bad)
		assert.Error(t, bad.validate(), name)
	}
}

// A data write killed half-way leaves its temporary file beside the file;
// the kind finds it for rollback, and only that one.
func TestFileKindFindsWhatAKilledWriteLeft(t *testing.T) {
	dir, r, _ := kindRun(t, "post-upgrade", false)
	folder := filepath.Join(dir, "nodes/tms02/fs/C/Program Files/TANDBERG/TMS/wwwTMS/Data/EmailTemplate")
	require.NoError(t, os.WriteFile(filepath.Join(folder, ".MeetingReminder.txt.tmsdrift-00112233445566aa.tmp"), []byte("half"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(folder, ".BookingConfirmation.html.tmsdrift-00112233445566bb.tmp"), []byte("other"), 0o644))
	yes := true
	rec := Record{Node: "tms02", Kind: KindFile, Object: `C:\Program Files\TANDBERG\TMS\wwwTMS\Data\EmailTemplate\MeetingReminder.txt`,
		Action: Create, Rules: []string{"data.synced"}, Status: Pending, Before: State{Exists: new(bool)}, After: State{Exists: &yes, Size: 1, SHA256: sha(1)}}

	found, err := fileKind{}.leftovers(testContext(t), rec, opContext(t, r, "tms02"))
	require.NoError(t, err)
	require.Len(t, found, 1)
	assert.Equal(t, `C:\Program Files\TANDBERG\TMS\wwwTMS\Data\EmailTemplate\.MeetingReminder.txt.tmsdrift-00112233445566aa.tmp`, found[0].Object())
	assert.Equal(t, Delete, found[0].Action())
	assert.Equal(t, stateOf([]byte("half")), found[0].Op.(*FileOp).Before)

	rec.Status = Applied
	found, err = fileKind{}.leftovers(testContext(t), rec, opContext(t, r, "tms02"))
	require.NoError(t, err)
	assert.Empty(t, found, "a change that was made left nothing")

	web := Record{Node: "tms02", Kind: KindFile, Object: `C:\TMS\wwwTMS\web.config`, Rules: []string{"machinekey.present"}, Status: Pending}
	assert.Equal(t, "a temporary file .web.config.tmsdrift-<hex>.tmp may be left beside it: delete it by hand", fileKind{}.pendingNote(web))
	assert.Empty(t, fileKind{}.pendingNote(rec))
}

// sha is a well-formed SHA-256 for records.
func sha(n byte) string {
	return stateOf([]byte{n}).SHA256
}
