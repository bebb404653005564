package sqlserver

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/tmsdrift/tmsdrift/inventory"
)

// AddressWrite is one TMS server address a fixer stores in the database.
type AddressWrite struct {
	// Key is the db.json settings key: ipv4_local, ipv6_local, dns_local
	// or dns_public.
	Key string
	// Value is the address to store ("" clears it).
	Value string
}

// WriteAddresses stores addresses in the TMS database through the
// inventory's database.settings.update statement (default
// DefaultSettingsUpdate), on the server database.dsn_env names.
//
// Every write runs in one transaction with @name (the setting name from
// database.settings.names) and @value as parameters, and must change
// exactly one row: a statement that matches no row (a wrong name or
// table for this TMS version) or several rolls everything back, so the
// database is never left half-fixed. The error then says which address
// and how many rows. Time is bounded by database.connect_timeout_seconds
// for the login and database.query_timeout_seconds for each statement;
// errors never contain the DSN or its password.
//
// The caller (the addresses.match fixer) re-audits afterwards; this
// function does not read the values back.
func WriteAddresses(ctx context.Context, inv *inventory.Inventory, writes []AddressWrite) error {
	if len(writes) == 0 {
		return nil
	}
	db := inv.Database
	names := settingNames(db.Settings.Names)
	seen := map[string]bool{}
	for _, w := range writes {
		if _, ok := nameOf(names, w.Key); !ok {
			return fmt.Errorf("write addresses: unknown address key %q (known: %s)", w.Key, strings.Join(settingKeys, ", "))
		}
		if seen[w.Key] {
			return fmt.Errorf("write addresses: %s given twice", w.Key)
		}
		seen[w.Key] = true
	}
	update := db.Settings.Update
	if strings.TrimSpace(update) == "" {
		update = DefaultSettingsUpdate
	}
	t, err := newTarget(db.DSNEnv, db)
	if err != nil {
		return fmt.Errorf("write addresses: %w", err)
	}
	s, err := open(ctx, t)
	if err != nil {
		return fmt.Errorf("write addresses: %w", err)
	}
	err = s.writeAll(ctx, update, names, writes)
	if cerr := s.close(); cerr != nil && err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write addresses: %w", err)
	}
	return nil
}

// writeAll runs the updates in one transaction and commits only when each
// changed exactly one row.
func (s *session) writeAll(ctx context.Context, update string, names inventory.SettingNames, writes []AddressWrite) error {
	var tx *sql.Tx
	err := s.step(ctx, "BEGIN TRANSACTION", func(qctx context.Context) error {
		var err error
		// The transaction lives on ctx, not on the step's: database/sql
		// rolls back when its context ends.
		tx, err = s.conn.BeginTx(ctx, nil)
		return err
	})
	if err != nil {
		return s.refusalOrErr(err)
	}
	rollback := func(cause error) error {
		rerr := s.step(ctx, "ROLLBACK", func(context.Context) error { return tx.Rollback() })
		if rerr != nil && !errors.Is(rerr, sql.ErrTxDone) {
			return fmt.Errorf("%w; the rollback failed too (SQL Server rolls back when the connection closes): %v", cause, rerr)
		}
		return fmt.Errorf("%w; nothing was written", cause)
	}
	for _, w := range writes {
		name, _ := nameOf(names, w.Key)
		what := fmt.Sprintf("the update of %s (%s)", w.Key, name)
		var affected int64
		err := s.step(ctx, what, func(qctx context.Context) error {
			res, err := tx.ExecContext(qctx, update, sql.Named("name", name), sql.Named("value", w.Value))
			if err != nil {
				return err
			}
			affected, err = res.RowsAffected()
			return err
		})
		if err != nil {
			return rollback(s.refusalOrErr(err))
		}
		if affected != 1 {
			return rollback(fmt.Errorf("%s changed %d rows, not exactly one: check database.settings.update and database.settings.names.%s against your TMS version", what, affected, w.Key))
		}
	}
	err = s.step(ctx, "COMMIT", func(context.Context) error { return tx.Commit() })
	if err != nil {
		return s.refusalOrErr(err)
	}
	return nil
}

// refusalOrErr turns a refusal back into a plain error: when writing,
// every failure stops the write.
func (s *session) refusalOrErr(err error) error {
	var r *refusal
	if errors.As(err, &r) {
		return errors.New(r.msg)
	}
	return err
}
