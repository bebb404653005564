package machinekey

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/beevik/etree"

	"github.com/tmsdrift/tmsdrift/internal/wintext"
)

// Element and attribute names. ASP.NET's configuration system compares them
// case-sensitively, and so does this package: <MachineKey> is not a key.
const (
	elemConfiguration = "configuration"
	elemSystemWeb     = "system.web"
	elemLocation      = "location"
	elemMachineKey    = "machineKey"

	attrPath          = "path"
	attrValidationKey = "validationKey"
	attrDecryptionKey = "decryptionKey"
	attrValidation    = "validation"
	attrDecryption    = "decryption"
)

// FromWebConfig returns the machineKey that takes effect for the TMS web
// application of a web.config, or (nil, nil) when it has none. It counts a
// <machineKey> directly under /configuration/system.web, or under a
// <location> whose path is absent, "" or "." (the application itself); one
// under <location path="api"> configures a sub-path and does not count. When
// both kinds exist, the one directly under system.web wins, then the first
// location one. Comments are not elements, so a commented-out key is no key,
// and an xmlns on <configuration> (ASP.NET 2.0 files) is ignored.
//
// The file may be UTF-8 (with or without BOM) or UTF-16 (with a BOM, or
// without one when it starts with "<?"); a declaration of any other encoding
// is an error. An error says where the file is not well-formed, without
// quoting key material.
func FromWebConfig(raw []byte) (*Key, error) {
	doc, err := parseXML(raw, "web.config", false)
	if err != nil {
		return nil, err
	}
	el, err := effectiveMachineKey(doc.tree)
	if err != nil || el == nil {
		return nil, err
	}
	k := keyFromElement(el)
	return &k, nil
}

// ParseKeyFile reads the approved key from the contents of a key file
// (inventory machine_key.file): one <machineKey .../> element, optionally
// with an XML declaration and comments around it. Anything else is an error:
// no <machineKey>, several, another element (a whole web.config: its
// effective key is what machine_key.node is for), or a key without fixed
// keys, since an approved key that is not fixed cannot be shared by nodes.
func ParseKeyFile(raw []byte) (*Key, error) {
	doc, err := parseXML(raw, "key file", true)
	if err != nil {
		return nil, err
	}
	roots := doc.tree.ChildElements()
	for _, root := range roots {
		if !named(root, elemMachineKey) {
			return nil, fmt.Errorf("key file holds <%s>, want only a <%s> element", redactHexRuns(root.FullTag(), minSecretHexRun), elemMachineKey)
		}
	}
	switch len(roots) {
	case 0:
		return nil, errors.New("key file holds no <machineKey> element")
	case 1:
	default:
		return nil, fmt.Errorf("key file holds %d <machineKey> elements, want one", len(roots))
	}
	k := keyFromElement(roots[0])
	if !k.Fixed() {
		return nil, fmt.Errorf("key file's <machineKey> has no fixed keys (validationKey=%s decryptionKey=%s)",
			describeKeyValue(k.ValidationKey), describeKeyValue(k.DecryptionKey))
	}
	return &k, nil
}

// ReadKeyFile is ParseKeyFile on the file at path; errors name the path.
func ReadKeyFile(path string) (*Key, error) {
	// Only a regular file, and a small one: opening a FIFO for reading
	// blocks until a writer comes (the audit hung, deaf to SIGTERM), and
	// /dev/zero never ends.
	const maxKeyFile = 1 << 20
	if st, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("read key file: %w", err)
	} else if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("read key file: %s is not a regular file (%s)", path, st.Mode().Type())
	} else if st.Size() > maxKeyFile {
		return nil, fmt.Errorf("read key file: %s is %d bytes, more than a key file can be", path, st.Size())
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read key file: %w", err)
	}
	k, err := ParseKeyFile(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// Element renders k as a <machineKey> element with the attributes that are
// set, in the order IIS Manager writes them. It is meant for writing key
// files and web.config only: unlike everything else in this package its
// result CONTAINS THE KEYS and must never be printed or logged.
func Element(k Key) string {
	var b strings.Builder
	b.WriteString("<" + elemMachineKey)
	for _, a := range []struct{ name, value string }{
		{attrValidationKey, k.ValidationKey},
		{attrDecryptionKey, k.DecryptionKey},
		{attrValidation, k.Validation},
		{attrDecryption, k.Decryption},
	} {
		if a.value == "" {
			continue
		}
		b.WriteString(" " + a.name + `="` + attrEscaper.Replace(a.value) + `"`)
	}
	b.WriteString(" />")
	return b.String()
}

// attrEscaper escapes a value for a double-quoted attribute; line breaks and
// tabs are written as references so that they survive attribute value
// normalisation when the file is read back.
var attrEscaper = strings.NewReplacer(
	"&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;",
	"\t", "&#x9;", "\n", "&#xA;", "\r", "&#xD;",
)

// effectiveMachineKey picks the <machineKey> that applies to the application
// (see FromWebConfig), or nil.
func effectiveMachineKey(tree *etree.Document) (*etree.Element, error) {
	root := tree.Root()
	if root == nil || !named(root, elemConfiguration) {
		tag := ""
		if root != nil {
			tag = root.FullTag()
		}
		return nil, fmt.Errorf("web.config root element is <%s>, want <%s>", redactHexRuns(tag, minSecretHexRun), elemConfiguration)
	}
	var fromLocation *etree.Element
	for _, child := range root.ChildElements() {
		switch {
		case named(child, elemSystemWeb):
			if mk := firstChildNamed(child, elemMachineKey); mk != nil {
				return mk, nil
			}
		case fromLocation == nil && named(child, elemLocation) && appliesToApplication(child):
			for _, sw := range child.ChildElements() {
				if named(sw, elemSystemWeb) {
					if mk := firstChildNamed(sw, elemMachineKey); mk != nil {
						fromLocation = mk
						break
					}
				}
			}
		}
	}
	return fromLocation, nil
}

// appliesToApplication reports whether a <location> configures the
// application itself rather than a sub-path.
func appliesToApplication(location *etree.Element) bool {
	path, ok := attr(location, attrPath)
	return !ok || path == "" || path == "."
}

func keyFromElement(el *etree.Element) Key {
	value := func(name string) string {
		v, _ := attr(el, name) // absent and empty are the same for a Key
		return v
	}
	return Key{
		ValidationKey: value(attrValidationKey),
		DecryptionKey: value(attrDecryptionKey),
		Validation:    value(attrValidation),
		Decryption:    value(attrDecryption),
	}
}

// named reports whether el is the unprefixed element tag. A prefixed element
// is in some other namespace and means nothing to ASP.NET.
func named(el *etree.Element, tag string) bool {
	return el.Space == "" && el.Tag == tag
}

// attr returns the unprefixed attribute name of el, compared
// case-sensitively. etree's SelectAttr would also match a prefixed one.
func attr(el *etree.Element, name string) (string, bool) {
	for _, a := range el.Attr {
		if a.Space == "" && a.Key == name {
			return a.Value, true
		}
	}
	return "", false
}

func firstChildNamed(el *etree.Element, tag string) *etree.Element {
	for _, c := range el.ChildElements() {
		if named(c, tag) {
			return c
		}
	}
	return nil
}

// document is a well-formed XML file read into an etree tree, plus where each
// element sits in the original bytes, so that a fixer can later replace
// exactly one element and leave every other byte (BOM, CRLF, comments,
// quoting) as it was.
type document struct {
	tree *etree.Document
	// spans holds each element's byte range in the raw input. Nil when the
	// input was transcoded from UTF-16, where offsets into the decoded text
	// do not map to raw bytes.
	spans map[*etree.Element]span
}

// span is where an element sits in the raw input: raw[start:end] is the
// whole element, from its "<" to the end of its end tag (or of "/>"), and
// raw[start:startTagEnd] its start tag, which holds the attributes.
type span struct{ start, startTagEnd, end int }

// span returns the byte range of el in the raw input, if known.
func (d *document) span(el *etree.Element) (span, bool) {
	s, ok := d.spans[el]
	return s, ok
}

// parseXML checks that raw is well-formed XML and reads it with etree. what
// names the file in errors ("web.config"). A fragment may have any number of
// root elements (a key file lists elements); a document must have one.
//
// etree builds the tree but reports malformed input without a position, and
// accepts text outside the root; so a first pass with encoding/xml checks
// well-formedness, says where it fails, and records element offsets.
func parseXML(raw []byte, what string, fragment bool) (*document, error) {
	text, base, transcoded, err := decodeText(raw, what)
	if err != nil {
		return nil, err
	}
	var charsetErr error
	charsetReader := func(label string, r io.Reader) (io.Reader, error) {
		if err := checkDeclaredEncoding(label, transcoded); err != nil {
			charsetErr = fmt.Errorf("%s %w", what, err)
			return nil, charsetErr
		}
		return r, nil
	}
	spans, err := checkWellFormed(text, what, fragment, charsetReader)
	if charsetErr != nil {
		return nil, charsetErr
	}
	if err != nil {
		return nil, err
	}

	tree := etree.NewDocument()
	tree.ReadSettings = etree.ReadSettings{CharsetReader: charsetReader}
	if err := tree.ReadFromBytes(text); err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	doc := &document{tree: tree}
	if transcoded {
		return doc, nil
	}
	elements := descendantElements(&tree.Element)
	if len(elements) != len(spans) {
		return nil, fmt.Errorf("read %s: found %d elements but %d in the first pass", what, len(elements), len(spans))
	}
	doc.spans = make(map[*etree.Element]span, len(spans))
	for i, el := range elements {
		doc.spans[el] = span{start: spans[i].start + base, startTagEnd: spans[i].startTagEnd + base, end: spans[i].end + base}
	}
	return doc, nil
}

// descendantElements lists every element under el in document order, the
// order in which a decoder meets their start tags.
func descendantElements(el *etree.Element) []*etree.Element {
	var out []*etree.Element
	for _, c := range el.ChildElements() {
		out = append(out, c)
		out = append(out, descendantElements(c)...)
	}
	return out
}

// decodeText returns raw as UTF-8 text without a byte order mark (package
// wintext, the decoder every reader of Windows files shares), how many raw
// bytes precede it, and whether it was transcoded from UTF-16. An XML file
// may be UTF-16 without a byte order mark when it starts with "<?".
func decodeText(raw []byte, what string) (text []byte, base int, transcoded bool, err error) {
	text, enc, err := wintext.Decode(raw, xmlStart)
	if err != nil {
		return nil, 0, false, fmt.Errorf("%s: %w", what, err)
	}
	return text, enc.Offset(), enc.UTF16, nil
}

// xmlStart is how an XML file with a declaration begins: the prefix that
// tells UTF-16 without a byte order mark (wintext.Detect).
const xmlStart = "<?"

// checkDeclaredEncoding accepts the encoding an XML declaration names when
// the text can be read as that encoding: UTF-8 (and its subset ASCII) as is,
// UTF-16 once decodeText has transcoded it. encoding/xml handles "utf-8"
// itself and asks about every other label.
func checkDeclaredEncoding(label string, transcoded bool) error {
	l := strings.ToLower(label)
	switch {
	case transcoded:
		// The byte order mark decided the encoding, as it does for .NET.
		return nil
	case l == "utf8" || l == "us-ascii" || l == "ascii":
		return nil
	case strings.HasPrefix(l, "utf-16") || l == "unicode":
		return fmt.Errorf("declares encoding %q but is not UTF-16 (no byte order mark)", redactHexRuns(label, minSecretHexRun))
	default:
		return fmt.Errorf("declares encoding %q; only UTF-8 and UTF-16 are supported", redactHexRuns(label, minSecretHexRun))
	}
}

// checkWellFormed reads text with encoding/xml and returns the byte range of
// every element in document order. Besides what encoding/xml checks (tags
// match, entities exist, UTF-8 is valid) it rejects what it lets through:
// several root elements and no root element (unless fragment), text outside
// the root, and duplicate attributes (which would make "the" validationKey
// ambiguous).
func checkWellFormed(text []byte, what string, fragment bool, charsetReader func(string, io.Reader) (io.Reader, error)) ([]span, error) {
	dec := xml.NewDecoder(bytes.NewReader(text))
	dec.Strict = true
	dec.CharsetReader = charsetReader

	notWellFormed := func(line, col int, msg string) error {
		return fmt.Errorf("%s is not well-formed XML: line %d, column %d: %s", what, line, col, redactHexRuns(msg, minSecretHexRun))
	}
	var (
		spans []span
		open  []int // indexes into spans of the elements not yet closed
		roots int
	)
	for {
		start := int(dec.InputOffset())
		line, col := dec.InputPos()
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		var syntaxErr *xml.SyntaxError
		if errors.As(err, &syntaxErr) {
			errLine, errCol := dec.InputPos()
			if errLine != syntaxErr.Line {
				errCol = 0
			}
			if errCol == 0 {
				return nil, fmt.Errorf("%s is not well-formed XML: line %d: %s", what, syntaxErr.Line, redactHexRuns(syntaxErr.Msg, minSecretHexRun))
			}
			return nil, notWellFormed(syntaxErr.Line, errCol, syntaxErr.Msg)
		}
		if err != nil {
			return nil, fmt.Errorf("%s is not well-formed XML: line %d, column %d: %s", what, line, col, redactHexRuns(err.Error(), minSecretHexRun))
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(open) == 0 {
				roots++
				if roots > 1 && !fragment {
					return nil, notWellFormed(line, col, fmt.Sprintf("second root element <%s>", t.Name.Local))
				}
			}
			if dup, ok := duplicateAttr(t.Attr); ok {
				return nil, notWellFormed(line, col, fmt.Sprintf("attribute %s repeated in element <%s>", dup, t.Name.Local))
			}
			open = append(open, len(spans))
			spans = append(spans, span{start: start, startTagEnd: int(dec.InputOffset())})
		case xml.EndElement:
			// encoding/xml has checked that it matches the open element.
			spans[open[len(open)-1]].end = int(dec.InputOffset())
			open = open[:len(open)-1]
		case xml.CharData:
			if len(open) == 0 && len(bytes.TrimSpace(t)) > 0 {
				line, col = advance(line, col, t[:len(t)-len(bytes.TrimLeft(t, " \t\r\n"))])
				return nil, notWellFormed(line, col, "text outside the root element")
			}
		}
	}
	if roots == 0 && !fragment {
		return nil, fmt.Errorf("%s is not well-formed XML: no root element", what)
	}
	return spans, nil
}

// advance moves a line and column position past text.
func advance(line, col int, text []byte) (int, int) {
	for _, c := range text {
		if c == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}

// duplicateAttr returns the name of an attribute given twice, if any.
func duplicateAttr(attrs []xml.Attr) (string, bool) {
	seen := make(map[xml.Name]bool, len(attrs))
	for _, a := range attrs {
		if seen[a.Name] {
			return a.Name.Local, true
		}
		seen[a.Name] = true
	}
	return "", false
}
