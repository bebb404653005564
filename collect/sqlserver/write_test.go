package sqlserver_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/collect/sqlserver"
	"github.com/tmsdrift/tmsdrift/fixtures/tdsserver"
	"github.com/tmsdrift/tmsdrift/inventory"
)

// settingsOf is dbo.NetworkSettings as committed, name → value.
func settingsOf(s *tdsserver.Server) map[string]string {
	out := map[string]string{}
	for _, r := range s.Settings("tmsng") {
		v := "NULL"
		if r.Value != nil {
			v = *r.Value
		}
		out[r.Name] = v
	}
	return out
}

func write(t *testing.T, inv *inventory.Inventory, w ...sqlserver.AddressWrite) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := sqlserver.WriteAddresses(ctx, inv, w)
	if err != nil {
		for _, secret := range []string{password, url.QueryEscape(password), url.UserPassword(user, password).String()} {
			assert.NotContains(t, err.Error(), secret)
		}
	}
	return err
}

// since returns the executions after the first n.
func since(s *tdsserver.Server, n int) []tdsserver.Execution {
	return s.Executed()[n:]
}

// texts are the statements of es, without the pings.
func texts(es []tdsserver.Execution) []string {
	var out []string
	for _, e := range es {
		if e.Text != sqlserver.PingStatement {
			out = append(out, e.Text)
		}
	}
	return out
}

func TestWriteAddressesInOneTransaction(t *testing.T) {
	noLeaks(t)
	s := serve(t, labCatalogue(t, "post-upgrade"), tdsserver.Faults{})
	t.Setenv(env, s.DSN(user, password, "tmsng"))
	before := settingsOf(s)
	require.Equal(t, "10.10.0.12", before["TMSServerIPv4Address"])
	require.Equal(t, "", before["TMSServerPublicAddress"])

	require.NoError(t, write(t, liveInventory(inventory.ManualCutover),
		sqlserver.AddressWrite{Key: "ipv4_local", Expected: "10.10.0.12", Value: "10.10.0.11"},
		sqlserver.AddressWrite{Key: "dns_public", Expected: "", Value: "tms.acme.com"}))

	after := settingsOf(s)
	assert.Equal(t, "10.10.0.11", after["TMSServerIPv4Address"])
	assert.Equal(t, "tms.acme.com", after["TMSServerPublicAddress"])
	assert.Equal(t, before["TMSServerFQDN"], after["TMSServerFQDN"], "nothing else changes")

	// The check (the settings query) and the updates ran in one
	// serializable transaction, then it was committed.
	executed := s.Executed()
	assert.Equal(t, []string{"BEGIN TRANSACTION", sqlserver.DefaultSettingsQuery, sqlserver.DefaultSettingsUpdate, sqlserver.DefaultSettingsUpdate, "COMMIT TRANSACTION"}, texts(executed))
	var tx uint64
	for _, e := range executed {
		if e.Text == "BEGIN TRANSACTION" {
			tx = e.TxID
			assert.Equal(t, "SERIALIZABLE", e.Isolation)
		}
		if e.Text != sqlserver.PingStatement {
			assert.Equal(t, tx, e.TxID, "%s runs in the transaction", e.Text)
		}
	}
	assert.NotZero(t, tx)
	var first *tdsserver.Execution
	for i, e := range executed {
		if e.Text == sqlserver.DefaultSettingsUpdate {
			first = &executed[i]
			break
		}
	}
	require.NotNil(t, first)
	assert.Equal(t, []tdsserver.Param{
		{Name: "@name", Type: "nvarchar", Value: "TMSServerIPv4Address"},
		{Name: "@value", Type: "nvarchar", Value: "10.10.0.11"},
	}, first.Params, "values travel as parameters")
}

// A value someone changes after the caller read it — here the moment the
// transaction begins — is found by the read inside the transaction: no
// update runs, the transaction is rolled back, and the error names every
// address that changed.
func TestWriteAddressesRefusesAValueChangedSinceThePlan(t *testing.T) {
	noLeaks(t)
	s := serve(t, labCatalogue(t, "post-upgrade"), tdsserver.Faults{})
	t.Setenv(env, s.DSN(user, password, "tmsng"))
	inv := liveInventory(inventory.ManualCutover)

	planned, err := sqlserver.ReadSettings(testCtx(t), inv)
	require.NoError(t, err)
	require.Equal(t, "10.10.0.12", planned.IPv4Local)
	require.Equal(t, "tms.acme.local", planned.DNSLocal)
	s.Interleave(func(e tdsserver.Execution) {
		if e.Text == "BEGIN TRANSACTION" {
			assert.NoError(t, s.SetSetting("tmsng", sqlserver.DefaultNameIPv4Local, "10.10.0.99"))
			assert.NoError(t, s.SetSetting("tmsng", sqlserver.DefaultNameDNSLocal, "tms9.acme.local"))
		}
	})
	changed := settingsOf(s)
	n := len(s.Executed())

	err = write(t, inv,
		sqlserver.AddressWrite{Key: "ipv4_local", Expected: planned.IPv4Local, Value: "10.10.0.11"},
		sqlserver.AddressWrite{Key: "ipv6_local", Expected: planned.IPv6Local, Value: planned.IPv6Local},
		sqlserver.AddressWrite{Key: "dns_local", Expected: planned.DNSLocal, Value: "tms1.acme.local"})
	require.Error(t, err)
	assert.Equal(t, `write addresses: ipv4_local is now "10.10.0.99", the plan expected "10.10.0.12"; dns_local is now "tms9.acme.local", the plan expected "tms.acme.local" — run fix again; nothing was written`, err.Error())
	var ce *sqlserver.ChangedError
	require.True(t, errors.As(err, &ce))
	assert.Equal(t, []sqlserver.Mismatch{
		{Key: "ipv4_local", Now: "10.10.0.99", Expected: "10.10.0.12"},
		{Key: "dns_local", Now: "tms9.acme.local", Expected: "tms.acme.local"},
	}, ce.Mismatches)

	s.Interleave(nil)
	after := settingsOf(s)
	assert.Equal(t, "10.10.0.99", after[sqlserver.DefaultNameIPv4Local], "the other writer's value stays")
	assert.Equal(t, "tms9.acme.local", after[sqlserver.DefaultNameDNSLocal])
	delete(changed, sqlserver.DefaultNameIPv4Local)
	delete(changed, sqlserver.DefaultNameDNSLocal)
	for name, v := range changed {
		assert.Equal(t, v, after[name], name)
	}
	assert.Equal(t, []string{"BEGIN TRANSACTION", sqlserver.DefaultSettingsQuery, "ROLLBACK TRANSACTION"}, texts(since(s, n)), "no update ran")
}

func TestWriteAddressesRollsBackUnlessEachChangesOneRow(t *testing.T) {
	noLeaks(t)
	s := serve(t, labCatalogue(t, "post-upgrade"), tdsserver.Faults{})
	t.Setenv(env, s.DSN(user, password, "tmsng"))
	before := settingsOf(s)
	inv := liveInventory(inventory.ManualCutover)

	// A mapped name the settings query does not return: refused at the
	// check, before any update.
	inv.Database.Settings.Names.DNSLocal = "TMSServerHostName" // not in this schema
	err := write(t, inv,
		sqlserver.AddressWrite{Key: "ipv4_local", Expected: "10.10.0.12", Value: "10.10.0.11"},
		sqlserver.AddressWrite{Key: "dns_local", Expected: "tms.acme.local", Value: "tms1.acme.local"})
	require.Error(t, err)
	assert.Equal(t, "write addresses: cannot check the addresses before writing: the settings query returned no row named TMSServerHostName (dns_local): check database.settings against your TMS version; nothing was written", err.Error())
	assert.Equal(t, before, settingsOf(s))
	assert.Equal(t, []string{"BEGIN TRANSACTION", sqlserver.DefaultSettingsQuery, "ROLLBACK TRANSACTION"}, texts(s.Executed()))

	// An update that reports another row count than one (a name that is
	// not unique, a trigger): the earlier update is rolled back with it.
	s.SetFaults(tdsserver.Faults{RowsAffected: map[string]int64{sqlserver.DefaultSettingsUpdate: 2}})
	n := len(s.Executed())
	err = write(t, liveInventory(inventory.ManualCutover),
		sqlserver.AddressWrite{Key: "ipv4_local", Expected: "10.10.0.12", Value: "10.10.0.11"},
		sqlserver.AddressWrite{Key: "dns_local", Expected: "tms.acme.local", Value: "tms1.acme.local"})
	require.Error(t, err)
	assert.Equal(t, "write addresses: the update of ipv4_local (TMSServerIPv4Address) changed 2 rows, not exactly one: check database.settings.update and database.settings.names.ipv4_local against your TMS version; nothing was written", err.Error())
	assert.Equal(t, before, settingsOf(s), "the update was rolled back")
	assert.Equal(t, []string{"BEGIN TRANSACTION", sqlserver.DefaultSettingsQuery, sqlserver.DefaultSettingsUpdate, "ROLLBACK TRANSACTION"}, texts(since(s, n)))
}

func TestWriteAddressesRefusals(t *testing.T) {
	noLeaks(t)
	c := labCatalogue(t, "post-upgrade")
	s := serve(t, c, tdsserver.Faults{})
	t.Setenv(env, s.DSN(user, password, "tmsng"))
	inv := liveInventory(inventory.ManualCutover)

	err := write(t, inv, sqlserver.AddressWrite{Key: "ipv5_local", Value: "x"})
	require.EqualError(t, err, `write addresses: unknown address key "ipv5_local" (known: ipv4_local, ipv6_local, dns_local, dns_public)`)
	err = write(t, inv, sqlserver.AddressWrite{Key: "dns_local", Value: "a"}, sqlserver.AddressWrite{Key: "dns_local", Value: "b"})
	require.EqualError(t, err, "write addresses: dns_local given twice")
	assert.Empty(t, s.Executed(), "bad requests never reach the server")
	require.NoError(t, write(t, inv), "nothing to write: no connection")
	assert.Empty(t, s.Executed())

	inv.Database.Settings.Update = "UPDATE dbo.TMSSettings SET SettingValue = @value WHERE SettingName = @name;"
	err = write(t, inv, sqlserver.AddressWrite{Key: "ipv4_local", Expected: "10.10.0.12", Value: "10.10.0.11"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "error 208: Invalid object name 'dbo.TMSSettings'")
	assert.True(t, strings.HasSuffix(err.Error(), "nothing was written"), err.Error())

	inv = liveInventory(inventory.ManualCutover)
	inv.Database.Settings.Query = "SELECT SettingName, SettingValue FROM dbo.TMSSettings;"
	err = write(t, inv, sqlserver.AddressWrite{Key: "ipv4_local", Expected: "10.10.0.12", Value: "10.10.0.11"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "write addresses: cannot check the addresses before writing: SQL Server refused the TMS server addresses (database.settings.query) (error 208: Invalid object name 'dbo.TMSSettings'.)")
	assert.True(t, strings.HasSuffix(err.Error(), "nothing was written"), err.Error())
	assert.Equal(t, "10.10.0.12", settingsOf(s)[sqlserver.DefaultNameIPv4Local])

	wrong := liveInventory(inventory.ManualCutover)
	t.Setenv(env, s.DSN(user, "not-"+password, "tmsng"))
	err = write(t, wrong, sqlserver.AddressWrite{Key: "ipv4_local", Expected: "10.10.0.12", Value: "10.10.0.11"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "error 18456")
	assert.NotContains(t, err.Error(), "not-"+password)
}

// ReadSettings asks the settings query alone — no round-trip samples, no
// other question — and gives every failure as an error.
func TestReadSettings(t *testing.T) {
	noLeaks(t)
	s := serve(t, labCatalogue(t, "post-upgrade"), tdsserver.Faults{})
	t.Setenv(env, s.DSN(user, password, "tmsng"))
	inv := liveInventory(inventory.ManualCutover)

	got, err := sqlserver.ReadSettings(testCtx(t), inv)
	require.NoError(t, err)
	want := gather(t, inv).Facts.Settings
	require.NotNil(t, want)
	assert.Equal(t, *want, got, "the audit's reading, by the same query and mapping")
	assert.Equal(t, "10.10.0.12", got.IPv4Local)
	n := len(s.Executed())
	_, err = sqlserver.ReadSettings(testCtx(t), inv)
	require.NoError(t, err)
	assert.Equal(t, []tdsserver.Execution{{Text: sqlserver.DefaultSettingsQuery, Via: "batch"}}, since(s, n), "one statement, outside any transaction")

	for _, tc := range []struct {
		name string
		edit func(*inventory.Inventory)
		dsn  string
		want string
	}{
		{"missing table", func(inv *inventory.Inventory) {
			inv.Database.Settings.Query = "SELECT SettingName, SettingValue FROM dbo.TMSSettings;"
		}, "", "read addresses: SQL Server refused the TMS server addresses (database.settings.query) (error 208: Invalid object name 'dbo.TMSSettings'.); the object is not there: for the TMS addresses, check database.settings against your TMS version"},
		{"unmapped name", func(inv *inventory.Inventory) { inv.Database.Settings.Names.IPv6Local = "TMSServerIPv6" },
			"", "read addresses: the settings query returned no row named TMSServerIPv6 (ipv6_local): check database.settings against your TMS version"},
		{"wrong password", func(*inventory.Inventory) {}, s.DSN(user, "not-"+password, "tmsng"), "error 18456"},
		{"no DSN", func(inv *inventory.Inventory) { inv.Database.DSNEnv = "TMSDRIFT_TEST_NO_SUCH_DSN" },
			"", "read addresses: environment variable TMSDRIFT_TEST_NO_SUCH_DSN is not set"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.dsn != "" {
				t.Setenv(env, tc.dsn)
			}
			inv := liveInventory(inventory.ManualCutover)
			tc.edit(inv)
			_, err := sqlserver.ReadSettings(testCtx(t), inv)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			for _, secret := range []string{password, url.QueryEscape(password)} {
				assert.NotContains(t, err.Error(), secret)
			}
		})
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
