// Package jsondoc decodes JSON documents that come from outside the
// program — facts.json, db.json, manifest.json — with errors a person can
// act on: the line, and for a value of the wrong type the field.
package jsondoc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Decode decodes exactly one JSON document from data into v.
func Decode(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return Describe(data, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("line %d: unexpected data after the JSON document", Line(data, dec.InputOffset()))
	}
	return nil
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
		return fmt.Errorf("line %d: %s: expected %s, got JSON %s", Line(data, typ.Offset), typ.Field, typ.Type, typ.Value)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("malformed JSON: unexpected end of file")
	}
	return fmt.Errorf("malformed JSON: %w", err)
}

// Line returns the 1-based line of byte offset off in data.
func Line(data []byte, off int64) int {
	off = min(max(off, 0), int64(len(data)))
	return bytes.Count(data[:off], []byte{'\n'}) + 1
}
