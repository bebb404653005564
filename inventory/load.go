package inventory

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"

	"github.com/tmsdrift/tmsdrift/internal/jsondoc"
	"github.com/tmsdrift/tmsdrift/internal/wintext"
)

// Options are what the loader needs from the rest of tmsdrift.
type Options struct {
	// KnownRules are the rule IDs a waiver may name. The caller passes them
	// from the rule catalogue, which this package cannot import (the
	// catalogue imports inventory). Nil skips the check.
	KnownRules []string
	// RequireFiles also checks that the files the inventory names exist:
	// machine_key.file and database.snapshot (validate asks for it). The
	// audit reads them and reports trouble as `error` results instead
	// (contract §7), so it leaves this off.
	RequireFiles bool
}

// Load reads, decodes and validates the inventory at path. Every problem is
// returned at once as an *Error whose lines read file:line:col: field:
// message; an unreadable file is an *Error too, wrapping the I/O error.
func Load(path string, opts Options) (*Inventory, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{
			Problems: []Problem{{File: path, Message: "cannot read the inventory: " + ioReason(err)}},
			Err:      err,
		}
	}
	return LoadBytes(path, data, opts)
}

// LoadBytes is Load for an inventory already in memory: name is the file it
// came from, used in messages and to resolve relative paths (Resolve).
// data may be UTF-8 with or without a byte order mark, or UTF-16 with one
// (Windows PowerShell 5.1's `>` writes that); lines and columns in
// problems are those an editor shows for the file.
func LoadBytes(name string, data []byte, opts Options) (*Inventory, error) {
	ps := &problems{file: name}
	text, _, err := wintext.Decode(data)
	if err != nil {
		ps.addAt(0, 0, "", "cannot read the inventory: "+err.Error())
		return nil, ps.err()
	}
	body := parseDocument(unixLines(text), ps)
	if body == nil {
		return nil, ps.err()
	}
	ps.loc = newLocator()
	ps.loc.record("", nodePos(body), nodePos(body))
	(&structure{loc: ps.loc, ps: ps}).walk(body, reflect.TypeFor[Inventory](), "")
	if len(ps.list) > 0 {
		return nil, ps.err()
	}
	var inv Inventory
	if err := yaml.NodeToValue(body, &inv, yaml.Strict()); err != nil {
		ps.decodeProblem(err)
		return nil, ps.err()
	}
	inv.File = name
	inv.ApplyDefaults()
	validate(&inv, opts, ps)
	if err := ps.err(); err != nil {
		return nil, err
	}
	return &inv, nil
}

// Resolve turns a path written in the inventory into one the program can
// open: relative paths are relative to the inventory file's folder, as an
// administrator expects when moving the lab folder around; absolute paths
// stay as they are.
func (inv *Inventory) Resolve(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(filepath.Dir(inv.File), filepath.FromSlash(p))
}

// unixLines turns CRLF and lone CR line breaks into LF. YAML treats all
// three as one line break, but goccy's lexer counts a CRLF after a comment
// or inside quoted text as two lines, so every problem below it would be
// placed too low in a file saved on Windows. The text's meaning does not
// change (YAML normalises line breaks in values to LF), nor do the columns.
func unixLines(text []byte) []byte {
	if !bytes.ContainsRune(text, '\r') {
		return text
	}
	text = bytes.ReplaceAll(text, []byte("\r\n"), []byte("\n"))
	return bytes.ReplaceAll(text, []byte("\r"), []byte("\n"))
}

// parseDocument parses data into the body of its single YAML document,
// reporting syntax errors, an empty file, several documents, or a body that
// is not a mapping. It returns nil when there is nothing to decode.
func parseDocument(data []byte, ps *problems) ast.Node {
	// Duplicate keys are left to the structural pass, which reports them all
	// with their key paths.
	file, err := parser.ParseBytes(data, 0, parser.AllowDuplicateMapKey())
	if err != nil {
		if !ps.unclosedQuote(data, err) {
			ps.decodeProblem(err)
		}
		return nil
	}
	var bodies []ast.Node
	for _, doc := range file.Docs {
		if doc == nil || doc.Body == nil {
			continue
		}
		if _, directive := doc.Body.(*ast.DirectiveNode); directive {
			continue
		}
		bodies = append(bodies, doc.Body)
	}
	switch {
	case len(bodies) == 0:
		ps.addAt(0, 0, "", `the inventory is empty; "tmsdrift init --model MODEL" writes a commented starter`)
		return nil
	case len(bodies) > 1:
		pos := nodePos(bodies[1])
		ps.addAt(pos.line, pos.col, "", fmt.Sprintf("a second YAML document; an inventory is one document (%d found)", len(bodies)))
		return nil
	}
	body := unwrap(bodies[0])
	switch body.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return body
	}
	pos := nodePos(body)
	ps.addAt(pos.line, pos.col, "", fmt.Sprintf("the inventory must be a mapping of keys (deployment:, model:, nodes: ...), found %s", describeNode(body)))
	return nil
}

// decodeProblem turns an error of goccy's parser or decoder into a Problem
// at its token, without goccy's source excerpt (which carries ANSI colour
// and repeats the line).
func (ps *problems) decodeProblem(err error) {
	var ye yaml.Error
	if !errors.As(err, &ye) {
		ps.addAt(0, 0, "", "cannot decode: "+err.Error())
		return
	}
	pos := tokenPos(ye.GetToken())
	field := ""
	if ps.loc != nil {
		field = ps.loc.byPos[pos]
	}
	ps.addAt(pos.line, pos.col, field, decodeMessage(err, ye))
}

// unclosedQuote reports a syntax error caused by a quote that is not closed
// on its own line, at that quote, and returns true; otherwise it returns
// false. YAML lets quoted text run on over several lines, so the parser
// only stumbles where the run-on text ends — at the next quote, often a
// line or more further down — and would point there. No inventory value
// spans lines, so a quoted value that does, followed by a syntax error on
// the line it ends on, is an unclosed quote.
func (ps *problems) unclosedQuote(data []byte, err error) bool {
	var ye yaml.Error
	if !errors.As(err, &ye) {
		return false
	}
	at := tokenPos(ye.GetToken())
	lines := strings.Split(string(data), "\n")
	var open position
	quote := ""
	for _, tk := range lexer.Tokenize(string(data)) {
		if tk.Position == nil || tk.Position.Line > at.line {
			break
		}
		q := strings.IndexAny(tk.Origin, `'"`)
		if q < 0 || strings.TrimSpace(tk.Origin[:q]) != "" {
			continue
		}
		spans := strings.Count(tk.Origin[q:], "\n")
		switch {
		case spans == 0:
			continue
		case tk.Type == token.SingleQuoteType || tk.Type == token.DoubleQuoteType:
			// A quoted value that ran on: it starts at the quote.
			if tk.Position.Line+spans == at.line {
				open, quote = tokenPos(tk), tk.Origin[q:q+1]
			}
		case tk.Type == token.InvalidType && tk.Position.Line == at.line:
			// The lexer gave up inside the run-on text (a bad escape):
			// the token is placed where it failed; find its quote.
			first := tk.Position.Line - spans
			if first < 1 || first > len(lines) {
				continue
			}
			segment, _, _ := strings.Cut(tk.Origin[q:], "\n")
			line := lines[first-1]
			if !strings.HasSuffix(line, segment) {
				continue
			}
			col := utf8.RuneCountInString(line) - utf8.RuneCountInString(segment) + 1
			open, quote = position{first, col}, tk.Origin[q:q+1]
		}
	}
	if quote == "" {
		return false
	}
	kind := "double"
	if quote == "'" {
		kind = "single"
	}
	ps.addAt(open.line, open.col, "", fmt.Sprintf("YAML syntax: the %s quote here is not closed on this line (YAML read on to line %d, where it failed: %s)", kind, at.line, ye.GetMessage()))
	return true
}

// decodeMessage rewords goccy's messages, which speak of Go types, in the
// terms of the inventory.
func decodeMessage(err error, ye yaml.Error) string {
	var (
		te *yaml.TypeError
		oe *yaml.OverflowError
		se *yaml.SyntaxError
		ue *yaml.UnknownFieldError
	)
	switch {
	case errors.As(err, &te):
		return "expected " + kindWord(te.DstType)
	case errors.As(err, &oe):
		return "number out of range for " + kindWord(oe.DstType)
	case errors.As(err, &ue):
		return strings.Replace(ue.GetMessage(), "unknown field", "unknown key", 1)
	case errors.As(err, &se):
		return "YAML syntax: " + se.GetMessage()
	}
	return ye.GetMessage()
}

// kindWord names the value a Go type holds in an administrator's words:
// YAML's for a mapping and a date, otherwise as for a JSON file.
func kindWord(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == dateType:
		return "a date (YYYY-MM-DD)"
	case t != nil && (t.Kind() == reflect.Struct || t.Kind() == reflect.Map):
		return "a mapping of keys"
	}
	return jsondoc.KindWord(t)
}

// ioReason is the cause of a read failure without the path, which the
// Problem already names.
func ioReason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	if errors.Is(err, fs.ErrNotExist) {
		return "no such file"
	}
	return err.Error()
}

// Locate returns where field's value (a key path such as
// schedule.listen_token_env) sits in the inventory file, read again from
// inv.File: the line and column an editor shows, or, when the field is
// absent, those of the mapping where it belongs. It returns 0, 0 when the
// file cannot be read or parsed. For problems found after loading, such as
// an environment variable the field names holding an unusable value.
func (inv *Inventory) Locate(field string) (line, col int) {
	data, err := os.ReadFile(inv.File)
	if err != nil {
		return 0, 0
	}
	text, _, err := wintext.Decode(data)
	if err != nil {
		return 0, 0
	}
	ps := &problems{file: inv.File}
	body := parseDocument(unixLines(text), ps)
	if body == nil {
		return 0, 0
	}
	loc := newLocator()
	loc.record("", nodePos(body), nodePos(body))
	(&structure{loc: loc, ps: ps}).walk(body, reflect.TypeFor[Inventory](), "")
	return loc.find(field)
}
