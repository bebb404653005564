// Package jsonedit changes one string value in a JSON document and leaves
// every other byte as it was. Fixers edit facts.json (a service's start
// type and state) and db.json (the address settings) that people and
// scripts wrote; re-encoding the whole document would reorder keys and
// reformat numbers, so a one-value fix would show as a whole-file diff and
// a rollback could not give back the original bytes.
//
// Keys are matched as encoding/json matches them when it decodes into a
// struct (the way package facts reads these files): case-insensitively,
// and the last of duplicate keys wins. So the value changed here is the
// value the parser reads.
//
// Files written on Windows keep their form: a UTF-8 byte order mark stays,
// and a UTF-16 file is edited as text and written back as UTF-16 with its
// byte order mark (package wintext), after checking that it encodes back
// to exactly its original bytes.
package jsonedit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/tmsdrift/tmsdrift/internal/wintext"
)

// ErrNotFound is wrapped by errors for a path that leads nowhere.
var ErrNotFound = errors.New("not found")

// member is one key/value pair of an object, by byte offsets.
type member struct {
	keyStart, keyEnd     int // the quoted key
	valueStart, valueEnd int
}

// Locate returns the byte range of the value at path: doc[start:end] is the
// value's JSON text. A path step is an object key, or "[i]" for element i
// of an array.
//
// doc may start with a UTF-8 byte order mark; the offsets count it. UTF-16
// has no byte offsets to give: Locate refuses it (SetString edits it).
func Locate(doc []byte, path ...string) (start, end int, err error) {
	text, enc, err := wintext.Decode(doc)
	if err != nil {
		return 0, 0, err
	}
	if enc.UTF16 {
		return 0, 0, fmt.Errorf("locate in %s: no byte offsets in a transcoded file", enc)
	}
	start, end, err = locate(text, path...)
	if err != nil {
		return 0, 0, err
	}
	return start + enc.Offset(), end + enc.Offset(), nil
}

// locate is Locate on UTF-8 text without a byte order mark.
func locate(doc []byte, path ...string) (start, end int, err error) {
	start, end, err = valueSpan(doc)
	if err != nil {
		return 0, 0, err
	}
	for i, step := range path {
		sub := doc[start:end]
		var s, e int
		if idx, ok := index(step); ok {
			s, e, err = element(sub, idx)
		} else {
			var m *member
			m, _, err = lookup(sub, step)
			if m != nil {
				s, e = m.valueStart, m.valueEnd
			}
		}
		if err != nil {
			return 0, 0, fmt.Errorf("%s: %w", strings.Join(path[:i+1], "."), err)
		}
		start, end = start+s, start+e
	}
	return start, end, nil
}

// SetString returns doc with the string at path replaced by s. When the
// last step is a key the object lacks, the key is added after the object's
// last member, spaced like it. The value there must be a string (or null).
// doc keeps its encoding: UTF-8 with or without a byte order mark, or
// UTF-16 with one.
func SetString(doc []byte, s string, path ...string) ([]byte, error) {
	text, enc, err := wintext.Decode(doc)
	if err != nil {
		return nil, err
	}
	if !enc.UTF16 && !enc.BOM {
		return setString(doc, s, path...)
	}
	if !enc.RoundTrips(doc, text) {
		return nil, fmt.Errorf("set string: the %s document does not encode back to the same bytes; not edited", enc)
	}
	out, err := setString(text, s, path...)
	if err != nil {
		return nil, err
	}
	return enc.Encode(out)
}

// setString is SetString on UTF-8 text without a byte order mark.
func setString(doc []byte, s string, path ...string) ([]byte, error) {
	if len(path) == 0 {
		return nil, errors.New("set string: empty path")
	}
	value, err := encodeString(s)
	if err != nil {
		return nil, err
	}
	last := path[len(path)-1]
	where := strings.Join(path, ".")
	var out []byte
	if _, isIndex := index(last); isIndex {
		start, end, err := locate(doc, path...)
		if err != nil {
			return nil, err
		}
		if out, err = replace(doc, start, end, value, where); err != nil {
			return nil, err
		}
	} else {
		pstart, pend, err := locate(doc, path[:len(path)-1]...)
		if err != nil {
			return nil, err
		}
		m, members, err := lookup(doc[pstart:pend], last)
		switch {
		case err == nil:
			if out, err = replace(doc, pstart+m.valueStart, pstart+m.valueEnd, value, where); err != nil {
				return nil, err
			}
		case errors.Is(err, ErrNotFound) && members != nil:
			out = insert(doc, pstart, *members, last, value)
		default:
			return nil, fmt.Errorf("%s: %w", where, err)
		}
	}
	if !json.Valid(out) {
		return nil, fmt.Errorf("%s: the edited document is not valid JSON", where)
	}
	return out, nil
}

// replace swaps doc[start:end], which must hold a string or null, for value.
func replace(doc []byte, start, end int, value []byte, where string) ([]byte, error) {
	old := doc[start:end]
	if len(old) == 0 || (old[0] != '"' && !bytes.Equal(old, []byte("null"))) {
		return nil, fmt.Errorf("%s: not a string", where)
	}
	out := make([]byte, 0, len(doc)-len(old)+len(value))
	out = append(out, doc[:start]...)
	out = append(out, value...)
	return append(out, doc[end:]...), nil
}

// objectMembers describes an object: its members, and where its body
// starts (just after "{").
type objectMembers struct {
	list []member
	open int
}

// insert adds "key": value to the object at base whose members are given.
func insert(doc []byte, base int, obj objectMembers, key string, value []byte) []byte {
	qkey, _ := encodeString(key) // a key from the program: always encodable
	var add []byte
	at := base + obj.open
	if n := len(obj.list); n > 0 {
		lastM := obj.list[n-1]
		// Copy the spacing before the last key and between it and its
		// value, so the new line looks like its neighbours.
		before := leadingSpace(doc[:base+lastM.keyStart])
		sep := doc[base+lastM.keyEnd : base+lastM.valueStart]
		add = append(add, ',')
		add = append(add, before...)
		add = append(add, qkey...)
		add = append(add, sep...)
		add = append(add, value...)
		at = base + lastM.valueEnd
	} else {
		add = append(add, qkey...)
		add = append(add, ": "...)
		add = append(add, value...)
	}
	out := make([]byte, 0, len(doc)+len(add))
	out = append(out, doc[:at]...)
	out = append(out, add...)
	return append(out, doc[at:]...)
}

// leadingSpace returns the whitespace at the end of b.
func leadingSpace(b []byte) []byte {
	i := len(b)
	for i > 0 && isSpace(b[i-1]) {
		i--
	}
	return b[i:]
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// encodeString writes s as a JSON string, without HTML escaping (so that
// "<" stays "<" as people write it).
func encodeString(s string) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return nil, fmt.Errorf("encode string: %w", err)
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// index parses a "[i]" path step.
func index(step string) (int, bool) {
	if len(step) < 3 || step[0] != '[' || step[len(step)-1] != ']' {
		return 0, false
	}
	i, err := strconv.Atoi(step[1 : len(step)-1])
	if err != nil || i < 0 {
		return 0, false
	}
	return i, true
}

// valueSpan returns where the one JSON value of doc starts and ends.
func valueSpan(doc []byte) (int, int, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return 0, 0, fmt.Errorf("malformed JSON: %w", err)
	}
	end := int(dec.InputOffset())
	return end - len(raw), end, nil
}

// element returns the span of array element i of the array doc.
func element(doc []byte, i int) (int, int, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	tok, err := dec.Token()
	if err != nil {
		return 0, 0, fmt.Errorf("malformed JSON: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return 0, 0, fmt.Errorf("not an array: %w", ErrNotFound)
	}
	for n := 0; dec.More(); n++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return 0, 0, fmt.Errorf("malformed JSON: %w", err)
		}
		if n == i {
			end := int(dec.InputOffset())
			return end - len(raw), end, nil
		}
	}
	return 0, 0, fmt.Errorf("element %d: %w", i, ErrNotFound)
}

// lookup finds the member key of the object doc: the last one whose key
// equals key ignoring case, as encoding/json decodes. It also returns every
// member, so a missing key can be added.
func lookup(doc []byte, key string) (*member, *objectMembers, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	tok, err := dec.Token()
	if err != nil {
		return nil, nil, fmt.Errorf("malformed JSON: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, nil, fmt.Errorf("not an object: %w", ErrNotFound)
	}
	obj := objectMembers{open: int(dec.InputOffset())}
	found := -1
	for dec.More() {
		from := int(dec.InputOffset())
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, fmt.Errorf("malformed JSON: %w", err)
		}
		k, ok := tok.(string)
		if !ok {
			return nil, nil, errors.New("malformed JSON: object key is not a string")
		}
		m := member{keyEnd: int(dec.InputOffset())}
		m.keyStart = from + bytes.IndexByte(doc[from:m.keyEnd], '"')
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, fmt.Errorf("malformed JSON: %w", err)
		}
		m.valueEnd = int(dec.InputOffset())
		m.valueStart = m.valueEnd - len(raw)
		obj.list = append(obj.list, m)
		if strings.EqualFold(k, key) {
			found = len(obj.list) - 1
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, nil, fmt.Errorf("malformed JSON: %w", err)
	}
	if found < 0 {
		return nil, &obj, fmt.Errorf("key %q: %w", key, ErrNotFound)
	}
	m := obj.list[found]
	return &m, &obj, nil
}
