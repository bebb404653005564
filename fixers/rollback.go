package fixers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/tmsdrift/tmsdrift/collect"
	"github.com/tmsdrift/tmsdrift/internal/atomicfile"
	"github.com/tmsdrift/tmsdrift/inventory"
	"github.com/tmsdrift/tmsdrift/manifest"
)

// backupRef is a file backup in a run folder: what rollback writes back.
type backupRef struct {
	journal *Journal
	rel     string
}

// RollbackRequest names the run to put back and how to reach the
// deployment.
type RollbackRequest struct {
	RunsDir string
	// Run is a run ID, or "last": the newest fix or post-upgrade run.
	Run string
	// Force puts back even what changed since the run (what is there is
	// backed up in the rollback's own run folder first).
	Force         bool
	Inventory     *inventory.Inventory
	InventoryPath string
	Open          collect.Opener
	Settings      SettingsStore
}

// Conflict is an object that changed since the run, so rolling it back
// would overwrite someone's later change.
type Conflict struct {
	Node   string `json:"node"`
	Object string `json:"object"`
	Reason string `json:"reason"`
}

// RefusedError is a rollback refused before anything was changed.
type RefusedError struct {
	Run       string
	Conflicts []Conflict
}

// Error lists what changed since the run.
func (e *RefusedError) Error() string {
	var parts []string
	for _, c := range e.Conflicts {
		parts = append(parts, strings.TrimPrefix(c.Node+" ", " ")+c.Object+": "+c.Reason)
	}
	return fmt.Sprintf("rollback of run %s refused, nothing was changed: %d objects changed since the run (--force puts them back anyway): %s",
		e.Run, len(e.Conflicts), strings.Join(parts, "; "))
}

// ErrBadRun marks a rollback refused for what it was asked to roll back:
// no such run, a run rolled back already, a run folder whose manifest
// cannot be read. Nothing was looked at or changed; the command line calls
// it bad input (errors.Is(err, ErrBadRun)).
var ErrBadRun = errors.New("the run cannot be rolled back")

// badRunError keeps an error's message and marks it ErrBadRun.
type badRunError struct{ err error }

func (e badRunError) Error() string        { return e.err.Error() }
func (e badRunError) Unwrap() error        { return e.err }
func (e badRunError) Is(target error) bool { return target == ErrBadRun }

func badRun(err error) error { return badRunError{err} }

// ResolveRun turns "last" into the newest fix or post-upgrade run under
// runsDir; any other value must name an existing run. A run that was rolled
// back already is refused: rolling back twice would be a surprise.
func ResolveRun(runsDir, run string) (string, error) {
	runs, err := ListRuns(runsDir)
	if err != nil {
		return "", err
	}
	for _, m := range runs {
		if run == "last" && m.Command == "rollback" {
			continue
		}
		if run != "last" && m.ID != run {
			continue
		}
		if m.RolledBackBy != "" {
			return "", fmt.Errorf("run %s was rolled back already (by run %s); name an older run to go further back", m.ID, m.RolledBackBy)
		}
		return m.ID, nil
	}
	if run == "last" {
		return "", fmt.Errorf("no fix run in %s", runsDir)
	}
	return "", fmt.Errorf("no run %s in %s", run, runsDir)
}

// Rollback puts back what a run changed, newest change first, from the
// backups and values in its run folder. Without Force it first checks that
// every object is still as the run left it, and refuses (RefusedError,
// nothing changed) when one is not. An object already back as it was
// before the run is left alone. The rollback is a run of its own, with a
// run folder, so it can be rolled back in turn; when it completes, the
// original run is marked as rolled back.
func Rollback(ctx context.Context, req RollbackRequest) (*Outcome, *Plan, error) {
	if req.Open == nil {
		return nil, nil, fmt.Errorf("rollback: %w", collect.ErrNoOpener)
	}
	id, err := ResolveRun(req.RunsDir, req.Run)
	if err != nil {
		return nil, nil, badRun(err)
	}
	orig, err := OpenJournal(req.RunsDir, id)
	if err != nil {
		return nil, nil, badRun(err)
	}
	defer orig.Close()
	plan, err := inversePlan(orig)
	if err != nil {
		return nil, nil, badRun(err)
	}

	// Look at every object before changing any.
	a := &applier{env: Env{Inventory: req.Inventory, Open: req.Open, Settings: req.Settings}, targets: map[string]collect.Target{}}
	defer a.close()
	debris, err := a.debrisOf(ctx, orig)
	if err != nil {
		return nil, nil, fmt.Errorf("rollback of run %s: %w", id, err)
	}
	plan.Changes = append(plan.Changes, debris...)
	groupByNode(plan.Changes)
	var keep []Change
	var conflicts []Conflict
	for _, c := range plan.Changes {
		asLeft, asBefore, err := a.observe(ctx, &c)
		switch {
		case err != nil:
			return nil, nil, fmt.Errorf("rollback of run %s: %s%s: %w", id, c.Object, onNode(c.Node), err)
		case asBefore:
			continue // already as it was before the run
		case !asLeft:
			conflicts = append(conflicts, Conflict{Node: c.Node, Object: c.Object, Reason: "changed since the run"})
		}
		keep = append(keep, c)
	}
	a.close()
	if len(conflicts) > 0 && !req.Force {
		return nil, nil, &RefusedError{Run: id, Conflicts: conflicts}
	}
	plan.Changes = keep

	// An earlier rollback of the same run that never finished: this one
	// carries it on.
	var earlier []string
	unfinished, err := Unfinished(req.RunsDir)
	if err != nil {
		return nil, nil, badRun(err)
	}
	for _, u := range unfinished {
		if u.Command == "rollback" && u.RollbackOf == id {
			earlier = append(earlier, u.ID)
		}
	}

	m := orig.Manifest()
	j, err := NewJournal(req.RunsDir, RunManifest{Command: "rollback", Deployment: m.Deployment,
		Inventory: req.InventoryPath, StartedAt: time.Now(), RollbackOf: id, Resumes: earlier})
	if err != nil {
		return nil, nil, err
	}
	defer j.Close()
	if err := MarkResumed(req.RunsDir, earlier, j.ID()); err != nil {
		return nil, nil, err
	}
	out, err := Apply(ctx, plan, Env{Inventory: req.Inventory, Open: req.Open, Settings: req.Settings, Journal: j, Force: req.Force})
	out.RollbackOf = id
	if err != nil {
		return out, plan, err
	}
	if out.Complete() {
		if err := orig.markRolledBack(j.ID()); err != nil {
			return out, plan, err
		}
	}
	return out, plan, nil
}

// inversePlan is the plan that undoes a run's applied (or possibly
// applied) changes, newest first, node by node.
func inversePlan(orig *Journal) (*Plan, error) {
	m := orig.Manifest()
	plan := &Plan{}
	for i := len(m.Changes) - 1; i >= 0; i-- {
		r := m.Changes[i]
		// Applied and not put back, or maybe applied (the run stopped):
		// observe decides whether there is anything to do.
		if r.Status != Applied && r.Status != Pending && r.Status != NotRestored {
			continue
		}
		c := Change{Rules: r.Rules, Node: r.Node, Kind: r.Kind, Object: r.Object, Action: Set}
		switch r.Kind {
		case KindFile:
			before, after := r.After.fileState(), r.Before.fileState()
			op := &FileOp{Path: r.Object, Before: before, After: after}
			switch {
			case !after.Exists:
				c.Action, c.Summary = Delete, "delete "+r.Object+" (the run created it)"
			case r.Before.Backup == "":
				return nil, fmt.Errorf("run %s: %s%s has no backup", m.ID, r.Object, onNode(r.Node))
			default:
				op.backup = &backupRef{journal: orig, rel: r.Before.Backup}
				c.Action, c.Summary = Replace, "put back "+r.Object+" from the run's backup"
				if !before.Exists {
					c.Action, c.Summary = Create, "put back "+r.Object+" (the run deleted it)"
				}
			}
			c.File = op
		case KindService:
			op := &ServiceOp{Name: r.Object,
				Before: ServiceState{StartType: r.After.StartType, State: r.After.State},
				After:  ServiceState{StartType: r.Before.StartType, State: r.Before.State}}
			c.Service = op
			c.Summary = fmt.Sprintf("set %s back to %s/%s", r.Object, op.After.StartType, op.After.State)
		case KindDatabase:
			op := &SettingsOp{}
			for _, name := range settingsFields {
				if v, ok := r.Before.Settings[name]; ok {
					op.Fields = append(op.Fields, name)
					*field(&op.After, name) = v
					*field(&op.Before, name) = r.After.Settings[name]
				}
			}
			c.Settings = op
			c.Summary = "set " + strings.TrimSuffix(strings.ReplaceAll(describeSettings(op), "\n", ", "), ", ") + " in " + r.Object
		}
		plan.Changes = append(plan.Changes, c)
	}
	groupByNode(plan.Changes)
	return plan, nil
}

// groupByNode puts each node's changes together, as Apply takes them, in
// the order the nodes first appear, keeping the order within each node.
func groupByNode(changes []Change) {
	first := map[string]int{}
	for i, c := range changes {
		if _, ok := first[strings.ToLower(c.Node)]; !ok {
			first[strings.ToLower(c.Node)] = i
		}
	}
	slices.SortStableFunc(changes, func(a, b Change) int {
		return first[strings.ToLower(a.Node)] - first[strings.ToLower(b.Node)]
	})
}

// observe reports whether c's object is as the run left it (c's Before)
// or as it was before the run (c's After).
func (a *applier) observe(ctx context.Context, c *Change) (asLeft, asBefore bool, err error) {
	switch c.Kind {
	case KindFile:
		t, err := a.target(ctx, c.Node)
		if err != nil {
			return false, false, err
		}
		cur, err := fileStateAt(ctx, t, c.File.Path)
		if err != nil {
			return false, false, err
		}
		return cur == c.File.Before, cur == c.File.After, nil
	case KindService:
		t, err := a.target(ctx, c.Node)
		if err != nil {
			return false, false, err
		}
		cur, err := serviceState(ctx, t, c.Service.Name)
		if err != nil {
			return false, false, err
		}
		return cur == c.Service.Before, cur == c.Service.After, nil
	case KindDatabase:
		if a.env.Settings == nil {
			return false, false, errors.New("the database cannot be changed from here")
		}
		cur, err := a.env.Settings.Read(ctx)
		if err != nil {
			return false, false, err
		}
		return checkSettings(cur, c.Settings.Before, c.Settings.Fields) == nil,
			checkSettings(cur, c.Settings.After, c.Settings.Fields) == nil, nil
	}
	return false, false, fmt.Errorf("unknown kind %q", c.Kind)
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

// debrisOf finds the temporary files that the writes of run orig left
// when it was killed: a file change still pending in its journal may have
// been cut off in the middle, leaving its temporary file (named by
// atomicfile) beside the file. It returns the changes that delete them.
// Only customer data files are looked at (their folder is listed through
// the transport's Data); a temporary file beside web.config is named in
// the report of the unfinished run instead, since listing the web root
// would read every file under it.
func (a *applier) debrisOf(ctx context.Context, orig *Journal) ([]Change, error) {
	var out []Change
	seen := map[string]bool{}
	for _, r := range orig.Manifest().Changes {
		if r.Status != Pending || r.Kind != KindFile || !slices.Contains(r.Rules, "data.synced") {
			continue
		}
		dir, name := splitWinPath(r.Object)
		parent, folder := splitWinPath(dir)
		if parent == "" || folder == "" || seen[strings.ToLower(r.Node+"\x00"+dir)] {
			continue
		}
		seen[strings.ToLower(r.Node+"\x00"+dir)] = true
		t, err := a.target(ctx, r.Node)
		if err != nil {
			return nil, err
		}
		m, err := t.Data(ctx, parent, []string{folder}, manifest.NewHasher(manifest.HasherOptions{}))
		if err != nil {
			return nil, fmt.Errorf("%s on %s: look for what the interrupted write left: %w", dir, r.Node, err)
		}
		for _, f := range m.DebrisList() {
			fdir, fname := splitWinPath(f.Rel)
			owner, _ := atomicfile.TempOwner(fname)
			if !strings.EqualFold(owner, name) || !strings.EqualFold(fdir, folder) {
				continue
			}
			p := parent + `\` + f.Rel
			out = append(out, Change{Rules: r.Rules, Node: r.Node, Kind: KindFile, Object: p, Action: Delete,
				Summary: "delete " + fname + " (the temporary file the interrupted run's write left)",
				File:    &FileOp{Path: p, Before: fileState(f), After: FileState{}}})
		}
	}
	return out, nil
}

// splitWinPath splits a Windows path at its last separator.
func splitWinPath(p string) (dir, name string) {
	i := strings.LastIndexAny(p, `\/`)
	if i < 0 {
		return "", p
	}
	return p[:i], p[i+1:]
}
