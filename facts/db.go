package facts

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/tmsdrift/tmsdrift/internal/jsondoc"
)

// DBFacts is db.json: the database server's facts, recorded offline or
// read live. Absent keys stay nil (or unset) so rules can tell "not known"
// (error) from "known to be missing" (fail).
type DBFacts struct {
	Schema         string                  `json:"schema"`
	Server         *ServerFacts            `json:"server,omitempty"`
	Database       Optional[DatabaseFacts] `json:"database,omitzero"`
	LastFullBackup Optional[Timestamp]     `json:"last_full_backup,omitzero"`
	LogShipping    Optional[LogShipping]   `json:"log_shipping,omitzero"`
	Settings       *Settings               `json:"settings,omitempty"`
	RTTMS          []float64               `json:"rtt_ms,omitempty"`
	// ConnectMS is how long the live probe took to open its connection
	// (TCP, pre-login, login), in milliseconds: kept apart from rtt_ms so a
	// slow login does not pass for a slow network. Optional extension of
	// db.json; absent in recorded files that predate it.
	ConnectMS *float64 `json:"connect_ms,omitempty"`
	// ObservedAt is the server's clock when the facts were read: every age
	// is measured against it, so a recorded snapshot judges the same later.
	ObservedAt *Timestamp `json:"observed_at,omitempty"`
	// Connection says how the live probe's connection was protected:
	// whether it was encrypted and the server's certificate verified.
	// Optional extension of db.json; absent in recorded files.
	Connection *DBConnection `json:"connection,omitempty"`
	// Unknown says, by db.json key (last_full_backup, settings, ...), why a
	// key the probe should have filled is absent: the database refused that
	// one question (a permission, a missing table), or the value was
	// impossible and dropped (DropImpossible). The rules that need the key
	// give `error` and show the reason. Optional extension of db.json.
	Unknown map[string]string `json:"unknown,omitempty"`
}

// Lacks explains an absent db.json key for an `error` result: "database
// facts lack KEY", with the reason the probe recorded when there is one.
// A reason recorded for a block (server) covers its keys (server.edition).
func (f *DBFacts) Lacks(key string) string { return f.lacks(key, "") }

// lacks is Lacks; a value dropped as impossible also names from, the file
// or server it came from ("database facts from db.json lack observed_at:
// impossible value: ...").
func (f *DBFacts) lacks(key, from string) string {
	why := f.Unknown[key]
	if block, _, nested := strings.Cut(key, "."); why == "" && nested {
		why = f.Unknown[block]
	}
	who := "database facts"
	if from != "" && strings.HasPrefix(why, impossible) {
		who += " from " + from
	}
	if why != "" {
		return who + " lack " + key + ": " + why
	}
	return who + " lack " + key
}

// Lacks is DBFacts.Lacks naming where the facts came from (the snapshot
// file, or the live server) when the value was impossible: an `error`
// for a hand-edited db.json must say which file to open.
func (db DB) Lacks(key string) string {
	if db.Facts == nil {
		return "database facts unavailable"
	}
	from := db.From
	if db.Live {
		from = "the live SQL Server"
	}
	return db.Facts.lacks(key, from)
}

// DBConnection is how tmsdrift reached SQL Server: a report must say when
// the connection was not encrypted or the certificate not verified
// (trust_server_certificate), since then anyone in the path could read or
// impersonate the database.
type DBConnection struct {
	// Encryption is what was asked for: strict, mandatory, optional or
	// disable (database.encrypt).
	Encryption string `json:"encryption"`
	// Protected is what the connection got: ProtectedAll, ProtectedLogin
	// or ProtectedNone.
	Protected string `json:"protected"`
	// TLS is the negotiated version, e.g. "TLS 1.3"; empty without TLS.
	TLS string `json:"tls,omitempty"`
	// Certificate says whether the server's certificate was verified, and
	// against what, or why not.
	Certificate string `json:"certificate,omitempty"`
}

// What a connection's encryption covered.
const (
	ProtectedAll   = "all"
	ProtectedLogin = "login"
	ProtectedNone  = "none"
)

// Summary is the connection in words, for reports: "encrypted (TLS 1.3,
// TDS 8 strict), certificate verified against the CA file".
func (c *DBConnection) Summary() string {
	if c == nil {
		return ""
	}
	var s string
	switch c.Protected {
	case ProtectedAll:
		s = "encrypted (" + c.TLS
		if c.Encryption == "strict" {
			s += ", TDS 8 strict"
		}
		s += ")"
	case ProtectedLogin:
		s = "only the login encrypted (" + c.TLS + ")"
	default:
		return "not encrypted (encrypt: " + c.Encryption + ")"
	}
	if c.Certificate != "" {
		s += ", certificate " + c.Certificate
	}
	return s
}

// ServerFacts are SERVERPROPERTY values.
type ServerFacts struct {
	Name                   string `json:"name"`
	Edition                string `json:"edition"`
	ProductVersion         string `json:"product_version,omitempty"`
	IsClustered            *bool  `json:"is_clustered,omitempty"`
	IsHADREnabled          *bool  `json:"is_hadr_enabled,omitempty"`
	IntegratedSecurityOnly *bool  `json:"integrated_security_only,omitempty"`
}

// DatabaseFacts is the tmsng row of sys.databases; null when it does not
// exist.
type DatabaseFacts struct {
	Name          string `json:"name"`
	State         string `json:"state"`
	RecoveryModel string `json:"recovery_model"`
}

// LogShipping is the off-site secondary's last restore; null when log
// shipping is not configured.
type LogShipping struct {
	SecondaryServer string              `json:"secondary_server"`
	LastRestored    Optional[Timestamp] `json:"last_restored,omitzero"`
}

// Settings are the TMS server addresses stored in the database.
type Settings struct {
	IPv4Local string `json:"ipv4_local"`
	IPv6Local string `json:"ipv6_local"`
	DNSLocal  string `json:"dns_local"`
	DNSPublic string `json:"dns_public"`
}

// SettingsKeys are the db.json settings keys, in the contract's order.
var SettingsKeys = []string{"ipv4_local", "ipv6_local", "dns_local", "dns_public"}

// Field returns a pointer to the address called key (one of SettingsKeys),
// or nil for any other key.
func (s *Settings) Field(key string) *string {
	switch key {
	case "ipv4_local":
		return &s.IPv4Local
	case "ipv6_local":
		return &s.IPv6Local
	case "dns_local":
		return &s.DNSLocal
	case "dns_public":
		return &s.DNSPublic
	}
	return nil
}

// SameAddress compares two values of the address called key as
// addresses.match does: IP addresses exactly, DNS names ignoring case,
// surrounding blanks ignored.
func SameAddress(key, a, b string) bool {
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	if key == "dns_local" || key == "dns_public" {
		return strings.EqualFold(a, b)
	}
	return a == b
}

// Get returns the address called key ("" for a key that is not one).
func (s Settings) Get(key string) string {
	if p := s.Field(key); p != nil {
		return *p
	}
	return ""
}

// Optional is a JSON value that may be absent (Set false), null (Null true)
// or present. The difference decides between `error` and `fail`.
type Optional[T any] struct {
	Set   bool
	Null  bool
	Value T
}

// Some returns a present, non-null Optional.
func Some[T any](v T) Optional[T] { return Optional[T]{Set: true, Value: v} }

// Null returns a present null Optional.
func Null[T any]() Optional[T] { return Optional[T]{Set: true, Null: true} }

// Valid reports whether a non-null value is present.
func (o Optional[T]) Valid() bool { return o.Set && !o.Null }

// IsZero makes `omitzero` leave an absent value out when writing.
func (o Optional[T]) IsZero() bool { return !o.Set }

// UnmarshalJSON records presence; null is kept apart from absence.
func (o *Optional[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		o.Null = true
		return nil
	}
	err := json.Unmarshal(b, &o.Value)
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		// Its offset counts from this value, not from the file: zero says
		// so, and jsondoc places the error by its field path instead
		// (a wrong type in log_shipping was reported on line 1).
		typ.Offset = 0
	}
	return err
}

// MarshalJSON writes null or the value.
func (o Optional[T]) MarshalJSON() ([]byte, error) {
	if o.Null || !o.Set {
		return []byte("null"), nil
	}
	return json.Marshal(o.Value)
}

// Timestamp is an instant in db.json. RFC 3339 with or without an offset;
// without one it is UTC (contract §4).
type Timestamp struct{ time.Time }

var timestampLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999"}

// ParseTimestamp parses the forms Timestamp accepts.
func ParseTimestamp(s string) (Timestamp, error) {
	for _, l := range timestampLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return Timestamp{t.UTC()}, nil
		}
	}
	return Timestamp{}, fmt.Errorf("%q is not an RFC 3339 timestamp", s)
}

// UnmarshalJSON parses a timestamp string. What is not one is a type
// error, so that the decoder adds the field's path and jsondoc the line:
// "line 33: observed_at: expected an RFC 3339 timestamp, got JSON text
// "yesterday"".
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return &json.UnmarshalTypeError{Value: jsonWord(b), Type: reflect.TypeFor[Timestamp]()}
	}
	p, err := ParseTimestamp(strings.TrimSpace(s))
	if err != nil {
		return &json.UnmarshalTypeError{Value: "text " + strconv.Quote(s), Type: reflect.TypeFor[Timestamp]()}
	}
	*t = p
	return nil
}

// JSONKind names what a timestamp must be, for jsondoc's messages.
func (Timestamp) JSONKind() string { return "an RFC 3339 timestamp (2026-11-25T02:00:00Z)" }

// jsonWord names the kind of a JSON value b, as encoding/json's type
// errors do.
func jsonWord(b []byte) string {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0:
		return "nothing"
	case b[0] == '{':
		return "object"
	case b[0] == '[':
		return "array"
	case b[0] == 't' || b[0] == 'f':
		return "bool"
	case b[0] == '"':
		return "string"
	}
	return "number"
}

// MarshalJSON writes RFC 3339 UTC.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	return json.Marshal(t.UTC().Format(time.RFC3339Nano))
}

// ParseDB decodes db.json, rejecting a wrong schema, wrong types or a key
// given twice with the line and field. Values that cannot be true are
// dropped, the reason kept under Unknown (DropImpossible). The file may be
// UTF-8, with or without a byte order mark, or UTF-16 with one.
func ParseDB(data []byte) (*DBFacts, error) {
	var f DBFacts
	if err := jsondoc.Decode(data, &f); err != nil {
		return nil, err
	}
	if f.Schema != DBSchema {
		return nil, fmt.Errorf("schema: got %q, want %q", f.Schema, DBSchema)
	}
	f.DropImpossible()
	return &f, nil
}
