package sqlserver

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/fixtures"
	"github.com/tmsdrift/tmsdrift/inventory"
)

func row(name, value string) settingRow {
	return settingRow{Name: sql.NullString{String: name, Valid: true}, Value: sql.NullString{String: value, Valid: true}}
}

func TestDecodeSettings(t *testing.T) {
	names := NamesOrDefaults(inventory.SettingNames{})
	full := []settingRow{
		row("TMSServerIPv4Address", "10.10.0.11"),
		row("tmsserveripv6address", "fd00::11"), // names compare case-insensitively
		{Name: sql.NullString{String: "TMSServerFQDN", Valid: true}},
		row("TMSServerPublicAddress", "tms.acme.com"),
		row("SomethingElse", "ignored"),
		{Value: sql.NullString{String: "a NULL name", Valid: true}},
	}
	got, err := decodeSettings(full, names)
	require.NoError(t, err)
	assert.Equal(t, &facts.Settings{IPv4Local: "10.10.0.11", IPv6Local: "fd00::11", DNSLocal: "", DNSPublic: "tms.acme.com"}, got, "a NULL value is an empty address")

	_, err = decodeSettings(full[:2], names)
	require.Error(t, err)
	assert.Equal(t, "the settings query returned no row named TMSServerFQDN (dns_local), TMSServerPublicAddress (dns_public): check database.settings against your TMS version", err.Error())

	_, err = decodeSettings(append(full, row("TMSSERVERFQDN", "x")), names)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "several rows named TMSServerFQDN (dns_local)")

	custom := NamesOrDefaults(inventory.SettingNames{IPv4Local: "ServerIP"})
	assert.Equal(t, DefaultNameDNSLocal, custom.DNSLocal, "names left out take the reference schema's")
	got, err = decodeSettings(append(full, row("ServerIP", "10.0.0.9")), custom)
	require.NoError(t, err)
	assert.Equal(t, "10.0.0.9", got.IPv4Local)
}

// labSettingRows reads the dbo.NetworkSettings rows of every lab's
// db.yaml, as the fuzz corpus: what a real settings query returns.
func labSettingRows(t testing.TB) [][]settingRow {
	files, err := filepath.Glob(filepath.Join(fixtures.LabsDir(), "*", "db.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	var out [][]settingRow
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		var doc struct {
			Databases []struct {
				NetworkSettings []struct {
					Name  string  `yaml:"name"`
					Value *string `yaml:"value"`
				} `yaml:"network_settings"`
			} `yaml:"databases"`
		}
		require.NoError(t, yaml.Unmarshal(b, &doc), f)
		for _, d := range doc.Databases {
			var rows []settingRow
			for _, s := range d.NetworkSettings {
				r := settingRow{Name: sql.NullString{String: s.Name, Valid: true}}
				if s.Value != nil {
					r.Value = sql.NullString{String: *s.Value, Valid: true}
				}
				rows = append(rows, r)
			}
			out = append(out, rows)
		}
	}
	return out
}

// encodeRows packs rows into one fuzz input: rows separated by \n, name
// and value by \t, \x00 alone for NULL.
func encodeRows(rows []settingRow) string {
	field := func(s sql.NullString) string {
		if !s.Valid {
			return "\x00"
		}
		return s.String
	}
	var lines []string
	for _, r := range rows {
		lines = append(lines, field(r.Name)+"\t"+field(r.Value))
	}
	return strings.Join(lines, "\n")
}

func decodeRows(s string) []settingRow {
	field := func(s string) sql.NullString {
		if s == "\x00" {
			return sql.NullString{}
		}
		return sql.NullString{String: s, Valid: true}
	}
	var rows []settingRow
	for _, line := range strings.Split(s, "\n") {
		name, value, _ := strings.Cut(line, "\t")
		rows = append(rows, settingRow{Name: field(name), Value: field(value)})
	}
	return rows
}

// FuzzDecodeSettings: the rows of the settings query are whatever the
// database holds. Whatever they are, decoding never panics, and when it
// succeeds every address is exactly the value of the one row with its
// name.
func FuzzDecodeSettings(f *testing.F) {
	for _, rows := range labSettingRows(f) {
		f.Add(encodeRows(rows))
	}
	names := NamesOrDefaults(inventory.SettingNames{})
	f.Fuzz(func(t *testing.T, in string) {
		rows := decodeRows(in)
		got, err := decodeSettings(rows, names)
		if err != nil {
			assert.Contains(t, err.Error(), "the settings query returned")
			return
		}
		for _, key := range facts.SettingsKeys {
			name := names.Get(key)
			var want []string
			for _, r := range rows {
				if r.Name.Valid && strings.EqualFold(r.Name.String, name) {
					want = append(want, r.Value.String)
				}
			}
			require.Len(t, want, 1, key)
			value := map[string]string{"ipv4_local": got.IPv4Local, "ipv6_local": got.IPv6Local, "dns_local": got.DNSLocal, "dns_public": got.DNSPublic}[key]
			assert.Equal(t, want[0], value, key)
		}
	})
}
