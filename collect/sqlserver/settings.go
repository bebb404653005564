package sqlserver

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strings"

	"github.com/microsoft/go-mssqldb/msdsn"

	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/inventory"
)

// settingRow is one row of the settings query: whatever the database
// holds, so it is outside input.
type settingRow struct {
	Name, Value sql.NullString
}

// NamesOrDefaults returns the inventory's setting names with the
// reference schema's defaults for those left out: the names the settings
// statements use.
func NamesOrDefaults(n inventory.SettingNames) inventory.SettingNames {
	def := func(v, d string) string {
		if strings.TrimSpace(v) == "" {
			return d
		}
		return v
	}
	return inventory.SettingNames{
		IPv4Local: def(n.IPv4Local, DefaultNameIPv4Local),
		IPv6Local: def(n.IPv6Local, DefaultNameIPv6Local),
		DNSLocal:  def(n.DNSLocal, DefaultNameDNSLocal),
		DNSPublic: def(n.DNSPublic, DefaultNameDNSPublic),
	}
}

// decodeSettings maps the rows of the settings query onto the four
// addresses. Names compare case-insensitively, as in SQL Server's default
// collation. Every mapped name must come back exactly once — a name that
// is missing means the query or the names do not fit this TMS version,
// and guessing "" would fail addresses.match for the wrong reason. A NULL
// value is an empty address; rows with other names are ignored.
func decodeSettings(rows []settingRow, names inventory.SettingNames) (*facts.Settings, error) {
	values := map[string]string{}
	seen := map[string]int{}
	for _, key := range facts.SettingsKeys {
		name := names.Get(key)
		seen[strings.ToLower(name)] = 0
	}
	for _, r := range rows {
		if !r.Name.Valid {
			continue
		}
		k := strings.ToLower(r.Name.String)
		n, wanted := seen[k]
		if !wanted {
			continue
		}
		seen[k] = n + 1
		values[k] = r.Value.String
	}
	var missing, twice []string
	for _, key := range facts.SettingsKeys {
		name := names.Get(key)
		switch seen[strings.ToLower(name)] {
		case 0:
			missing = append(missing, fmt.Sprintf("%s (%s)", name, key))
		case 1:
		default:
			twice = append(twice, fmt.Sprintf("%s (%s)", name, key))
		}
	}
	switch {
	case len(missing) > 0:
		return nil, fmt.Errorf("the settings query returned no row named %s: check database.settings against your TMS version", strings.Join(missing, ", "))
	case len(twice) > 0:
		return nil, fmt.Errorf("the settings query returned several rows named %s: the names must be unique", strings.Join(twice, ", "))
	}
	get := func(key string) string {
		name := names.Get(key)
		return values[strings.ToLower(name)]
	}
	return &facts.Settings{
		IPv4Local: get("ipv4_local"),
		IPv6Local: get("ipv6_local"),
		DNSLocal:  get("dns_local"),
		DNSPublic: get("dns_public"),
	}, nil
}

// ReadSettings reads the TMS server addresses alone, live, with the
// inventory's (or the default) settings query, on the server
// database.dsn_env names: the same statement and mapping the audit uses,
// without the rest of the probe (no latency samples, no backup or log
// shipping questions). Fixers call it to check the addresses are still
// what their plan saw, and a rollback to see what is there now.
//
// Any failure is an error: unreachable, a refused login or statement,
// names that do not map. The query runs in the TMS database
// (database.name) whatever database the DSN names (InDatabaseQuery when
// it names another; docs/database.md). Time is bounded
// by database.connect_timeout_seconds and query_timeout_seconds; errors
// never contain the DSN or its password.
func ReadSettings(ctx context.Context, inv *inventory.Inventory) (facts.Settings, error) {
	db := inv.Database
	t, err := newTarget(db.DSNEnv, db, wantedTLS(inv, true))
	if err != nil {
		return facts.Settings{}, fmt.Errorf("read addresses: %w", err)
	}
	s, err := open(ctx, t)
	if err != nil {
		return facts.Settings{}, fmt.Errorf("read addresses: %w", err)
	}
	settings, err := s.settings(ctx, s.conn, db)
	if cerr := s.close(); cerr != nil && err == nil {
		err = cerr
	}
	if err != nil {
		return facts.Settings{}, fmt.Errorf("read addresses: %w", s.refusalOrErr(err))
	}
	return *settings, nil
}

// SettingsRoute says, for a plan, how the settings statements reach the
// TMS database on the server database.dsn_env names: "" when the DSN
// names that database (they are sent as written), otherwise that they run
// in it through its own sp_executesql (InDatabaseQuery, InDatabaseUpdate).
// It reads only the DSN's database name, never shows the DSN, and gives
// "" for a DSN it cannot read: the write then says why.
func SettingsRoute(inv *inventory.Inventory) string {
	dsn, ok := os.LookupEnv(inv.Database.DSNEnv)
	if !ok || inv.Database.DSNEnv == "" {
		return ""
	}
	cfg, err := msdsn.Parse(dsn)
	name := tmsDatabase(inv.Database)
	if err != nil || strings.EqualFold(strings.TrimSpace(cfg.Database), name) {
		return ""
	}
	return fmt.Sprintf("each statement runs in database %s through %s.sys.sp_executesql (@db = %q, @stmt = the statement): $%s logs in to %s",
		name, name, name, inv.Database.DSNEnv, quotedOrDefault(cfg.Database))
}

// quotedOrDefault names the DSN's database for SettingsRoute.
func quotedOrDefault(database string) string {
	if strings.TrimSpace(database) == "" {
		return "the login's default database"
	}
	return fmt.Sprintf("%q", database)
}

// settings reads and maps the addresses with the settings query, on q:
// the connection, or a transaction on it (a fixer's check before its
// write). The server refusing the query, rows of the wrong shape and
// names that do not map are a *refusal; any other error is a failed
// connection.
func (s *session) settings(ctx context.Context, q queryer, db inventory.Database) (*facts.Settings, error) {
	query := db.Settings.Query
	if strings.TrimSpace(query) == "" {
		query = DefaultSettingsQuery
	}
	var rows []settingRow
	scan := func(r *sql.Rows) error {
		var row settingRow
		if err := r.Scan(&row.Name, &row.Value); err != nil {
			return fmt.Errorf("the settings query must return two columns, name and value: %w", err)
		}
		rows = append(rows, row)
		return nil
	}
	const what = "the TMS server addresses (database.settings.query)"
	var err error
	if name := tmsDatabase(db); s.t.namesDatabase(name) {
		err = s.queryOn(ctx, q, what, query, scan)
	} else {
		// The DSN names another database (msdb, master) or none: the
		// query runs in the TMS database all the same.
		err = s.queryOn(ctx, q, what+" in database "+name, InDatabaseQuery, scan, sql.Named("db", name), sql.Named("stmt", query))
	}
	if err != nil {
		return nil, err
	}
	settings, err := decodeSettings(rows, NamesOrDefaults(db.Settings.Names))
	if err != nil {
		return nil, &refusal{s.t.scrub.clean(err.Error())}
	}
	return settings, nil
}
