package sqlserver_test

import (
	"context"
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

func TestWriteAddressesInOneTransaction(t *testing.T) {
	noLeaks(t)
	s := serve(t, labCatalogue(t, "post-upgrade"), tdsserver.Faults{})
	t.Setenv(env, s.DSN(user, password, "tmsng"))
	before := settingsOf(s)
	require.Equal(t, "10.10.0.12", before["TMSServerIPv4Address"])

	require.NoError(t, write(t, liveInventory(inventory.ManualCutover),
		sqlserver.AddressWrite{Key: "ipv4_local", Value: "10.10.0.11"},
		sqlserver.AddressWrite{Key: "dns_public", Value: "tms.acme.com"}))

	after := settingsOf(s)
	assert.Equal(t, "10.10.0.11", after["TMSServerIPv4Address"])
	assert.Equal(t, "tms.acme.com", after["TMSServerPublicAddress"])
	assert.Equal(t, before["TMSServerFQDN"], after["TMSServerFQDN"], "nothing else changes")

	var texts []string
	var tx uint64
	for _, e := range s.Executed() {
		if e.Text == sqlserver.PingStatement {
			continue
		}
		texts = append(texts, e.Text)
		if e.Text == "BEGIN TRANSACTION" {
			tx = e.TxID
		}
		assert.Equal(t, tx, e.TxID, "%s runs in the transaction", e.Text)
	}
	assert.NotZero(t, tx)
	assert.Equal(t, []string{"BEGIN TRANSACTION", sqlserver.DefaultSettingsUpdate, sqlserver.DefaultSettingsUpdate, "COMMIT TRANSACTION"}, texts)
	first := s.Executed()[1]
	assert.Equal(t, []tdsserver.Param{
		{Name: "@name", Type: "nvarchar", Value: "TMSServerIPv4Address"},
		{Name: "@value", Type: "nvarchar", Value: "10.10.0.11"},
	}, first.Params, "values travel as parameters")
}

func TestWriteAddressesRollsBackUnlessEachChangesOneRow(t *testing.T) {
	noLeaks(t)
	s := serve(t, labCatalogue(t, "post-upgrade"), tdsserver.Faults{})
	t.Setenv(env, s.DSN(user, password, "tmsng"))
	before := settingsOf(s)
	inv := liveInventory(inventory.ManualCutover)
	inv.Database.Settings.Names.DNSLocal = "TMSServerHostName" // not in this schema

	err := write(t, inv,
		sqlserver.AddressWrite{Key: "ipv4_local", Value: "10.10.0.11"},
		sqlserver.AddressWrite{Key: "dns_local", Value: "tms.acme.local"})
	require.Error(t, err)
	assert.Equal(t, "write addresses: the update of dns_local (TMSServerHostName) changed 0 rows, not exactly one: check database.settings.update and database.settings.names.dns_local against your TMS version; nothing was written", err.Error())
	assert.Equal(t, before, settingsOf(s), "the first update was rolled back with the second")
	last := s.Executed()[len(s.Executed())-1]
	assert.Equal(t, "ROLLBACK TRANSACTION", last.Text)
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

	inv.Database.Settings.Update = "UPDATE dbo.TMSSettings SET SettingValue = @value WHERE SettingName = @name;"
	err = write(t, inv, sqlserver.AddressWrite{Key: "ipv4_local", Value: "10.10.0.11"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "error 208: Invalid object name 'dbo.TMSSettings'")
	assert.True(t, strings.HasSuffix(err.Error(), "nothing was written"), err.Error())

	wrong := liveInventory(inventory.ManualCutover)
	t.Setenv(env, s.DSN(user, "not-"+password, "tmsng"))
	err = write(t, wrong, sqlserver.AddressWrite{Key: "ipv4_local", Value: "10.10.0.11"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "error 18456")
	assert.NotContains(t, err.Error(), "not-"+password)
}
