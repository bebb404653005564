package fixers

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/pmezard/go-difflib/difflib"
	"golang.org/x/text/encoding/unicode"
)

// maxDiffSize bounds the files shown as text diffs in a plan; larger ones
// (software packages) are described by size and hash.
const maxDiffSize = 64 << 10

// unifiedDiff renders the change from a to b as a unified diff with three
// lines of context, for people to review before --apply. Text is shown
// decoded (UTF-16 web.configs too) without line-end characters; key
// material is replaced by fingerprints (redactSecrets). Binary content is
// described instead.
func unifiedDiff(from, to string, a, b []byte) string {
	ta, okA := displayText(a)
	tb, okB := displayText(b)
	if !okA || !okB {
		return describeBinary(from, a, b)
	}
	out, err := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: lines(a, redactSecrets(ta)), B: lines(b, redactSecrets(tb)),
		FromFile: from, ToFile: to, Context: 3,
	})
	if err != nil {
		// difflib only fails writing to its own buffer; say so rather
		// than show nothing.
		return fmt.Sprintf("(diff unavailable: %v)", err)
	}
	return out
}

// lines splits text for difflib; absent content (a file created or
// deleted) has no lines at all, not one empty line.
func lines(raw []byte, text string) []string {
	if raw == nil || text == "" {
		return []string{}
	}
	out := strings.SplitAfter(text, "\n")
	if out[len(out)-1] == "" {
		return out[:len(out)-1]
	}
	out[len(out)-1] += "\n" // difflib wants every line ended
	return out
}

// describeBinary is the plan's view of a binary change.
func describeBinary(name string, a, b []byte) string {
	return fmt.Sprintf("Binary file %s: %s -> %s\n", name, describeContent(a), describeContent(b))
}

// describeContent is "123 bytes sha256:0a1b2c3d4e5f", or "absent".
func describeContent(b []byte) string {
	if b == nil {
		return "absent"
	}
	sum := sha256.Sum256(b)
	return fmt.Sprintf("%d bytes sha256:%s", len(b), hex.EncodeToString(sum[:6]))
}

// displayText decodes file content for a diff: UTF-8 (BOM dropped) or
// UTF-16 with a BOM; CRLF shown as LF. It reports false for binary data.
func displayText(b []byte) (string, bool) {
	switch {
	case b == nil:
		return "", true
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}), bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		d, err := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder().Bytes(b)
		if err != nil {
			return "", false
		}
		b = d
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		b = b[3:]
	}
	if !utf8.Valid(b) || bytes.IndexByte(b, 0) >= 0 {
		return "", false
	}
	return strings.ReplaceAll(string(b), "\r\n", "\n"), true
}

var (
	// keyAttr matches a machineKey key attribute and its value.
	keyAttr = regexp.MustCompile(`(?i)((?:validation|decryption)Key\s*=\s*)("[^"]*"|'[^']*')`)
	// longHex matches what may be key material anywhere else (a key in a
	// comment, a pasted key): 32 hex digits or more. Shorter runs, such as
	// assembly PublicKeyTokens (16), are not secret.
	longHex = regexp.MustCompile(`[0-9A-Fa-f]{32,}`)
)

// redactSecrets replaces machineKey key values with fingerprints, so that
// a plan shows which key a line holds (and that it changes) without the
// key: validationKey="sha256:3fa2c81b90de". AutoGenerate settings are not
// secret and stay as written.
func redactSecrets(text string) string {
	text = keyAttr.ReplaceAllStringFunc(text, func(m string) string {
		parts := keyAttr.FindStringSubmatch(m)
		quoted := parts[2]
		value := quoted[1 : len(quoted)-1]
		if value == "" || strings.Contains(strings.ToLower(value), "autogenerate") {
			return m
		}
		q := quoted[:1]
		return parts[1] + q + secretFingerprint(value) + q
	})
	return longHex.ReplaceAllStringFunc(text, secretFingerprint)
}

// secretFingerprint identifies a secret value without revealing it.
func secretFingerprint(v string) string {
	sum := sha256.Sum256([]byte("tmsdrift/secret/v1\n" + strings.ToUpper(v)))
	return "sha256:" + hex.EncodeToString(sum[:6])
}
