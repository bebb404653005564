package inventory

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The keys of live database access (database.dsn_env): the log-shipping
// secondary's variable, the time bounds, the settings statements.

// liveInv is an inventory of model reading the database live, with extra
// lines under database:; offsite gets its off-site standby.
func liveInv(model, database string) []byte {
	nodes := "  - {name: tms01, role: primary, transport: {kind: winrm, host: tms01}}\n"
	if model == "offsite" {
		nodes += "  - {name: tmsdr01, role: offsite-standby, transport: {kind: winrm, host: tmsdr01}}\n"
	}
	return []byte(fmt.Sprintf("deployment: lab\nmodel: %s\ndomain: ACME.LOCAL\ndatabase:\n  dsn_env: TMSDRIFT_DSN\n  server: sql01\n%snodes:\n%s",
		model, database, nodes))
}

func TestLiveDatabaseKeysLoad(t *testing.T) {
	inv, err := LoadBytes("inv.yaml", liveInv("offsite", `  offsite_dsn_env: TMSDRIFT_DR_DSN
  connect_timeout_seconds: 2.5
  query_timeout_seconds: 30
  latency_samples: 50
  settings:
    query: SELECT n, v FROM dbo.S;
    update: UPDATE dbo.S SET v = @Value WHERE n = @NAME;
    names:
      ipv4_local: IPv4
      dns_public: Public
`), Options{})
	require.NoError(t, err)
	db := inv.Database
	assert.Equal(t, "TMSDRIFT_DR_DSN", db.OffsiteDSNEnv)
	assert.Equal(t, 2.5, db.ConnectTimeoutSeconds)
	assert.Equal(t, 30.0, db.QueryTimeoutSeconds)
	assert.Equal(t, 50, db.LatencySamples)
	assert.Equal(t, Settings{Query: "SELECT n, v FROM dbo.S;", Update: "UPDATE dbo.S SET v = @Value WHERE n = @NAME;",
		Names: SettingNames{IPv4Local: "IPv4", DNSPublic: "Public"}}, db.Settings)

	inv, err = LoadBytes("inv.yaml", liveInv("single", ""), Options{})
	require.NoError(t, err)
	assert.Equal(t, 5.0, inv.Database.ConnectTimeoutSeconds, "default")
	assert.Equal(t, 15.0, inv.Database.QueryTimeoutSeconds, "default")
	assert.Equal(t, 20, inv.Database.LatencySamples, "default")
	assert.Equal(t, Settings{}, inv.Database.Settings, "empty: collect/sqlserver's reference-schema defaults apply")

	long := strings.Repeat("ü", 128) // 128 characters, each one UTF-16 code unit
	inv, err = LoadBytes("inv.yaml", liveInv("single", "  name: "+long+"\n"), Options{})
	require.NoError(t, err, "a sysname may have 128 characters")
	assert.Equal(t, long, inv.Database.Name)
}

func TestLiveDatabaseKeysValidate(t *testing.T) {
	for _, tc := range []struct {
		name, model, database, field, fragment string
	}{
		{"secondary outside offsite", "single", "  offsite_dsn_env: DR_DSN\n", "database.offsite_dsn_env", `only model "offsite" has a log-shipping secondary`},
		{"secondary DSN pasted", "offsite", "  offsite_dsn_env: 'sqlserver://sa:pw@dr'\n", "database.offsite_dsn_env", "never the secret itself"},
		{"negative timeout", "single", "  connect_timeout_seconds: -1\n", "database.connect_timeout_seconds", "must be between 0 and 86400 (omit it for the default, 5)"},
		{"too many samples", "single", "  latency_samples: 5000\n", "database.latency_samples", "between 1 and 1000"},
		{"update with pasted values", "single", "  settings:\n    update: UPDATE dbo.S SET v = '10.0.0.1' WHERE n = 'IPv4';\n", "database.settings.update", "must use the parameters @name and @value"},
		{"blank query", "single", "  settings:\n    query: '  '\n", "database.settings.query", "must be a SELECT"},
		{"unknown settings key", "single", "  settings:\n    names:\n      ipv4: x\n", "database.settings.names.ipv4", "unknown key"},
		{"database name too long", "offsite", "  name: " + strings.Repeat("t", 129) + "\n", "database.name", "129 characters long: a SQL Server database name has at most 128"},
		{"database name blank", "single", "  name: '  '\n", "database.name", "must be the TMS database's name"},
		{"database name with a control character", "single", "  name: \"tms\\tng\"\n", "database.name", "holds a control character"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadBytes("inv.yaml", liveInv(tc.model, tc.database), Options{})
			require.Error(t, err)
			var ie *Error
			require.True(t, errors.As(err, &ie))
			require.Len(t, ie.Problems, 1, err.Error())
			assert.Equal(t, tc.field, ie.Problems[0].Field)
			assert.Contains(t, ie.Problems[0].Message, tc.fragment)
			assert.NotContains(t, err.Error(), "sqlserver://sa:pw", "a pasted DSN is not echoed")
			assert.Positive(t, ie.Problems[0].Line, "placed in the file")
		})
	}
}
