// Package machinekey reads, compares and fingerprints the ASP.NET
// <machineKey> element that every TMS web server must share (guide: "Set web
// validation key on web servers").
//
// Key material is a secret: nothing in this package prints it. Key's String,
// GoString, Format and MarshalJSON show the algorithms and a fingerprint
// only; Element, which writes key files, is the one exception. (fmt's %p
// with a Key value, not a pointer, prints the fields without asking the
// methods; go vet reports that misuse.)
package machinekey

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// IIS defaults for absent attributes.
const (
	DefaultValidation = "HMACSHA256"
	DefaultDecryption = "Auto"
)

// autoGenerate marks a key ASP.NET derives per machine (optionally with
// ",IsolateApps" or ",IsolateByAppId"): such keys differ between nodes even
// when the text is the same, so they are never "fixed".
const autoGenerate = "AutoGenerate"

// Key is a machineKey as found in a web.config or key file. Attributes that
// were absent are empty; Normalized fills in the IIS defaults.
type Key struct {
	ValidationKey string
	DecryptionKey string
	Validation    string
	Decryption    string
}

// Fixed reports whether both keys are set explicitly, which the contract
// calls "fixed keys": an absent, blank or AutoGenerate key is derived per
// machine, so nodes behind a load balancer or after a failover would reject
// each other's cookies and view state.
func (k Key) Fixed() bool {
	return fixedValue(k.ValidationKey) && fixedValue(k.DecryptionKey)
}

func fixedValue(v string) bool {
	return strings.TrimSpace(v) != "" &&
		!strings.Contains(asciiUpper(v), asciiUpper(autoGenerate))
}

// Normalized returns k with absent algorithms replaced by the IIS defaults,
// so that a web.config that omits validation="HMACSHA256" compares equal to
// one that spells it out.
func (k Key) Normalized() Key {
	if k.Validation == "" {
		k.Validation = DefaultValidation
	}
	if k.Decryption == "" {
		k.Decryption = DefaultDecryption
	}
	return k
}

// Equal reports whether k and other configure the same key, as the contract
// compares them: keys case-insensitively as hex, algorithms
// case-insensitively after defaults are filled in. It compares text only: two
// AutoGenerate keys are equal here although each machine derives its own, so
// callers judging a deployment check Fixed too.
func (k Key) Equal(other Key) bool {
	return k.canonical() == other.canonical()
}

// canonical is the form Equal compares and Fingerprint hashes: defaults
// filled in, everything upper-cased. Only ASCII letters change case (hex
// digits and algorithm names are ASCII), so that Equal and Fingerprint agree
// even on odd input, where Unicode case rules would not.
func (k Key) canonical() [4]string {
	n := k.Normalized()
	return [4]string{
		asciiUpper(n.ValidationKey),
		asciiUpper(n.DecryptionKey),
		asciiUpper(n.Validation),
		asciiUpper(n.Decryption),
	}
}

func asciiUpper(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, s)
}

// fingerprintDomain separates this hash from any other SHA-256 the tool
// prints, and versions the canonical form.
const fingerprintDomain = "tmsdrift/machinekey/v1"

// Fingerprint identifies the key without revealing it ("sha256:3fa2c81b90de"),
// so reports and logs can show which key a node carries and whether two nodes
// agree. Keys that are Equal have the same fingerprint: it hashes the
// upper-cased keys and algorithm names after Normalized.
//
// The hashed text is fingerprintDomain and a line per canonical value
// (validationKey, decryptionKey, validation, decryption), each written as
// "<length in bytes>:<value>\n" so that no two keys share a text.
func (k Key) Fingerprint() string {
	text := fingerprintDomain + "\n"
	for _, v := range k.canonical() {
		text += strconv.Itoa(len(v)) + ":" + v + "\n"
	}
	sum := sha256.Sum256([]byte(text))
	return "sha256:" + hex.EncodeToString(sum[:6])
}

// Describe is a one-line description for reports and messages, such as
// "validation=HMACSHA256 decryption=AES key=sha256:3fa2c81b90de". It never
// contains key material; when the keys are not fixed it says what they are
// instead ("validationKey=AutoGenerate,IsolateApps", "decryptionKey=(none)"),
// which is what an operator needs to see to fix the node.
func (k Key) Describe() string {
	n := k.Normalized()
	s := "validation=" + safeName(n.Validation) + " decryption=" + safeName(n.Decryption)
	if !k.Fixed() {
		s += " validationKey=" + describeKeyValue(k.ValidationKey) + " decryptionKey=" + describeKeyValue(k.DecryptionKey)
	}
	return s + " key=" + k.Fingerprint()
}

// String is Describe, so that fmt.Print and %v never show key material.
func (k Key) String() string { return k.Describe() }

// GoString keeps %#v (used by debuggers and some test helpers) from dumping
// the keys; it shows the algorithms as written and the fingerprint.
func (k Key) GoString() string {
	return fmt.Sprintf("machinekey.Key{ValidationKey:%s, DecryptionKey:%s, Validation:%s, Decryption:%s} /* %s */",
		redactedGo(k.ValidationKey), redactedGo(k.DecryptionKey), quotedName(k.Validation), quotedName(k.Decryption), k.Fingerprint())
}

// Format makes every fmt verb (%v, %+v, %s, %q, %x, %d, ...) print the
// description; without it %+v or %x would print the struct's fields.
func (k Key) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		writeString(f, k.GoString())
	case verb == 'q':
		writeString(f, strconv.Quote(k.Describe()))
	default:
		writeString(f, k.Describe())
	}
}

// writeString writes to a fmt.State. Its writes go into fmt's own buffer,
// which cannot fail, and Format has no way to return an error anyway.
func writeString(w io.Writer, s string) {
	_, _ = io.WriteString(w, s)
}

// MarshalJSON keeps a Key embedded in a JSON document (facts dumps,
// structured logs) from carrying the keys: it writes the algorithms, the
// fingerprint and whether the keys are fixed. There is deliberately no
// UnmarshalJSON: keys are read from web.config or key files only.
func (k Key) MarshalJSON() ([]byte, error) {
	n := k.Normalized()
	return json.Marshal(struct {
		Validation  string `json:"validation"`
		Decryption  string `json:"decryption"`
		Fixed       bool   `json:"fixed"`
		Fingerprint string `json:"fingerprint"`
	}{safeName(n.Validation), safeName(n.Decryption), k.Fixed(), k.Fingerprint()})
}

// describeKeyValue says what a key attribute holds without showing a secret:
// AutoGenerate settings are not secret and are shown as written.
func describeKeyValue(v string) string {
	switch {
	case strings.TrimSpace(v) == "":
		return "(none)"
	case isAutoSetting(v):
		return v
	default:
		return "(set)"
	}
}

// isAutoSetting reports whether v consists only of ASP.NET's per-machine
// key modifiers, such as "AutoGenerate,IsolateApps".
func isAutoSetting(v string) bool {
	for _, part := range strings.Split(v, ",") {
		switch strings.ToLower(strings.TrimSpace(part)) {
		case "autogenerate", "isolateapps", "isolatebyappid":
		default:
			return false
		}
	}
	return true
}

func redactedGo(v string) string {
	if v == "" {
		return `""`
	}
	return `"<redacted>"`
}

// quotedName is safeName as a Go string literal.
func quotedName(v string) string {
	if hasHexRun(v, minSecretHexRun) {
		return `"<redacted>"`
	}
	return strconv.Quote(v)
}

// safeName returns an algorithm name fit to print. Names are not secret, but
// a hand-edited file can hold anything there, including a key pasted into the
// wrong attribute, or line breaks that would split a log line.
func safeName(v string) string {
	if hasHexRun(v, minSecretHexRun) {
		return "<redacted>"
	}
	for _, r := range v {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune(":._-", r)) {
			return strconv.Quote(v)
		}
	}
	return v
}

// minSecretHexRun is the length from which a run of hex digits is treated as
// possible key material. The shortest real key (DES, 16 hex digits) is
// longer; algorithm and element names have no such runs.
const minSecretHexRun = 8

// hasHexRun reports whether s holds at least n hex digits in a row.
func hasHexRun(s string, n int) bool {
	run := 0
	for i := 0; i < len(s); i++ {
		if isHexDigit(s[i]) {
			run++
			if run >= n {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}

// redactHexRuns replaces every run of at least n hex digits in s, so that
// messages quoting input (a parser's syntax error) cannot carry key material.
func redactHexRuns(s string, n int) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && isHexDigit(s[j]) {
			j++
		}
		switch {
		case j-i >= n:
			b.WriteString("<redacted>")
			i = j
		case j > i:
			b.WriteString(s[i:j])
			i = j
		default:
			b.WriteByte(s[i])
			i++
		}
	}
	return b.String()
}

func isHexDigit(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}
