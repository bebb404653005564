package machinekey

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/beevik/etree"

	"github.com/tmsdrift/tmsdrift/internal/wintext"
)

// Splice returns raw, a web.config, with k as its effective machineKey and
// every other byte as it was: byte order mark, line endings, indentation,
// comments, attribute order and quoting, <location> blocks. A TMS upgrade
// rewrites web.config and drops the key; putting it back must not turn a
// one-line restore into a whole-file diff that an operator cannot review,
// and etree's own writer re-spells the file (docs: "etree on web.config").
//
// When the file has an effective <machineKey> (see FromWebConfig), only the
// values of its validationKey, decryptionKey, validation and decryption
// attributes change, each keeping its quote character; an attribute k sets
// that the element lacks is appended, and every other <machineKey> of the
// application (see Duplicate) is removed with its line, so exactly one is
// left. A sub-path's second key (see Duplicate) is removed in either case;
// its first stays as it is. Otherwise a <machineKey> element is
// added as the last child of /configuration/system.web, indented like that
// element's first child and on its own line when the children are on theirs;
// a self-closing <system.web/> is opened to hold it, and a file without
// <system.web> gets one. Splicing a file that already carries k returns it
// unchanged.
//
// raw must be well-formed (UTF-8 or UTF-16, as FromWebConfig reads): a file
// that is not is never rewritten. k must have fixed keys. Errors never quote
// key material. The result holds the keys: never print it.
func Splice(raw []byte, k Key) ([]byte, error) {
	if !k.Fixed() {
		return nil, fmt.Errorf("splice machineKey: the key has no fixed keys (validationKey=%s decryptionKey=%s)",
			describeKeyValue(k.ValidationKey), describeKeyValue(k.DecryptionKey))
	}
	doc, err := parseXML(raw, "web.config", false)
	if err != nil {
		return nil, err
	}
	enc := wintext.Detect(raw, xmlStart)
	text, spans := raw, doc.spans
	if enc.UTF16 {
		// Offsets are only known for the decoded text: splice that, then
		// encode it again, which gives back the original bytes everywhere
		// else (checked by encode).
		if text, spans, err = utf16Spans(raw, doc); err != nil {
			return nil, err
		}
	}
	out, err := spliceText(text, doc, spans, k)
	if err != nil {
		return nil, err
	}
	if enc.UTF16 {
		if out, err = encodeLike(enc, raw, text, out); err != nil {
			return nil, err
		}
	}
	// The spliced file must say what was asked; anything else is a bug
	// here, and a wrong key in production is worse than no fix.
	got, err := FromWebConfig(out)
	switch {
	case err != nil:
		return nil, fmt.Errorf("splice machineKey: the result does not parse: %w", err)
	case got == nil || !got.Fixed() || !got.Equal(k):
		return nil, errors.New("splice machineKey: the result does not carry the key")
	}
	if dups, err := Duplicates(out); err != nil || len(dups) > 0 {
		return nil, errors.New("splice machineKey: the result does not carry exactly one key for the application and for each sub-path")
	}
	return out, nil
}

// spliceText does Splice on UTF-8 text whose elements sit at spans.
func spliceText(text []byte, doc *document, spans map[*etree.Element]span, k Key) ([]byte, error) {
	spanOf := func(el *etree.Element) (span, error) {
		s, ok := spans[el]
		if !ok {
			return span{}, errors.New("splice machineKey: element position unknown")
		}
		return s, nil
	}
	mk, err := effectiveMachineKey(doc.tree)
	if err != nil {
		return nil, err
	}
	// A second key for one sub-path goes too (see Duplicate); the first
	// one for that path is not tmsdrift's to change.
	var removals []edit
	for _, dup := range subPathDuplicates(doc.tree) {
		ds, err := spanOf(dup.extra)
		if err != nil {
			return nil, err
		}
		removals = append(removals, removal(text, ds))
	}
	if mk != nil {
		s, err := spanOf(mk)
		if err != nil {
			return nil, err
		}
		edits, err := attributeEdits(text, s, k)
		if err != nil {
			return nil, err
		}
		// A second key for the application stops IIS from loading the
		// file (see Duplicate): the effective one gets k, the others go.
		for _, dup := range extraMachineKeys(doc.tree, mk) {
			ds, err := spanOf(dup)
			if err != nil {
				return nil, err
			}
			edits = append(edits, removal(text, ds))
		}
		return applyEdits(text, append(edits, removals...)), nil
	}
	root := doc.tree.Root()
	element := Element(k)
	var inserted []byte
	if sw := firstChildNamed(root, elemSystemWeb); sw != nil {
		s, err := spanOf(sw)
		if err != nil {
			return nil, err
		}
		inserted = insertChild(text, s, func(_, _, _ string) string { return element })
	} else {
		s, err := spanOf(root)
		if err != nil {
			return nil, err
		}
		inserted = insertChild(text, s, func(indent, unit, nl string) string {
			return "<" + elemSystemWeb + ">" + nl + indent + unit + element + nl + indent + "</" + elemSystemWeb + ">"
		})
	}
	if len(removals) == 0 {
		return inserted, nil
	}
	// The insertion lies inside /configuration/system.web (or where it
	// opens), the removals inside sub-path <location>s: as edits of the
	// same text they do not overlap.
	return applyEdits(text, append(removals, changeOf(text, inserted))), nil
}

// changeOf is the one edit that turns text into changed, which differs
// from it in one contiguous stretch: what both share at the start and at
// the end is left out of it.
func changeOf(text, changed []byte) edit {
	pre := 0
	for pre < len(text) && pre < len(changed) && text[pre] == changed[pre] {
		pre++
	}
	suf := 0
	for suf < len(text)-pre && suf < len(changed)-pre && text[len(text)-1-suf] == changed[len(changed)-1-suf] {
		suf++
	}
	return edit{from: pre, to: len(text) - suf, with: string(changed[pre : len(changed)-suf])}
}

// edit replaces text[from:to] with with.
type edit struct {
	from, to int
	with     string
}

// applyEdits makes edits, which do not overlap, to text.
func applyEdits(text []byte, edits []edit) []byte {
	sort.Slice(edits, func(i, j int) bool { return edits[i].from < edits[j].from })
	var b bytes.Buffer
	b.Grow(len(text) + 256)
	last := 0
	for _, e := range edits {
		b.Write(text[last:e.from])
		b.WriteString(e.with)
		last = e.to
	}
	b.Write(text[last:])
	return b.Bytes()
}

// attributeEdits are the edits that give the start tag at s the key
// attributes of k.
func attributeEdits(text []byte, s span, k Key) ([]edit, error) {
	tag := text[s.start:s.startTagEnd]
	attrs, insertAt, err := scanStartTag(tag)
	if err != nil {
		return nil, err
	}
	n := k.Normalized()
	want := []struct{ name, value, normalized string }{
		{attrValidationKey, k.ValidationKey, n.ValidationKey},
		{attrDecryptionKey, k.DecryptionKey, n.DecryptionKey},
		{attrValidation, k.Validation, n.Validation},
		{attrDecryption, k.Decryption, n.Decryption},
	}
	var edits []edit
	var appended strings.Builder
	for _, w := range want {
		a, ok := attrs[w.name]
		switch {
		case ok:
			// An attribute the key leaves out takes the IIS default, so
			// an existing one is set to the default rather than removed.
			v := w.value
			if v == "" {
				v = w.normalized
			}
			// The same hex key in another case stays as it is spelled:
			// hex digits read the same in either case, and a fix keeps
			// every byte it need not change (the plan's diff, which shows
			// keys as fingerprints, could not show a change of case).
			// Algorithm names are written as the key spells them.
			have := string(tag[a.valueStart:a.valueEnd])
			sameHex := (w.name == attrValidationKey || w.name == attrDecryptionKey) && asciiUpper(have) == asciiUpper(escapeAttr(v, a.quote))
			if !sameHex && escapeAttr(v, a.quote) != have {
				edits = append(edits, edit{s.start + a.valueStart, s.start + a.valueEnd, escapeAttr(v, a.quote)})
			}
		case w.value != "":
			appended.WriteString(" " + w.name + `="` + escapeAttr(w.value, '"') + `"`)
		}
	}
	if appended.Len() > 0 {
		edits = append(edits, edit{s.start + insertAt, s.start + insertAt, appended.String()})
	}
	return edits, nil
}

// removal is the edit that deletes the element at s: its whole line, line
// end included, when nothing else is on that line; otherwise the element
// alone.
func removal(text []byte, s span) edit {
	from, to := s.start, s.end
	for from > 0 && (text[from-1] == ' ' || text[from-1] == '\t') {
		from--
	}
	for to < len(text) && (text[to] == ' ' || text[to] == '\t') {
		to++
	}
	aloneOnLine := (from == 0 || text[from-1] == '\n') && (to == len(text) || text[to] == '\r' || text[to] == '\n')
	if !aloneOnLine {
		return edit{s.start, s.end, ""}
	}
	if to < len(text) && text[to] == '\r' {
		to++
	}
	if to < len(text) && text[to] == '\n' {
		to++
	}
	return edit{from, to, ""}
}

// attrPos is where one attribute's value sits in a start tag.
type attrPos struct {
	valueStart, valueEnd int // tag[valueStart:valueEnd] is the value, quotes excluded
	quote                byte
}

// scanStartTag finds the unprefixed attributes of a well-formed start tag
// ("<name a='1' b=\"2\" />") and the offset just after the last attribute
// (or the name), where a new attribute goes.
func scanStartTag(tag []byte) (map[string]attrPos, int, error) {
	bad := errors.New("splice machineKey: cannot read the <machineKey> start tag")
	i := 1 // past "<"
	for i < len(tag) && !isXMLSpace(tag[i]) && tag[i] != '/' && tag[i] != '>' {
		i++
	}
	insertAt := i
	attrs := map[string]attrPos{}
	for {
		for i < len(tag) && isXMLSpace(tag[i]) {
			i++
		}
		if i >= len(tag) {
			return nil, 0, bad
		}
		if tag[i] == '/' || tag[i] == '>' {
			return attrs, insertAt, nil
		}
		nameStart := i
		for i < len(tag) && !isXMLSpace(tag[i]) && tag[i] != '=' {
			i++
		}
		name := string(tag[nameStart:i])
		for i < len(tag) && isXMLSpace(tag[i]) {
			i++
		}
		if i >= len(tag) || tag[i] != '=' {
			return nil, 0, bad
		}
		i++
		for i < len(tag) && isXMLSpace(tag[i]) {
			i++
		}
		if i >= len(tag) || (tag[i] != '"' && tag[i] != '\'') {
			return nil, 0, bad
		}
		quote := tag[i]
		end := bytes.IndexByte(tag[i+1:], quote)
		if end < 0 {
			return nil, 0, bad
		}
		pos := attrPos{valueStart: i + 1, valueEnd: i + 1 + end, quote: quote}
		if !strings.Contains(name, ":") {
			attrs[name] = pos
		}
		i = pos.valueEnd + 1
		insertAt = i
	}
}

func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// singleQuoteEscaper escapes a value for a single-quoted attribute, as
// attrEscaper does for a double-quoted one.
var singleQuoteEscaper = strings.NewReplacer(
	"&", "&amp;", "<", "&lt;", ">", "&gt;", "'", "&apos;",
	"\t", "&#x9;", "\n", "&#xA;", "\r", "&#xD;",
)

// escapeAttr escapes v for an attribute quoted with quote.
func escapeAttr(v string, quote byte) string {
	if quote == '\'' {
		return singleQuoteEscaper.Replace(v)
	}
	return attrEscaper.Replace(v)
}

// insertChild adds child(indent, unit, newline) as the last child of the
// element at s; indent is the child's own indentation, unit one level more,
// for a child that spans lines. The child is indented like the element's first child (one level
// deeper than the element when it has none), and goes on its own line when
// the element's content starts on a new line. A self-closing element is
// opened. The newline is the file's own (CRLF when the file uses it).
func insertChild(text []byte, s span, child func(indent, unit, nl string) string) []byte {
	nl := "\n"
	if bytes.Contains(text, []byte("\r\n")) {
		nl = "\r\n"
	}
	own := lineIndent(text, s.start)
	unit := indentUnit(text, s.start, own)
	inner := own + unit

	var b bytes.Buffer
	b.Grow(len(text) + 512)
	if s.startTagEnd == s.end { // <system.web ... />
		open := bytes.TrimRight(text[s.start:s.startTagEnd-2], " \t\r\n")
		name := elementName(text[s.start:s.startTagEnd])
		b.Write(text[:s.start])
		b.Write(open)
		b.WriteString(">" + nl + inner + child(inner, unit, nl) + nl + own + "</" + name + ">")
		b.Write(text[s.end:])
		return b.Bytes()
	}
	endTag := s.start + bytes.LastIndex(text[s.start:s.end], []byte("</"))
	content := text[s.startTagEnd:endTag]
	lead := content[:len(content)-len(bytes.TrimLeft(content, " \t\r\n"))]
	if len(lead) == len(content) { // no children: only whitespace, or nothing
		b.Write(text[:s.startTagEnd])
		b.WriteString(nl + inner + child(inner, unit, nl))
		if len(content) == 0 || !bytes.ContainsAny(content, "\n") {
			b.WriteString(nl + own)
		}
		b.Write(text[s.startTagEnd:])
		return b.Bytes()
	}
	// Copy the whitespace that precedes the first child: a line break and
	// its indentation, or the spacing of a one-line element.
	sep := string(lead)
	if i := strings.LastIndexAny(sep, "\n"); i >= 0 {
		sep = nl + sep[i+1:]
	}
	childIndent := strings.TrimLeft(sep, "\r\n")
	at := endTag - (len(content) - len(bytes.TrimRight(content, " \t\r\n")))
	b.Write(text[:at])
	b.WriteString(sep + child(childIndent, unit, nl))
	b.Write(text[at:])
	return b.Bytes()
}

// elementName returns the name in a start tag.
func elementName(tag []byte) string {
	i := 1
	for i < len(tag) && !isXMLSpace(tag[i]) && tag[i] != '/' && tag[i] != '>' {
		i++
	}
	return string(tag[1:i])
}

// lineIndent returns the whitespace between the start of the line holding
// offset at and at, or "" when something else precedes at on its line.
func lineIndent(text []byte, at int) string {
	i := at
	for i > 0 && (text[i-1] == ' ' || text[i-1] == '\t') {
		i--
	}
	if i > 0 && text[i-1] != '\n' {
		return ""
	}
	return string(text[i:at])
}

// indentUnit guesses one level of indentation: how much deeper the element
// at offset at (indented by own) is than the nearest earlier line that opens
// an element less indented, else the file's first indentation (a tab, or the
// smallest run of spaces), else a tab.
func indentUnit(text []byte, at int, own string) string {
	if lineStart := at - len(own); own != "" && lineStart > 0 {
		lines := bytes.Split(text[:lineStart], []byte("\n"))
		for i := len(lines) - 1; i >= 0; i-- {
			line := bytes.TrimRight(lines[i], "\r")
			trimmed := bytes.TrimLeft(line, " \t")
			if len(trimmed) == 0 || trimmed[0] != '<' || bytes.HasPrefix(trimmed, []byte("</")) || bytes.HasPrefix(trimmed, []byte("<!")) {
				continue
			}
			indent := string(line[:len(line)-len(trimmed)])
			if len(indent) < len(own) {
				if strings.HasPrefix(own, indent) {
					return own[len(indent):]
				}
				break
			}
		}
	}
	smallest := ""
	for _, line := range bytes.Split(text, []byte("\n")) {
		switch {
		case bytes.HasPrefix(line, []byte("\t")):
			return "\t"
		case bytes.HasPrefix(line, []byte(" ")):
			n := len(line) - len(bytes.TrimLeft(line, " "))
			if n < len(bytes.TrimRight(line, "\r")) && (smallest == "" || n < len(smallest)) {
				smallest = strings.Repeat(" ", n)
			}
		}
	}
	if smallest != "" {
		return smallest
	}
	return "\t"
}

// encodeLike writes spliced (UTF-8) back in the file's UTF-16 form, after
// checking that the untouched text encodes to exactly the original bytes
// (an unpaired surrogate would not, and would be changed silently).
func encodeLike(enc wintext.Encoding, raw, text, spliced []byte) ([]byte, error) {
	if !enc.RoundTrips(raw, text) {
		return nil, errors.New("splice machineKey: web.config's UTF-16 does not encode back to the same bytes; not rewritten")
	}
	out, err := enc.Encode(spliced)
	if err != nil {
		return nil, fmt.Errorf("splice machineKey: %w", err)
	}
	return out, nil
}

// utf16Spans decodes a UTF-16 web.config and finds the element positions in
// the decoded text, which parseXML leaves out for transcoded files.
func utf16Spans(raw []byte, doc *document) ([]byte, map[*etree.Element]span, error) {
	text, _, _, err := decodeText(raw, "web.config")
	if err != nil {
		return nil, nil, err
	}
	// The declaration names UTF-16 while the text is now UTF-8: parseXML
	// has checked it already, so any label is accepted here.
	anyCharset := func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	list, err := checkWellFormed(text, "web.config", false, anyCharset)
	if err != nil {
		return nil, nil, err
	}
	elements := descendantElements(&doc.tree.Element)
	if len(elements) != len(list) {
		return nil, nil, errors.New("splice machineKey: element positions do not match the tree")
	}
	spans := make(map[*etree.Element]span, len(list))
	for i, el := range elements {
		spans[el] = list[i]
	}
	return text, spans, nil
}
