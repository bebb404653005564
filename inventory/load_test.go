package inventory

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func day(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// TestLoadContractExample loads the inventory of contract §2 and compares
// every field.
func TestLoadContractExample(t *testing.T) {
	file := filepath.Join("testdata", "good", "contract.yaml")
	inv, err := Load(file, Options{KnownRules: testRules})
	require.NoError(t, err)
	want := &Inventory{
		Deployment: "acme-tms",
		Model:      ManualCutover,
		Domain:     "ACME.LOCAL",
		Addresses:  Addresses{IPv4Local: "10.10.0.11", DNSLocal: "tms.acme.local"},
		Paths: Paths{
			Install:  `C:\Program Files\TANDBERG\TMS`,
			WebRoot:  `C:\Program Files\TANDBERG\TMS\wwwTMS`,
			Software: `C:\Program Files\TANDBERG\TMS\wwwTMS\Data\Software`,
		},
		MachineKey: MachineKeySource{File: "keys/machinekey.xml"},
		DataSync: DataSync{Master: "tms01", Dirs: []string{
			`wwwTMS\Data\CiscoSettings`, `wwwTMS\Data\CompanyLogo`, `wwwTMS\Data\EmailTemplate`,
		}},
		Time: TimeLimits{MaxOffsetMS: 1000},
		Database: Database{
			DSNEnv: "TMSDRIFT_DSN", Server: `sql01.acme.local\TMS`, Name: "tmsng",
			MaxLatencyMS: 10, MaxBackupAgeHours: 26, MaxLogShippingLagMinutes: 60,
			ConnectTimeoutSeconds: 5, QueryTimeoutSeconds: 15, LatencySamples: 20,
		},
		Nodes: []Node{
			{Name: "tms01", Role: Primary, Address: "10.10.0.11", Transport: Transport{Kind: "dir", Path: "nodes/tms01"}},
			{Name: "tms02", Role: Standby, Address: "10.10.0.12", Transport: Transport{Kind: "dir", Path: "nodes/tms02"}},
		},
		Waivers: []Waiver{{Rule: "time.synced", Node: "tms02", Reason: "NTP source being replaced, ticket 4711", Expires: day("2026-12-31")}},
		File:    file,
	}
	assert.Equal(t, want, inv)
	assert.Equal(t, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), inv.Waivers[0].Expires.EndUTC())
}

// TestLoadAppliesDefaults loads an inventory with only the required keys.
func TestLoadAppliesDefaults(t *testing.T) {
	inv, err := Load(filepath.Join("testdata", "good", "minimal.yaml"), Options{})
	require.NoError(t, err)
	assert.Equal(t, TimeLimits{MaxOffsetMS: 1000}, inv.Time)
	assert.Equal(t, Database{
		Snapshot: "db.json", Server: "sql01", Name: "tmsng",
		MaxLatencyMS: 10, MaxBackupAgeHours: 26, MaxLogShippingLagMinutes: 60,
		ConnectTimeoutSeconds: 5, QueryTimeoutSeconds: 15, LatencySamples: 20,
	}, inv.Database)
	assert.Equal(t, Paths{
		Install:  `C:\Program Files\TANDBERG\TMS`,
		WebRoot:  `C:\Program Files\TANDBERG\TMS\wwwTMS`,
		Software: `C:\Program Files\TANDBERG\TMS\wwwTMS\Data\Software`,
	}, inv.Paths)
	assert.Equal(t, DefaultDataDirs, inv.DataSync.Dirs)
	assert.Equal(t, Addresses{}, inv.Addresses, "omitted addresses mean empty")
	assert.Equal(t, Transport{Kind: "winrm", Host: "tms01.acme.local", Port: 5986, UserEnv: "TMS_USER", PasswordEnv: "TMS_PASSWORD"}, inv.Nodes[0].Transport)

	inv.DataSync.Dirs[0] = "changed"
	assert.Equal(t, `wwwTMS\Data\CiscoSettings`, DefaultDataDirs[0], "the defaults are copied, not shared")
}

// TestLoadDerivesPathsFromInstall: an install on another drive needs only
// paths.install; a limit of 0 takes the default.
func TestLoadDerivesPathsFromInstall(t *testing.T) {
	inv, err := Load(filepath.Join("testdata", "good", "other-drive.yaml"), Options{})
	require.NoError(t, err)
	assert.Equal(t, Paths{Install: `D:\TMS\`, WebRoot: `D:\TMS\wwwTMS`, Software: `D:\TMS\wwwTMS\Data\Software`}, inv.Paths)
	assert.Equal(t, float64(DefaultMaxOffsetMS), inv.Time.MaxOffsetMS)
	assert.Equal(t, []Node{
		{Name: "tms01", Role: Pool, Transport: Transport{Kind: "local"}},
		{Name: "tms02", Role: Pool, Transport: Transport{Kind: "ssh", Host: "tms02"}},
	}, inv.Nodes)
}

// TestLoadKeepsExplicitPaths: each path set in the file stays as written.
func TestLoadKeepsExplicitPaths(t *testing.T) {
	src := `deployment: lab
model: single
paths:
  web_root: 'E:\web'
database: {snapshot: db.json, server: sql01}
nodes: [{name: tms01, role: primary, transport: {kind: local}}]
`
	inv, err := LoadBytes("inventory.yaml", []byte(src), Options{})
	require.NoError(t, err)
	assert.Equal(t, Paths{Install: DefaultInstall, WebRoot: `E:\web`, Software: `E:\web\Data\Software`}, inv.Paths)
}

func TestResolve(t *testing.T) {
	inv := &Inventory{File: filepath.Join("lab", "acme", "inventory.yaml")}
	assert.Equal(t, filepath.Join("lab", "acme", "nodes", "tms01"), inv.Resolve("nodes/tms01"))
	assert.Equal(t, filepath.Join("lab", "acme", "db.json"), inv.Resolve("db.json"))
	assert.Equal(t, filepath.Join("lab", "keys", "mk.xml"), inv.Resolve("../keys/mk.xml"))
	abs := filepath.Join(t.TempDir(), "db.json")
	assert.Equal(t, abs, inv.Resolve(abs))
	assert.Equal(t, "", inv.Resolve(""))
}

// TestResolveAgainstLoadedFile: Load records the file, so a snapshot folder
// next to the inventory is found wherever the command runs from.
func TestResolveAgainstLoadedFile(t *testing.T) {
	file := filepath.Join("testdata", "good", "contract.yaml")
	inv, err := Load(file, Options{})
	require.NoError(t, err)
	assert.Equal(t, file, inv.File)
	assert.DirExists(t, inv.Resolve(inv.Nodes[0].Transport.Path))
}

// TestValidateBuiltInCode checks an inventory built in Go: the same rules,
// no positions.
func TestValidateBuiltInCode(t *testing.T) {
	inv := &Inventory{
		Deployment: "lab",
		Model:      NLB,
		Database:   Database{Snapshot: "db.json", Server: "sqlclu"},
		Nodes: []Node{
			{Name: "tms01", Role: Pool, Transport: Transport{Kind: "local"}},
			{Name: "tms02", Role: Primary, Transport: Transport{Kind: "local"}},
		},
		File: "built-in",
	}
	err := inv.Validate(Options{})
	var ie *Error
	require.True(t, errors.As(err, &ie))
	assert.Equal(t, []Problem{
		{File: "built-in", Field: "domain", Message: `required for model "nlb": every TMS node must be in this Active Directory domain (e.g. ACME.LOCAL)`},
		{File: "built-in", Field: "nodes[1].role", Message: `"primary" is not allowed in model "nlb" (allowed: pool)`},
	}, ie.Problems)

	inv.Domain = "LAB.LOCAL"
	inv.Nodes[1].Role = Pool
	assert.NoError(t, inv.Validate(Options{}))
}

// TestApplyDefaultsKeepsSetValues: only zero values are filled.
func TestApplyDefaultsKeepsSetValues(t *testing.T) {
	inv := &Inventory{
		Time: TimeLimits{MaxOffsetMS: 250},
		Database: Database{Name: "tmsng_lab", MaxLatencyMS: 5, MaxBackupAgeHours: 48, MaxLogShippingLagMinutes: 15,
			ConnectTimeoutSeconds: 0.5, QueryTimeoutSeconds: 2, LatencySamples: 3},
		DataSync: DataSync{Dirs: []string{`wwwTMS\Data\Logo`}},
		Paths:    Paths{Install: `D:\TMS`, WebRoot: `D:\web`, Software: `D:\sw`},
	}
	want := *inv
	inv.ApplyDefaults()
	assert.Equal(t, want, *inv)
}

// TestApplyDefaultsRecordsTheInstallFolder: paths.identical names the
// default install folder only where the inventory left it out.
func TestApplyDefaultsRecordsTheInstallFolder(t *testing.T) {
	inv := &Inventory{}
	inv.ApplyDefaults()
	assert.True(t, inv.Defaulted.Install)
	assert.Equal(t, DefaultInstall, inv.Paths.Install)
	assert.False(t, inv.AsWritten().Defaulted.Install)
	inv = &Inventory{Paths: Paths{Install: `D:\TMS`}}
	inv.ApplyDefaults()
	assert.False(t, inv.Defaulted.Install)
}

// TestDecodeProblemFromGoccy covers errors that reach goccy's decoder past
// the structural pass: they keep their position and lose the Go jargon.
func TestDecodeProblemFromGoccy(t *testing.T) {
	tests := []struct {
		src  string
		dst  any
		want Problem
	}{
		{"port: x\n", &struct {
			Port int `yaml:"port"`
		}{}, Problem{File: "f", Line: 1, Column: 7, Message: "expected a whole number"}},
		{"a: 1\nextra: 2\n", &struct {
			A int `yaml:"a"`
		}{}, Problem{File: "f", Line: 2, Column: 1, Message: `unknown key "extra"`}},
		{"n: 99999999999999999999\n", &struct {
			N int `yaml:"n"`
		}{}, Problem{File: "f", Line: 1, Column: 4, Message: "number out of range for a whole number"}},
		{"d: [1]\n", &struct {
			D Date `yaml:"d"`
		}{}, Problem{File: "f", Message: "cannot decode: expected a date (YYYY-MM-DD), found a list"}},
	}
	for _, tt := range tests {
		err := yaml.UnmarshalWithOptions([]byte(tt.src), tt.dst, yaml.Strict())
		require.Error(t, err, tt.src)
		ps := &problems{file: "f"}
		ps.decodeProblem(err)
		require.Len(t, ps.list, 1)
		got := ps.list[0]
		assert.Contains(t, got.Message, tt.want.Message, tt.src)
		got.Message = tt.want.Message
		assert.Equal(t, tt.want, got, tt.src)
		assert.NotContains(t, ps.list[0].Message, "Go struct")
	}
}

// TestDateEncodings: a waiver date reads and writes as YYYY-MM-DD in YAML
// and JSON, never as the embedded time's RFC 3339.
func TestDateEncodings(t *testing.T) {
	var w struct {
		Expires Date `yaml:"expires" json:"expires"`
	}
	require.NoError(t, yaml.Unmarshal([]byte(`expires: "2026-12-31"`), &w))
	assert.Equal(t, "2026-12-31", w.Expires.String())

	j, err := json.Marshal(w)
	require.NoError(t, err)
	assert.JSONEq(t, `{"expires": "2026-12-31"}`, string(j))

	var back struct {
		Expires Date `json:"expires"`
	}
	require.NoError(t, json.Unmarshal(j, &back))
	assert.Equal(t, w.Expires, back.Expires)

	y, err := yaml.Marshal(w)
	require.NoError(t, err)
	assert.Equal(t, "expires: 2026-12-31\n", string(y))

	assert.Error(t, yaml.Unmarshal([]byte("expires: 2026-12-31T10:00:00Z"), &w))
	assert.Error(t, json.Unmarshal([]byte(`{"expires": "12/31/2026"}`), &back))
}
