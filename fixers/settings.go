package fixers

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/internal/atomicfile"
	"github.com/tmsdrift/tmsdrift/internal/jsonedit"
)

// SettingsStore is where the TMS server addresses live: the live tmsng
// database, or db.json when the inventory audits a recorded snapshot. The
// addresses fixer changes them only through this interface, so the live
// statement (issue 3's collect/sqlserver) and the snapshot file are
// interchangeable and each is tested on its own.
type SettingsStore interface {
	// Name says where the settings are, for plans and reports ("db.json",
	// "sql01.acme.local\TMS/tmsng"); never a DSN or password.
	Name() string
	// Read returns the settings as they are now.
	Read(ctx context.Context) (facts.Settings, error)
	// Describe is what the plan shows for op: the statement and its
	// parameters, or the diff of the file.
	Describe(ctx context.Context, op *SettingsOp) (string, error)
	// Write changes op.Fields from op.Before to op.After as one unit (one
	// transaction, one file rename). When the stored values of op.Fields
	// are not op.Before, or anything else is surprising (rows affected,
	// a dropped connection), it changes nothing and says why.
	Write(ctx context.Context, op *SettingsOp) error
}

// snapshotStore keeps the settings in db.json (database.snapshot): the
// offline form of the database, so the labs and CI can be fixed end to end.
type snapshotStore struct {
	path string // resolved path of db.json
	name string // as the inventory spells it
}

// NewSnapshotStore returns the store for a db.json file at path; name is
// how plans call it (the inventory's database.snapshot).
func NewSnapshotStore(path, name string) SettingsStore {
	return &snapshotStore{path: path, name: name}
}

// Name is db.json as the inventory spells it.
func (s *snapshotStore) Name() string { return s.name }

func (s *snapshotStore) read() ([]byte, *facts.DBFacts, error) {
	raw, err := os.ReadFile(s.path)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", s.name, err)
	}
	f, err := facts.ParseDB(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", s.name, err)
	}
	if f.Settings == nil {
		return nil, nil, fmt.Errorf("%s has no settings", s.name)
	}
	return raw, f, nil
}

// Read reads the settings from db.json.
func (s *snapshotStore) Read(context.Context) (facts.Settings, error) {
	_, f, err := s.read()
	if err != nil {
		return facts.Settings{}, err
	}
	return *f.Settings, nil
}

// edit returns db.json with op applied, after checking op.Before.
func (s *snapshotStore) edit(op *SettingsOp) (raw, out []byte, err error) {
	raw, f, err := s.read()
	if err != nil {
		return nil, nil, err
	}
	if err := checkSettings(*f.Settings, op.Before, op.Fields); err != nil {
		return nil, nil, err
	}
	out = raw
	for _, name := range op.Fields {
		if out, err = jsonedit.SetString(out, op.After.Get(name), "settings", name); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", s.name, err)
		}
	}
	if _, err := facts.ParseDB(out); err != nil {
		return nil, nil, fmt.Errorf("%s after the edit: %w", s.name, err)
	}
	return raw, out, nil
}

// Describe lists the changed values and the diff of db.json.
func (s *snapshotStore) Describe(_ context.Context, op *SettingsOp) (string, error) {
	raw, out, err := s.edit(op)
	if err != nil {
		return "", err
	}
	return describeSettings(op) + unifiedDiff(s.name, s.name+" (fixed)", raw, out), nil
}

// Write edits the values in db.json and replaces the file atomically,
// keeping its mode: the one-file form of a transaction.
func (s *snapshotStore) Write(_ context.Context, op *SettingsOp) error {
	_, out, err := s.edit(op)
	if err != nil {
		return err
	}
	// A new file gets 0644; a replaced one keeps its mode.
	return atomicfile.WriteFile(s.path, out, 0o644)
}

// checkSettings fails when the stored values of fields are not want's:
// someone changed them since the plan.
func checkSettings(got, want facts.Settings, fields []string) error {
	var diffs []string
	for _, name := range fields {
		if got.Get(name) != want.Get(name) {
			diffs = append(diffs, fmt.Sprintf("%s is now %q, the plan expected %q", name, got.Get(name), want.Get(name)))
		}
	}
	if len(diffs) > 0 {
		return fmt.Errorf("%w: %s — run fix again", errChanged, strings.Join(diffs, "; "))
	}
	return nil
}

// errChanged marks a refusal because something is no longer as planned.
var errChanged = errors.New("changed since the plan")

// describeSettings lists the changed values, one per line.
func describeSettings(op *SettingsOp) string {
	var b strings.Builder
	for _, name := range op.Fields {
		fmt.Fprintf(&b, "%s: %q -> %q\n", name, op.Before.Get(name), op.After.Get(name))
	}
	return b.String()
}

// writeFileAtomic is atomicfile.WriteFile giving the file exactly mode:
// run manifests and backups stay 0600 whatever was there.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	return atomicfile.WriteFile(path, data, mode, atomicfile.ExactMode())
}
