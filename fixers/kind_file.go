package fixers

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"slices"
	"strings"

	"github.com/tmsdrift/tmsdrift/collect"
	"github.com/tmsdrift/tmsdrift/internal/atomicfile"
	"github.com/tmsdrift/tmsdrift/manifest"
)

// The file kind: one file on a node is created, replaced or deleted
// (web.config, customer data files). Its backup is a copy in the run
// folder; its new content is checked against the planned SHA-256 while it
// is written, so a source that changed since the plan fails the write
// instead of spreading.

// FileOp replaces, creates or deletes one file on a node.
type FileOp struct {
	Path string // Windows path on the node
	// Before is what the file must be when the change is applied (else it
	// changed since the plan and is left alone); After what it will be.
	Before, After FileState
	// The new content, for create and replace: Data, or a copy of a file
	// on another node (From), or a backup in a run folder (rollback). The
	// engine checks it against After while writing, so a source that
	// changed since the plan fails the change instead of spreading. Data
	// may hold key material (web.config): it is never printed.
	Data   []byte
	From   *NodeFile
	backup *backupRef
}

// NodeFile is a file on a node: where data.synced copies from.
type NodeFile struct {
	Node string
	Path string // Windows path
}

// FileState identifies a file's content.
type FileState struct {
	Exists bool
	Size   int64
	SHA256 string // lower-case hex
}

// backupRef is a file backup in a run folder: what rollback writes back.
type backupRef struct {
	journal *Journal
	rel     string
}

// KindFile is the journal's name of this kind: a file on a node.
const KindFile Kind = "file"

var _ Op = (*FileOp)(nil)

// Kind is KindFile.
func (op *FileOp) Kind() Kind { return KindFile }

// Object is the file's Windows path.
func (op *FileOp) Object() string { return op.Path }

// Action is create, replace or delete, from the states.
func (op *FileOp) Action() Action {
	switch {
	case !op.After.Exists:
		return Delete
	case !op.Before.Exists:
		return Create
	}
	return Replace
}

// Identity is the path as Windows compares it.
func (op *FileOp) Identity() string {
	return strings.ToLower(strings.ReplaceAll(op.Path, "/", `\`))
}

// StateBefore is the content the plan saw.
func (op *FileOp) StateBefore() State { return stateOfFile(op.Before, "") }

// StateAfter is the content the op writes.
func (op *FileOp) StateAfter() State { return stateOfFile(op.After, "") }

// Prepare copies the file as it is into the run folder and checks it
// against the plan.
func (op *FileOp) Prepare(ctx context.Context, oc *OpContext) (State, error) {
	var cur FileState
	backup := ""
	r, err := oc.Target.OpenFile(ctx, op.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return State{}, fmt.Errorf("read: %w", err)
	default:
		backup, cur, err = oc.Journal.backup(oc.Node, op.Path, r)
		if cerr := r.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("read: %w", cerr)
		}
		if err != nil {
			return State{}, err
		}
	}
	if !oc.Force && cur != op.Before {
		return State{}, fmt.Errorf("%w: it is %s, the plan expected %s", errChanged, describeState(cur), describeState(op.Before))
	}
	return stateOfFile(cur, backup), nil
}

// Apply writes the new content (checked while written) or deletes the
// file. The transport's write is atomic: a failed one changed nothing.
func (op *FileOp) Apply(ctx context.Context, oc *OpContext) error {
	if !op.After.Exists {
		return oc.Target.RemoveFile(ctx, op.Path)
	}
	r, err := op.content(ctx, oc)
	if err != nil {
		return err
	}
	defer r.Close()
	return oc.Target.WriteFile(ctx, op.Path, newVerifier(r, op.After))
}

// Verify hashes the file as it is now.
func (op *FileOp) Verify(ctx context.Context, oc *OpContext) (Is, error) {
	cur, err := fileStateAt(ctx, oc.Target, op.Path)
	return isAt(cur, err, op.Before, op.After)
}

// Undo writes the backup back (checked against its recorded hash), or
// deletes a file that did not exist.
func (op *FileOp) Undo(ctx context.Context, oc *OpContext, was State) error {
	before := was.fileState()
	if !before.Exists {
		return oc.Target.RemoveFile(ctx, op.Path)
	}
	r, err := oc.Journal.openBackup(was.Backup)
	if err != nil {
		return err
	}
	defer r.Close()
	return oc.Target.WriteFile(ctx, op.Path, newVerifier(r, before))
}

// content opens the new bytes of the file.
func (op *FileOp) content(ctx context.Context, oc *OpContext) (io.ReadCloser, error) {
	switch {
	case op.Data != nil:
		return io.NopCloser(bytes.NewReader(op.Data)), nil
	case op.From != nil:
		src, err := oc.Open(ctx, op.From.Node)
		if err != nil {
			return nil, err
		}
		r, err := src.OpenFile(ctx, op.From.Path)
		if err != nil {
			return nil, fmt.Errorf("read %s on %s: %w", op.From.Path, op.From.Node, err)
		}
		return r, nil
	case op.backup != nil:
		return op.backup.journal.openBackup(op.backup.rel)
	}
	return nil, errors.New("the change has no content")
}

// fileKind reads file records back from a journal.
type fileKind struct{}

// validate checks a file record: a node, an action of create, replace or
// delete, and states with a well-formed hash and a backup inside the run
// folder.
func (fileKind) validate(r Record) error {
	if r.Node == "" {
		return errors.New("node: missing")
	}
	if !slices.Contains([]Action{Create, Replace, Delete}, r.Action) {
		return fmt.Errorf("action %q is not one of create, replace, delete", r.Action)
	}
	for _, s := range []struct {
		name string
		st   State
	}{{"before", r.Before}, {"after", r.After}} {
		if s.st.Exists == nil {
			return fmt.Errorf("%s.exists: missing", s.name)
		}
		if *s.st.Exists && !sha256Hex.MatchString(s.st.SHA256) {
			return fmt.Errorf("%s.sha256: %q is not a SHA-256", s.name, s.st.SHA256)
		}
		if s.st.Size < 0 {
			return fmt.Errorf("%s.size: negative", s.name)
		}
		if s.st.Backup != "" && !validBackupPath(s.st.Backup) {
			return fmt.Errorf("%s.backup: %q is not inside the run folder", s.name, s.st.Backup)
		}
	}
	return nil
}

// inverse puts the file back as it was before the run: from the run's
// backup, or deleted when the run created it.
func (fileKind) inverse(r Record, orig *Journal) (Change, error) {
	before, after := r.After.fileState(), r.Before.fileState()
	op := &FileOp{Path: r.Object, Before: before, After: after}
	c := Change{Rules: r.Rules, Node: r.Node, Op: op}
	switch {
	case !after.Exists:
		c.Summary = "delete " + r.Object + " (the run created it)"
	case r.Before.Backup == "":
		return Change{}, fmt.Errorf("%s%s has no backup", r.Object, onNode(r.Node))
	default:
		op.backup = &backupRef{journal: orig, rel: r.Before.Backup}
		c.Summary = "put back " + r.Object + " from the run's backup"
		if !before.Exists {
			c.Summary = "put back " + r.Object + " (the run deleted it)"
		}
	}
	return c, nil
}

// leftovers finds the temporary file that a write of a run that was
// killed (its record still pending) may have left beside the file, and
// returns the changes that delete it. Only customer data files are looked
// at: their folder is listed through the transport's Data. Listing the
// web root for a web.config would read every file under it; pendingNote
// names that temporary file for people instead.
func (fileKind) leftovers(ctx context.Context, r Record, oc *OpContext) ([]Change, error) {
	if r.Status != Pending || !slices.Contains(r.Rules, "data.synced") {
		return nil, nil
	}
	dir, name := splitWinPath(r.Object)
	parent, folder := splitWinPath(dir)
	if parent == "" || folder == "" {
		return nil, nil
	}
	m, err := oc.Target.Data(ctx, parent, []string{folder}, manifest.NewHasher(manifest.HasherOptions{}))
	if err != nil {
		return nil, fmt.Errorf("%s on %s: look for what the interrupted write left: %w", dir, r.Node, err)
	}
	var out []Change
	for _, f := range m.DebrisList() {
		fdir, fname := splitWinPath(f.Rel)
		owner, _ := atomicfile.TempOwner(fname)
		if !strings.EqualFold(owner, name) || !strings.EqualFold(fdir, folder) {
			continue
		}
		p := parent + `\` + f.Rel
		out = append(out, Change{Rules: r.Rules, Node: r.Node,
			Summary: "delete " + fname + " (the temporary file the interrupted run's write left)",
			Op:      &FileOp{Path: p, Before: FileState{Exists: true, Size: f.Size, SHA256: f.SHA256}}})
	}
	return out, nil
}

// pendingNote is what to do by hand about a file write that was under way
// when its run stopped and whose temporary file leftovers does not look
// for.
func (fileKind) pendingNote(r Record) string {
	if slices.Contains(r.Rules, "data.synced") {
		return ""
	}
	_, name := splitWinPath(r.Object)
	return "a temporary file ." + name + ".tmsdrift-<hex>.tmp may be left beside it: delete it by hand"
}

// splitWinPath splits a Windows path at its last separator.
func splitWinPath(p string) (dir, name string) {
	i := strings.LastIndexAny(p, `\/`)
	if i < 0 {
		return "", p
	}
	return p[:i], p[i+1:]
}

// fileState reads a file State as a FileState.
func (s State) fileState() FileState {
	return FileState{Exists: s.Exists != nil && *s.Exists, Size: s.Size, SHA256: s.SHA256}
}

// stateOfFile records a FileState.
func stateOfFile(f FileState, backup string) State {
	exists := f.Exists
	if !exists {
		return State{Exists: &exists}
	}
	return State{Exists: &exists, Size: f.Size, SHA256: f.SHA256, Backup: backup}
}

// stateOf identifies content held in memory.
func stateOf(b []byte) FileState {
	sum := sha256.Sum256(b)
	return FileState{Exists: true, Size: int64(len(b)), SHA256: hex.EncodeToString(sum[:])}
}

// describeState is "123 bytes sha256:0a1b2c3d4e5f", or "absent".
func describeState(s FileState) string {
	if !s.Exists {
		return "absent"
	}
	return fmt.Sprintf("%d bytes sha256:%s", s.Size, s.SHA256[:min(12, len(s.SHA256))])
}

// fileStateAt hashes a node file (absent: a zero FileState).
func fileStateAt(ctx context.Context, t collect.Target, path string) (FileState, error) {
	r, err := t.OpenFile(ctx, path)
	if errors.Is(err, fs.ErrNotExist) {
		return FileState{}, nil
	}
	if err != nil {
		return FileState{}, fmt.Errorf("read: %w", err)
	}
	defer r.Close()
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return FileState{}, fmt.Errorf("read: %w", err)
	}
	return FileState{Exists: true, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// verifier passes content through while hashing it, and fails the read
// at the end when the content is not what the plan expected: the write
// then fails and the transport keeps the original file.
type verifier struct {
	r    io.Reader
	h    hash.Hash
	n    int64
	want FileState
}

func newVerifier(r io.Reader, want FileState) *verifier {
	return &verifier{r: r, h: sha256.New(), want: want}
}

// Read passes bytes through and checks the whole at the end.
func (v *verifier) Read(p []byte) (int, error) {
	n, err := v.r.Read(p)
	v.h.Write(p[:n])
	v.n += int64(n)
	if v.n > v.want.Size {
		return n, fmt.Errorf("%w: the content is longer than the %d bytes planned", errChanged, v.want.Size)
	}
	if errors.Is(err, io.EOF) {
		if sum := hex.EncodeToString(v.h.Sum(nil)); v.n != v.want.Size || sum != v.want.SHA256 {
			return n, fmt.Errorf("%w: the content is %d bytes sha256:%s, the plan expected %s", errChanged, v.n, sum[:12], describeState(v.want))
		}
	}
	return n, err
}
