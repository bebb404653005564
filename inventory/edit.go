package inventory

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/tmsdrift/tmsdrift/internal/yamledit"
)

// Change is one value of the inventory file to change in place. Field is
// its key path as problems name it (nodes[1].role, addresses.ipv4_local,
// database.server); Value is the text it must hold, or Delete removes the
// key. Only text values are changed this way: roles, addresses, server
// names, environment variable names, file names.
type Change struct {
	Field  string
	Value  string
	Delete bool
}

// Edit returns the inventory file's bytes (data, read from name) with
// changes made in place: every comment, the key order, the quoting, the
// indentation, the line endings and the encoding (UTF-8 with or without a
// byte order mark, UTF-16) stay as the administrator wrote them
// (internal/yamledit). A key that is missing is added after the keys that
// come before it in the contract's order.
//
// The result is trusted only once it reads back: Edit loads it as Load
// would and refuses, returning an error and no bytes, unless it is a valid
// inventory in which every changed field holds its new value. The
// returned Inventory is that reading.
func Edit(name string, data []byte, changes []Change, opts Options) ([]byte, *Inventory, error) {
	edits := make([]yamledit.Edit, 0, len(changes))
	for _, c := range changes {
		after, err := textField(c.Field)
		if err != nil {
			return nil, nil, fmt.Errorf("edit %s: %w", name, err)
		}
		edits = append(edits, yamledit.Edit{Path: c.Field, Value: c.Value, Delete: c.Delete, After: after})
	}
	out, err := yamledit.Apply(data, edits...)
	if err != nil {
		return nil, nil, fmt.Errorf("edit %s: %w", name, err)
	}
	inv, err := LoadBytes(name, out, opts)
	if err != nil {
		return nil, nil, fmt.Errorf("edit %s: the edited inventory would not load, so it was not written: %w", name, err)
	}
	for _, c := range changes {
		want := c.Value
		if c.Delete {
			want = ""
		}
		got, err := inv.FieldText(c.Field)
		if err != nil {
			return nil, nil, fmt.Errorf("edit %s: %w", name, err)
		}
		if got != want {
			return nil, nil, fmt.Errorf("edit %s: %s reads back as %q, not %q; not written", name, c.Field, got, want)
		}
	}
	return out, inv, nil
}

// FieldText returns the text value of a field by its key path
// (nodes[1].role). The path must lead to a text field of the inventory.
func (inv *Inventory) FieldText(field string) (string, error) {
	v := reflect.ValueOf(inv).Elem()
	for _, part := range strings.Split(field, ".") {
		key, rest, _ := strings.Cut(part, "[")
		if key != "" {
			if v.Kind() != reflect.Struct {
				return "", fmt.Errorf("%s: %s is not a mapping", field, key)
			}
			f, ok := yamlFields(v.Type())[key]
			if !ok {
				return "", fmt.Errorf("%s: no key %s in the inventory", field, key)
			}
			v = v.FieldByIndex(f.Index)
		}
		for rest != "" {
			num, after, _ := strings.Cut(rest, "]")
			i, err := strconv.Atoi(num)
			if err != nil || v.Kind() != reflect.Slice || i < 0 || i >= v.Len() {
				return "", fmt.Errorf("%s: no element [%s]", field, num)
			}
			v = v.Index(i)
			rest = strings.TrimPrefix(after, "[")
		}
	}
	if v.Kind() != reflect.String {
		return "", fmt.Errorf("%s is not a text field", field)
	}
	return v.String(), nil
}

// textField checks that field names a text field of the inventory, and
// returns the keys that come before it in its mapping (where a missing key
// is added after).
func textField(field string) ([]string, error) {
	t := reflect.TypeFor[Inventory]()
	var before []string
	for _, part := range strings.Split(field, ".") {
		key, rest, _ := strings.Cut(part, "[")
		if t.Kind() != reflect.Struct {
			return nil, fmt.Errorf("%s: %s is not a mapping key", field, key)
		}
		f, ok := yamlFields(t)[key]
		if !ok {
			return nil, fmt.Errorf("%s: no key %s in the inventory", field, key)
		}
		keys := yamlKeys(t)
		before = slices.Clone(keys[:slices.Index(keys, key)])
		t = f.Type
		for ; rest != ""; rest = rest[strings.IndexByte(rest, ']')+1:] {
			if t.Kind() != reflect.Slice || !strings.Contains(rest, "]") {
				return nil, fmt.Errorf("%s: %s is not a list", field, key)
			}
			t = t.Elem()
		}
	}
	if t.Kind() != reflect.String {
		return nil, fmt.Errorf("%s is not a text field", field)
	}
	return before, nil
}
