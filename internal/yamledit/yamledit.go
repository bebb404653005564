// Package yamledit changes values in a YAML document in place and leaves
// every other byte as it was: comments, key order, quoting, indentation,
// blank lines, line endings (LF, CRLF, CR) and the file's encoding (UTF-8
// with or without a byte order mark, UTF-16 with one). It is the YAML
// analogue of internal/jsonedit: runbooks rewrite the inventory (roles,
// addresses, which database is live) that an administrator wrote and
// commented by hand, and re-encoding the whole document would throw the
// comments away, turn a two-value change into a whole-file diff and make
// a byte-for-byte rollback impossible.
//
// An edit names a value by its path (nodes[1].role, addresses.ipv4_local)
// and either sets it to a text or deletes its key. A value that exists
// keeps its style: a single-quoted value stays single-quoted, a
// double-quoted one double-quoted, a plain one plain when the new text is
// read back as the same text (otherwise it is quoted). A key that is
// missing is added beside its siblings, indented like them, with the line
// ending of the line it follows. Block scalars (| and >), tags, anchors and
// aliases are never edited: the edit is refused, naming the line.
//
// Trust nothing written: Apply decodes the document before and after, and
// refuses (returning an error, no document) unless the only difference is
// exactly the values the edits asked for.
package yamledit

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"

	"github.com/tmsdrift/tmsdrift/internal/wintext"
)

// Edit is one change to a document.
type Edit struct {
	// Path names the value: mapping keys separated by dots, list elements
	// as [i] (nodes[1].transport.kind). The last step is a key.
	Path string
	// Value is the text the key must hold (ignored with Delete).
	Value string
	// Delete removes the key and its value instead (nothing happens when
	// the key is absent). Only a key of a block mapping whose value is one
	// line of text can be deleted.
	Delete bool
	// After orders a key that must be added: it goes after the last of
	// these sibling keys present in the document, or first among its
	// siblings when none is. Without After it goes after the last sibling.
	After []string
}

// ErrRefused is wrapped by every error for an edit this package will not
// make (a block scalar, an anchor, a key given twice, a result that does
// not read back as intended).
var ErrRefused = errors.New("not edited")

// Apply returns doc with every edit made, in order, or an error and no
// document. doc may be UTF-8 with or without a byte order mark, or UTF-16
// with one; the result is in the same encoding.
func Apply(doc []byte, edits ...Edit) ([]byte, error) {
	text, enc, err := wintext.Decode(doc)
	if err != nil {
		return nil, err
	}
	if !enc.RoundTrips(doc, text) {
		return nil, fmt.Errorf("the %s document does not encode back to the same bytes: %w", enc, ErrRefused)
	}
	text = bytes.Clone(text)
	before, err := decode(text)
	if err != nil {
		return nil, err
	}
	for _, e := range edits {
		steps, err := parsePath(e.Path)
		if err != nil {
			return nil, err
		}
		if text, err = apply(text, steps, e); err != nil {
			return nil, fmt.Errorf("%s: %w", e.Path, err)
		}
	}
	after, err := decode(text)
	if err != nil {
		return nil, fmt.Errorf("the edited document does not parse (%v): %w", err, ErrRefused)
	}
	want := before
	for _, e := range edits {
		steps, _ := parsePath(e.Path) // parsed above
		if want, err = expect(want, steps, e); err != nil {
			return nil, fmt.Errorf("%s: %w", e.Path, err)
		}
	}
	if !reflect.DeepEqual(after, want) {
		return nil, fmt.Errorf("the edited document does not read back as intended: %w", ErrRefused)
	}
	return enc.Encode(text)
}

// Get returns the text of the scalar at path, and whether it is there. A
// value that is not text (a number, true, a mapping) is reported as it
// reads back, formatted with fmt.
func Get(doc []byte, path string) (string, bool, error) {
	text, _, err := wintext.Decode(doc)
	if err != nil {
		return "", false, err
	}
	steps, err := parsePath(path)
	if err != nil {
		return "", false, err
	}
	v, err := decode(text)
	if err != nil {
		return "", false, err
	}
	for _, s := range steps {
		switch c := v.(type) {
		case map[string]any:
			if s.index >= 0 {
				return "", false, nil
			}
			var ok bool
			if v, ok = c[s.key]; !ok {
				return "", false, nil
			}
		case []any:
			if s.index < 0 || s.index >= len(c) {
				return "", false, nil
			}
			v = c[s.index]
		default:
			return "", false, nil
		}
	}
	if s, ok := v.(string); ok {
		return s, true, nil
	}
	if v == nil {
		return "", true, nil
	}
	return fmt.Sprint(v), true, nil
}

// step is one step of a path: a key, or a list index (key "").
type step struct {
	key   string
	index int // -1 for a key
}

func (s step) String() string {
	if s.index >= 0 {
		return fmt.Sprintf("[%d]", s.index)
	}
	return s.key
}

// parsePath splits nodes[1].role into steps.
func parsePath(p string) ([]step, error) {
	if p == "" {
		return nil, errors.New("empty path")
	}
	var out []step
	for _, part := range strings.Split(p, ".") {
		key, rest, _ := strings.Cut(part, "[")
		if key == "" && (len(out) == 0 || rest == "") {
			return nil, fmt.Errorf("path %q: empty key", p)
		}
		if key != "" {
			out = append(out, step{key: key, index: -1})
		}
		for rest != "" {
			num, after, ok := strings.Cut(rest, "]")
			i, err := strconv.Atoi(num)
			if !ok || err != nil || i < 0 || (after != "" && after[0] != '[') {
				return nil, fmt.Errorf("path %q: bad index", p)
			}
			out = append(out, step{index: i})
			rest = strings.TrimPrefix(after, "[")
		}
	}
	if out[len(out)-1].index >= 0 {
		return nil, fmt.Errorf("path %q: the last step must be a key", p)
	}
	return out, nil
}

// unixLines is what the parser reads: CRLF and lone CR as LF. goccy counts
// a CRLF after a comment or in quoted text as two lines; with LF only its
// line numbers are the file's. Columns do not change.
func unixLines(text []byte) []byte {
	if !bytes.ContainsRune(text, '\r') {
		return text
	}
	text = bytes.ReplaceAll(text, []byte("\r\n"), []byte("\n"))
	return bytes.ReplaceAll(text, []byte("\r"), []byte("\n"))
}

// decode reads the document's values, to compare before and after.
func decode(text []byte) (any, error) {
	var v any
	if err := yaml.UnmarshalWithOptions(unixLines(text), &v); err != nil {
		return nil, fmt.Errorf("cannot read the document (%v): %w", err, ErrRefused)
	}
	return v, nil
}

// expect returns v with e made, as the decoded document must read after
// the edit.
func expect(v any, steps []step, e Edit) (any, error) {
	if len(steps) == 0 {
		return e.Value, nil
	}
	s := steps[0]
	if s.index >= 0 {
		l, ok := v.([]any)
		if !ok || s.index >= len(l) {
			return nil, fmt.Errorf("no element %s: %w", s, ErrRefused)
		}
		l = append([]any(nil), l...)
		var err error
		if l[s.index], err = expect(l[s.index], steps[1:], e); err != nil {
			return nil, err
		}
		return l, nil
	}
	m, ok := v.(map[string]any)
	if v == nil {
		m, ok = map[string]any{}, true
	}
	if !ok {
		return nil, fmt.Errorf("%s is not in a mapping: %w", s, ErrRefused)
	}
	out := make(map[string]any, len(m)+1)
	for k, x := range m {
		out[k] = x
	}
	if len(steps) == 1 && e.Delete {
		delete(out, s.key)
		return out, nil
	}
	next, err := expect(m[s.key], steps[1:], e)
	if err != nil {
		return nil, err
	}
	out[s.key] = next
	return out, nil
}

// doc is one parse of the text being edited.
type doc struct {
	text  []byte
	lines []int // byte offset where each line starts (line 1 at index 0)
	body  ast.Node
}

// parse parses text (one document) and indexes its lines.
func parse(text []byte) (*doc, error) {
	f, err := parser.ParseBytes(unixLines(text), parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("cannot parse the document (%v): %w", err, ErrRefused)
	}
	var body ast.Node
	for _, d := range f.Docs {
		if d == nil || d.Body == nil {
			continue
		}
		if _, directive := d.Body.(*ast.DirectiveNode); directive {
			continue
		}
		if body != nil {
			return nil, fmt.Errorf("more than one YAML document: %w", ErrRefused)
		}
		body = d.Body
	}
	d := &doc{text: text, lines: []int{0}, body: body}
	for i := 0; i < len(text); i++ {
		switch text[i] {
		case '\r':
			if i+1 < len(text) && text[i+1] == '\n' {
				i++
			}
			d.lines = append(d.lines, i+1)
		case '\n':
			d.lines = append(d.lines, i+1)
		}
	}
	return d, nil
}

// offset turns a token's line and column (1-based, columns in characters)
// into a byte offset in the text.
func (d *doc) offset(pos *token.Position) (int, error) {
	if pos == nil || pos.Line < 1 || pos.Line > len(d.lines) || pos.Column < 1 {
		return 0, fmt.Errorf("cannot place a token: %w", ErrRefused)
	}
	off := d.lines[pos.Line-1]
	for c := 1; c < pos.Column; c++ {
		if off >= len(d.text) || d.text[off] == '\n' || d.text[off] == '\r' {
			return 0, fmt.Errorf("cannot place a token at line %d column %d: %w", pos.Line, pos.Column, ErrRefused)
		}
		_, size := utf8.DecodeRune(d.text[off:])
		off += size
	}
	return off, nil
}

// lineEnd returns where line n's text ends and where the next line
// starts (the same at the end of a file without a final line break).
func (d *doc) lineEnd(n int) (end, next int) {
	next = len(d.text)
	if n < len(d.lines) {
		next = d.lines[n]
	}
	end = next
	for end > d.lines[n-1] && (d.text[end-1] == '\n' || d.text[end-1] == '\r') {
		end--
	}
	return end, next
}

// eol is the line ending to give a line added after line n: that line's
// own, else the document's first, else LF.
func (d *doc) eol(n int) string {
	end, next := d.lineEnd(n)
	if next > end {
		return string(d.text[end:next])
	}
	for i := 1; i < len(d.lines); i++ {
		if e, nx := d.lineEnd(i); nx > e {
			return string(d.text[e:nx])
		}
	}
	return "\n"
}

// colon returns the offset of the ':' after mv's key.
func (d *doc) colon(mv *ast.MappingValueNode) (int, error) {
	pos := mv.GetToken().Position
	if off, err := d.offset(pos); err == nil && off < len(d.text) && d.text[off] == ':' {
		return off, nil
	}
	if sp, err := d.scalarSpan(mv.Key.GetToken()); err == nil && sp.end < len(d.text) && d.text[sp.end] == ':' {
		return sp.end, nil
	}
	return 0, fmt.Errorf("the value at line %d cannot be placed: %w", pos.Line, ErrRefused)
}

// span is where a scalar's source text is: text[start:end].
type span struct{ start, end int }

// scalarSpan locates the source text of a one-line scalar token.
func (d *doc) scalarSpan(tk *token.Token) (span, error) {
	raw := strings.TrimSpace(tk.Origin)
	if raw == "" || strings.ContainsAny(raw, "\r\n") {
		return span{}, fmt.Errorf("the value at line %d spans several lines: %w", tk.Position.Line, ErrRefused)
	}
	if off, err := d.offset(tk.Position); err == nil && bytes.HasPrefix(d.text[off:], []byte(raw)) {
		return span{off, off + len(raw)}, nil
	}
	// goccy's columns do not count a tab after the colon; the line does
	// not lie: take the value's one occurrence on it.
	if off, ok := d.onLine(tk.Position.Line, raw); ok {
		return span{off, off + len(raw)}, nil
	}
	return span{}, fmt.Errorf("the value at line %d is not where the parser says: %w", tk.Position.Line, ErrRefused)
}

// onLine returns the offset of the only occurrence of raw on line n.
func (d *doc) onLine(n int, raw string) (int, bool) {
	if n < 1 || n > len(d.lines) {
		return 0, false
	}
	start := d.lines[n-1]
	end, _ := d.lineEnd(n)
	ln := string(d.text[start:end])
	i := strings.Index(ln, raw)
	if i < 0 || strings.Count(ln, raw) != 1 {
		return 0, false
	}
	return start + i, true
}

// entries returns the key/value pairs of a mapping node.
func entries(n ast.Node) (list []*ast.MappingValueNode, flow, ok bool) {
	switch m := n.(type) {
	case *ast.MappingNode:
		return m.Values, m.IsFlowStyle, true
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{m}, false, true
	}
	return nil, false, false
}

// keyOf is a mapping key's text.
func keyOf(mv *ast.MappingValueNode) string {
	if tk := mv.Key.GetToken(); tk != nil {
		return tk.Value
	}
	return ""
}

// find returns the entry of mapping n with key, refusing a key given twice.
func find(n ast.Node, key string) (*ast.MappingValueNode, error) {
	list, _, _ := entries(n)
	var found *ast.MappingValueNode
	for _, mv := range list {
		if keyOf(mv) != key {
			continue
		}
		if found != nil {
			return nil, fmt.Errorf("key %q is given twice (lines %d and %d): %w", key, line(found.Key), line(mv.Key), ErrRefused)
		}
		found = mv
	}
	return found, nil
}

func line(n ast.Node) int {
	if tk := n.GetToken(); tk != nil && tk.Position != nil {
		return tk.Position.Line
	}
	return 0
}

// apply makes one edit on text.
func apply(text []byte, steps []step, e Edit) ([]byte, error) {
	d, err := parse(text)
	if err != nil {
		return nil, err
	}
	if d.body == nil {
		return nil, fmt.Errorf("the document is empty: %w", ErrRefused)
	}
	var parent ast.Node = d.body
	var parentEntry *ast.MappingValueNode // the entry whose value parent is
	for i, s := range steps[:len(steps)-1] {
		if err := plain(parent, steps[:i]); err != nil {
			return nil, err
		}
		if s.index >= 0 {
			seq, ok := parent.(*ast.SequenceNode)
			if !ok || s.index >= len(seq.Values) {
				return nil, fmt.Errorf("no list element %s: %w", pathString(steps[:i+1]), ErrRefused)
			}
			parent, parentEntry = seq.Values[s.index], nil
			continue
		}
		if _, _, ok := entries(parent); !ok {
			if _, null := parent.(*ast.NullNode); !null || parentEntry == nil {
				return nil, fmt.Errorf("%s is not a mapping: %w", pathString(steps[:i]), ErrRefused)
			}
		}
		mv, err := find(parent, s.key)
		if err != nil {
			return nil, err
		}
		if mv == nil {
			if e.Delete {
				return text, nil
			}
			return d.insert(parent, parentEntry, steps[i:], e)
		}
		parent, parentEntry = mv.Value, mv
	}
	if err := plain(parent, steps[:len(steps)-1]); err != nil {
		return nil, err
	}
	last := steps[len(steps)-1]
	if _, _, ok := entries(parent); !ok {
		if _, null := parent.(*ast.NullNode); !null || parentEntry == nil {
			return nil, fmt.Errorf("%s is not a mapping: %w", pathString(steps[:len(steps)-1]), ErrRefused)
		}
	}
	mv, err := find(parent, last.key)
	if err != nil {
		return nil, err
	}
	switch {
	case mv == nil && e.Delete:
		return text, nil
	case mv == nil:
		return d.insert(parent, parentEntry, steps[len(steps)-1:], e)
	case e.Delete:
		return d.remove(parent, mv)
	}
	return d.replace(mv, e.Value)
}

// plain refuses to walk through an anchor, alias or tag: what is edited
// there would show up (or not) elsewhere.
func plain(n ast.Node, at []step) error {
	switch n.(type) {
	case *ast.AnchorNode, *ast.AliasNode, *ast.TagNode:
		return fmt.Errorf("%s at line %d has an anchor, alias or tag; edit it by hand: %w", pathString(at), line(n), ErrRefused)
	}
	return nil
}

func pathString(steps []step) string {
	var b strings.Builder
	for i, s := range steps {
		if i > 0 && s.index < 0 {
			b.WriteByte('.')
		}
		b.WriteString(s.String())
	}
	if b.Len() == 0 {
		return "the document"
	}
	return b.String()
}

// replace sets the scalar value of mv to value, keeping its style.
func (d *doc) replace(mv *ast.MappingValueNode, value string) ([]byte, error) {
	v := mv.Value
	tk := v.GetToken()
	if tk == nil {
		return nil, fmt.Errorf("the value at line %d cannot be placed: %w", line(mv.Key), ErrRefused)
	}
	var at span
	var styles []token.Type
	switch n := v.(type) {
	case *ast.NullNode:
		if tk.Type == token.ImplicitNullType {
			// "key:" with nothing after the colon: the value goes right
			// after it, before any comment.
			colon, err := d.colon(mv)
			if err != nil {
				return nil, err
			}
			return d.splice(span{colon + 1, colon + 1}, value, []token.Type{token.StringType, token.SingleQuoteType, token.DoubleQuoteType}, " ")
		}
		styles = []token.Type{token.StringType, token.SingleQuoteType, token.DoubleQuoteType}
	case *ast.StringNode:
		switch n.Token.Type {
		case token.SingleQuoteType:
			styles = []token.Type{token.SingleQuoteType, token.DoubleQuoteType}
		case token.DoubleQuoteType:
			styles = []token.Type{token.DoubleQuoteType}
		default:
			styles = []token.Type{token.StringType, token.SingleQuoteType, token.DoubleQuoteType}
		}
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		styles = []token.Type{token.StringType, token.SingleQuoteType, token.DoubleQuoteType}
	case *ast.LiteralNode:
		return nil, fmt.Errorf("the value at line %d is a block scalar (| or >); edit it by hand: %w", tk.Position.Line, ErrRefused)
	case *ast.AnchorNode, *ast.AliasNode, *ast.TagNode:
		return nil, fmt.Errorf("the value at line %d has an anchor, alias or tag; edit it by hand: %w", tk.Position.Line, ErrRefused)
	default:
		return nil, fmt.Errorf("the value at line %d is %s, not text: %w", tk.Position.Line, v.Type().YAMLName(), ErrRefused)
	}
	at, err := d.scalarSpan(tk)
	if err != nil {
		return nil, err
	}
	return d.splice(at, value, styles, "")
}

// splice writes value over text[at] in the first of styles that reads
// back as value, with lead before it.
func (d *doc) splice(at span, value string, styles []token.Type, lead string) ([]byte, error) {
	for _, st := range styles {
		src, ok := render(value, st)
		if !ok {
			continue
		}
		out := make([]byte, 0, len(d.text)+len(src)+len(lead))
		out = append(out, d.text[:at.start]...)
		out = append(out, lead...)
		out = append(out, src...)
		out = append(out, d.text[at.end:]...)
		if readsBack(out, at.start+len(lead), src, value) {
			return out, nil
		}
	}
	return nil, fmt.Errorf("no way to write %q there that reads back as the same text: %w", value, ErrRefused)
}

// readsBack reports whether the scalar written at offset off of text is
// read back by the parser as value.
func readsBack(text []byte, off int, src, value string) bool {
	d, err := parse(text)
	if err != nil || d.body == nil {
		return false
	}
	found := false
	ast.Walk(visitFunc(func(n ast.Node) bool {
		if found {
			return false
		}
		tk := n.GetToken()
		if tk == nil || tk.Position == nil {
			return true
		}
		switch n.(type) {
		case *ast.StringNode:
		default:
			return true
		}
		sp, err := d.scalarSpan(tk)
		if err != nil || sp.start != off {
			return true
		}
		found = strings.TrimSpace(tk.Origin) == src && n.(*ast.StringNode).Value == value
		return false
	}), d.body)
	return found
}

// visitFunc adapts a function to ast.Visitor: it returns whether to
// descend.
type visitFunc func(ast.Node) bool

// Visit calls f and descends when it says so.
func (f visitFunc) Visit(n ast.Node) ast.Visitor {
	if f(n) {
		return f
	}
	return nil
}

// render writes value as a scalar of style st, or says it cannot.
func render(value string, st token.Type) (string, bool) {
	if !utf8.ValidString(value) {
		return "", false
	}
	switch st {
	case token.StringType:
		if !plainSafe(value) {
			return "", false
		}
		return value, true
	case token.SingleQuoteType:
		for _, r := range value {
			if !unicode.IsPrint(r) {
				return "", false
			}
		}
		return "'" + strings.ReplaceAll(value, "'", "''") + "'", true
	case token.DoubleQuoteType:
		return doubleQuote(value), true
	}
	return "", false
}

// plainSafe is a conservative test for text that can be written unquoted
// and mean the same in any YAML reader (the parser's read-back check comes
// on top of it).
func plainSafe(s string) bool {
	if s == "" || s != strings.TrimSpace(s) {
		return false
	}
	if strings.ContainsAny(s[:1], "-?:,[]{}#&*!|>'\"%@`") {
		return false
	}
	if strings.Contains(s, ": ") || strings.Contains(s, " #") || strings.HasSuffix(s, ":") || strings.ContainsAny(s, ",[]{}\t") {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	switch strings.ToLower(s) {
	case "~", "null", "true", "false", "yes", "no", "on", "off", "y", "n", ".inf", "-.inf", "+.inf", ".nan":
		return false
	}
	if _, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64); err == nil {
		return false
	}
	if _, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 0, 64); err == nil {
		return false
	}
	return true
}

// doubleQuote writes s as a YAML double-quoted scalar.
func doubleQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case !unicode.IsPrint(r) && r <= 0xFFFF:
			fmt.Fprintf(&b, `\u%04X`, r)
		case !unicode.IsPrint(r):
			fmt.Fprintf(&b, `\U%08X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// remove deletes entry mv of block mapping parent: its whole line.
func (d *doc) remove(parent ast.Node, mv *ast.MappingValueNode) ([]byte, error) {
	if _, flow, _ := entries(parent); flow {
		return nil, fmt.Errorf("cannot delete a key of a flow mapping {...} (line %d); edit it by hand: %w", line(mv.Key), ErrRefused)
	}
	keyTk := mv.Key.GetToken()
	start, err := d.offset(keyTk.Position)
	if err != nil {
		return nil, err
	}
	ln := keyTk.Position.Line
	if strings.TrimSpace(string(d.text[d.lines[ln-1]:start])) != "" {
		return nil, fmt.Errorf("the key at line %d shares its line with another value; edit it by hand: %w", ln, ErrRefused)
	}
	if endLine(mv) != ln {
		return nil, fmt.Errorf("the value of the key at line %d spans several lines; edit it by hand: %w", ln, ErrRefused)
	}
	_, next := d.lineEnd(ln)
	out := append(append([]byte(nil), d.text[:d.lines[ln-1]]...), d.text[next:]...)
	return out, nil
}

// endLine is the last line a node's tokens reach.
func endLine(n ast.Node) int {
	last := 0
	ast.Walk(visitFunc(func(x ast.Node) bool {
		if tk := x.GetToken(); tk != nil && tk.Position != nil {
			l := tk.Position.Line + strings.Count(strings.TrimSpace(tk.Origin), "\n")
			last = max(last, l)
		}
		return true
	}), n)
	return last
}

// insert adds the missing keys steps (the last holding e.Value) to the
// mapping parent, or under the key whose value parent is when it is empty.
func (d *doc) insert(parent ast.Node, parentEntry *ast.MappingValueNode, steps []step, e Edit) ([]byte, error) {
	for _, s := range steps {
		if s.index >= 0 {
			return nil, fmt.Errorf("cannot add list elements: %w", ErrRefused)
		}
	}
	list, flow, isMap := entries(parent)
	if flow {
		if len(steps) > 1 {
			return nil, fmt.Errorf("cannot add a mapping inside a flow mapping {...} (line %d); edit it by hand: %w", line(parent), ErrRefused)
		}
		return d.insertFlow(parent.(*ast.MappingNode), list, steps[0].key, e.Value)
	}
	// Where the new lines go, and how far they are indented.
	var after, indent int
	if isMap && len(list) > 0 {
		indent = list[0].Key.GetToken().Position.Column - 1
		after = endLine(list[len(list)-1])
		if e.After != nil && len(steps) >= 1 {
			after = -1
			for _, mv := range list {
				for _, k := range e.After {
					if keyOf(mv) == k && endLine(mv) > after {
						after = endLine(mv)
					}
				}
			}
			if after < 0 {
				// First among its siblings: before the first key, unless
				// that key shares its line ("- name: x").
				first := list[0].Key.GetToken().Position
				off, err := d.offset(first)
				if err != nil {
					return nil, err
				}
				if strings.TrimSpace(string(d.text[d.lines[first.Line-1]:off])) == "" {
					after = first.Line - 1
				} else {
					after = endLine(list[0])
				}
			}
		}
	} else if parentEntry != nil {
		// "key:" with an empty value: the new keys go below it, one step
		// deeper.
		keyPos := parentEntry.Key.GetToken().Position
		indent = keyPos.Column - 1 + d.indentStep()
		after = keyPos.Line
		if _, null := parent.(*ast.NullNode); !null {
			return nil, fmt.Errorf("%s at line %d is not a mapping: %w", keyOf(parentEntry), keyPos.Line, ErrRefused)
		}
		if tk := parent.GetToken(); tk != nil && tk.Type != token.ImplicitNullType {
			return nil, fmt.Errorf("%s at line %d is null (~); edit it by hand: %w", keyOf(parentEntry), keyPos.Line, ErrRefused)
		}
	} else {
		return nil, fmt.Errorf("no mapping to add %s to: %w", steps[0].key, ErrRefused)
	}
	var eol string
	var at int
	prefix := ""
	if after == 0 {
		at = 0
		eol = d.eol(1)
	} else {
		end, next := d.lineEnd(after)
		eol = d.eol(after)
		at = next
		if next == end {
			prefix = eol // the last line had no line break
		}
	}
	var add strings.Builder
	add.WriteString(prefix)
	for i, s := range steps {
		add.WriteString(strings.Repeat(" ", indent+i*d.indentStep()))
		add.WriteString(s.key)
		add.WriteString(":")
		if i < len(steps)-1 {
			add.WriteString(eol)
		}
	}
	out := append(append([]byte(nil), d.text[:at]...), add.String()...)
	valueAt := len(out)
	tail := eol
	if prefix != "" {
		tail = ""
	}
	for _, st := range []token.Type{token.StringType, token.SingleQuoteType, token.DoubleQuoteType} {
		src, ok := render(e.Value, st)
		if !ok {
			continue
		}
		try := append(append(append(append([]byte(nil), out...), ' '), src...), tail...)
		try = append(try, d.text[at:]...)
		if readsBack(try, valueAt+1, src, e.Value) {
			return try, nil
		}
	}
	return nil, fmt.Errorf("no way to write %q there that reads back as the same text: %w", e.Value, ErrRefused)
}

// insertFlow adds key: value as the last entry of a flow mapping.
func (d *doc) insertFlow(m *ast.MappingNode, list []*ast.MappingValueNode, key, value string) ([]byte, error) {
	var at int
	sep := ", "
	if len(list) == 0 {
		off, err := d.offset(m.Start.Position)
		if err != nil {
			return nil, err
		}
		at, sep = off+1, ""
	} else {
		lastV := list[len(list)-1].Value
		tk := lastV.GetToken()
		switch lastV.(type) {
		case *ast.StringNode, *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.NullNode:
		default:
			return nil, fmt.Errorf("cannot add a key after the value at line %d; edit it by hand: %w", line(lastV), ErrRefused)
		}
		if tk == nil || tk.Type == token.ImplicitNullType {
			return nil, fmt.Errorf("cannot add a key after the value at line %d; edit it by hand: %w", line(lastV), ErrRefused)
		}
		sp, err := d.scalarSpan(tk)
		if err != nil {
			return nil, err
		}
		at = sp.end
	}
	for _, st := range []token.Type{token.StringType, token.SingleQuoteType, token.DoubleQuoteType} {
		src, ok := render(value, st)
		if !ok {
			continue
		}
		add := sep + key + ": "
		try := append(append(append(append([]byte(nil), d.text[:at]...), add...), src...), d.text[at:]...)
		if readsBack(try, at+len(add), src, value) {
			return try, nil
		}
	}
	return nil, fmt.Errorf("no way to write %q there that reads back as the same text: %w", value, ErrRefused)
}

// indentStep is how far the document indents a nested mapping: the first
// key that is deeper than its parent's key says, else 2.
func (d *doc) indentStep() int {
	step := 0
	ast.Walk(visitFunc(func(n ast.Node) bool {
		if step > 0 {
			return false
		}
		mv, ok := n.(*ast.MappingValueNode)
		if !ok {
			return true
		}
		if inner, ok := mv.Value.(*ast.MappingNode); ok && !inner.IsFlowStyle && len(inner.Values) > 0 {
			outer, in := mv.Key.GetToken().Position, inner.Values[0].Key.GetToken().Position
			if in.Line > outer.Line && in.Column > outer.Column {
				step = in.Column - outer.Column
				return false
			}
		}
		return true
	}), d.body)
	if step <= 0 {
		return 2
	}
	return step
}
