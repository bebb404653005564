// Package wintext reads text files the way Windows tools write them, so
// that a file saved on a TMS server or an administrator's desktop reads
// the same as one written on Linux. It is the one decoder tmsdrift uses for
// every text file from outside: web.config and the key file, the
// inventory, facts.json, db.json and manifest.json, and tmsdrift's own
// files a person may have opened and saved (history run.json, run
// journals).
//
// Accepted, as Windows writes them:
//   - UTF-8 without a byte order mark (PowerShell 7, most editors);
//   - UTF-8 with a byte order mark (Windows PowerShell 5.1's
//     `Set-Content -Encoding UTF8` and `Out-File -Encoding UTF8`, Notepad
//     before Windows 10 1903, Visual Studio);
//   - UTF-16 little- or big-endian with a byte order mark (Windows
//     PowerShell 5.1's `>` and `Out-File`, Notepad's "Unicode", regedit
//     exports);
//   - UTF-16 without a byte order mark only where the caller knows how its
//     format must begin (an XML declaration, "<?").
//
// Everything else is left to the format's parser, except text that starts
// with a NUL byte in its first two bytes: that is UTF-16 without a byte
// order mark, and parsing it as UTF-8 would only give a baffling syntax
// error, so it is refused with a message that says how to save it.
package wintext

import (
	"bytes"
	"errors"
	"fmt"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/unicode"
)

// Byte order marks.
var (
	BOMUTF8    = []byte{0xEF, 0xBB, 0xBF}
	BOMUTF16LE = []byte{0xFF, 0xFE}
	BOMUTF16BE = []byte{0xFE, 0xFF}
)

// Encoding is how a file's bytes encode its text. The zero value is UTF-8
// without a byte order mark.
type Encoding struct {
	UTF16     bool
	BigEndian bool // UTF-16 only
	BOM       bool
}

// String names the encoding as an editor's "Save as" dialog would.
func (e Encoding) String() string {
	name := "UTF-8"
	if e.UTF16 {
		name = "UTF-16LE"
		if e.BigEndian {
			name = "UTF-16BE"
		}
	}
	if e.BOM {
		return name + " with BOM"
	}
	return name
}

// Detect tells the encoding of raw from its byte order mark. Without one,
// raw is UTF-16 when it starts with one of bomless (ASCII prefixes the
// caller's format must begin with, such as "<?") encoded as UTF-16, and
// UTF-8 otherwise.
func Detect(raw []byte, bomless ...string) Encoding {
	switch {
	case bytes.HasPrefix(raw, BOMUTF8):
		return Encoding{BOM: true}
	case bytes.HasPrefix(raw, BOMUTF16LE):
		return Encoding{UTF16: true, BOM: true}
	case bytes.HasPrefix(raw, BOMUTF16BE):
		return Encoding{UTF16: true, BigEndian: true, BOM: true}
	}
	for _, p := range bomless {
		if p == "" {
			continue
		}
		if bytes.HasPrefix(raw, asciiUTF16(p, false)) {
			return Encoding{UTF16: true}
		}
		if bytes.HasPrefix(raw, asciiUTF16(p, true)) {
			return Encoding{UTF16: true, BigEndian: true}
		}
	}
	return Encoding{}
}

// asciiUTF16 encodes an ASCII string as UTF-16.
func asciiUTF16(s string, bigEndian bool) []byte {
	out := make([]byte, 0, 2*len(s))
	for i := range len(s) {
		if bigEndian {
			out = append(out, 0, s[i])
		} else {
			out = append(out, s[i], 0)
		}
	}
	return out
}

// ErrBOMlessUTF16 is wrapped by Decode's error for text that looks like
// UTF-16 without a byte order mark.
var ErrBOMlessUTF16 = errors.New("looks like UTF-16 without a byte order mark; save it as UTF-8, or as UTF-16 with a byte order mark (Windows PowerShell's Out-File and >, Notepad's \"Unicode\")")

// Decode returns raw as UTF-8 text without a byte order mark, and the
// encoding it was in. Only UTF-16 is transcoded: UTF-8 text is returned as
// a sub-slice of raw (after the byte order mark), so byte offsets into it
// plus Offset give offsets into raw. Lines and columns are the same in the
// text as in the file: transcoding keeps every character and line break.
func Decode(raw []byte, bomless ...string) ([]byte, Encoding, error) {
	enc := Detect(raw, bomless...)
	if !enc.UTF16 {
		text := raw
		if enc.BOM {
			text = raw[len(BOMUTF8):]
		}
		if len(text) >= 2 && (text[0] == 0 || text[1] == 0) {
			return nil, enc, ErrBOMlessUTF16
		}
		return text, enc, nil
	}
	if len(raw)%2 != 0 {
		return nil, enc, fmt.Errorf("not valid %s: an odd number of bytes (is the file cut off?)", enc)
	}
	text, err := enc.codec().NewDecoder().Bytes(raw)
	if err != nil {
		return nil, enc, fmt.Errorf("decode %s: %w", enc, err)
	}
	return text, enc, nil
}

// Offset is how many bytes of raw precede the text Decode returns for a
// file in this encoding, when the text is raw's own bytes (UTF-8): the byte
// order mark. It is 0 for UTF-16, whose text is transcoded.
func (e Encoding) Offset() int {
	if e.BOM && !e.UTF16 {
		return len(BOMUTF8)
	}
	return 0
}

// Encode turns UTF-8 text into bytes of this encoding, byte order mark
// included when the encoding has one: what a writer must produce so that
// a file it changes keeps the form it was found in.
func (e Encoding) Encode(text []byte) ([]byte, error) {
	if !e.UTF16 {
		if e.BOM {
			return append(append([]byte(nil), BOMUTF8...), text...), nil
		}
		return append([]byte(nil), text...), nil
	}
	out, err := e.codec().NewEncoder().Bytes(text)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", e, err)
	}
	return out, nil
}

// RoundTrips reports whether raw, decoded to text, encodes back to exactly
// raw. A writer that edits the text of a file must check this first: an
// unpaired surrogate or an invalid byte would otherwise be changed silently
// somewhere the edit never meant to touch.
func (e Encoding) RoundTrips(raw, text []byte) bool {
	again, err := e.Encode(text)
	return err == nil && bytes.Equal(again, raw)
}

// codec is x/text's UTF-16 codec for e: the byte order mark is written
// when e has one and skipped when reading.
func (e Encoding) codec() encoding.Encoding {
	endian, policy := unicode.LittleEndian, unicode.IgnoreBOM
	if e.BigEndian {
		endian = unicode.BigEndian
	}
	if e.BOM {
		policy = unicode.UseBOM
	}
	return unicode.UTF16(endian, policy)
}
