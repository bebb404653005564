package sqlserver_test

import (
	"context"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/tmsdrift/tmsdrift/collect/sqlserver"
	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/fixtures"
	"github.com/tmsdrift/tmsdrift/fixtures/tdsserver"
	"github.com/tmsdrift/tmsdrift/inventory"
)

// The probe against the TDS test server, through the real go-mssqldb
// driver over 127.0.0.1.

const (
	user = "tmsdrift"
	// password has the characters a URL must escape: the scrubber must
	// catch it as written and as escaped.
	password = "Pa55:w/rd@#%?"
	env      = "TMSDRIFT_TEST_DSN"
)

// noLeaks checks, after every cleanup of the test (servers, variables)
// has run, that no goroutine was left behind.
func noLeaks(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
}

func labCatalogue(t *testing.T, lab string) *tdsserver.Catalogue {
	t.Helper()
	c, err := tdsserver.LoadCatalogue(filepath.Join(fixtures.LabsDir(), lab, "db.yaml"))
	require.NoError(t, err)
	return c
}

func serve(t *testing.T, c *tdsserver.Catalogue, f tdsserver.Faults) *tdsserver.Server {
	t.Helper()
	s, err := tdsserver.Start(tdsserver.Config{Catalogue: c, User: user, Password: password, Faults: f})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	return s
}

// liveInventory reads the database live from $env.
func liveInventory(model inventory.Model) *inventory.Inventory {
	inv := &inventory.Inventory{Model: model, Database: inventory.Database{
		DSNEnv: env, Name: "tmsng", ConnectTimeoutSeconds: 5, QueryTimeoutSeconds: 5, LatencySamples: 5,
	}}
	inv.ApplyDefaults()
	return inv
}

func gather(t *testing.T, inv *inventory.Inventory) facts.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db := sqlserver.Gather(ctx, inv)
	noSecret(t, db)
	return db
}

// noSecret fails when the password or a DSN shows in what the probe
// returns.
func noSecret(t *testing.T, db facts.DB) {
	t.Helper()
	text := db.From
	if db.Err != nil {
		text += db.Err.Error()
	}
	if db.Facts != nil {
		for _, why := range db.Facts.Unknown {
			text += why
		}
	}
	for _, secret := range []string{password, url.QueryEscape(password), url.UserPassword(user, password).String(), os.Getenv(env), os.Getenv(env + "_DR")} {
		if secret != "" {
			assert.NotContains(t, text, secret)
		}
	}
}

// dsnAt is a DSN for host (no server behind it, or one that does not
// resolve), with the test password properly escaped.
func dsnAt(host string) string {
	u := url.URL{Scheme: "sqlserver", User: url.UserPassword(user, password), Host: host, RawQuery: "database=tmsng&encrypt=disable"}
	return u.String()
}

func labDB(t *testing.T, lab string) *facts.DBFacts {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtures.LabsDir(), lab, "db.json"))
	require.NoError(t, err)
	f, err := facts.ParseDB(b)
	require.NoError(t, err)
	return f
}

func TestGatherReadsWhatDBJSONRecords(t *testing.T) {
	noLeaks(t)
	for _, lab := range []string{"post-upgrade", "nlb", "single-clustered-db", "offsite"} {
		t.Run(lab, func(t *testing.T) {
			s := serve(t, labCatalogue(t, lab), tdsserver.Faults{})
			t.Setenv(env, s.DSN(user, password, "tmsng"))
			model := inventory.ManualCutover
			if lab == "offsite" {
				model = inventory.Offsite
			}
			db := gather(t, liveInventory(model))
			require.NoError(t, db.Err)
			want, got := labDB(t, lab), db.Facts
			assert.Equal(t, want.Server, got.Server)
			assert.Equal(t, want.Database, got.Database)
			assert.Equal(t, want.Settings, got.Settings)
			assert.True(t, want.LastFullBackup.Value.Equal(got.LastFullBackup.Value.Time), "last full backup")
			assert.True(t, want.ObservedAt.Equal(got.ObservedAt.Time), "observed_at is the server's clock")
			if model == inventory.Offsite {
				require.True(t, got.LogShipping.Valid())
				assert.Equal(t, want.LogShipping.Value.SecondaryServer, got.LogShipping.Value.SecondaryServer)
				assert.True(t, want.LogShipping.Value.LastRestored.Value.Equal(got.LogShipping.Value.LastRestored.Value.Time))
			} else {
				assert.False(t, got.LogShipping.Set, "log shipping is only read for model offsite")
			}
			assert.Len(t, got.RTTMS, 5, "latency_samples round trips")
			require.NotNil(t, got.ConnectMS)
			assert.Positive(t, *got.ConnectMS)
			assert.Nil(t, got.Unknown)
			assert.Contains(t, db.From, s.Addr())
		})
	}
}

// TestStatementsAreConstantsWithParameters: the database name is a
// parameter, never part of the text, even when it holds a quote.
func TestStatementsAreConstantsWithParameters(t *testing.T) {
	noLeaks(t)
	const name = "tms'ng; DROP TABLE x--"
	c := labCatalogue(t, "offsite")
	c.Databases[0].Name = name
	c.Backups[0].Database = name
	c.LogShipping.Primary[0].Database = name
	c.LogShipping.Monitor[0].PrimaryDatabase = name
	s := serve(t, c, tdsserver.Faults{})
	t.Setenv(env, s.DSN(user, password, name))
	inv := liveInventory(inventory.Offsite)
	inv.Database.Name = name
	db := gather(t, inv)
	require.NoError(t, db.Err)
	assert.Nil(t, db.Facts.Unknown)
	assert.Equal(t, name, db.Facts.Database.Value.Name)

	known := map[string]bool{
		sqlserver.PingStatement: true, sqlserver.ServerQuery: true, sqlserver.BackupQuery: true,
		sqlserver.DefaultSettingsQuery: true, sqlserver.LogShippingSecondariesQuery: true, sqlserver.LogShippingRestoreQuery: true,
	}
	var texts []string
	for _, e := range s.Executed() {
		assert.Truef(t, known[e.Text], "unexpected statement %q", e.Text)
		assert.NotContains(t, e.Text, "tms'ng")
		for _, p := range e.Params {
			assert.Equal(t, tdsserver.Param{Name: "@p1", Type: "nvarchar", Value: name}, p)
		}
		if e.Text != sqlserver.PingStatement {
			texts = append(texts, e.Text)
		}
	}
	assert.Equal(t, []string{sqlserver.ServerQuery, sqlserver.BackupQuery, sqlserver.DefaultSettingsQuery,
		sqlserver.LogShippingSecondariesQuery, sqlserver.LogShippingRestoreQuery}, texts, "five questions, one round trip each")
}

func TestGatherRecordsWhyAFactIsMissing(t *testing.T) {
	noLeaks(t)
	type tc struct {
		name   string
		change func(c *tdsserver.Catalogue, inv *inventory.Inventory)
		dsnDB  string
		key    string
		want   []string
	}
	for _, tc := range []tc{
		{name: "backup history denied", change: func(c *tdsserver.Catalogue, _ *inventory.Inventory) { c.Denied = []string{"msdb.dbo.backupset"} },
			key: "last_full_backup", want: []string{"error 229", "'backupset', database 'msdb'", "grant the login"}},
		{name: "no settings table", change: func(c *tdsserver.Catalogue, _ *inventory.Inventory) { c.Databases[0].NetworkSettings = nil },
			key: "settings", want: []string{"error 208", "dbo.NetworkSettings", "check database.settings against your TMS version"}},
		{name: "settings name unknown", change: func(_ *tdsserver.Catalogue, inv *inventory.Inventory) {
			inv.Database.Settings.Names.DNSPublic = "PublicName"
		},
			key: "settings", want: []string{"no row named PublicName (dns_public)"}},
		{name: "settings query of another TMS version", change: func(_ *tdsserver.Catalogue, inv *inventory.Inventory) {
			inv.Database.Settings.Query = "SELECT SettingName, SettingValue FROM dbo.TMSSettings;"
		}, key: "settings", want: []string{"error 208", "dbo.TMSSettings"}},
		{name: "restoring, read through msdb", dsnDB: "msdb", change: func(c *tdsserver.Catalogue, _ *inventory.Inventory) { c.Databases[0].State = "RESTORING" },
			key: "settings", want: []string{"error 927", "in the middle of a restore", "in database tmsng"}},
		{name: "log shipping tables denied", change: func(c *tdsserver.Catalogue, _ *inventory.Inventory) {
			c.Denied = []string{"msdb.dbo.log_shipping_primary_secondaries"}
		}, key: "log_shipping", want: []string{"error 229", "log_shipping_primary_secondaries"}},
		{name: "no monitor record on the primary", change: func(c *tdsserver.Catalogue, _ *inventory.Inventory) { c.LogShipping.Monitor = nil },
			key: "log_shipping.last_restored", want: []string{"primary's msdb has no log-shipping monitor record", "set database.offsite_dsn_env"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := labCatalogue(t, "offsite")
			inv := liveInventory(inventory.Offsite)
			if tc.change != nil {
				tc.change(c, inv)
			}
			s := serve(t, c, tdsserver.Faults{})
			dsnDB := "tmsng"
			if tc.dsnDB != "" {
				dsnDB = tc.dsnDB
			}
			t.Setenv(env, s.DSN(user, password, dsnDB))
			db := gather(t, inv)
			require.NoError(t, db.Err, "one refused question is not an unreachable database")
			require.Len(t, db.Facts.Unknown, 1, "only that question's facts are missing: %v", db.Facts.Unknown)
			why := db.Facts.Unknown[tc.key]
			for _, w := range tc.want {
				assert.Contains(t, why, w)
			}
			assert.Contains(t, db.Facts.Lacks(tc.key), why, "the rules show the reason")
			assert.NotNil(t, db.Facts.Server, "the other facts are there")
		})
	}
}

func TestGatherNoSuchDatabaseIsKnownMissing(t *testing.T) {
	noLeaks(t)
	s := serve(t, labCatalogue(t, "manual-cutover"), tdsserver.Faults{})
	t.Setenv(env, s.DSN(user, password, "master"))
	inv := liveInventory(inventory.ManualCutover)
	inv.Database.Name = "tmsng_old"
	db := gather(t, inv)
	require.NoError(t, db.Err)
	assert.True(t, db.Facts.Database.Null, "no row in sys.databases: the database does not exist (db.online fails)")
}

func TestGatherReadsTheRestoreOnTheSecondary(t *testing.T) {
	noLeaks(t)
	primary := labCatalogue(t, "offsite")
	monitor := primary.LogShipping.Monitor
	primary.LogShipping.Monitor = nil // the primary is not the monitor
	secondary := labCatalogue(t, "offsite")
	secondary.Server.Name = "SQL-DR"
	secondary.LogShipping = tdsserver.LogShipping{Monitor: monitor}
	p := serve(t, primary, tdsserver.Faults{})
	sec := serve(t, secondary, tdsserver.Faults{})
	t.Setenv(env, p.DSN(user, password, "tmsng"))
	t.Setenv(env+"_DR", sec.DSN(user, password, "msdb"))
	inv := liveInventory(inventory.Offsite)
	inv.Database.OffsiteDSNEnv = env + "_DR"
	db := gather(t, inv)
	require.NoError(t, db.Err)
	assert.Nil(t, db.Facts.Unknown)
	want := labDB(t, "offsite").LogShipping.Value
	got := db.Facts.LogShipping.Value
	assert.Equal(t, want.SecondaryServer, got.SecondaryServer)
	assert.True(t, want.LastRestored.Value.Equal(got.LastRestored.Value.Time))
	var onSecondary []string
	for _, e := range sec.Executed() {
		if e.Text != sqlserver.PingStatement {
			onSecondary = append(onSecondary, e.Text)
		}
	}
	assert.Equal(t, []string{sqlserver.LogShippingRestoreQuery}, onSecondary, "the secondary is asked about its restores only")

	// A secondary that cannot be reached leaves only the restore unknown.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := ln.Addr().String()
	require.NoError(t, ln.Close())
	t.Setenv(env+"_DR", dsnAt(closed))
	db = gather(t, inv)
	require.NoError(t, db.Err)
	assert.Contains(t, db.Facts.Unknown["log_shipping.last_restored"], "cannot reach the log-shipping secondary: SQL Server at "+closed+" refused the connection")
	assert.Equal(t, want.SecondaryServer, db.Facts.LogShipping.Value.SecondaryServer)
	assert.NotNil(t, db.Facts.Settings, "the primary's facts stand")
}

func TestGatherNeedsAUsableDSN(t *testing.T) {
	noLeaks(t)
	inv := liveInventory(inventory.ManualCutover)
	t.Setenv(env, "")
	db := gather(t, inv)
	require.Error(t, db.Err)
	assert.Equal(t, "environment variable "+env+" is not set: it must hold the TMS database's connection string, e.g. sqlserver://user:password@sql01.acme.local/TMS?database=tmsng", db.Err.Error())

	t.Setenv(env, "server=sql01;password="+password+";port=notaport")
	db = gather(t, inv)
	require.Error(t, db.Err)
	assert.Contains(t, db.Err.Error(), "does not hold a valid SQL Server connection string")
	assert.NotContains(t, db.Err.Error(), "Pa55")

	inv.Database.DSNEnv = ""
	db = gather(t, inv)
	require.Error(t, db.Err)
	assert.Contains(t, db.Err.Error(), "database.dsn_env is not set")
}

// TestGatherFailsWithinBoundsAndSaysWhy: a database that is down, refuses
// the login, is not found, or stalls makes every database fact unknown
// with a cause a person can act on, and a stalled probe returns within the
// configured bounds (0.5 s for the step that stalls; the driver alone
// would wait five more seconds for a stalled server to confirm a cancel).
// The steps that are answered get a minute: on a loaded machine a login
// can take longer than 0.5 s, and a refusal must not turn into a timeout.
func TestGatherFailsWithinBoundsAndSaysWhy(t *testing.T) {
	noLeaks(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := ln.Addr().String()
	require.NoError(t, ln.Close())
	refusing := labCatalogue(t, "manual-cutover")
	refusing.Login = "refuse"
	for _, tc := range []struct {
		name   string
		cat    *tdsserver.Catalogue
		faults tdsserver.Faults
		dsn    func(s *tdsserver.Server) string
		want   string
	}{
		{name: "down", dsn: func(*tdsserver.Server) string { return dsnAt(closed) },
			want: "SQL Server at " + closed + " refused the connection: nothing listens there"},
		{name: "login refused", cat: refusing, want: `refused login "tmsdrift": the login is disabled (error 18470)`},
		{name: "wrong password", dsn: func(s *tdsserver.Server) string { return s.DSN(user, password+"x", "tmsng") },
			want: `refused login "tmsdrift" (error 18456: wrong user name or password`},
		{name: "no such database", dsn: func(s *tdsserver.Server) string { return s.DSN(user, password, "tmsng_typo") },
			want: "it cannot open the database named in $" + env + " (error 4060"},
		{name: "unknown host", dsn: func(*tdsserver.Server) string { return dsnAt("tmsdrift-test.invalid") },
			want: `cannot find SQL Server host "tmsdrift-test.invalid"`},
		{name: "stalls before login", faults: tdsserver.Faults{Stall: true}, want: "did not answer within 500ms (database.connect_timeout_seconds)"},
		{name: "stalls on queries", faults: tdsserver.Faults{StallQueries: true}, want: "did not answer a round trip (SELECT 1;) within 500ms (database.query_timeout_seconds)"},
		{name: "drops mid-answer", faults: tdsserver.Faults{DropOn: sqlserver.ServerQuery}, want: "broke while reading the server's properties"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cat := tc.cat
			if cat == nil {
				cat = labCatalogue(t, "manual-cutover")
			}
			s := serve(t, cat, tc.faults)
			dsn := s.DSN(user, password, "tmsng")
			if tc.dsn != nil {
				dsn = tc.dsn(s)
			}
			t.Setenv(env, dsn)
			inv := liveInventory(inventory.ManualCutover)
			inv.Database.ConnectTimeoutSeconds, inv.Database.QueryTimeoutSeconds = 60, 60
			switch {
			case tc.faults.Stall:
				inv.Database.ConnectTimeoutSeconds = 0.5
			case tc.faults.StallQueries:
				inv.Database.QueryTimeoutSeconds = 0.5
			}
			start := time.Now()
			db := gather(t, inv)
			took := time.Since(start)
			require.Error(t, db.Err)
			assert.Nil(t, db.Facts)
			assert.Contains(t, db.Err.Error(), tc.want)
			if tc.faults.Stall || tc.faults.StallQueries {
				// A generous ceiling, far below the driver's own 5 s wait.
				assert.Less(t, took, 4*time.Second, "bounded by the configured timeout")
			}
		})
	}
}

// TestGatherEndsWhenCancelledWhileConnecting: a server that stalls the
// pre-login handshake or the login is given up as soon as the caller
// cancels (serve abandons a run after 7 s when it stops), not only when
// the connect timeout (a minute here) runs out.
func TestGatherEndsWhenCancelledWhileConnecting(t *testing.T) {
	for _, tc := range []struct {
		name   string
		faults tdsserver.Faults
	}{
		{name: "stalls before login", faults: tdsserver.Faults{Stall: true}},
		{name: "stalls the login", faults: tdsserver.Faults{StallLogin: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			noLeaks(t)
			s := serve(t, labCatalogue(t, "manual-cutover"), tc.faults)
			t.Setenv(env, s.DSN(user, password, "tmsng"))
			inv := liveInventory(inventory.ManualCutover)
			inv.Database.ConnectTimeoutSeconds = 60
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			time.AfterFunc(300*time.Millisecond, cancel)
			done := make(chan facts.DB, 1)
			go func() { done <- sqlserver.Gather(ctx, inv) }()
			select {
			case db := <-done:
				noSecret(t, db)
				require.Error(t, db.Err)
				assert.Nil(t, db.Facts)
				assert.Contains(t, db.Err.Error(), "interrupted while connecting to SQL Server")
			case <-time.After(30 * time.Second):
				t.Fatal("the probe went on connecting for 30 s after it was cancelled (its connect timeout is 60 s)")
			}
		})
	}
}
