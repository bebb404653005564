package inventory

import (
	"fmt"
	"math"
	"reflect"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// The structural pass walks the YAML tree alongside the Go types before
// anything is decoded. goccy's decoder stops at the first unknown key or
// wrong type; this pass reports all of them, with the key path, and records
// where every key and value sits so later (semantic) problems can be placed
// too. The decoder still has the last word: whatever this pass lets through
// and goccy rejects is reported from goccy's error (see decodeProblem).

// position is a 1-based line and column in the inventory file.
type position struct{ line, col int }

// locator maps key paths (nodes[1].transport.kind) to positions.
type locator struct {
	value map[string]position // where the value of the path starts
	byPos map[position]string // position of a key or value → its path
}

func newLocator() *locator {
	return &locator{value: map[string]position{}, byPos: map[position]string{}}
}

// find returns the position of field's value or, when the field is absent
// from the document, of the nearest enclosing mapping that is present: the
// place where the missing key belongs. It returns 0, 0 without a document.
func (l *locator) find(field string) (line, col int) {
	if l == nil {
		return 0, 0
	}
	for p := field; ; p = parentPath(p) {
		if pos, ok := l.value[p]; ok {
			return pos.line, pos.col
		}
		if p == "" {
			return 0, 0
		}
	}
}

// record remembers where path's key and value are.
func (l *locator) record(path string, key, value position) {
	l.value[path] = value
	if _, taken := l.byPos[key]; !taken {
		l.byPos[key] = path
	}
	if _, taken := l.byPos[value]; !taken {
		l.byPos[value] = path
	}
}

// parentPath strips the last key or index from a path: nodes[1].role →
// nodes[1] → nodes → "".
func parentPath(p string) string {
	if strings.HasSuffix(p, "]") {
		if i := strings.LastIndexByte(p, '['); i >= 0 {
			return p[:i]
		}
	}
	if i := strings.LastIndexByte(p, '.'); i >= 0 {
		return p[:i]
	}
	return ""
}

// childPath appends a key to a path.
func childPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

func tokenPos(tk *token.Token) position {
	if tk == nil || tk.Position == nil {
		return position{}
	}
	return position{tk.Position.Line, tk.Position.Column}
}

// nodePos is where a value starts as the administrator sees it: the first
// key of a block mapping rather than goccy's token for it (the first ':').
func nodePos(n ast.Node) position {
	if m, ok := n.(*ast.MappingNode); ok && !m.IsFlowStyle && len(m.Values) > 0 {
		return tokenPos(m.Values[0].Key.GetToken())
	}
	return tokenPos(n.GetToken())
}

var dateType = reflect.TypeFor[Date]()

// structure is the structural pass over one document.
type structure struct {
	loc *locator
	ps  *problems
}

// walk checks node n against Go type t; path names n in messages.
func (s *structure) walk(n ast.Node, t reflect.Type, path string) {
	n = unwrap(n)
	switch n.(type) {
	case nil, *ast.NullNode:
		return // absent: the zero value, judged by validation
	case *ast.AliasNode:
		// Aliases would place a problem in one spot and its cause in
		// another, and nested ones let a small file expand without bound.
		s.ps.add(path, "aliases (*name) are not supported in an inventory; write the values out")
		return
	}
	switch {
	case t == dateType:
		s.date(n, path)
	case t.Kind() == reflect.Struct:
		s.mapping(n, t, path)
	case t.Kind() == reflect.Slice:
		seq, ok := n.(*ast.SequenceNode)
		if !ok {
			s.typeProblem(n, path, "a list")
			return
		}
		for i, elem := range seq.Values {
			p := fmt.Sprintf("%s[%d]", path, i)
			pos := nodePos(unwrap(elem))
			s.loc.record(p, pos, pos)
			s.walk(elem, t.Elem(), p)
		}
	case t.Kind() == reflect.String:
		if !isScalar(n) {
			s.typeProblem(n, path, "text")
		}
	case t.Kind() == reflect.Bool:
		if _, ok := n.(*ast.BoolNode); !ok {
			s.typeProblem(n, path, "true or false")
		}
	case t.Kind() == reflect.Int:
		v, num := numberValue(n)
		if i, ok := n.(*ast.IntegerNode); ok {
			switch x := i.Value.(type) {
			case int64:
				return // its range is validate's, with the other problems
			case uint64:
				if x <= math.MaxInt64 {
					return
				}
			}
		}
		// A number the decoder cannot hold (99999999999999999999, past
		// int64, which the lexer reads as text; 1e400; .inf) is said
		// with the key's range, not as "found text".
		if why := outOfRange(path, v); num && why != "" {
			s.ps.add(path, "%s", why)
			return
		}
		s.typeProblem(n, path, "a whole number")
	case t.Kind() == reflect.Float64:
		v, num := numberValue(n)
		if !num {
			s.typeProblem(n, path, "a number")
			return
		}
		// The lexer reads 1e308 as text, which decodes; 1e400 (past
		// float64) it cannot: said with the key's range. Other values
		// are held to their range by validate, with the other problems.
		if _, text := n.(*ast.StringNode); text && math.IsInf(v, 0) {
			why := outOfRange(path, v)
			if why == "" {
				why = "is too large a number"
			}
			s.ps.add(path, "%s", why)
		}
	}
}

// mapping checks the keys of a mapping against the yaml keys of struct t:
// unknown and repeated keys are problems, known keys are walked.
func (s *structure) mapping(n ast.Node, t reflect.Type, path string) {
	var entries []*ast.MappingValueNode
	switch m := n.(type) {
	case *ast.MappingNode:
		entries = m.Values
	case *ast.MappingValueNode:
		entries = []*ast.MappingValueNode{m}
	default:
		s.typeProblem(n, path, "a mapping of keys")
		return
	}
	fields := yamlFields(t)
	seen := map[string]position{}
	for _, e := range entries {
		if e.Key == nil {
			continue
		}
		name := keyName(e.Key)
		keyPos := tokenPos(e.Key.GetToken())
		p := childPath(path, name)
		if _, merge := e.Key.(*ast.MergeKeyNode); merge {
			s.ps.addAt(keyPos.line, keyPos.col, p, "merge keys (<<) are not supported in an inventory; write the values out")
			continue
		}
		if first, dup := seen[name]; dup {
			s.ps.addAt(keyPos.line, keyPos.col, p, fmt.Sprintf("key appears twice (first on line %d)", first.line))
			continue
		}
		seen[name] = keyPos
		field, known := fields[name]
		if !known {
			s.ps.addAt(keyPos.line, keyPos.col, p, unknownKey(name, yamlKeys(t)))
			continue
		}
		valuePos := keyPos
		if v := unwrap(e.Value); v != nil {
			if _, null := v.(*ast.NullNode); !null {
				valuePos = nodePos(v)
			}
		}
		s.loc.record(p, keyPos, valuePos)
		s.walk(e.Value, field.Type, p)
	}
}

// date checks a YYYY-MM-DD value.
func (s *structure) date(n ast.Node, path string) {
	str, ok := n.(*ast.StringNode)
	if !ok {
		s.typeProblem(n, path, "a date (YYYY-MM-DD)")
		return
	}
	if _, err := ParseDate(str.Value); err != nil {
		s.ps.add(path, "%v, e.g. 2026-12-31", err)
	}
}

// typeProblem reports a value of the wrong kind. The value itself is not
// quoted: a misplaced secret (a DSN pasted under database:) must not be
// echoed.
func (s *structure) typeProblem(n ast.Node, path, want string) {
	s.ps.add(path, "expected %s, found %s", want, describeNode(n))
}

// unwrap looks through anchors (&name) and explicit tags (!!str) to the
// value itself.
func unwrap(n ast.Node) ast.Node {
	for {
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.TagNode:
			n = v.Value
		default:
			return n
		}
	}
}

// isScalar reports whether n is a plain value the decoder turns into text.
func isScalar(n ast.Node) bool {
	switch n.(type) {
	case *ast.StringNode, *ast.LiteralNode, *ast.IntegerNode, *ast.FloatNode,
		*ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		return true
	}
	return false
}

// describeNode names the kind of a YAML value in an administrator's words.
func describeNode(n ast.Node) string {
	switch n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.StringNode, *ast.LiteralNode:
		return "text"
	case *ast.IntegerNode:
		return "a whole number"
	case *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return "a decimal number"
	case *ast.BoolNode:
		return "true/false"
	}
	return n.Type().YAMLName()
}

// keyName is the text of a mapping key.
func keyName(k ast.MapKeyNode) string {
	if s, ok := k.(*ast.StringNode); ok {
		return s.Value
	}
	if tk := k.GetToken(); tk != nil {
		return tk.Value
	}
	return k.String()
}

// yamlFields maps the yaml keys of struct t to their fields.
func yamlFields(t reflect.Type) map[string]reflect.StructField {
	fields := map[string]reflect.StructField{}
	for f := range t.Fields() {
		if name := yamlName(f); name != "" {
			fields[name] = f
		}
	}
	return fields
}

// yamlKeys lists the yaml keys of struct t in declaration order.
func yamlKeys(t reflect.Type) []string {
	var keys []string
	for f := range t.Fields() {
		if name := yamlName(f); name != "" {
			keys = append(keys, name)
		}
	}
	return keys
}

// yamlName is the key of a struct field in the inventory, or "" for fields
// that are not read from YAML (yaml:"-", unexported, untagged).
func yamlName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "-" {
		return ""
	}
	return name
}

// unknownKey explains an unknown key, suggesting the closest known one when
// it looks like a typo.
func unknownKey(name string, known []string) string {
	if guess := closest(name, known); guess != "" {
		return fmt.Sprintf("unknown key; did you mean %q?", guess)
	}
	return "unknown key (allowed here: " + strings.Join(known, ", ") + ")"
}

// closest returns the candidate a typo of s most likely meant, or "": at
// most two edits away, and fewer edits than half the length of s (so short
// keys do not "match" unrelated ones).
func closest(s string, candidates []string) string {
	s = strings.ToLower(s)
	best, bestDist := "", 3
	for _, c := range candidates {
		if d := editDistance(s, c); d < bestDist && 2*d < len([]rune(s)) {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance counts the insertions, deletions, substitutions and swaps of
// neighbours that turn a into b (optimal string alignment distance).
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	rows := [3][]int{make([]int, len(rb)+1), make([]int, len(rb)+1), make([]int, len(rb)+1)}
	for j := range rows[1] {
		rows[1][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		before, prev, cur := rows[0], rows[1], rows[2]
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], before[j-2]+1)
			}
		}
		rows[0], rows[1], rows[2] = prev, cur, before
	}
	return rows[1][len(rb)]
}
