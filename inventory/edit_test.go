package inventory

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/internal/wintext"
)

// windowsForms are the ways an inventory is saved on Windows: the edit
// must give back the same form.
var windowsForms = []struct {
	name string
	eol  string
	enc  wintext.Encoding
}{
	{"LF", "\n", wintext.Encoding{}},
	{"CRLF", "\r\n", wintext.Encoding{}},
	{"CRLF, UTF-8 with BOM (PowerShell 5.1 Set-Content -Encoding UTF8)", "\r\n", wintext.Encoding{BOM: true}},
	{"CRLF, UTF-16LE with BOM (PowerShell 5.1 >)", "\r\n", wintext.Encoding{UTF16: true, BOM: true}},
}

// TestEditCommentedInventory swaps the live site of a commented inventory
// the way activate-offsite does — roles, the address, the live database —
// and checks the file byte for byte: only the changed values differ, each
// in its own quoting, and the result loads with the new values.
func TestEditCommentedInventory(t *testing.T) {
	name := filepath.Join("testdata", "good", "commented.yaml")
	raw, err := os.ReadFile(name)
	require.NoError(t, err)
	in := string(raw)
	changes := []Change{
		{Field: "nodes[0].role", Value: "offsite-standby"},
		{Field: "nodes[1].role", Value: "primary"},
		{Field: "addresses.ipv4_local", Value: "10.10.0.31"},
		{Field: "database.server", Value: "sql-dr.acme.local"},
		{Field: "database.offsite_server", Value: `sql01.acme.local\TMS`},
		{Field: "database.dsn_env", Value: "TMSDRIFT_DR_DSN"},
		{Field: "database.offsite_dsn_env", Value: "TMSDRIFT_DSN"},
	}
	want := in
	for _, r := range [][2]string{
		{"role: primary                   # the only", "role: offsite-standby                   # the only"},
		{"role: 'offsite-standby'", "role: 'primary'"},
		{"ipv4_local: 10.10.0.11            #", "ipv4_local: 10.10.0.31            #"},
		{`server: 'sql01.acme.local\TMS'`, `server: 'sql-dr.acme.local'`},
		{`offsite_server: "sql-dr.acme.local"`, `offsite_server: "sql01.acme.local\\TMS"`},
		{"dsn_env: TMSDRIFT_DSN             #", "dsn_env: TMSDRIFT_DR_DSN             #"},
		{`offsite_dsn_env: "TMSDRIFT_DR_DSN"`, `offsite_dsn_env: "TMSDRIFT_DSN"`},
	} {
		require.Equal(t, 1, strings.Count(want, r[0]), r[0])
		want = strings.Replace(want, r[0], r[1], 1)
	}
	for _, form := range windowsForms {
		t.Run(form.name, func(t *testing.T) {
			encode := func(s string) []byte {
				b, err := form.enc.Encode([]byte(strings.ReplaceAll(s, "\n", form.eol)))
				require.NoError(t, err)
				return b
			}
			out, inv, err := Edit(name, encode(in), changes, Options{})
			require.NoError(t, err)
			assert.True(t, bytes.Equal(encode(want), out), "got\n%s", out)
			assert.Equal(t, OffsiteStandby, inv.Nodes[0].Role)
			assert.Equal(t, Primary, inv.Nodes[1].Role)
			assert.Equal(t, "10.10.0.31", inv.Addresses.IPv4Local)
			assert.Equal(t, "sql-dr.acme.local", inv.Database.Server)
			assert.Equal(t, `sql01.acme.local\TMS`, inv.Database.OffsiteServer)
			assert.Equal(t, "TMSDRIFT_DR_DSN", inv.Database.DSNEnv)
			again, err := LoadBytes(name, out, Options{})
			require.NoError(t, err)
			assert.Equal(t, inv, again)
		})
	}
}

// TestEditAddsMissingKeyInContractOrder adds ipv6_local after ipv4_local.
func TestEditAddsMissingKeyInContractOrder(t *testing.T) {
	name := filepath.Join("testdata", "good", "commented.yaml")
	raw, err := os.ReadFile(name)
	require.NoError(t, err)
	out, inv, err := Edit(name, raw, []Change{{Field: "addresses.ipv6_local", Value: "fd00::31"}}, Options{})
	require.NoError(t, err)
	assert.Equal(t, "fd00::31", inv.Addresses.IPv6Local)
	assert.Equal(t, strings.Replace(string(raw), "moves at cutover\n", "moves at cutover\n  ipv6_local: fd00::31\n", 1), string(out))
}

// TestEditRefuses: a change that would not load, a field that is not
// text or not in the inventory, changes nothing and says why.
func TestEditRefuses(t *testing.T) {
	name := filepath.Join("testdata", "good", "commented.yaml")
	raw, err := os.ReadFile(name)
	require.NoError(t, err)
	for _, c := range []struct {
		change Change
		want   string
	}{
		{Change{Field: "nodes[1].role", Value: "standby"}, "would not load"},
		{Change{Field: "addresses.ipv4_local", Value: "999.1.1.1"}, "would not load"},
		{Change{Field: "nodes[0].transport.port", Value: "80"}, "not a text field"},
		{Change{Field: "nodes[0].colour", Value: "red"}, "no key colour"},
		{Change{Field: "public_systems", Value: "true"}, "not a text field"},
		{Change{Field: "nodes[7].role", Value: "primary"}, "no list element"},
	} {
		out, inv, err := Edit(name, raw, []Change{c.change}, Options{})
		if assert.Error(t, err, c.change.Field) {
			assert.Contains(t, err.Error(), c.want)
		}
		assert.Nil(t, out)
		assert.Nil(t, inv)
	}
}

func TestFieldText(t *testing.T) {
	inv, err := Load(filepath.Join("testdata", "good", "commented.yaml"), Options{})
	require.NoError(t, err)
	for field, want := range map[string]string{
		"nodes[1].role":           "offsite-standby",
		"nodes[1].transport.host": "tmsdr01.acme.local",
		"database.offsite_server": "sql-dr.acme.local",
		"addresses.dns_local":     "tms.acme.local",
		"addresses.ipv6_local":    "",
	} {
		got, err := inv.FieldText(field)
		assert.NoError(t, err, field)
		assert.Equal(t, want, got, field)
	}
	for _, bad := range []string{"nodes[9].role", "nodes.role", "database.max_latency_ms", "nope"} {
		_, err := inv.FieldText(bad)
		assert.Error(t, err, bad)
	}
}

// TestOffsiteSnapshotKey: offsite_snapshot is read, and only where it
// makes sense (model offsite, a recorded database).
func TestOffsiteSnapshotKey(t *testing.T) {
	base := "deployment: x\nmodel: %s\ndomain: acme.local\ndatabase:\n  %s\n  server: sql01\n  offsite_server: sql-dr\n  offsite_snapshot: db-dr.json\nnodes:\n  - {name: tms01, role: primary, transport: {kind: winrm, host: tms01}}\n  - {name: tmsdr01, role: offsite-standby, transport: {kind: winrm, host: tmsdr01}}\n"
	inv, err := LoadBytes("inv.yaml", []byte(fmt.Sprintf(base, "offsite", "snapshot: db.json")), Options{})
	require.NoError(t, err)
	assert.Equal(t, "db-dr.json", inv.Database.OffsiteSnapshot)
	_, err = LoadBytes("inv.yaml", []byte(fmt.Sprintf(base, "offsite", "dsn_env: TMSDRIFT_DSN")), Options{})
	if assert.Error(t, err) {
		assert.Contains(t, err.Error(), "database.offsite_snapshot: goes with database.snapshot")
	}
	_, err = LoadBytes("inv.yaml", []byte(strings.Replace(fmt.Sprintf(base, "manual-cutover", "snapshot: db.json"), "offsite-standby", "standby", 1)), Options{})
	if assert.Error(t, err) {
		assert.Contains(t, err.Error(), `database.offsite_snapshot: only model "offsite"`)
	}
	_, err = LoadBytes(filepath.Join(t.TempDir(), "inv.yaml"), []byte(fmt.Sprintf(base, "offsite", "snapshot: db.json")), Options{RequireFiles: true})
	if assert.Error(t, err) {
		assert.Contains(t, err.Error(), "database.offsite_snapshot")
	}
}
