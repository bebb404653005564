package sqlserver

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/inventory"
)

// AddressWrite is one TMS server address a fixer stores in the database,
// with the value it expects to replace: the write is a compare-and-set.
type AddressWrite struct {
	// Key is the db.json settings key: ipv4_local, ipv6_local, dns_local
	// or dns_public.
	Key string
	// Expected is the value the caller planned from (as ReadSettings or
	// the audit read it; "" for NULL or empty). When the database holds
	// anything else, nothing is written.
	Expected string
	// Value is the address to store ("" stores an empty string).
	Value string
}

// Mismatch is one address that no longer holds the value a write
// expected.
type Mismatch struct {
	Key, Now, Expected string
}

// ChangedError is WriteAddresses' refusal when the database no longer
// holds the expected values: someone changed them since the caller read
// them. Nothing was written; the caller should read again and re-plan.
type ChangedError struct {
	// Mismatches are the addresses that differ, in the order of the writes.
	Mismatches []Mismatch
}

// Error names every address that changed, its value now and the one
// expected.
func (e *ChangedError) Error() string {
	parts := make([]string, len(e.Mismatches))
	for i, m := range e.Mismatches {
		parts[i] = fmt.Sprintf("%s is now %q, the plan expected %q", m.Key, m.Now, m.Expected)
	}
	return strings.Join(parts, "; ")
}

// WriteAddresses stores addresses in the TMS database through the
// inventory's database.settings.update statement (default
// DefaultSettingsUpdate), on the server database.dsn_env names, provided
// each address still holds its Expected value.
//
// Everything happens in one SERIALIZABLE transaction: first the settings
// query (database.settings.query, default DefaultSettingsQuery, decoded
// as the audit decodes it) reads the current values; if any address is
// not its Expected value the transaction is rolled back before any update
// and the error is a *ChangedError naming each one. Serializable
// isolation makes SQL Server hold the shared (range) locks of that read
// until the commit, so no other writer can change the rows between the
// check and the updates — the operator's query is used as written, with no
// table hints pasted into it. Then each address is written with @name
// (the setting name from database.settings.names) and @value as
// parameters, and each update must change exactly one row: a statement
// that matches no row (a wrong name or table for this TMS version) or
// several rolls everything back, so the database is never left half-fixed.
// The statements run in the TMS database (database.name) whatever
// database the DSN names: as written when it names that database, else
// through InDatabaseQuery and InDatabaseUpdate, in the same transaction.
// Time is bounded by database.connect_timeout_seconds for the login and
// database.query_timeout_seconds for each statement; errors never contain
// the DSN or its password.
//
// The caller (the addresses.match fixer) re-audits afterwards; this
// function does not read the values back.
func WriteAddresses(ctx context.Context, inv *inventory.Inventory, writes []AddressWrite) error {
	if len(writes) == 0 {
		return nil
	}
	db := inv.Database
	names := NamesOrDefaults(db.Settings.Names)
	seen := map[string]bool{}
	for _, w := range writes {
		if names.Field(w.Key) == nil {
			return fmt.Errorf("write addresses: unknown address key %q (known: %s)", w.Key, strings.Join(facts.SettingsKeys, ", "))
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
	t, err := newTarget(db.DSNEnv, db, wantedTLS(inv, true))
	if err != nil {
		return fmt.Errorf("write addresses: %w", err)
	}
	s, err := open(ctx, t)
	if err != nil {
		return fmt.Errorf("write addresses: %w", err)
	}
	err = s.writeAll(ctx, db, update, names, writes)
	if cerr := s.close(); cerr != nil && err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write addresses: %w", err)
	}
	return nil
}

// writeAll checks and writes in one serializable transaction, and commits
// only when every address was as expected and each update changed exactly
// one row.
func (s *session) writeAll(ctx context.Context, db inventory.Database, update string, names inventory.SettingNames, writes []AddressWrite) error {
	var tx *sql.Tx
	err := s.step(ctx, "BEGIN TRANSACTION", func(qctx context.Context) error {
		var err error
		// The transaction lives on ctx, not on the step's: database/sql
		// rolls back when its context ends. The connection is closed
		// afterwards, so the session's isolation level, which the begin
		// request sets, goes with it.
		tx, err = s.conn.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelSerializable})
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

	cur, err := s.settings(ctx, tx, db)
	if err != nil {
		return rollback(fmt.Errorf("cannot check the addresses before writing: %w", s.refusalOrErr(err)))
	}
	changed := &ChangedError{}
	for _, w := range writes {
		if now := cur.Get(w.Key); now != w.Expected {
			changed.Mismatches = append(changed.Mismatches, Mismatch{Key: w.Key, Now: now, Expected: w.Expected})
		}
	}
	if len(changed.Mismatches) > 0 {
		return rollback(fmt.Errorf("%w — run fix again", changed))
	}

	for _, w := range writes {
		name := names.Get(w.Key)
		what := fmt.Sprintf("the update of %s (%s)", w.Key, name)
		var affected int64
		err := s.step(ctx, what, func(qctx context.Context) error {
			var res sql.Result
			var err error
			if dbName := tmsDatabase(db); s.t.namesDatabase(dbName) {
				res, err = tx.ExecContext(qctx, update, sql.Named("name", name), sql.Named("value", w.Value))
			} else {
				// In the TMS database whatever the DSN names; the
				// update's rows come back as the call's.
				res, err = tx.ExecContext(qctx, InDatabaseUpdate, sql.Named("db", dbName), sql.Named("stmt", update),
					sql.Named("name", name), sql.Named("value", w.Value))
			}
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
