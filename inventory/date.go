package inventory

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/goccy/go-yaml/ast"
)

// ParseDate reads a YYYY-MM-DD day, the only spelling a waiver's expires
// accepts: a date with a time or a zone would blur which day is meant.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("%q is not a date; write YYYY-MM-DD", s)
	}
	return Date{t}, nil
}

// UnmarshalYAML reads the date from the inventory. Without it the decoder
// would take the embedded time.Time's RFC 3339 form.
func (d *Date) UnmarshalYAML(node ast.Node) error {
	switch n := unwrap(node).(type) {
	case nil, *ast.NullNode:
		*d = Date{}
		return nil
	case *ast.StringNode:
		parsed, err := ParseDate(n.Value)
		if err != nil {
			return err
		}
		*d = parsed
		return nil
	}
	return fmt.Errorf("expected a date (YYYY-MM-DD), found %s", describeNode(unwrap(node)))
}

// MarshalYAML writes the date as YYYY-MM-DD.
func (d Date) MarshalYAML() ([]byte, error) { return []byte(d.String()), nil }

// MarshalText writes the date as YYYY-MM-DD (JSON and other text
// encodings), replacing the embedded time.Time's RFC 3339 form.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads a YYYY-MM-DD date.
func (d *Date) UnmarshalText(b []byte) error {
	parsed, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = parsed
	return nil
}

// MarshalJSON writes the date as a "YYYY-MM-DD" string; it shadows the
// embedded time.Time's method, which encoding/json would otherwise prefer.
func (d Date) MarshalJSON() ([]byte, error) { return []byte(`"` + d.String() + `"`), nil }

// UnmarshalJSON reads a "YYYY-MM-DD" string.
func (d *Date) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("read date: %w", err)
	}
	return d.UnmarshalText([]byte(s))
}
