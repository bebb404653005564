package psscript

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/inventory"
)

func TestDiscoverInputRoundTrip(t *testing.T) {
	p := DefaultDiscoverParams(`C:\Program Files\TANDBERG\TMS`, `C:\Program Files\TANDBERG\TMS\wwwTMS`)
	in, err := DiscoverInput(p)
	require.NoError(t, err)
	assert.True(t, IsDiscoverInput(in))
	got, err := ParseDiscoverInput(in)
	require.NoError(t, err)
	assert.Equal(t, p, got)
	_, err = ParseCollectorInput(in)
	assert.Error(t, err, "the collector's parser does not take the probe")

	col, err := CollectorInput(Params{Install: `C:\TMS`})
	require.NoError(t, err)
	assert.False(t, IsDiscoverInput(col))
	_, err = ParseDiscoverInput(col)
	assert.Error(t, err)
	assert.NotContains(t, Discover(), "Set-ItemProperty", "read-only")
	assert.NotContains(t, Discover(), "Remove-Item")
	assert.Contains(t, Scripts(), "discover.ps1")
}

func TestParseDiscoverOutput(t *testing.T) {
	out, err := WriteDiscover(&DiscoverDocument{Schema: DiscoverSchema, Hostname: "TMS01", Folders: []string{strings.Repeat("x", 300)}})
	require.NoError(t, err)
	raw, err := ParseDiscoverOutput(append([]byte("Windows PowerShell banner\r\n"), out...))
	require.NoError(t, err)
	assert.Contains(t, string(raw), `"hostname":"TMS01"`)
	for _, bad := range []string{"", "#tmsdrift-discover/v1\neyJ9\n", "#tmsdrift-discover/v1\n#end\nmore\n", "#tmsdrift-discover/v1\n#warning x\n#end\n", "#tmsdrift-discover/v1\n%%%\n#end\n"} {
		_, err := ParseDiscoverOutput([]byte(bad))
		assert.Error(t, err, "%q", bad)
	}
}

func TestRegistryForPutsTheInventoryFirst(t *testing.T) {
	r := RegistryFor(inventory.Registry{Key: `HKLM\SOFTWARE\WOW6432Node\Tandberg\TMS`, DBServer: "SqlServerInstanceName", DBName: "DatabaseName"})
	assert.Equal(t, []string{`SOFTWARE\WOW6432Node\Tandberg\TMS`, GuessedKeys[0], GuessedKeys[1]}, r.Keys)
	assert.Equal(t, "SqlServerInstanceName", r.DBServer[0])
	assert.Equal(t, []string{"DatabaseName", "DbName"}, r.DBName, "a name the guesses have is not tried twice")
	d := RegistryFor(inventory.Registry{})
	assert.Equal(t, GuessedKeys, d.Keys)
	assert.Equal(t, GuessedDBServerValues, d.DBServer)
}
