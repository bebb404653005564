package machinekey

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/internal/wintext"
	"golang.org/x/text/encoding/unicode"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return raw
}

func TestFromWebConfigSamples(t *testing.T) {
	tests := []struct {
		file    string
		want    *Key
		wantErr string
	}{
		{
			// BOM, CRLF, comments (one holding an old key), and a different
			// key under <location path="api"> that must not count.
			file: "tms15.web.config",
			want: &tmsKey,
		},
		{
			file: "tms15-utf16.web.config",
			want: &tmsKey,
		},
		{
			file: "defaults.web.config",
			want: &Key{ValidationKey: strings.ToLower(tmsValidationKey), DecryptionKey: strings.ToLower(tmsDecryptionKey), Decryption: "AES"},
		},
		{
			// xmlns on <configuration>, single-quoted attributes, no decryption.
			file: "aspnet20.web.config",
			want: &Key{ValidationKey: net2ValidationKey, DecryptionKey: net2DecryptionKey, Validation: "SHA1"},
		},
		{
			file: "commented.web.config",
			want: nil,
		},
		{
			file: "autogenerate.web.config",
			want: &Key{ValidationKey: "AutoGenerate,IsolateApps", DecryptionKey: "AutoGenerate,IsolateApps", Validation: "HMACSHA256", Decryption: "Auto"},
		},
		{
			file: "location-dot.web.config",
			want: &Key{ValidationKey: dotValidationKey, DecryptionKey: dotDecryptionKey, Validation: "HMACSHA256", Decryption: "AES"},
		},
		{
			file: "api-only.web.config",
			want: nil,
		},
		{
			file:    "malformed.web.config",
			wantErr: "web.config is not well-formed XML: line 9, column 16: element <authorization> closed by </system.web>",
		},
		{
			file:    "machinekey.xml",
			wantErr: "web.config root element is <machineKey>, want <configuration>",
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := FromWebConfig(readTestdata(t, tt.file))
			if tt.wantErr != "" {
				require.EqualError(t, err, tt.wantErr)
				assert.Nil(t, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestFromWebConfigSamplesFixedAndEqual(t *testing.T) {
	approved, err := ReadKeyFile(filepath.Join("testdata", "machinekey.xml"))
	require.NoError(t, err)

	tests := []struct {
		file      string
		wantFixed bool
		wantEqual bool
	}{
		{"tms15.web.config", true, true},
		{"tms15-utf16.web.config", true, true},
		{"defaults.web.config", true, true}, // lower-case hex, validation absent
		{"aspnet20.web.config", true, false},
		{"autogenerate.web.config", false, false},
		{"location-dot.web.config", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			k, err := FromWebConfig(readTestdata(t, tt.file))
			require.NoError(t, err)
			require.NotNil(t, k)
			assert.Equal(t, tt.wantFixed, k.Fixed())
			assert.Equal(t, tt.wantEqual, k.Equal(*approved))
			assert.Equal(t, tt.wantEqual, k.Fingerprint() == approved.Fingerprint())
		})
	}
}

// webConfig wraps body in a minimal web.config.
func webConfig(body string) []byte {
	return []byte("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<configuration>\n" + body + "\n</configuration>\n")
}

func machineKeyElement(validationKey, decryptionKey string) string {
	return `<machineKey validationKey="` + validationKey + `" decryptionKey="` + decryptionKey + `" validation="HMACSHA256" decryption="AES" />`
}

func TestFromWebConfigPlacement(t *testing.T) {
	tmsElem := machineKeyElement(tmsValidationKey, tmsDecryptionKey)
	apiElem := machineKeyElement(apiValidationKey, apiDecryptionKey)
	dotElem := machineKeyElement(dotValidationKey, dotDecryptionKey)
	apiKey := Key{ValidationKey: apiValidationKey, DecryptionKey: apiDecryptionKey, Validation: "HMACSHA256", Decryption: "AES"}
	dotKey := Key{ValidationKey: dotValidationKey, DecryptionKey: dotDecryptionKey, Validation: "HMACSHA256", Decryption: "AES"}

	tests := []struct {
		name string
		body string
		want *Key
	}{
		{"direct", `<system.web>` + tmsElem + `</system.web>`, &tmsKey},
		{"location without path", `<location><system.web>` + tmsElem + `</system.web></location>`, &tmsKey},
		{"location path empty", `<location path=""><system.web>` + tmsElem + `</system.web></location>`, &tmsKey},
		{"location path dot", `<location path="." inheritInChildApplications="false"><system.web>` + tmsElem + `</system.web></location>`, &tmsKey},
		{"location path api", `<location path="api"><system.web>` + tmsElem + `</system.web></location>`, nil},
		{"location path dot-slash is a sub-path", `<location path="./api"><system.web>` + tmsElem + `</system.web></location>`, nil},
		{"direct wins over an earlier location",
			`<location path="."><system.web>` + dotElem + `</system.web></location><system.web>` + tmsElem + `</system.web>`, &tmsKey},
		{"first location wins",
			`<location path="api"><system.web>` + apiElem + `</system.web></location>` +
				`<location path=""><system.web>` + dotElem + `</system.web></location>` +
				`<location><system.web>` + tmsElem + `</system.web></location>`, &dotKey},
		{"first in system.web wins", `<system.web>` + apiElem + tmsElem + `</system.web>`, &apiKey},
		{"second system.web", `<system.web/><system.web>` + tmsElem + `</system.web>`, &tmsKey},
		{"element with end tag", `<system.web><machineKey validationKey="` + tmsValidationKey + `" decryptionKey="` + tmsDecryptionKey + `" validation="HMACSHA256" decryption="AES"></machineKey></system.web>`, &tmsKey},
		{"nested too deep", `<system.web><pages>` + tmsElem + `</pages></system.web>`, nil},
		{"under system.webServer", `<system.webServer>` + tmsElem + `</system.webServer>`, nil},
		{"directly under configuration", tmsElem, nil},
		{"element name is case-sensitive", `<system.web><MachineKey validationKey="` + tmsValidationKey + `" decryptionKey="` + tmsDecryptionKey + `" /></system.web>`, nil},
		{"system.web is case-sensitive", `<System.Web>` + tmsElem + `</System.Web>`, nil},
		{"prefixed element is another namespace", `<system.web><x:machineKey xmlns:x="urn:x" validationKey="` + tmsValidationKey + `" decryptionKey="` + tmsDecryptionKey + `" /></system.web>`, nil},
		{"attribute names are case-sensitive",
			`<system.web><machineKey ValidationKey="` + tmsValidationKey + `" decryptionKey="` + tmsDecryptionKey + `" Validation="SHA1" /></system.web>`,
			&Key{DecryptionKey: tmsDecryptionKey}},
		{"prefixed attribute does not count",
			`<system.web><machineKey xmlns:x="urn:x" x:validationKey="` + apiValidationKey + `" validationKey="` + tmsValidationKey + `" decryptionKey="` + tmsDecryptionKey + `" validation="HMACSHA256" decryption="AES" /></system.web>`,
			&tmsKey},
		{"values kept as written",
			`<system.web><machineKey validationKey=" ab " decryptionKey="cd" validation="hmacsha256" decryption="aes" /></system.web>`,
			&Key{ValidationKey: " ab ", DecryptionKey: "cd", Validation: "hmacsha256", Decryption: "aes"}},
		{"character references decoded",
			`<system.web><machineKey validationKey="AB" decryptionKey="CD" validation="HMAC&#x53;HA256" decryption="A&amp;E" /></system.web>`,
			&Key{ValidationKey: "AB", DecryptionKey: "CD", Validation: "HMACSHA256", Decryption: "A&E"}},
		{"no system.web", `<appSettings />`, nil},
		{"empty configuration", ``, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FromWebConfig(webConfig(tt.body))
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestFromWebConfigEncodings(t *testing.T) {
	text := "<?xml version=\"1.0\" encoding=\"utf-16\"?>\r\n<configuration>\r\n  <system.web>\r\n    " +
		machineKeyElement(tmsValidationKey, tmsDecryptionKey) + "\r\n  </system.web>\r\n</configuration>\r\n"
	utf16 := func(e unicode.Endianness, bom unicode.BOMPolicy) []byte {
		b, err := unicode.UTF16(e, bom).NewEncoder().Bytes([]byte(text))
		require.NoError(t, err)
		return b
	}
	tests := map[string][]byte{
		"UTF-16LE with BOM":    utf16(unicode.LittleEndian, unicode.UseBOM),
		"UTF-16BE with BOM":    utf16(unicode.BigEndian, unicode.UseBOM),
		"UTF-16LE without BOM": utf16(unicode.LittleEndian, unicode.IgnoreBOM),
		"UTF-16BE without BOM": utf16(unicode.BigEndian, unicode.IgnoreBOM),
		"UTF-8 with BOM":       append([]byte("\xEF\xBB\xBF"), strings.Replace(text, "utf-16", "utf-8", 1)...),
		"UTF-8 declared utf8":  []byte(strings.Replace(text, "utf-16", "UTF8", 1)),
		"declared us-ascii":    []byte(strings.Replace(text, "utf-16", "us-ascii", 1)),
		"no declaration":       []byte(text[strings.Index(text, "<configuration>"):]),
	}
	for name, raw := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := FromWebConfig(raw)
			require.NoError(t, err)
			assert.Equal(t, &tmsKey, got)
		})
	}
}

func TestFromWebConfigErrors(t *testing.T) {
	tmsElem := machineKeyElement(tmsValidationKey, tmsDecryptionKey)
	tests := []struct {
		name    string
		raw     []byte
		wantErr string
	}{
		{"empty file", nil, "web.config is not well-formed XML: no root element"},
		{"only a comment", []byte("<!-- " + tmsElem + " -->"), "web.config is not well-formed XML: no root element"},
		{"unclosed element", webConfig("<system.web>" + tmsElem), "web.config is not well-formed XML: line 4, column 17: element <system.web> closed by </configuration>"},
		{"truncated", webConfig("<system.web>")[:60], "web.config is not well-formed XML: line 3, column 6: unexpected EOF"},
		{"second root", append(webConfig(""), "<configuration/>"...), "web.config is not well-formed XML: line 5, column 1: second root element <configuration>"},
		{"text after root", append(webConfig(""), "oops"...), "web.config is not well-formed XML: line 5, column 1: text outside the root element"},
		{"duplicate attribute",
			webConfig(`<system.web><machineKey validationKey="AB" validationKey="CD" decryptionKey="EF" /></system.web>`),
			"web.config is not well-formed XML: line 3, column 13: attribute validationKey repeated in element <machineKey>"},
		{"undefined entity", webConfig(`<system.web>&nbsp;</system.web>`), "web.config is not well-formed XML: line 3, column 19: invalid character entity &nbsp;"},
		{"invalid UTF-8", webConfig("<system.web>\xff</system.web>"), "web.config is not well-formed XML: line 3, column 14: invalid UTF-8"},
		{"unsupported encoding",
			[]byte(`<?xml version="1.0" encoding="windows-1252"?><configuration/>`),
			`web.config declares encoding "windows-1252"; only UTF-8 and UTF-16 are supported`},
		{"UTF-16 declared, UTF-8 found",
			[]byte(`<?xml version="1.0" encoding="utf-16"?><configuration/>`),
			`web.config declares encoding "utf-16" but is not UTF-16 (no byte order mark)`},
		{"odd-length UTF-16", []byte("\xFF\xFE<\x00c\x00/"), "web.config: not valid UTF-16LE with BOM: an odd number of bytes (is the file cut off?)"},
		{"other root", []byte(`<appSettings />`), "web.config root element is <appSettings>, want <configuration>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FromWebConfig(tt.raw)
			require.EqualError(t, err, tt.wantErr)
			assert.Nil(t, got)
		})
	}
}

// TestErrorsHideKeyMaterial breaks the XML inside key values: the parser's
// message would quote the rest of the key.
func TestErrorsHideKeyMaterial(t *testing.T) {
	tests := map[string]string{
		"entity in validationKey": `<system.web><machineKey validationKey="` + tmsValidationKey[:20] + "&" + tmsValidationKey[20:] + `;" decryptionKey="AB" /></system.web>`,
		"entity in decryptionKey": `<system.web><machineKey validationKey="AB" decryptionKey="` + tmsDecryptionKey[:4] + "&x" + tmsDecryptionKey[4:] + `" /></system.web>`,
		"lt in key":               `<system.web><machineKey validationKey="` + tmsValidationKey[:64] + "<" + tmsValidationKey[64:] + `" /></system.web>`,
		"unquoted key":            `<system.web><machineKey validationKey=` + tmsValidationKey + ` /></system.web>`,
		"key as element name":     `<system.web><` + "x" + tmsValidationKey + `></system.web>`,
		"key as end tag":          `<system.web><a></` + "x" + tmsValidationKey + `></system.web>`,
	}
	for name, body := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := FromWebConfig(webConfig(body))
			require.Error(t, err)
			assert.Contains(t, err.Error(), "not well-formed XML: line 3")
			assertNoKeyMaterial(t, err.Error(), tmsKey, "error")
			_, err = ParseKeyFile([]byte(body))
			require.Error(t, err)
			assertNoKeyMaterial(t, err.Error(), tmsKey, "key file error")
		})
	}
	t.Run("root element named like a key", func(t *testing.T) {
		_, err := FromWebConfig([]byte(`<x` + tmsValidationKey + ` />`))
		require.Error(t, err)
		assertNoKeyMaterial(t, err.Error(), tmsKey, "error")
	})
}

func TestParseKeyFile(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		want    *Key
		wantErr string
	}{
		{"sample file", string(readTestdata(t, "machinekey.xml")), &tmsKey, ""},
		{"bare element", machineKeyElement(tmsValidationKey, tmsDecryptionKey), &tmsKey, ""},
		{"absent algorithms",
			`<machineKey validationKey="` + tmsValidationKey + `" decryptionKey="` + tmsDecryptionKey + `"/>`,
			&Key{ValidationKey: tmsValidationKey, DecryptionKey: tmsDecryptionKey}, ""},
		{"empty file", "", nil, "key file holds no <machineKey> element"},
		{"only comments", "<?xml version=\"1.0\"?>\n<!-- " + machineKeyElement(tmsValidationKey, tmsDecryptionKey) + " -->\n", nil,
			"key file holds no <machineKey> element"},
		{"two elements", machineKeyElement(tmsValidationKey, tmsDecryptionKey) + "\n" + machineKeyElement(apiValidationKey, apiDecryptionKey), nil,
			"key file holds 2 <machineKey> elements, want one"},
		{"wrapped in system.web", "<system.web>" + machineKeyElement(tmsValidationKey, tmsDecryptionKey) + "</system.web>", nil,
			"key file holds <system.web>, want only a <machineKey> element"},
		{"a whole web.config", string(readTestdata(t, "tms15.web.config")), nil,
			"key file holds <configuration>, want only a <machineKey> element"},
		{"auto keys", `<machineKey validationKey="AutoGenerate,IsolateApps" decryptionKey="AutoGenerate,IsolateApps" validation="SHA1" />`, nil, "key file's <machineKey> has no fixed keys (validationKey=AutoGenerate,IsolateApps decryptionKey=AutoGenerate,IsolateApps)"},
		{"no decryptionKey", `<machineKey validationKey="` + tmsValidationKey + `" />`, nil,
			"key file's <machineKey> has no fixed keys (validationKey=(set) decryptionKey=(none))"},
		{"malformed", "<machineKey validationKey=\"AB\"\n  decryptionKey=\"CD\">\n", nil, "key file is not well-formed XML: line 3, column 1: unexpected EOF"},
		{"text around", "key: " + machineKeyElement(tmsValidationKey, tmsDecryptionKey), nil,
			"key file is not well-formed XML: line 1, column 1: text outside the root element"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseKeyFile([]byte(tt.raw))
			if tt.wantErr != "" {
				require.EqualError(t, err, tt.wantErr)
				assert.Nil(t, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestReadKeyFile(t *testing.T) {
	got, err := ReadKeyFile(filepath.Join("testdata", "machinekey.xml"))
	require.NoError(t, err)
	assert.Equal(t, &tmsKey, got)

	dir := t.TempDir()
	_, err = ReadKeyFile(filepath.Join(dir, "missing.xml"))
	require.Error(t, err)
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assert.Contains(t, err.Error(), "read key file: ")

	bad := filepath.Join(dir, "auto.xml")
	require.NoError(t, os.WriteFile(bad, []byte(`<machineKey validationKey="AutoGenerate" decryptionKey="AutoGenerate" />`), 0o600))
	_, err = ReadKeyFile(bad)
	require.EqualError(t, err, bad+": key file's <machineKey> has no fixed keys (validationKey=AutoGenerate decryptionKey=AutoGenerate)")
}

func TestElement(t *testing.T) {
	assert.Equal(t,
		`<machineKey validationKey="`+tmsValidationKey+`" decryptionKey="`+tmsDecryptionKey+`" validation="HMACSHA256" decryption="AES" />`,
		Element(tmsKey))
	assert.Equal(t, `<machineKey validationKey="AB" decryptionKey="CD" />`, Element(Key{ValidationKey: "AB", DecryptionKey: "CD"}),
		"absent attributes stay absent")

	for name, k := range map[string]Key{
		"sample":               tmsKey,
		"defaults":             {ValidationKey: tmsValidationKey, DecryptionKey: tmsDecryptionKey},
		"characters to escape": {ValidationKey: `a"b&c<d>e'f`, DecryptionKey: "tab\there\nnewline\r\nend", Validation: "alg:x&y"},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := ParseKeyFile([]byte(Element(k)))
			require.NoError(t, err)
			assert.Equal(t, k, *got, "Element and ParseKeyFile round-trip")
		})
	}
}

// TestSpan checks that the parsed tree knows where each element is in the raw
// bytes, which a fixer needs to replace the key and nothing else.
func TestSpan(t *testing.T) {
	raw := readTestdata(t, "tms15.web.config")
	require.True(t, bytes.HasPrefix(raw, wintext.BOMUTF8), "sample starts with a BOM")
	doc, err := parseXML(raw, "web.config", false)
	require.NoError(t, err)
	el, err := effectiveMachineKey(doc.tree)
	require.NoError(t, err)
	require.NotNil(t, el)

	s, ok := doc.span(el)
	require.True(t, ok)
	elem := string(raw[s.start:s.end])
	assert.True(t, strings.HasPrefix(elem, `<machineKey validationKey="`+tmsValidationKey+`"`), elem)
	assert.True(t, strings.HasSuffix(elem, `decryption="AES" />`), elem)
	assert.Contains(t, elem, "\r\n", "the element spans lines; offsets count CR")
	assert.Equal(t, s.end, s.startTagEnd, "a self-closing element is all start tag")

	sw, ok := doc.span(el.Parent())
	require.True(t, ok)
	assert.Equal(t, "<system.web>", string(raw[sw.start:sw.startTagEnd]))
	assert.True(t, strings.HasPrefix(string(raw[sw.startTagEnd:]), "\r\n    <compilation "), "a fixer can insert after the start tag")

	root, ok := doc.span(doc.tree.Root())
	require.True(t, ok)
	assert.True(t, strings.HasPrefix(string(raw[root.start:]), "<configuration>"))
	assert.Equal(t, "</configuration>", string(raw[root.end-len("</configuration>"):root.end]))

	withEndTag := webConfig(`<system.web><machineKey validationKey="AB" decryptionKey="CD"></machineKey></system.web>`)
	doc, err = parseXML(withEndTag, "web.config", false)
	require.NoError(t, err)
	el, err = effectiveMachineKey(doc.tree)
	require.NoError(t, err)
	s, ok = doc.span(el)
	require.True(t, ok)
	assert.Equal(t, `<machineKey validationKey="AB" decryptionKey="CD"></machineKey>`, string(withEndTag[s.start:s.end]))
	assert.Equal(t, `<machineKey validationKey="AB" decryptionKey="CD">`, string(withEndTag[s.start:s.startTagEnd]))

	doc, err = parseXML(readTestdata(t, "tms15-utf16.web.config"), "web.config", false)
	require.NoError(t, err)
	_, ok = doc.span(doc.tree.Root())
	assert.False(t, ok, "offsets into transcoded text are not offered")
}
