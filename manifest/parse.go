package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/tmsdrift/tmsdrift/internal/jsondoc"
)

// Schema identifies manifest.json (contract §3).
const Schema = "tmsdrift/manifest/v1"

// entry is one value of manifest.json's "files" object. Pointers tell an
// absent key from a zero value: both keys are required.
type entry struct {
	Size   *int64  `json:"size"`
	SHA256 *string `json:"sha256"`
}

// Parse reads a node's manifest.json, which stands in for copies of the
// customer data files (contract §3). Its Windows paths are made relative
// to installPath (case-insensitively, trailing `\` ignored) so that they
// compare with another node's. Anything that would make the comparison
// wrong is rejected with the line and entry: a path outside installPath,
// a size below zero, a sha256 that is not 64 hex digits (upper case, as
// PowerShell's Get-FileHash prints it, is accepted and stored lower), and
// two paths equal but for case, a key given twice. Unknown keys are
// ignored: the contract lets writers add optional ones. The file may be
// UTF-8 (with or without a byte order mark) or UTF-16 with one.
func Parse(data []byte, installPath string) (*Manifest, error) {
	// As Windows writes it (PowerShell's Out-File: UTF-16); the token
	// pass below reads the decoded text, so its lines are the file's.
	data, err := jsondoc.Text(data)
	if err != nil {
		return nil, err
	}
	// First pass: well-formed JSON, the right schema, an object of files.
	var head struct {
		Schema string          `json:"schema"`
		Files  json.RawMessage `json:"files"`
		Error  string          `json:"error"`
	}
	if err := jsondoc.Decode(data, &head); err != nil {
		return nil, err
	}
	if head.Schema != Schema {
		return nil, fmt.Errorf("schema: got %q, want %q", head.Schema, Schema)
	}
	if head.Error != "" && head.Files == nil {
		// A recorded failure (tmsdrift collect): the data folders could
		// not be read, which must stay an error offline, not "no files".
		return nil, &RecordedError{Reason: head.Error}
	}
	if !bytes.HasPrefix(head.Files, []byte("{")) {
		return nil, errors.New(`"files": missing or not an object (an empty manifest has "files": {})`)
	}
	if normWin(installPath) == "" {
		return nil, errors.New("install path is empty")
	}
	// Second pass, token by token: every key of "files" with its line,
	// duplicates included (a plain decode would keep the last silently).
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil { // {
		return nil, jsondoc.Describe(data, err)
	}
	var m *Manifest
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, jsondoc.Describe(data, err)
		}
		key, _ := tok.(string)
		if key != "files" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, jsondoc.Describe(data, err)
			}
			continue
		}
		if m != nil {
			return nil, fmt.Errorf("line %d: \"files\" appears twice", jsondoc.Line(data, dec.InputOffset()))
		}
		if m, err = parseFiles(dec, data, installPath); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// RecordedError is a manifest.json that records why the data folders
// could not be read (`{"schema": ..., "error": "..."}`, written by
// WriteError): data.synced is then `error` offline as it was live.
type RecordedError struct{ Reason string }

func (e *RecordedError) Error() string {
	return "the data folders could not be read when this snapshot was recorded: " + e.Reason
}

// WriteError writes a manifest.json recording that the data folders could
// not be read, and why.
func WriteError(w io.Writer, reason string) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Schema string `json:"schema"`
		Error  string `json:"error"`
	}{Schema, reason})
}

// parseFiles reads the "files" object, dec being just before its `{`.
func parseFiles(dec *json.Decoder, data []byte, installPath string) (*Manifest, error) {
	if _, err := dec.Token(); err != nil { // {, checked by the first pass
		return nil, jsondoc.Describe(data, err)
	}
	m := New()
	lines := map[string]int{} // key → line of its entry
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, jsondoc.Describe(data, err)
		}
		winPath, _ := tok.(string)
		line := jsondoc.Line(data, dec.InputOffset())
		var e entry
		if err := dec.Decode(&e); err != nil {
			return nil, fmt.Errorf("line %d: %s: %w", line, show(winPath), describeValueError(err))
		}
		f, err := e.file(installPath, winPath)
		if err != nil {
			return nil, fmt.Errorf("line %d: %s: %w", line, show(winPath), err)
		}
		k := Key(f.Rel)
		if first, ok := lines[k]; ok {
			return nil, fmt.Errorf("line %d: %s: same file as line %d (paths compare case-insensitively)", line, show(winPath), first)
		}
		lines[k] = line
		m.put(f)
	}
	if _, err := dec.Token(); err != nil { // }
		return nil, jsondoc.Describe(data, err)
	}
	return m, nil
}

// file checks one entry and turns it into a File.
func (e entry) file(installPath, winPath string) (File, error) {
	rel, err := relTo(installPath, winPath)
	if err != nil {
		return File{}, err
	}
	switch {
	case e.Size == nil:
		return File{}, errors.New(`"size": missing`)
	case *e.Size < 0:
		return File{}, fmt.Errorf(`"size": %d is negative`, *e.Size)
	case e.SHA256 == nil:
		return File{}, errors.New(`"sha256": missing`)
	}
	sum := strings.ToLower(*e.SHA256)
	if !isSHA256(sum) {
		return File{}, fmt.Errorf(`"sha256": want 64 hex digits, got %q`, *e.SHA256)
	}
	return File{Rel: rel, Size: *e.Size, SHA256: sum}, nil
}

// isSHA256 reports whether s is 64 lower-case hex digits.
func isSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// describeValueError describes an error decoding one value whose line the
// caller already names.
func describeValueError(err error) error {
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		if typ.Field == "" {
			return fmt.Errorf(`expected an object with "size" and "sha256", got JSON %s`, typ.Value)
		}
		return fmt.Errorf("%q: expected %s, got JSON %s", typ.Field, jsondoc.KindWord(typ.Type), typ.Value)
	}
	return err
}

// Write writes m as manifest.json with the paths under installPath, keys
// sorted, so that a node without a copy of its files (a live collector, a
// CI snapshot) can carry the same facts and two runs give the same bytes.
// It refuses a file Parse would reject, so what it writes reads back.
func Write(w io.Writer, m *Manifest, installPath string) error {
	base := normWin(installPath)
	if base == "" {
		return errors.New("install path is empty")
	}
	files := make(map[string]entry, m.Len())
	for _, f := range append(m.List(), m.DebrisList()...) {
		if err := checkRel(f.Rel); err != nil {
			return fmt.Errorf("%s: %w", show(f.Rel), err)
		}
		if f.Size < 0 || !isSHA256(f.SHA256) {
			return fmt.Errorf("%s: invalid size %d or sha256 %q", show(f.Rel), f.Size, f.SHA256)
		}
		size, sum := f.Size, f.SHA256
		files[base+`\`+f.Rel] = entry{Size: &size, SHA256: &sum}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	doc := struct {
		Schema string           `json:"schema"`
		Files  map[string]entry `json:"files"`
	}{Schema, files}
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	return nil
}
