// Package jsondoc decodes JSON documents that come from outside the
// program — facts.json, db.json, manifest.json — with errors a person can
// act on: the line, and for a value of the wrong type the field.
//
// The documents are read as Windows writes them (package wintext: UTF-8
// with or without a byte order mark, UTF-16 with one), and a key given
// twice in one object is refused: encoding/json would keep the last one
// silently, so a file could say two things and be judged on the one a
// reader did not see.
package jsondoc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/tmsdrift/tmsdrift/internal/wintext"
)

// Text returns data as UTF-8 without a byte order mark, decoding UTF-16
// (wintext.Decode). Line numbers in the text are those of the file. Decode
// calls it; a caller that walks the tokens itself (manifest.json) calls it
// first.
func Text(data []byte) ([]byte, error) {
	text, _, err := wintext.Decode(data)
	if err != nil {
		return nil, err
	}
	return text, nil
}

// Decode decodes exactly one JSON document from data into v. data may be
// in any encoding Text reads. A key that appears twice in one object —
// also spelled in another case, since encoding/json matches struct fields
// case-insensitively — is an error naming both lines.
func Decode(data []byte, v any) error {
	data, err := Text(data)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return Describe(data, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("line %d: unexpected data after the JSON document", Line(data, dec.InputOffset()))
	}
	return DuplicateKeys(data)
}

// DuplicateKeys returns an error for the first object in data (one
// well-formed JSON document, UTF-8) that holds a key twice, or the same key
// in two spellings of case, with both lines and the path of the object:
// line 9: "hostname" appears twice (first on line 3).
func DuplicateKeys(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := walkDuplicates(dec, data, ""); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

// walkDuplicates reads one value from dec; path names it in messages.
func walkDuplicates(dec *json.Decoder, data []byte, path string) error {
	tok, err := dec.Token()
	if err != nil {
		return Describe(data, err)
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]struct {
			key  string
			line int
		}{}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return Describe(data, err)
			}
			key, _ := tok.(string)
			line := Line(data, dec.InputOffset())
			fold := strings.ToLower(key)
			if first, dup := seen[fold]; dup {
				where := ""
				if path != "" {
					where = " in " + path
				}
				if first.key == key {
					return fmt.Errorf("line %d: %q appears twice%s (first on line %d); a key may be given once", line, key, where, first.line)
				}
				return fmt.Errorf("line %d: %q repeats %q%s (line %d): keys are matched ignoring case, so a key may be given once", line, key, first.key, where, first.line)
			}
			seen[fold] = struct {
				key  string
				line int
			}{key, line}
			if err := walkDuplicates(dec, data, joinPath(path, key)); err != nil {
				return err
			}
		}
		_, err := dec.Token() // }
		if err != nil {
			return Describe(data, err)
		}
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			if err := walkDuplicates(dec, data, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil { // ]
			return Describe(data, err)
		}
	}
	return nil
}

// joinPath appends an object key to a path in messages (services[2].name).
func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// Describe turns an encoding/json error about data into a message with the
// line and, for type errors, the field.
func Describe(data []byte, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Errorf("line %d: malformed JSON: %v", Line(data, syn.Offset), syn)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return fmt.Errorf("line %d: expected a JSON object, got JSON %s", Line(data, typ.Offset), typ.Value)
		}
		line := Line(data, typ.Offset)
		if typ.Offset == 0 {
			// A type's own UnmarshalJSON reported it (facts.Timestamp,
			// facts.Optional): the decoder gave the field, not the place.
			line = FieldLine(data, typ.Field)
		}
		if line == 0 {
			return fmt.Errorf("%s: expected %s, got JSON %s", typ.Field, KindWord(typ.Type), typ.Value)
		}
		return fmt.Errorf("line %d: %s: expected %s, got JSON %s", line, typ.Field, KindWord(typ.Type), typ.Value)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("malformed JSON: unexpected end of file")
	}
	return fmt.Errorf("malformed JSON: %w", err)
}

// Kinder is a type that names the JSON value it holds itself, for
// KindWord: a timestamp is "an RFC 3339 timestamp", not "an object".
type Kinder interface{ JSONKind() string }

// KindWord names the JSON value a Go type holds, in the words of the file's
// author rather than Go's ([]facts.Service is "a list").
func KindWord(t reflect.Type) string {
	if t == nil {
		return "another kind of value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Implements(reflect.TypeFor[Kinder]()) {
		return reflect.Zero(t).Interface().(Kinder).JSONKind()
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.String:
		return "text"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "another kind of value"
}

// FieldLine returns the line of the key that ends path (encoding/json's
// field path: object keys joined by dots, list positions left out,
// matched ignoring case as the decoder matches them) in data, one
// well-formed JSON document; the first such key, or 0 when there is none.
func FieldLine(data []byte, path string) int {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	// open are the objects and lists the reader is in; key is the key an
	// object's value was given under ("" in a list or at the top).
	type level struct {
		object, keyed bool
		key           string
	}
	var open []level
	var key string     // the key whose value comes next
	var keyed bool     // key is set: the next value is an object's
	expectKey := false // the next string token is a key
	for {
		tok, err := dec.Token()
		if err != nil {
			return 0
		}
		if s, ok := tok.(string); ok && expectKey {
			var keys []string
			for _, l := range open {
				if l.keyed {
					keys = append(keys, l.key)
				}
			}
			if strings.EqualFold(strings.Join(append(keys, s), "."), path) {
				return Line(data, dec.InputOffset())
			}
			key, keyed, expectKey = s, true, false
			continue
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			open = append(open, level{object: tok == json.Delim('{'), keyed: keyed, key: key})
		case json.Delim('}'), json.Delim(']'):
			open = open[:len(open)-1]
		}
		// After a value (or an opening brace), an object expects a key.
		key, keyed = "", false
		expectKey = len(open) > 0 && open[len(open)-1].object
	}
}

// Line returns the 1-based line of byte offset off in data.
func Line(data []byte, off int64) int {
	off = min(max(off, 0), int64(len(data)))
	return bytes.Count(data[:off], []byte{'\n'}) + 1
}
