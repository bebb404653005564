package fixers

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/tmsdrift/tmsdrift/internal/atomicfile"
)

// The inventory kind: the inventory file itself, rewritten in place by a
// runbook (roles swapped, addresses moved, the live database switched;
// inventory.Edit keeps every other byte). It is a local file, not a node's:
// Node is "", Object the file's absolute path. Its backup is a copy in the
// run folder (backup/inventory/<file name>), so a rollback gives back the
// file byte for byte; its new content is checked against the planned
// SHA-256 as it is written.

// KindInventory is the journal's name of this kind: the inventory file.
const KindInventory Kind = "inventory"

// InventoryOp replaces the inventory file with Data.
type InventoryOp struct {
	// Path is the inventory file, absolute.
	Path string
	// Before is what the file must be when the change is applied; After
	// what Data is.
	Before, After FileState
	// Data is the edited inventory (or, for a rollback, nil: the content
	// comes from the run's backup).
	Data   []byte
	backup *backupRef
}

var _ Op = (*InventoryOp)(nil)

// Kind is KindInventory.
func (op *InventoryOp) Kind() Kind { return KindInventory }

// Object is the inventory's path.
func (op *InventoryOp) Object() string { return op.Path }

// Action is replace: an inventory is edited, never created or deleted.
func (op *InventoryOp) Action() Action { return Replace }

// Identity is the cleaned path: one inventory, one change per plan.
func (op *InventoryOp) Identity() string { return filepath.Clean(op.Path) }

// StateBefore is the content the plan saw.
func (op *InventoryOp) StateBefore() State { return stateOfFile(op.Before, "") }

// StateAfter is the content the op writes.
func (op *InventoryOp) StateAfter() State { return stateOfFile(op.After, "") }

// Prepare reads the inventory, checks it is what the plan saw (unless
// oc.Force), and keeps a copy in the run folder: the way back.
func (op *InventoryOp) Prepare(_ context.Context, oc *OpContext) (State, error) {
	raw, err := os.ReadFile(op.Path)
	if err != nil {
		return State{}, fmt.Errorf("read: %w", err)
	}
	cur := stateOfBytes(raw)
	if !oc.Force && cur != op.Before {
		return State{}, fmt.Errorf("%w: it is %s, the plan expected %s", errChanged, describeState(cur), describeState(op.Before))
	}
	if oc.Journal == nil {
		return State{}, errors.New("no run folder to keep the inventory's backup in")
	}
	rel, kept, err := oc.Journal.keep("backup/inventory/"+safeName(filepath.Base(op.Path)), bytes.NewReader(raw))
	if err != nil {
		return State{}, fmt.Errorf("back up %s: %w", op.Path, err)
	}
	return stateOfFile(kept, rel), nil
}

// Apply writes the new content atomically (internal/atomicfile: a
// temporary file renamed over the inventory, keeping its mode; through a
// symlink to the file it names), checking it against After as it goes.
func (op *InventoryOp) Apply(_ context.Context, _ *OpContext) error {
	r, err := op.content()
	if err != nil {
		return err
	}
	defer r.Close()
	return writeLocal(op.Path, newVerifier(r, op.After))
}

// Verify hashes the inventory as it is now.
func (op *InventoryOp) Verify(_ context.Context, _ *OpContext) (Is, error) {
	cur, err := localFileState(op.Path)
	return isAt(cur, err, op.Before, op.After)
}

// Undo writes back the copy Prepare kept, unless the file is that already.
func (op *InventoryOp) Undo(_ context.Context, oc *OpContext, was State) error {
	want := was.fileState()
	if cur, err := localFileState(op.Path); err == nil && cur == want {
		return nil
	}
	if was.Backup == "" || oc.Journal == nil {
		return fmt.Errorf("%s: no backup to put back", op.Path)
	}
	r, err := oc.Journal.openBackup(was.Backup)
	if err != nil {
		return err
	}
	defer r.Close()
	return writeLocal(op.Path, newVerifier(r, want))
}

// content opens the new bytes: Data, or the backup a rollback restores.
func (op *InventoryOp) content() (io.ReadCloser, error) {
	switch {
	case op.Data != nil:
		return io.NopCloser(bytes.NewReader(op.Data)), nil
	case op.backup != nil:
		return op.backup.journal.openBackup(op.backup.rel)
	}
	return nil, errors.New("the change has no content")
}

// writeLocal replaces a local file with what r holds, atomically, keeping
// the file's mode.
func writeLocal(path string, r io.Reader) error {
	return atomicfile.Write(path, 0o644, func(w io.Writer) error {
		_, err := io.Copy(w, r)
		return err
	})
}

// localFileState hashes a local file (absent: a zero FileState).
func localFileState(path string) (FileState, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return FileState{}, nil
	}
	if err != nil {
		return FileState{}, fmt.Errorf("read: %w", err)
	}
	return stateOfBytes(raw), nil
}

// stateOfBytes is the FileState of content b.
func stateOfBytes(b []byte) FileState {
	sum := sha256.Sum256(b)
	return FileState{Exists: true, Size: int64(len(b)), SHA256: hex.EncodeToString(sum[:])}
}

// NewInventoryChange is the change that replaces the inventory at path,
// whose content is now before, with after, for the runbook step step.
func NewInventoryChange(step, path string, before, after []byte, summary string) Change {
	return Change{Step: step, Summary: summary, Op: &InventoryOp{Path: path, Before: stateOfBytes(before), After: stateOfBytes(after), Data: after}}
}

// inventoryKind reads inventory records back from a journal.
type inventoryKind struct{}

// validate checks an inventory record: no node, replace, an absolute
// path, both states present with a SHA-256, the backup inside the run
// folder.
func (inventoryKind) validate(r Record) error {
	if r.Node != "" {
		return errors.New("node: an inventory change belongs to no node")
	}
	if r.Action != Replace {
		return fmt.Errorf("action %q: the inventory is replaced", r.Action)
	}
	if !filepath.IsAbs(r.Object) {
		return fmt.Errorf("object %q: not an absolute path", r.Object)
	}
	for _, s := range []struct {
		name string
		st   State
	}{{"before", r.Before}, {"after", r.After}} {
		if s.st.Exists == nil || !*s.st.Exists {
			return fmt.Errorf("%s.exists: the inventory is always there", s.name)
		}
		if !sha256Hex.MatchString(s.st.SHA256) || s.st.Size < 0 {
			return fmt.Errorf("%s: %q is not a SHA-256", s.name, s.st.SHA256)
		}
		if s.st.Backup != "" && !validBackupPath(s.st.Backup) {
			return fmt.Errorf("%s.backup: %q is not inside the run folder", s.name, s.st.Backup)
		}
	}
	if r.After.Backup != "" {
		return errors.New("after.backup: only the state before has one")
	}
	return nil
}

// inverse puts the inventory back from the run's backup.
func (inventoryKind) inverse(r Record, orig *Journal) (Change, error) {
	if r.Before.Backup == "" {
		return Change{}, fmt.Errorf("inventory %s has no backup", r.Object)
	}
	op := &InventoryOp{Path: r.Object, Before: r.After.fileState(), After: r.Before.fileState(),
		backup: &backupRef{journal: orig, rel: r.Before.Backup}}
	return Change{Rules: r.Rules, Step: r.Step, Op: op, Summary: "put back the inventory " + r.Object + " from the run's backup"}, nil
}
