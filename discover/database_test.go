package discover

import (
	"database/sql"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/collect/sqlserver"
	"github.com/tmsdrift/tmsdrift/inventory"
)

func TestParseValue(t *testing.T) {
	for in, want := range map[string]Value{
		"10.10.0.11":                {Key: "ipv4_local", Value: "10.10.0.11"},
		" fd00::11 ":                {Key: "ipv6_local", Value: "fd00::11"},
		"tms.acme.local":            {Key: "dns_local", Value: "tms.acme.local"},
		"dns_public=tms.acme.com":   {Key: "dns_public", Value: "tms.acme.com", Given: true},
		"ipv4_local = 10.10.0.20":   {Key: "ipv4_local", Value: "10.10.0.20", Given: true},
		"name=with=equals.acme.com": {Key: "dns_local", Value: "name=with=equals.acme.com"},
	} {
		got, err := ParseValue(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"", " ", "dns_public=", "a\x1bb", "dns_local=a\rb"} {
		_, err := ParseValue(in)
		assert.Error(t, err, "%q", in)
	}
}

func TestLooksSecretAndClean(t *testing.T) {
	for _, n := range []string{"SqlUserPassword", "smtp_pwd", "ApiToken", "ConnectionString", "Client-Secret"} {
		assert.True(t, LooksSecret(n), n)
	}
	for _, n := range []string{"SqlServerInstanceName", "TmsServerIpV4Address", "ConfigKey", "InstallFolder"} {
		assert.False(t, LooksSecret(n), n)
	}
	assert.Equal(t, `a\x1b[2Jb\x07`, Clean("a\x1b[2Jb\a"))
	assert.Equal(t, `x\u202ey`, Clean("x\u202ey"), "no bidi override reaches the terminal")
	assert.True(t, strings.HasSuffix(Clean(strings.Repeat("a", 500)), "…"))
	assert.Equal(t, "sha256:"+strings.Repeat("", 0), Fingerprint("x")[:7])
	assert.Len(t, Fingerprint("x"), 19)
}

func rows(pairs ...string) []sqlserver.PairRow {
	var out []sqlserver.PairRow
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, sqlserver.PairRow{Name: sql.NullString{String: pairs[i], Valid: true}, Value: sql.NullString{String: pairs[i+1], Valid: true}})
	}
	return out
}

func TestCandidatesWeighTheEvidence(t *testing.T) {
	inv := &inventory.Inventory{Addresses: inventory.Addresses{IPv4Local: "10.10.0.11", DNSLocal: "tms.acme.local"}}
	d := &sqlserver.Discovery{Pairs: []sqlserver.Pairs{
		{Schema: "log", Table: "Events", NameColumn: "Message", ValueColumn: "Source", Rows: rows("Scheduler started", "10.10.0.11")},
		{Schema: "dbo", Table: "Cfg", NameColumn: "K", ValueColumn: "V", Rows: rows(
			"OldTmsIpAddress", "10.10.0.11",
			"SnmpTrapHost", "10.10.0.11",
			"TmsIp", "10.10.0.11",
			"DescriptionOfSite", "Oslo",
			"TmsFqdn", "TMS.ACME.LOCAL",
			"TmsIPv6", "",
			"PublicAddressPassword", "hunter2",
			"ExternalName", "",
		)},
	}}
	v, err := ParseValue("10.10.0.11")
	require.NoError(t, err)
	cs := Candidates(d, []Value{v}, inv)
	require.Len(t, cs, 2)
	c := cs[0]
	assert.Equal(t, "dbo.Cfg", c.TableName(), "the table with the most evidence first")
	got := map[string]string{}
	for _, m := range c.Mappings {
		got[m.Key] = m.Name
	}
	assert.Equal(t, map[string]string{"ipv4_local": "TmsIp", "ipv6_local": "TmsIPv6", "dns_local": "TmsFqdn", "dns_public": "ExternalName"}, got,
		"the row holding the value, not the old one or the SNMP one; a secret-looking row is never chosen; 'Description' is not an IP")
	assert.True(t, c.Complete())
	s := c.Settings()
	assert.Equal(t, "SELECT [K], [V] FROM [dbo].[Cfg];", s.Query)
	assert.Equal(t, "UPDATE [dbo].[Cfg] SET [V] = @value WHERE [K] = @name;", s.Update)

	// Two rows equally likely: both named, for the administrator.
	d = &sqlserver.Discovery{Pairs: []sqlserver.Pairs{{Schema: "dbo", Table: "T]x", NameColumn: "N", ValueColumn: "V", Rows: rows("TmsIp", "10.10.0.11", "ServerIp", "10.10.0.11")}}}
	cs = Candidates(d, []Value{v}, inv)
	assert.Equal(t, "TmsIp", cs[0].Mappings[0].Name)
	assert.Equal(t, []string{"ServerIp"}, cs[0].Mappings[0].Also)
	assert.False(t, cs[0].Complete())
	assert.Contains(t, cs[0].Settings().Query, "[T]]x]", "quoted as QUOTENAME quotes")
	assert.Contains(t, SettingsYAML(&cs[0], "  "), "dns_public: ''")
}
