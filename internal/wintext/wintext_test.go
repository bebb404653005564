package wintext

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// utf16le is what Windows PowerShell 5.1's `>` writes: UTF-16LE with a
// byte order mark (the text's line breaks are the caller's: CRLF there).
func utf16le(s string) []byte {
	b := append([]byte(nil), BOMUTF16LE...)
	for _, r := range s {
		if r > 0xFFFF {
			r -= 0x10000
			hi, lo := 0xD800+(r>>10), 0xDC00+(r&0x3FF)
			b = append(b, byte(hi), byte(hi>>8), byte(lo), byte(lo>>8))
			continue
		}
		b = append(b, byte(r), byte(r>>8))
	}
	return b
}

func utf16be(s string) []byte {
	le := utf16le(s)[2:]
	b := append([]byte(nil), BOMUTF16BE...)
	for i := 0; i < len(le); i += 2 {
		b = append(b, le[i+1], le[i])
	}
	return b
}

func TestDecodeWhatWindowsWrites(t *testing.T) {
	const text = "deployment: Zürich 🏔\r\nmodel: single\r\n"
	for _, tc := range []struct {
		name string
		raw  []byte
		enc  Encoding
	}{
		{"UTF-8", []byte(text), Encoding{}},
		{"UTF-8 with BOM (Set-Content -Encoding UTF8)", append(append([]byte(nil), BOMUTF8...), text...), Encoding{BOM: true}},
		{"UTF-16LE with BOM (> and Out-File)", utf16le(text), Encoding{UTF16: true, BOM: true}},
		{"UTF-16BE with BOM", utf16be(text), Encoding{UTF16: true, BigEndian: true, BOM: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, enc, err := Decode(tc.raw)
			require.NoError(t, err)
			assert.Equal(t, text, string(got))
			assert.Equal(t, tc.enc, enc)
			again, err := enc.Encode(got)
			require.NoError(t, err)
			assert.Equal(t, tc.raw, again, "encodes back to the same bytes")
			assert.True(t, enc.RoundTrips(tc.raw, got))
			if !enc.UTF16 {
				assert.Equal(t, tc.raw[enc.Offset():], got, "UTF-8 text is raw's own bytes after the BOM")
			}
		})
	}
}

func TestDecodeBOMlessUTF16(t *testing.T) {
	xml := `<?xml version="1.0" encoding="utf-16"?><configuration/>`
	le, be := utf16le(xml)[2:], utf16be(xml)[2:]

	got, enc, err := Decode(le, "<?")
	require.NoError(t, err)
	assert.Equal(t, xml, string(got))
	assert.Equal(t, Encoding{UTF16: true}, enc)
	got, enc, err = Decode(be, "<?")
	require.NoError(t, err)
	assert.Equal(t, xml, string(got))
	assert.Equal(t, Encoding{UTF16: true, BigEndian: true}, enc)

	// Without a prefix the caller vouches for, a NUL in the first two
	// bytes is refused with advice rather than parsed as UTF-8.
	_, _, err = Decode(utf16le("{}")[2:])
	assert.True(t, errors.Is(err, ErrBOMlessUTF16), "%v", err)
	assert.Contains(t, err.Error(), "save it as UTF-8")
}

func TestDecodeRefusesCutOffUTF16(t *testing.T) {
	raw := utf16le("{}")
	_, _, err := Decode(raw[:len(raw)-1])
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not valid UTF-16LE with BOM: an odd number of bytes")
}

func TestRoundTripsCatchesLossyText(t *testing.T) {
	// An unpaired surrogate decodes to U+FFFD and would not encode back.
	raw := append(utf16le("a"), 0x00, 0xD8, 'b', 0)
	text, enc, err := Decode(raw)
	require.NoError(t, err)
	assert.False(t, enc.RoundTrips(raw, text))
}

func TestEncodingNames(t *testing.T) {
	assert.Equal(t, "UTF-8", Encoding{}.String())
	assert.Equal(t, "UTF-8 with BOM", Encoding{BOM: true}.String())
	assert.Equal(t, "UTF-16LE with BOM", Encoding{UTF16: true, BOM: true}.String())
	assert.Equal(t, "UTF-16BE", Encoding{UTF16: true, BigEndian: true}.String())
}

// FuzzDecode: any input either decodes to valid UTF-8 (for UTF-16) or is
// refused; what decodes re-encodes without error. Seeded with the labs'
// text files in each Windows encoding.
func FuzzDecode(f *testing.F) {
	for _, pattern := range []string{"*/inventory.yaml", "*/db.json", "*/nodes/*/facts.json", "*/nodes/*/manifest.json"} {
		files, err := filepath.Glob(filepath.Join("..", "..", "fixtures", "labs", pattern))
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range files[:min(len(files), 3)] {
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
			f.Add(append(append([]byte(nil), BOMUTF8...), b...))
			f.Add(utf16le(string(b)))
			f.Add(utf16be(string(b)))
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		text, enc, err := Decode(raw, "<?")
		if err != nil {
			return
		}
		if enc.UTF16 && !utf8.Valid(text) {
			t.Fatalf("UTF-16 decoded to invalid UTF-8")
		}
		if _, err := enc.Encode(text); err != nil && !enc.UTF16 {
			t.Fatalf("UTF-8 text does not encode: %v", err)
		}
		if !enc.UTF16 && !bytes.Equal(raw[enc.Offset():], text) {
			t.Fatalf("UTF-8 text is not raw after the BOM")
		}
	})
}
