package fixers

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/inventory"
)

// TestInventoryOpMakesChecksAndPutsBack edits a lab copy's inventory in
// place, checks it, puts it back byte for byte, and refuses a file that
// moved since the plan unless forced.
func TestInventoryOpMakesChecksAndPutsBack(t *testing.T) {
	dir, r, j := kindRun(t, "manual-cutover", false)
	ctx := testContext(t)
	path := filepath.Join(dir, "inventory.yaml")
	orig := must(os.ReadFile(path))
	edited, _, err := inventory.Edit(path, orig, []inventory.Change{{Field: "nodes[0].role", Value: "standby"}, {Field: "nodes[1].role", Value: "primary"}}, inventory.Options{})
	require.NoError(t, err)
	c := NewInventoryChange("inventory", path, orig, edited, "swap roles")
	op := c.Op.(*InventoryOp)
	oc := opContext(t, r, "")

	assert.Equal(t, KindInventory, op.Kind())
	assert.Equal(t, Replace, op.Action())
	assert.Equal(t, path, op.Object())
	assert.Equal(t, "inventory", c.Step)

	is, err := op.Verify(ctx, oc)
	require.NoError(t, err)
	assert.Equal(t, IsBefore, is)
	was, err := op.Prepare(ctx, oc)
	require.NoError(t, err)
	assert.Equal(t, "backup/inventory/inventory.yaml", was.Backup)
	kept := must(os.ReadFile(filepath.Join(j.Dir(), filepath.FromSlash(was.Backup))))
	assert.Equal(t, orig, kept, "the backup is the file as it was")
	require.NoError(t, op.Apply(ctx, oc))
	assert.Equal(t, edited, must(os.ReadFile(path)))
	is, err = op.Verify(ctx, oc)
	require.NoError(t, err)
	assert.Equal(t, IsAfter, is)
	require.NoError(t, op.Undo(ctx, oc, was))
	assert.Equal(t, orig, must(os.ReadFile(path)), "the inventory byte for byte")
	require.NoError(t, op.Undo(ctx, oc, was), "putting back what is back changes nothing")

	// Someone edited the inventory since the plan: refused, nothing kept.
	require.NoError(t, os.WriteFile(path, append(orig, "# edited\n"...), 0o644))
	_, err = op.Prepare(ctx, oc)
	assert.ErrorIs(t, err, errChanged)
	is, err = op.Verify(ctx, oc)
	require.NoError(t, err)
	assert.Equal(t, IsNeither, is)

	// Forced, what is there is kept first (a second backup, not over the
	// first) and replaced.
	_, fr, fj := kindRun(t, "manual-cutover", true)
	foc := opContext(t, fr, "")
	was, err = op.Prepare(ctx, foc)
	require.NoError(t, err)
	assert.Equal(t, append(orig, "# edited\n"...), must(os.ReadFile(filepath.Join(fj.Dir(), filepath.FromSlash(was.Backup)))))
	require.NoError(t, op.Apply(ctx, foc))
	assert.Equal(t, edited, must(os.ReadFile(path)))

	// Content that is not what the plan made fails the write and leaves
	// the file as it was.
	bad := &InventoryOp{Path: path, Before: op.After, After: op.Before, Data: []byte("model: other\n")}
	assert.ErrorIs(t, bad.Apply(ctx, oc), errChanged)
	assert.Equal(t, edited, must(os.ReadFile(path)))
}

// TestInventoryOpKeepsMode: the rewritten inventory keeps its mode.
func TestInventoryOpKeepsMode(t *testing.T) {
	dir, r, _ := kindRun(t, "manual-cutover", false)
	ctx := testContext(t)
	path := filepath.Join(dir, "inventory.yaml")
	require.NoError(t, os.Chmod(path, 0o640))
	orig := must(os.ReadFile(path))
	edited := []byte(strings.Replace(string(orig), "deployment: acme-manual-cutover", "deployment: acme-x", 1))
	op := NewInventoryChange("inventory", path, orig, edited, "").Op
	oc := opContext(t, r, "")
	_, err := op.Prepare(ctx, oc)
	require.NoError(t, err)
	require.NoError(t, op.Apply(ctx, oc))
	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o640), st.Mode().Perm())
}

func TestInventoryKindReadsRecordsBack(t *testing.T) {
	yes := true
	sum := strings.Repeat("ab", 32)
	rec := Record{Step: "inventory", Kind: KindInventory, Object: "/srv/tms/inventory.yaml", Action: Replace, Status: Applied,
		Before: State{Exists: &yes, Size: 10, SHA256: sum, Backup: "backup/inventory/inventory.yaml"},
		After:  State{Exists: &yes, Size: 12, SHA256: strings.Repeat("cd", 32)}}
	require.NoError(t, rec.validate())
	j, err := NewJournal(t.TempDir(), RunManifest{Command: "test"})
	require.NoError(t, err)
	defer j.Close()
	c, err := inventoryKind{}.inverse(rec, j)
	require.NoError(t, err)
	op := c.Op.(*InventoryOp)
	assert.Equal(t, "/srv/tms/inventory.yaml", op.Path)
	assert.Equal(t, FileState{Exists: true, Size: 12, SHA256: strings.Repeat("cd", 32)}, op.Before)
	assert.Equal(t, FileState{Exists: true, Size: 10, SHA256: sum}, op.After)
	assert.Equal(t, "inventory", c.Step)
	for name, edit := range map[string]func(*Record){
		"a node":            func(r *Record) { r.Node = "tms01" },
		"create":            func(r *Record) { r.Action = Create },
		"relative path":     func(r *Record) { r.Object = "inventory.yaml" },
		"absent before":     func(r *Record) { no := false; r.Before.Exists = &no },
		"no state":          func(r *Record) { r.After = State{} },
		"bad hash":          func(r *Record) { r.After.SHA256 = "xyz" },
		"backup outside":    func(r *Record) { r.Before.Backup = "../../etc/passwd" },
		"after backed up":   func(r *Record) { r.After.Backup = "backup/x" },
		"backup not backup": func(r *Record) { r.Before.Backup = "manifest.json" },
	} {
		bad := rec
		bad.Before.Exists, bad.After.Exists = &yes, &yes
		edit(&bad)
		assert.Error(t, bad.validate(), name)
	}
	noBackup := rec
	noBackup.Before.Backup = ""
	_, err = inventoryKind{}.inverse(noBackup, j)
	assert.Error(t, err)
}
