package inventory

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// As Windows PowerShell 5.1 writes text: `Set-Content -Encoding UTF8` with a
// UTF-8 byte order mark, `>` and Out-File as UTF-16LE with one; both with
// CRLF line breaks.
func psUTF8(text string) []byte {
	return append([]byte{0xEF, 0xBB, 0xBF}, strings.ReplaceAll(text, "\n", "\r\n")...)
}

func psRedirect(text string) []byte {
	out := []byte{0xFF, 0xFE}
	for _, u := range utf16.Encode([]rune(strings.ReplaceAll(text, "\n", "\r\n"))) {
		out = append(out, byte(u), byte(u>>8))
	}
	return out
}

func utf16BE(text string) []byte {
	out := []byte{0xFE, 0xFF}
	for _, u := range utf16.Encode([]rune(text)) {
		out = append(out, byte(u>>8), byte(u))
	}
	return out
}

func TestLoadReadsWhatWindowsWrites(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "good", "contract.yaml"))
	require.NoError(t, err)
	want, err := LoadBytes(filepath.Join("testdata", "good", "contract.yaml"), src, Options{KnownRules: testRules})
	require.NoError(t, err)
	// A comment with a non-ASCII letter, as a German administrator writes.
	text := "# Inventar für Zürich\n" + string(src)
	for name, raw := range map[string][]byte{
		"UTF-8 with BOM, CRLF (Set-Content -Encoding UTF8)": psUTF8(text),
		"UTF-16LE with BOM, CRLF (> and Out-File)":          psRedirect(text),
		"UTF-16BE with BOM":                                 utf16BE(text),
	} {
		t.Run(name, func(t *testing.T) {
			got, err := LoadBytes(filepath.Join("testdata", "good", "contract.yaml"), raw, Options{KnownRules: testRules})
			require.NoError(t, err)
			assert.Equal(t, want, got)
		})
	}
}

// Problems in a decoded file are placed where an editor shows them: the
// byte order mark is no column, a CRLF is one line break, and a UTF-16
// character is one column.
func TestLoadPlacesProblemsInDecodedFiles(t *testing.T) {
	text := "# Zürich\n# second comment\ndeployment: lab\nmodel: single\ncolour: red\ndatabase: {snapshot: db.json, server: sql01}\nnodes:\n  - {name: tms01, role: primary, address: 10.10.0.1x, transport: {kind: local}}\n"
	for name, raw := range map[string][]byte{
		"UTF-8":             []byte(text),
		"UTF-8 CRLF":        []byte(strings.ReplaceAll(text, "\n", "\r\n")),
		"UTF-8 with BOM":    psUTF8(text),
		"UTF-16LE with BOM": psRedirect(text),
		"UTF-16BE with BOM": utf16BE(text),
		"old Mac CR":        []byte(strings.ReplaceAll(text, "\n", "\r")),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := LoadBytes("inv.yaml", raw, Options{})
			require.EqualError(t, err, "inv.yaml:5:1: colour: unknown key (allowed here: deployment, model, domain, public_systems, tms_version, addresses, paths, machine_key, data_sync, time, database, registry, nodes, waivers, notify, schedule)")
			fixed := strings.Replace(text, "colour: red\n", "", 1)
			var raw2 []byte
			switch name {
			case "UTF-16LE with BOM":
				raw2 = psRedirect(fixed)
			case "UTF-16BE with BOM":
				raw2 = utf16BE(fixed)
			default:
				raw2 = psUTF8(fixed)
			}
			_, err = LoadBytes("inv.yaml", raw2, Options{})
			require.Error(t, err)
			assert.Equal(t, `inv.yaml:7:43: nodes[0].address: "10.10.0.1x" is not an IPv4 address: each of the four parts must be a number from 0 to 255`, err.Error())
		})
	}
}

func TestLoadRefusesBOMlessUTF16(t *testing.T) {
	raw := psRedirect("deployment: lab\n")[2:]
	_, err := LoadBytes("inv.yaml", raw, Options{})
	var ie *Error
	require.True(t, errors.As(err, &ie))
	assert.Contains(t, err.Error(), "inv.yaml: cannot read the inventory: looks like UTF-16 without a byte order mark")
}

func TestLoadPlacesAnUnclosedQuoteOnItsLine(t *testing.T) {
	for name, tc := range map[string]struct{ src, want string }{
		"single quote, next value quoted": {
			"deployment: 'lab\nmodel: 'single'\n",
			"inv.yaml:1:13: YAML syntax: the single quote here is not closed on this line (YAML read on to line 2",
		},
		"double quote in a flow mapping, CRLF": {
			"deployment: lab\r\nmodel: single\r\nnodes:\r\n  - name: \"tms01\r\n    role: primary\r\n    address: \"10.0.0.1\"\r\n",
			"inv.yaml:4:11: YAML syntax: the double quote here is not closed on this line (YAML read on to line 6",
		},
		"double quote running into a backslash": {
			"deployment: \"lab\nmodel: single\ndatabase:\n  server: '(local)\\TMS'\n",
			"inv.yaml:1:13: YAML syntax: the double quote here is not closed on this line (YAML read on to line 4",
		},
		"unclosed at the end": {
			"deployment: lab\nmodel: \"single\n",
			"inv.yaml:2:8: YAML syntax: could not find end character of double-quoted text",
		},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := LoadBytes("inv.yaml", []byte(tc.src), Options{})
			require.Error(t, err)
			assert.True(t, strings.HasPrefix(err.Error(), tc.want), "got %v", err)
		})
	}
	// A quoted value that legitimately spans lines is not blamed for an
	// error elsewhere.
	src := "deployment: 'lab\n  one'\nmodel: single\ncolour: [\n"
	_, err := LoadBytes("inv.yaml", []byte(src), Options{})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "quote here is not closed")
}

func TestLoadRequireFiles(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(dir, "nodes"), 0o755))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "nodes", "tms01"), 0o755))
	src := "deployment: lab\nmodel: manual-cutover\ndomain: ACME.LOCAL\nmachine_key: {file: keys/machinekey.xml}\n" +
		"database:\n  snapshot: db.json\n  server: sql01\nnodes:\n" +
		"  - {name: tms01, role: primary, transport: {kind: dir, path: nodes/tms01}}\n" +
		"  - {name: tms02, role: standby, transport: {kind: dir, path: nodes/tms01}}\n"
	file := filepath.Join(dir, "inventory.yaml")
	require.NoError(t, os.WriteFile(file, []byte(src), 0o644))

	_, err := Load(file, Options{})
	require.NoError(t, err, "the audit reports missing files as error results (contract §7)")
	_, err = Load(file, Options{RequireFiles: true})
	require.Error(t, err)
	assert.Equal(t, file+":4:21: machine_key.file: cannot read keys/machinekey.xml: no such file\n"+
		file+":6:13: database.snapshot: cannot read db.json: no such file", err.Error())

	require.NoError(t, os.Mkdir(filepath.Join(dir, "keys"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "keys", "machinekey.xml"), nil, 0o600))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "db.json"), 0o755))
	_, err = Load(file, Options{RequireFiles: true})
	assert.EqualError(t, err, file+":6:13: database.snapshot: db.json is a folder, not a file")
}

func TestLoadHostname(t *testing.T) {
	inv, err := Load(filepath.Join("testdata", "good", "hostname.yaml"), Options{})
	require.NoError(t, err)
	assert.Equal(t, "TMS01", inv.Nodes[0].Hostname)
	assert.Equal(t, "2001:db8::12", inv.Nodes[1].Address)
	assert.Equal(t, "tms02.acme.local.", inv.Nodes[1].Transport.Host)
}
