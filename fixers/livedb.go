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
// through collect/sqlserver: the inventory's parameterized update
// statement (database.settings.update), one transaction, exactly one row
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

// Read reads the settings as the audit does.
func (s *liveStore) Read(ctx context.Context) (facts.Settings, error) {
	db := sqlserver.Gather(ctx, s.inv)
	switch {
	case db.Err != nil:
		return facts.Settings{}, db.Err
	case db.Facts == nil:
		return facts.Settings{}, errors.New("database facts unavailable")
	case db.Facts.Settings == nil:
		return facts.Settings{}, errors.New(db.Facts.Lacks("settings"))
	}
	return *db.Facts.Settings, nil
}

// Describe shows the statement and, per address, its parameters.
func (s *liveStore) Describe(_ context.Context, op *SettingsOp) (string, error) {
	st := s.inv.Database.Settings
	update := st.Update
	if strings.TrimSpace(update) == "" {
		update = sqlserver.DefaultSettingsUpdate
	}
	var b strings.Builder
	fmt.Fprintf(&b, "on %s, in one transaction, each changing exactly one row:\n", s.Name())
	for _, name := range op.Fields {
		fmt.Fprintf(&b, "  %s  -- @name = %q, @value = %q (was %q)\n", update, settingName(st.Names, name), getField(op.After, name), getField(op.Before, name))
	}
	return b.String(), nil
}

// Write checks that the values are still op.Before, then writes op.After
// in one transaction. The check and the write are separate round trips: a
// change made between them by someone else is overwritten, as TMS's own
// settings page would do.
func (s *liveStore) Write(ctx context.Context, op *SettingsOp) error {
	cur, err := s.Read(ctx)
	if err != nil {
		return fmt.Errorf("read the settings: %w", err)
	}
	if err := checkSettings(cur, op.Before, op.Fields); err != nil {
		return err
	}
	writes := make([]sqlserver.AddressWrite, 0, len(op.Fields))
	for _, name := range op.Fields {
		writes = append(writes, sqlserver.AddressWrite{Key: name, Value: getField(op.After, name)})
	}
	return sqlserver.WriteAddresses(ctx, s.inv, writes)
}

// settingName is the database's name of an address setting: the
// inventory's, else the reference schema's default.
func settingName(n inventory.SettingNames, key string) string {
	pick := func(v, def string) string {
		if strings.TrimSpace(v) != "" {
			return v
		}
		return def
	}
	switch key {
	case "ipv4_local":
		return pick(n.IPv4Local, sqlserver.DefaultNameIPv4Local)
	case "ipv6_local":
		return pick(n.IPv6Local, sqlserver.DefaultNameIPv6Local)
	case "dns_local":
		return pick(n.DNSLocal, sqlserver.DefaultNameDNSLocal)
	case "dns_public":
		return pick(n.DNSPublic, sqlserver.DefaultNameDNSPublic)
	}
	return key
}
