package fixers

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/tmsdrift/tmsdrift/collect/sqlserver"
	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/inventory"
)

// liveStore keeps the settings in the live tmsng database (database.dsn_env),
// through collect/sqlserver: the inventory's settings query to read, and
// its parameterized update statement (database.settings.update) to write,
// as a compare-and-set in one serializable transaction — exactly one row
// per address, rolled back on any surprise.
type liveStore struct {
	inv *inventory.Inventory
}

// NewLiveStore returns the store for the live database of inv.
func NewLiveStore(inv *inventory.Inventory) SettingsStore {
	return &liveStore{inv: inv}
}

// Name is the server and database, never the DSN.
func (s *liveStore) Name() string {
	name := s.inv.Database.Name
	if name == "" {
		name = inventory.DefaultDatabaseName
	}
	return s.inv.Database.Server + "/" + name
}

// Read reads the settings with the audit's query and mapping, and nothing
// else (no latency samples, no other question): apply, undo and rollback
// call it to compare the database with a plan.
func (s *liveStore) Read(ctx context.Context) (facts.Settings, error) {
	return sqlserver.ReadSettings(ctx, s.inv)
}

// Describe shows the check, the statement and, per address, its
// parameters.
func (s *liveStore) Describe(_ context.Context, op *SettingsOp) (string, error) {
	st := s.inv.Database.Settings
	query, update := st.Query, st.Update
	if strings.TrimSpace(query) == "" {
		query = sqlserver.DefaultSettingsQuery
	}
	if strings.TrimSpace(update) == "" {
		update = sqlserver.DefaultSettingsUpdate
	}
	var b strings.Builder
	fmt.Fprintf(&b, "on %s, in one serializable transaction, written only when the addresses are still the old values and each update changes exactly one row:\n", s.Name())
	if route := sqlserver.SettingsRoute(s.inv); route != "" {
		fmt.Fprintf(&b, "  (%s)\n", route)
	}
	fmt.Fprintf(&b, "  %s  -- check the old values\n", query)
	for _, name := range op.Fields {
		fmt.Fprintf(&b, "  %s  -- @name = %q, @value = %q (was %q)\n", update, sqlserver.NamesOrDefaults(st.Names).Get(name), op.After.Get(name), op.Before.Get(name))
	}
	return b.String(), nil
}

// Write changes op.Fields from op.Before to op.After as a compare-and-set:
// sqlserver.WriteAddresses reads the values inside the transaction that
// writes them and refuses, writing nothing, when any is no longer
// op.Before — a change someone made since the plan is never overwritten.
func (s *liveStore) Write(ctx context.Context, op *SettingsOp) error {
	writes := make([]sqlserver.AddressWrite, 0, len(op.Fields))
	for _, name := range op.Fields {
		writes = append(writes, sqlserver.AddressWrite{Key: name, Expected: op.Before.Get(name), Value: op.After.Get(name)})
	}
	err := sqlserver.WriteAddresses(ctx, s.inv, writes)
	var changed *sqlserver.ChangedError
	if errors.As(err, &changed) {
		return fmt.Errorf("%w: %w — run fix again", errChanged, changed)
	}
	return err
}
