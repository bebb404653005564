package machinekey

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/beevik/etree"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/internal/wintext"
	"golang.org/x/text/encoding/unicode"
)

// newKey is a key none of the samples carries (fixture values).
var newKey = Key{
	ValidationKey: strings.Repeat("A1B2C3D4", 16),
	DecryptionKey: strings.Repeat("0F1E2D3C", 8),
	Validation:    "HMACSHA256",
	Decryption:    "AES",
}

const newKeyAttrs = `validationKey="` + "A1B2C3D4A1B2C3D4A1B2C3D4A1B2C3D4A1B2C3D4A1B2C3D4A1B2C3D4A1B2C3D4A1B2C3D4A1B2C3D4A1B2C3D4A1B2C3D4A1B2C3D4A1B2C3D4A1B2C3D4A1B2C3D4" +
	`" decryptionKey="0F1E2D3C0F1E2D3C0F1E2D3C0F1E2D3C0F1E2D3C0F1E2D3C0F1E2D3C0F1E2D3C" validation="HMACSHA256" decryption="AES"`

func TestSpliceExact(t *testing.T) {
	mk := "<machineKey " + newKeyAttrs + " />"
	tests := []struct {
		name, in, want string
	}{
		{
			name: "insert as last child, indented like the first, CRLF",
			in:   "\xEF\xBB\xBF<configuration>\r\n\t<system.web>\r\n\t\t<compilation debug=\"false\" />\r\n\t\t<!-- note -->\r\n\t</system.web>\r\n</configuration>\r\n",
			want: "\xEF\xBB\xBF<configuration>\r\n\t<system.web>\r\n\t\t<compilation debug=\"false\" />\r\n\t\t<!-- note -->\r\n\t\t" + mk + "\r\n\t</system.web>\r\n</configuration>\r\n",
		},
		{
			name: "insert with spaces, LF",
			in:   "<configuration>\n  <system.web>\n    <pages />\n  </system.web>\n</configuration>",
			want: "<configuration>\n  <system.web>\n    <pages />\n    " + mk + "\n  </system.web>\n</configuration>",
		},
		{
			name: "self-closing system.web is opened",
			in:   "<configuration>\r\n  <appSettings />\r\n  <system.web/>\r\n</configuration>\r\n",
			want: "<configuration>\r\n  <appSettings />\r\n  <system.web>\r\n    " + mk + "\r\n  </system.web>\r\n</configuration>\r\n",
		},
		{
			name: "self-closing system.web with attributes and a space",
			in:   "<configuration>\n\t<system.web a='1' />\n</configuration>",
			want: "<configuration>\n\t<system.web a='1'>\n\t\t" + mk + "\n\t</system.web>\n</configuration>",
		},
		{
			name: "empty system.web on its own lines",
			in:   "<configuration>\n  <system.web>\n  </system.web>\n</configuration>",
			want: "<configuration>\n  <system.web>\n    " + mk + "\n  </system.web>\n</configuration>",
		},
		{
			name: "empty system.web on one line",
			in:   "<configuration>\n  <system.web></system.web>\n</configuration>",
			want: "<configuration>\n  <system.web>\n    " + mk + "\n  </system.web>\n</configuration>",
		},
		{
			name: "one-line file stays on one line",
			in:   "<configuration><system.web><pages/></system.web></configuration>",
			want: "<configuration><system.web><pages/>" + mk + "</system.web></configuration>",
		},
		{
			name: "no system.web: one is added",
			in:   "<configuration>\n  <appSettings />\n</configuration>\n",
			want: "<configuration>\n  <appSettings />\n  <system.web>\n    " + mk + "\n  </system.web>\n</configuration>\n",
		},
		{
			name: "location blocks are left alone; the key goes under the top system.web",
			in:   "<configuration>\n  <location path=\"api\">\n    <system.web>\n      <machineKey validationKey=\"AutoGenerate\" decryptionKey=\"AutoGenerate\" />\n    </system.web>\n  </location>\n  <system.web>\n    <pages />\n  </system.web>\n</configuration>",
			want: "<configuration>\n  <location path=\"api\">\n    <system.web>\n      <machineKey validationKey=\"AutoGenerate\" decryptionKey=\"AutoGenerate\" />\n    </system.web>\n  </location>\n  <system.web>\n    <pages />\n    " + mk + "\n  </system.web>\n</configuration>",
		},
		{
			name: "existing key: values replaced, quotes, order, spacing and other attributes kept",
			in:   "<configuration>\n <system.web>\n  <machineKey  decryption='3DES'\n     decryptionKey='AutoGenerate,IsolateApps' compatibilityMode=\"Framework45\"\n validationKey = \"AutoGenerate,IsolateApps\"/>\n </system.web>\n</configuration>",
			want: "<configuration>\n <system.web>\n  <machineKey  decryption='AES'\n     decryptionKey='" + newKey.DecryptionKey + "' compatibilityMode=\"Framework45\"\n validationKey = \"" + newKey.ValidationKey + "\" validation=\"HMACSHA256\"/>\n </system.web>\n</configuration>",
		},
		{
			name: "effective key inside <location path=\".\"> is the one replaced",
			in:   "<configuration>\n  <location path=\".\">\n    <system.web>\n      <machineKey validationKey=\"AB\" decryptionKey=\"CD\" validation=\"SHA1\" />\n    </system.web>\n  </location>\n</configuration>",
			want: "<configuration>\n  <location path=\".\">\n    <system.web>\n      <machineKey validationKey=\"" + newKey.ValidationKey + "\" decryptionKey=\"" + newKey.DecryptionKey + "\" validation=\"HMACSHA256\" decryption=\"AES\" />\n    </system.web>\n  </location>\n</configuration>",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Splice([]byte(tt.in), newKey)
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(got))
			again, err := Splice(got, newKey)
			require.NoError(t, err)
			assert.Equal(t, string(got), string(again), "splicing the same key twice changes nothing")
		})
	}
}

func TestSpliceKeepsAbsentAlgorithmsAbsentOrDefaults(t *testing.T) {
	k := Key{ValidationKey: newKey.ValidationKey, DecryptionKey: newKey.DecryptionKey}
	in := "<configuration><system.web><machineKey validationKey='x' decryptionKey='y' validation='SHA1'/></system.web></configuration>"
	got, err := Splice([]byte(in), k)
	require.NoError(t, err)
	// The key leaves validation out, which means the IIS default; the
	// element had SHA1, so it now says the default explicitly.
	assert.Equal(t, "<configuration><system.web><machineKey validationKey='"+k.ValidationKey+"' decryptionKey='"+k.DecryptionKey+"' validation='HMACSHA256'/></system.web></configuration>", string(got))
}

func TestSpliceEscapesForTheQuoteInUse(t *testing.T) {
	k := newKey
	k.Decryption = `A'E"S&`
	in := "<configuration><system.web><machineKey validationKey='x' decryptionKey=\"y\" decryption='Auto'/></system.web></configuration>"
	got, err := Splice([]byte(in), k)
	require.NoError(t, err)
	assert.Contains(t, string(got), `decryption='A&apos;E"S&amp;'`)
	back, err := FromWebConfig(got)
	require.NoError(t, err)
	assert.Equal(t, k, *back)
}

// The files of the labs and samples: only the machineKey's bytes change.
func TestSpliceSamplesChangeOnlyTheKey(t *testing.T) {
	for _, name := range []string{"tms15.web.config", "aspnet20.web.config", "autogenerate.web.config", "location-dot.web.config", "defaults.web.config", "commented.web.config", "api-only.web.config"} {
		t.Run(name, func(t *testing.T) {
			raw := readTestdata(t, name)
			got, err := Splice(raw, newKey)
			require.NoError(t, err)
			back, err := FromWebConfig(got)
			require.NoError(t, err)
			require.NotNil(t, back)
			assert.Equal(t, newKey, *back)
			checkOnlyKeyChanged(t, raw, got)
		})
	}
}

func TestSpliceUTF16(t *testing.T) {
	raw := readTestdata(t, "tms15-utf16.web.config")
	got, err := Splice(raw, newKey)
	require.NoError(t, err)
	assert.True(t, bytes.HasPrefix(got, wintext.BOMUTF16LE), "BOM kept")
	back, err := FromWebConfig(got)
	require.NoError(t, err)
	assert.Equal(t, newKey, *back)

	// Decoded, the change is the key's values only; the rest of the bytes
	// are the original's.
	dec := func(b []byte) string {
		s, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewDecoder().Bytes(b)
		require.NoError(t, err)
		return string(s)
	}
	before, after := dec(raw), dec(got)
	want := strings.Replace(strings.Replace(before, tmsValidationKey, newKey.ValidationKey, 1), tmsDecryptionKey, newKey.DecryptionKey, 1)
	assert.Equal(t, want, after)

	again, err := Splice(got, newKey)
	require.NoError(t, err)
	assert.Equal(t, got, again)
}

func TestSpliceRefuses(t *testing.T) {
	_, err := Splice(readTestdata(t, "malformed.web.config"), newKey)
	assert.ErrorContains(t, err, "not well-formed")

	_, err = Splice(readTestdata(t, "tms15.web.config"), Key{ValidationKey: "AutoGenerate", DecryptionKey: newKey.DecryptionKey})
	assert.ErrorContains(t, err, "no fixed keys")
	assert.NotContains(t, err.Error(), newKey.DecryptionKey)

	_, err = Splice([]byte("<root><system.web/></root>"), newKey)
	assert.ErrorContains(t, err, "want <configuration>")
}

// TestSplicePostUpgradeLab is the acceptance check at the package
// level: the node the upgrade stripped gets back exactly the file it had.
func TestSplicePostUpgradeLab(t *testing.T) {
	lab := filepath.Join("..", "fixtures", "labs", "post-upgrade")
	stripped, err := os.ReadFile(filepath.Join(lab, "nodes", "tms02", "fs", "C", "Program Files", "TANDBERG", "TMS", "wwwTMS", "web.config"))
	require.NoError(t, err)
	before, err := os.ReadFile(filepath.Join(lab, "pre-upgrade", "web.config"))
	require.NoError(t, err)
	k, err := ReadKeyFile(filepath.Join(lab, "keys", "machinekey.xml"))
	require.NoError(t, err)

	got, err := Splice(stripped, *k)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(before, got), "the restored web.config equals the pre-upgrade file byte for byte")
}

// checkOnlyKeyChanged asserts that the text that differs between raw and
// out lies inside the start tag of raw's effective <machineKey> (values
// replaced), or that out is raw with text inserted at one point (key
// added), or inside a self-closing <system.web/> or <configuration/>
// (opened to hold it).
// UTF-16 files are compared as decoded text.
func checkOnlyKeyChanged(t *testing.T, raw, out []byte) {
	t.Helper()
	doc, err := parseXML(raw, "web.config", false)
	require.NoError(t, err)
	a, b, spans := raw, out, doc.spans
	if spans == nil {
		a, spans, err = utf16Spans(raw, doc)
		require.NoError(t, err)
		b, _, _, err = decodeText(out, "web.config")
		require.NoError(t, err)
	}
	tree := doc.tree
	mk, err := effectiveMachineKey(tree)
	require.NoError(t, err)
	// A second key for the application, or for one sub-path, is removed
	// with its line: compare what is left with the output.
	var extras []*etree.Element
	if mk != nil {
		extras = extraMachineKeys(tree, mk)
	}
	for _, d := range subPathDuplicates(tree) {
		extras = append(extras, d.extra)
	}
	if len(extras) > 0 {
		var edits []edit
		for _, el := range extras {
			edits = append(edits, removal(a, spans[el]))
		}
		a = applyEdits(a, edits)
		tree, spans = reparse(t, a)
		mk, err = effectiveMachineKey(tree)
		require.NoError(t, err)
		if mk != nil {
			assert.Empty(t, extraMachineKeys(tree, mk))
		}
		assert.Empty(t, subPathDuplicates(tree))
	}
	p := commonPrefix(a, b)
	s := commonSuffix(a[p:], b[p:])
	from, to := p, len(a)-s
	if from == to {
		return // a pure insertion
	}
	var within []span
	if mk != nil {
		within = append(within, spans[mk])
	}
	for _, el := range []*etree.Element{firstChildNamed(tree.Root(), elemSystemWeb), tree.Root()} {
		if el != nil && spans[el].startTagEnd == spans[el].end {
			within = append(within, spans[el]) // self-closing: opened
		}
	}
	for _, w := range within {
		if from >= w.start && to <= w.startTagEnd {
			return
		}
	}
	t.Errorf("bytes %d..%d changed outside the machineKey start tag: %q", from, to, a[from:to])
}

// reparse reads UTF-8 text whatever its declaration says, with the
// position of every element.
func reparse(t *testing.T, text []byte) (*etree.Document, map[*etree.Element]span) {
	t.Helper()
	anyCharset := func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	base := 0
	if bytes.HasPrefix(text, wintext.BOMUTF8) {
		base, text = len(wintext.BOMUTF8), text[len(wintext.BOMUTF8):]
	}
	list, err := checkWellFormed(text, "web.config", false, anyCharset)
	require.NoError(t, err)
	tree := etree.NewDocument()
	tree.ReadSettings = etree.ReadSettings{CharsetReader: anyCharset}
	require.NoError(t, tree.ReadFromBytes(text))
	elements := descendantElements(&tree.Element)
	require.Len(t, elements, len(list))
	spans := map[*etree.Element]span{}
	for i, el := range elements {
		spans[el] = span{start: list[i].start + base, startTagEnd: list[i].startTagEnd + base, end: list[i].end + base}
	}
	return tree, spans
}

func commonPrefix(a, b []byte) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

func commonSuffix(a, b []byte) int {
	n := 0
	for n < len(a) && n < len(b) && a[len(a)-1-n] == b[len(b)-1-n] {
		n++
	}
	return n
}

// A web.config carrying the approved key in another case already carries
// it: splicing changes nothing, and removing a duplicate leaves the key's
// spelling. The plan's diff shows keys as case-blind fingerprints, so a
// re-cased key line was a change the plan could not show.
func TestSpliceKeepsTheCaseOfAnEqualKey(t *testing.T) {
	lower := `<machineKey validationKey="` + strings.ToLower(newKey.ValidationKey) + `" decryptionKey="` + strings.ToLower(newKey.DecryptionKey) + `" validation="HMACSHA256" decryption="AES" />`
	in := "<configuration>\r\n  <system.web>\r\n    " + lower + "\r\n  </system.web>\r\n</configuration>\r\n"
	got, err := Splice([]byte(in), newKey)
	require.NoError(t, err)
	assert.Equal(t, in, string(got))

	dup := strings.Replace(in, lower+"\r\n", lower+"\r\n    <machineKey validationKey=\"AutoGenerate\" decryptionKey=\"AutoGenerate\" />\r\n", 1)
	got, err = Splice([]byte(dup), newKey)
	require.NoError(t, err)
	assert.Equal(t, in, string(got), "only the duplicate's line goes")
}
