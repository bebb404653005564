package machinekey

import (
	"bytes"
	"fmt"

	"github.com/beevik/etree"
)

// Duplicate is a <machineKey> that configures the TMS application beside
// the effective one. The ASP.NET configuration system allows a section
// once per configuration path and refuses to load a file that defines it
// twice ("Config section 'system.web/machineKey' already defined"), so the
// web application does not start at all.
//
// The application's own path is the file itself: every <system.web>
// directly under <configuration>, and every <system.web> inside a
// <location> whose path is absent, "" or "." (tmsdrift assumption: ASP.NET
// reads such a <location> as the file's own scope, so a key there and one
// directly under <system.web> are one section defined twice). A key under
// <location path="api"> configures another path and is not counted.
type Duplicate struct {
	// Line is where the extra <machineKey> starts, 1-based, counted in
	// the file's text (decoded for UTF-16).
	Line int
	// FirstLine is where the effective <machineKey> starts.
	FirstLine int
}

// String says where the duplicate is, for results and plans.
func (d Duplicate) String() string {
	return fmt.Sprintf("line %d: a second <machineKey> for the application (the first is on line %d)", d.Line, d.FirstLine)
}

// Duplicates returns every <machineKey> of a web.config that configures the
// application beside the effective one (see FromWebConfig), in document
// order; none for a file with zero or one. raw is read as FromWebConfig
// reads it, and a file that is not well-formed is an error.
func Duplicates(raw []byte) ([]Duplicate, error) {
	doc, err := parseXML(raw, "web.config", false)
	if err != nil {
		return nil, err
	}
	effective, err := effectiveMachineKey(doc.tree)
	if err != nil || effective == nil {
		return nil, err
	}
	others := extraMachineKeys(doc.tree, effective)
	if len(others) == 0 {
		return nil, nil
	}
	text, spans, err := textSpans(raw, doc)
	if err != nil {
		return nil, err
	}
	line := func(el *etree.Element) int {
		return bytes.Count(text[:spans[el].start], []byte("\n")) + 1
	}
	out := make([]Duplicate, 0, len(others))
	for _, el := range others {
		out = append(out, Duplicate{Line: line(el), FirstLine: line(effective)})
	}
	return out, nil
}

// applicationMachineKeys lists every <machineKey> that configures the
// application itself, in document order (see Duplicate).
func applicationMachineKeys(tree *etree.Document) []*etree.Element {
	root := tree.Root()
	if root == nil {
		return nil
	}
	var out []*etree.Element
	keysOf := func(sw *etree.Element) {
		for _, c := range sw.ChildElements() {
			if named(c, elemMachineKey) {
				out = append(out, c)
			}
		}
	}
	for _, child := range root.ChildElements() {
		switch {
		case named(child, elemSystemWeb):
			keysOf(child)
		case named(child, elemLocation) && appliesToApplication(child):
			for _, sw := range child.ChildElements() {
				if named(sw, elemSystemWeb) {
					keysOf(sw)
				}
			}
		}
	}
	return out
}

// extraMachineKeys is applicationMachineKeys without the effective one.
func extraMachineKeys(tree *etree.Document, effective *etree.Element) []*etree.Element {
	var out []*etree.Element
	for _, el := range applicationMachineKeys(tree) {
		if el != effective {
			out = append(out, el)
		}
	}
	return out
}

// textSpans returns the text the element spans index: raw itself, or the
// decoded text of a UTF-16 file.
func textSpans(raw []byte, doc *document) ([]byte, map[*etree.Element]span, error) {
	if doc.spans != nil {
		return raw, doc.spans, nil
	}
	return utf16Spans(raw, doc)
}
