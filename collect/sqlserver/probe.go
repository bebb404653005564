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

// Gather reads the database facts live from the SQL Server whose DSN is in
// the environment variable database.dsn_env names. It is
// collect.Options.LiveDB, and `tmsdrift snapshot db` writes what it
// returns as db.json.
//
// When the server cannot be reached, refuses the login, stalls or drops
// the connection, DB.Err says so in words and every database rule gives
// `error`. When it refuses one question (a permission, a missing table),
// only the facts of that question are absent and Facts.Unknown says why.
func Gather(ctx context.Context, inv *inventory.Inventory) facts.DB {
	db := inv.Database
	out := facts.DB{From: "live SQL Server via $" + db.DSNEnv, Live: true}
	t, err := newTarget(db.DSNEnv, db, wantedTLS(inv, true))
	if err != nil {
		out.Err = err
		return out
	}
	out.From = "live SQL Server " + t.server() + " via $" + db.DSNEnv
	out.Facts, out.Err = probe(ctx, inv, t, inv.Model == inventory.Offsite)
	if out.Facts != nil && out.Facts.Connection != nil {
		out.From += ", " + out.Facts.Connection.Summary()
	}
	return out
}

// GatherOffsite reads, live, the database the inventory names off-site:
// the server database.offsite_dsn_env holds the DSN of. That is the
// log-shipping secondary activate-offsite switches to, and, once it has,
// the primary site's database return-to-primary switches back to: both
// read it to check it is ONLINE and to see its addresses before they
// write them (docs/runbooks.md).
//
// It is Gather's probe without the log-shipping questions, logged in to
// master whatever database the DSN names: SQL Server refuses a login to a
// database that is restoring or offline (error 4060), which would hide
// the one fact the runbooks must check first, the database's state in
// sys.databases. Every login may connect to master. The addresses are
// read in database.name (InDatabaseQuery); while it cannot be opened
// (restoring: error 927) only they are unknown, with SQL Server's reason.
// The DSN never shows, as in Gather.
func GatherOffsite(ctx context.Context, inv *inventory.Inventory) facts.DB {
	db := inv.Database
	out := facts.DB{From: "live SQL Server via $" + db.OffsiteDSNEnv, Live: true}
	if db.OffsiteDSNEnv == "" {
		out.Err = errors.New("database.offsite_dsn_env is not set: the off-site database is reached through the environment variable it names")
		return out
	}
	t, err := newTarget(db.OffsiteDSNEnv, db, wantedTLS(inv, false))
	if err != nil {
		out.Err = err
		return out
	}
	t.cfg.Database = "master"
	out.From = "live SQL Server " + t.server() + " via $" + db.OffsiteDSNEnv
	out.Facts, out.Err = probe(ctx, inv, t, false)
	if out.Facts != nil && out.Facts.Connection != nil {
		out.From += ", " + out.Facts.Connection.Summary()
	}
	return out
}

// probe connects, measures the round trips, and asks its questions, in
// this order, on one connection: server and database, last backup, TMS
// server addresses, and (logShipping) log shipping.
func probe(ctx context.Context, inv *inventory.Inventory, t *target, logShipping bool) (*facts.DBFacts, error) {
	s, err := open(ctx, t)
	if err != nil {
		return nil, err
	}
	f, err := ask(ctx, inv, s, logShipping)
	if cerr := s.close(); cerr != nil && err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	return f, nil
}

// ask fills the facts; an error means the connection failed and no fact
// can be trusted.
func ask(ctx context.Context, inv *inventory.Inventory, s *session, logShipping bool) (*facts.DBFacts, error) {
	db := inv.Database
	f := &facts.DBFacts{Schema: facts.DBSchema, Unknown: map[string]string{}}
	connect := s.connectMS
	f.ConnectMS = &connect
	f.Connection = s.t.tls.connection()

	var err error
	if f.RTTMS, err = latency(ctx, s, db.LatencySamples); err != nil {
		return nil, err
	}
	current, err := readServer(ctx, s, db.Name, f)
	if err != nil {
		return nil, err
	}
	if err := readBackup(ctx, s, db.Name, f); err != nil {
		return nil, err
	}
	if err := readSettings(ctx, s, db, current, f); err != nil {
		return nil, err
	}
	if logShipping {
		if err := readLogShipping(ctx, s, inv, f); err != nil {
			return nil, err
		}
	}
	// A clock or a driver can hand back what cannot be true (a backup
	// after observed_at): drop it with the reason, as db.json's reader does.
	f.DropImpossible()
	if len(f.Unknown) == 0 {
		f.Unknown = nil
	}
	return f, nil
}

// latency times n round trips of PingStatement on the open connection
// (n <= 0: the default). The connection set-up is timed apart (connect_ms),
// so these samples are the network and the server's turn-around alone.
func latency(ctx context.Context, s *session, n int) ([]float64, error) {
	if n <= 0 {
		n = inventory.DefaultLatencySamples
	}
	samples := make([]float64, 0, n)
	for range n {
		took, err := s.ping(ctx)
		if err != nil {
			return nil, err // a refused SELECT 1 is no server to audit either
		}
		samples = append(samples, millis(took))
	}
	return samples, nil
}

// readServer reads ServerQuery into f and returns the connection's
// database (DB_NAME()), "" when unknown.
func readServer(ctx context.Context, s *session, name string, f *facts.DBFacts) (string, error) {
	var (
		server, edition, version, current sql.NullString
		clustered, hadr, integrated       sql.NullBool
		observed                          sql.NullTime
		dbName, state, recovery           sql.NullString
		rows                              int
	)
	err := s.query(ctx, "the server's properties and sys.databases", ServerQuery, func(r *sql.Rows) error {
		rows++
		return r.Scan(&server, &edition, &version, &clustered, &hadr, &integrated, &observed, &current, &dbName, &state, &recovery)
	}, name)
	var r *refusal
	switch {
	case errors.As(err, &r):
		for _, k := range []string{"server", "database", "observed_at"} {
			f.Unknown[k] = r.msg
		}
		return "", nil
	case err != nil:
		return "", err
	case rows != 1:
		msg := fmt.Sprintf("the server's properties came back as %d rows, not one", rows)
		for _, k := range []string{"server", "database", "observed_at"} {
			f.Unknown[k] = msg
		}
		return "", nil
	}
	f.Server = &facts.ServerFacts{
		Name:                   server.String,
		Edition:                edition.String,
		ProductVersion:         version.String,
		IsClustered:            boolPtr(clustered),
		IsHADREnabled:          boolPtr(hadr),
		IntegratedSecurityOnly: boolPtr(integrated),
	}
	if observed.Valid {
		f.ObservedAt = &facts.Timestamp{Time: observed.Time.UTC()}
	} else {
		f.Unknown["observed_at"] = "SYSUTCDATETIME() returned NULL"
	}
	if dbName.Valid {
		f.Database = facts.Some(facts.DatabaseFacts{Name: dbName.String, State: state.String, RecoveryModel: recovery.String})
	} else {
		f.Database = facts.Null[facts.DatabaseFacts]()
	}
	return current.String, nil
}

// readBackup reads when the last full backup finished.
func readBackup(ctx context.Context, s *session, name string, f *facts.DBFacts) error {
	var last sql.NullTime
	rows := 0
	err := s.query(ctx, "the backup history (msdb.dbo.backupset)", BackupQuery, func(r *sql.Rows) error {
		rows++
		return r.Scan(&last)
	}, name)
	var r *refusal
	switch {
	case errors.As(err, &r):
		f.Unknown["last_full_backup"] = r.msg
	case err != nil:
		return err
	case rows == 0 || !last.Valid:
		f.LastFullBackup = facts.Null[facts.Timestamp]()
	default:
		f.LastFullBackup = facts.Some(facts.Timestamp{Time: last.Time.UTC()})
	}
	return nil
}

// readSettings reads the TMS server addresses with the inventory's (or
// the default) settings query, in the TMS database: as written when the
// DSN names it, else through InDatabaseQuery. current is the connection's
// database; a DSN naming the TMS database yet landing elsewhere would be
// a server that does not do what it was asked, so that is reported.
func readSettings(ctx context.Context, s *session, db inventory.Database, current string, f *facts.DBFacts) error {
	if name := tmsDatabase(db); current != "" && s.t.namesDatabase(name) && !strings.EqualFold(current, name) {
		f.Unknown["settings"] = fmt.Sprintf("the connection's database is %q although the connection string in $%s names %q", current, s.t.env, name)
		return nil
	}
	settings, err := s.settings(ctx, s.conn, db)
	var r *refusal
	switch {
	case errors.As(err, &r):
		f.Unknown["settings"] = r.msg
		return nil
	case err != nil:
		return err
	}
	f.Settings = settings
	return nil
}

// readLogShipping reads, on the primary, whether log shipping of the TMS
// database is configured and to which secondary, then the last restore
// from SQL Server's log-shipping monitor record: on the secondary when
// database.offsite_dsn_env names its DSN, otherwise on the primary (which
// holds a copy when it is also the monitor server).
func readLogShipping(ctx context.Context, s *session, inv *inventory.Inventory, f *facts.DBFacts) error {
	db := inv.Database
	var secondaries []string
	err := s.query(ctx, "the log-shipping configuration (msdb.dbo.log_shipping_primary_databases)", LogShippingSecondariesQuery, func(r *sql.Rows) error {
		var name sql.NullString
		if err := r.Scan(&name); err != nil {
			return err
		}
		if name.Valid && name.String != "" {
			secondaries = append(secondaries, name.String)
		}
		return nil
	}, db.Name)
	var r *refusal
	switch {
	case errors.As(err, &r):
		f.Unknown["log_shipping"] = r.msg
		return nil
	case err != nil:
		return err
	case len(secondaries) == 0:
		f.LogShipping = facts.Null[facts.LogShipping]()
		return nil
	}
	ls := facts.LogShipping{SecondaryServer: pickSecondary(secondaries, db.OffsiteServer)}
	restored, why, err := lastRestore(ctx, s, inv, ls.SecondaryServer)
	if err != nil {
		return err
	}
	switch {
	case why != "":
		f.Unknown["log_shipping.last_restored"] = why
	case restored.Valid:
		ls.LastRestored = facts.Some(facts.Timestamp{Time: restored.Time.UTC()})
	default:
		ls.LastRestored = facts.Null[facts.Timestamp]()
	}
	f.LogShipping = facts.Some(ls)
	return nil
}

// lastRestore reads the monitor record of the last restore on secondary.
// why explains a record that could not be read; err is a failure of the
// primary's connection. A secondary that cannot be reached leaves only the
// restore unknown: the primary's facts stand.
func lastRestore(ctx context.Context, s *session, inv *inventory.Inventory, secondary string) (sql.NullTime, string, error) {
	db := inv.Database
	if db.OffsiteDSNEnv == "" {
		return restoreRecord(ctx, s, db.Name, secondary, false)
	}
	var sec *session
	t, err := newTarget(db.OffsiteDSNEnv, db, wantedTLS(inv, false))
	if err == nil {
		sec, err = open(ctx, t)
	}
	if err != nil {
		return sql.NullTime{}, "cannot reach the log-shipping secondary: " + err.Error(), nil
	}
	restored, why, err := restoreRecord(ctx, sec, db.Name, secondary, true)
	if err != nil {
		why = "log-shipping secondary: " + err.Error()
	}
	if cerr := sec.close(); cerr != nil && why == "" {
		why = "log-shipping secondary: " + cerr.Error()
	}
	return restored, why, nil
}

// restoreRecord reads LogShippingRestoreQuery on s. The secondary's own
// msdb holds only its own records; a monitor's copy on the primary may
// hold several secondaries', so there the row must name secondary.
func restoreRecord(ctx context.Context, s *session, name, secondary string, onSecondary bool) (sql.NullTime, string, error) {
	var restored sql.NullTime
	found := false
	err := s.query(ctx, "the log-shipping monitor (msdb.dbo.log_shipping_monitor_secondary)", LogShippingRestoreQuery, func(r *sql.Rows) error {
		var server sql.NullString
		var at sql.NullTime
		if err := r.Scan(&server, &at); err != nil {
			return err
		}
		if !onSecondary && !strings.EqualFold(server.String, secondary) {
			return nil
		}
		found = true
		if at.Valid && (!restored.Valid || at.Time.After(restored.Time)) {
			restored = at
		}
		return nil
	}, name)
	var r *refusal
	switch {
	case errors.As(err, &r):
		return restored, r.msg, nil
	case err != nil:
		return restored, "", err
	case found:
		return restored, "", nil
	case onSecondary:
		return restored, fmt.Sprintf("the secondary's msdb has no log-shipping monitor record of database %s", name), nil
	}
	return restored, fmt.Sprintf("the primary's msdb has no log-shipping monitor record of database %s for secondary %s; set database.offsite_dsn_env to read it on the secondary", name, secondary), nil
}

// pickSecondary chooses the secondary the off-site standby uses: the one
// named like database.offsite_server, else the first.
func pickSecondary(secondaries []string, offsite string) string {
	host := func(s string) string {
		s = strings.TrimPrefix(strings.ToLower(s), "tcp:")
		s, _, _ = strings.Cut(s, `\`)
		s, _, _ = strings.Cut(s, ",")
		s, _, _ = strings.Cut(s, ".")
		return s
	}
	for _, s := range secondaries {
		if strings.EqualFold(s, offsite) {
			return s
		}
	}
	for _, s := range secondaries {
		if offsite != "" && host(s) == host(offsite) {
			return s
		}
	}
	return secondaries[0]
}

func boolPtr(b sql.NullBool) *bool {
	if !b.Valid {
		return nil
	}
	v := b.Bool
	return &v
}

// compile-time check: Gather fits collect.Options.LiveDB.
var _ func(context.Context, *inventory.Inventory) facts.DB = Gather
