package sqlserver_test

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/collect/sqlserver"
	"github.com/tmsdrift/tmsdrift/fixtures/tdsserver"
	"github.com/tmsdrift/tmsdrift/inventory"
)

// The settings statements reach the TMS database whatever database the
// DSN names: as written when it names tmsng, through tmsng's own
// sp_executesql otherwise (a log-shipping secondary's DSN names msdb).

// param is the value of the parameter called name of e.
func param(e tdsserver.Execution, name string) any {
	for _, p := range e.Params {
		if p.Name == name {
			return p.Value
		}
	}
	return nil
}

func TestSettingsAreReadInTheTMSDatabaseWhateverTheDSNNames(t *testing.T) {
	noLeaks(t)
	want := labDB(t, "offsite").Settings
	for _, dsnDB := range []string{"msdb", "master", ""} {
		t.Run("database="+dsnDB, func(t *testing.T) {
			s := serve(t, labCatalogue(t, "offsite"), tdsserver.Faults{})
			t.Setenv(env, s.DSN(user, password, dsnDB))
			db := gather(t, liveInventory(inventory.Offsite))
			require.NoError(t, db.Err)
			assert.Empty(t, db.Facts.Unknown)
			require.NotNil(t, db.Facts.Settings)
			assert.Equal(t, *want, *db.Facts.Settings)

			var calls, inner []tdsserver.Execution
			for _, e := range s.Executed() {
				switch e.Text {
				case sqlserver.InDatabaseQuery:
					calls = append(calls, e)
				case sqlserver.DefaultSettingsQuery:
					inner = append(inner, e)
				}
			}
			require.Len(t, calls, 1)
			assert.Equal(t, "tmsng", param(calls[0], "@db"), "the database travels as a parameter")
			assert.Equal(t, sqlserver.DefaultSettingsQuery, param(calls[0], "@stmt"), "and the operator's statement as written")
			require.Len(t, inner, 1)
			assert.Equal(t, "tmsng.sys.sp_executesql", inner[0].Via, "run in tmsng")
		})
	}
	t.Run("database=tmsng", func(t *testing.T) {
		s := serve(t, labCatalogue(t, "offsite"), tdsserver.Faults{})
		t.Setenv(env, s.DSN(user, password, "tmsng"))
		db := gather(t, liveInventory(inventory.Offsite))
		require.NoError(t, db.Err)
		assert.Equal(t, *want, *db.Facts.Settings)
		for _, e := range s.Executed() {
			assert.NotEqual(t, sqlserver.InDatabaseQuery, e.Text, "a DSN naming tmsng gets the statements as written")
		}
	})
}

// TestWriteAddressesThroughAnotherDatabase: the compare-and-set on a DSN
// naming msdb — the check and the update run in tmsng, in the one
// serializable transaction; a changed value, a wrong row count and a
// restoring database write nothing.
func TestWriteAddressesThroughAnotherDatabase(t *testing.T) {
	noLeaks(t)
	s := serve(t, labCatalogue(t, "post-upgrade"), tdsserver.Faults{})
	t.Setenv(env, s.DSN(user, password, "msdb"))
	inv := liveInventory(inventory.ManualCutover)
	require.NoError(t, write(t, inv, sqlserver.AddressWrite{Key: "ipv4_local", Expected: "10.10.0.12", Value: "10.10.0.11"}))
	assert.Equal(t, "10.10.0.11", settingsOf(s)["TMSServerIPv4Address"])
	executed := s.Executed()
	assert.Equal(t, []string{"BEGIN TRANSACTION", sqlserver.InDatabaseQuery, sqlserver.DefaultSettingsQuery,
		sqlserver.InDatabaseUpdate, sqlserver.DefaultSettingsUpdate, "COMMIT TRANSACTION"}, texts(executed))
	var tx uint64
	for _, e := range executed {
		switch e.Text {
		case "BEGIN TRANSACTION":
			tx = e.TxID
			assert.Equal(t, "SERIALIZABLE", e.Isolation)
		case sqlserver.InDatabaseUpdate:
			assert.Equal(t, "tmsng", param(e, "@db"))
			assert.Equal(t, sqlserver.DefaultSettingsUpdate, param(e, "@stmt"))
			assert.Equal(t, sqlserver.DefaultNameIPv4Local, param(e, "@name"))
			assert.Equal(t, "10.10.0.11", param(e, "@value"))
		case sqlserver.DefaultSettingsUpdate:
			assert.Equal(t, "tmsng.sys.sp_executesql", e.Via)
			assert.Equal(t, "10.10.0.11", param(e, "@value"), "the values are passed on")
		}
		if e.Text != sqlserver.PingStatement {
			assert.Equal(t, tx, e.TxID, "%s runs in the transaction", e.Text)
		}
	}

	// Changed since the plan: nothing written.
	require.NoError(t, s.SetSetting("tmsng", sqlserver.DefaultNameIPv4Local, "10.10.0.99"))
	n := len(s.Executed())
	err := write(t, inv, sqlserver.AddressWrite{Key: "ipv4_local", Expected: "10.10.0.11", Value: "10.10.0.12"})
	var changed *sqlserver.ChangedError
	require.True(t, errors.As(err, &changed), "%v", err)
	assert.Equal(t, []string{"BEGIN TRANSACTION", sqlserver.InDatabaseQuery, sqlserver.DefaultSettingsQuery, "ROLLBACK TRANSACTION"}, texts(since(s, n)))
	assert.Equal(t, "10.10.0.99", settingsOf(s)["TMSServerIPv4Address"])

	// The update matches two rows: rolled back.
	s.SetFaults(tdsserver.Faults{RowsAffected: map[string]int64{sqlserver.DefaultSettingsUpdate: 2}})
	err = write(t, inv, sqlserver.AddressWrite{Key: "ipv4_local", Expected: "10.10.0.99", Value: "10.10.0.12"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "changed 2 rows, not exactly one")
	assert.Equal(t, "10.10.0.99", settingsOf(s)["TMSServerIPv4Address"])
	s.SetFaults(tdsserver.Faults{})

	// Restoring: SQL Server cannot open it.
	require.NoError(t, s.ChangeCatalogue(func(c *tdsserver.Catalogue) { c.Databases[0].State = "RESTORING" }))
	err = write(t, inv, sqlserver.AddressWrite{Key: "ipv4_local", Expected: "10.10.0.99", Value: "10.10.0.12"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "error 927")
	assert.Contains(t, err.Error(), "nothing was written")
	assert.Equal(t, "10.10.0.99", settingsOf(s)["TMSServerIPv4Address"])
}

// TestGatherOffsiteReadsTheStateFromMaster: a DSN naming tmsng cannot log
// in while tmsng is restoring (error 4060); GatherOffsite logs in to
// master and reports the state, then, once online, the addresses too,
// without the log-shipping questions.
func TestGatherOffsiteReadsTheStateFromMaster(t *testing.T) {
	noLeaks(t)
	c := labCatalogue(t, "offsite")
	c.Databases[0].State = "RESTORING"
	s := serve(t, c, tdsserver.Faults{})
	t.Setenv(env+"_DR", s.DSN(user, password, "tmsng"))
	inv := liveInventory(inventory.Offsite)
	inv.Database.OffsiteDSNEnv = env + "_DR"
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	alone := *inv
	alone.Database.DSNEnv, alone.Database.OffsiteDSNEnv = env+"_DR", ""
	plain := gather(t, &alone)
	require.Error(t, plain.Err, "the DSN's own database cannot be opened")
	assert.Contains(t, plain.Err.Error(), "error 4060")

	db := sqlserver.GatherOffsite(ctx, inv)
	noSecret(t, db)
	require.NoError(t, db.Err)
	require.True(t, db.Facts.Database.Valid())
	assert.Equal(t, "RESTORING", db.Facts.Database.Value.State)
	assert.Contains(t, db.Facts.Unknown["settings"], "error 927")
	assert.Contains(t, db.From, "live SQL Server 127.0.0.1:")
	assert.Contains(t, db.From, "$"+env+"_DR")

	require.NoError(t, s.ChangeCatalogue(func(c *tdsserver.Catalogue) { c.Databases[0].State = "ONLINE" }))
	n := len(s.Executed())
	db = sqlserver.GatherOffsite(ctx, inv)
	noSecret(t, db)
	require.NoError(t, db.Err)
	assert.Equal(t, "ONLINE", db.Facts.Database.Value.State)
	assert.Equal(t, *labDB(t, "offsite").Settings, *db.Facts.Settings)
	for _, e := range since(s, n) {
		assert.NotContains(t, []string{sqlserver.LogShippingSecondariesQuery, sqlserver.LogShippingRestoreQuery}, e.Text, "no log-shipping question")
	}

	inv.Database.OffsiteDSNEnv = ""
	db = sqlserver.GatherOffsite(ctx, inv)
	require.Error(t, db.Err)
	assert.Contains(t, db.Err.Error(), "database.offsite_dsn_env is not set")
}

func TestSettingsRoute(t *testing.T) {
	inv := liveInventory(inventory.Offsite)
	t.Setenv(env, "sqlserver://"+url.UserPassword(user, password).String()+"@sql01/TMS?database=tmsng")
	assert.Empty(t, sqlserver.SettingsRoute(inv), "as written")
	t.Setenv(env, "sqlserver://"+url.UserPassword(user, password).String()+"@sql-dr?database=msdb")
	route := sqlserver.SettingsRoute(inv)
	assert.Contains(t, route, `runs in database tmsng through tmsng.sys.sp_executesql`)
	assert.Contains(t, route, `$`+env+` logs in to "msdb"`)
	for _, secret := range []string{password, url.QueryEscape(password), user + ":"} {
		assert.NotContains(t, route, secret)
	}
	t.Setenv(env, "sqlserver://"+url.UserPassword(user, password).String()+"@sql-dr")
	assert.Contains(t, sqlserver.SettingsRoute(inv), "the login's default database")
}
