package inventory

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tms_version must name a release tmsdrift has a profile for; anything
// else is bad input placed at the key (exit 2 from the command line).
func TestTMSVersionMustHaveAProfile(t *testing.T) {
	for name, fragment := range map[string]string{
		"unknown-release": "no TMS profile for TMS 16.0: tmsdrift knows 11.5 to 15.x",
		"not-a-version":   `"latest" is not a TMS version`,
		"major-only":      "give the minor version too (e.g. 15.8)",
	} {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join("testdata", "versions", name+".yaml")
			_, err := Load(file, Options{})
			var ie *Error
			require.True(t, errors.As(err, &ie), "%v", err)
			require.Len(t, ie.Problems, 1, "%v", err)
			p := ie.Problems[0]
			assert.Equal(t, "tms_version", p.Field)
			assert.Equal(t, 3, p.Line)
			assert.Equal(t, 14, p.Column)
			assert.Contains(t, p.Message, fragment)
		})
	}
}

func TestTMSVersionAccepted(t *testing.T) {
	inv := &Inventory{Deployment: "lab", Model: SingleSeparateDB, TMSVersion: "12.6",
		File:     filepath.Join("testdata", "versions", "inventory.yaml"),
		Database: Database{Snapshot: "db.json", Server: "sql01"},
		Nodes:    []Node{{Name: "tms01", Role: Primary, Transport: Transport{Kind: "dir", Path: "nodes/tms01"}}}}
	assert.NoError(t, inv.Validate(Options{}))
	inv.TMSVersion = "11.4"
	assert.ErrorContains(t, inv.Validate(Options{}), "tms_version: no TMS profile for TMS 11.4")
}

func TestWebConfigsAndRegistryAreChecked(t *testing.T) {
	inv := &Inventory{Deployment: "lab", Model: SingleSeparateDB,
		File:       filepath.Join("testdata", "versions", "inventory.yaml"),
		Database:   Database{Snapshot: "db.json", Server: "sql01"},
		Nodes:      []Node{{Name: "tms01", Role: Primary, Transport: Transport{Kind: "dir", Path: "nodes/tms01"}}},
		Paths:      Paths{WebConfigs: []string{`Public\web.config`, `D:\Sites\TMS\web.config`, `Public/web.config`}},
		MachineKey: MachineKeySource{RequiredIn: []string{`Public\web.config`}},
		Registry:   Registry{Key: `SOFTWARE\WOW6432Node\Tandberg\TMS`, DBServer: "SqlServerInstanceName"}}
	require.NoError(t, inv.Validate(Options{}))
	inv.Registry.Key = `HKLM\SOFTWARE\Tandberg\TMS`
	require.NoError(t, inv.Validate(Options{}), "HKLM\\ is accepted")

	inv.Paths.WebConfigs = []string{"", `Public\app.config`, `..\other\web.config`, `\web.config`, `C:web.config`}
	inv.MachineKey.RequiredIn = []string{"Public"}
	inv.Registry = Registry{Key: `HKEY_CURRENT_USER\Software\TMS`, DBName: `TMS\DbName`}
	err := inv.Validate(Options{})
	var ie *Error
	require.ErrorAs(t, err, &ie)
	var got []string
	for _, p := range ie.Problems {
		got = append(got, p.Field)
	}
	assert.Equal(t, []string{"paths.web_configs[0]", "paths.web_configs[1]", "paths.web_configs[2]", "paths.web_configs[3]", "paths.web_configs[4]",
		"machine_key.required_in[0]", "registry.key", "registry.db_name"}, got, "%v", err)
}
