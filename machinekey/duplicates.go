package machinekey

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

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
// <location path="api"> configures another path: it is no duplicate of the
// application's, but a second key for that same path is — the section is
// defined twice for it, and ASP.NET refuses requests there (tmsdrift
// assumption: paths compare ignoring case, surrounding slashes and the
// kind of slash, as IIS compares URL paths).
type Duplicate struct {
	// Line is where the extra <machineKey> starts, 1-based, counted in
	// the file's text (decoded for UTF-16).
	Line int
	// FirstLine is where the <machineKey> that stays starts: the
	// effective one for the application, the first one for a sub-path.
	FirstLine int
	// Path is the <location path> the two keys configure, as the first
	// one's <location> spells it; "" for the application itself.
	Path string
}

// String says where the duplicate is, for results and plans.
func (d Duplicate) String() string {
	what := "the application"
	if d.Path != "" {
		what = fmt.Sprintf("path %q", d.Path)
	}
	return fmt.Sprintf("line %d: a second <machineKey> for %s (the first is on line %d)", d.Line, what, d.FirstLine)
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
	if err != nil {
		return nil, err
	}
	var others []*etree.Element
	if effective != nil {
		others = extraMachineKeys(doc.tree, effective)
	}
	sub := subPathDuplicates(doc.tree)
	if len(others) == 0 && len(sub) == 0 {
		return nil, nil
	}
	text, spans, err := textSpans(raw, doc)
	if err != nil {
		return nil, err
	}
	line := func(el *etree.Element) int {
		return bytes.Count(text[:spans[el].start], []byte("\n")) + 1
	}
	out := make([]Duplicate, 0, len(others)+len(sub))
	for _, el := range others {
		out = append(out, Duplicate{Line: line(el), FirstLine: line(effective)})
	}
	for _, d := range sub {
		out = append(out, Duplicate{Line: line(d.extra), FirstLine: line(d.first), Path: d.path})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Line < out[j].Line })
	return out, nil
}

// subPathDuplicate is a second <machineKey> for one <location path>
// other than the application's own.
type subPathDuplicate struct {
	first, extra *etree.Element
	path         string // as the first key's <location> spells it
}

// subPathDuplicates lists every <machineKey> for a sub-path (<location
// path="api">) after the first one for the same path, in document order.
func subPathDuplicates(tree *etree.Document) []subPathDuplicate {
	root := tree.Root()
	if root == nil {
		return nil
	}
	type scope struct {
		first *etree.Element
		path  string
	}
	seen := map[string]*scope{}
	var out []subPathDuplicate
	for _, loc := range root.ChildElements() {
		if !named(loc, elemLocation) || appliesToApplication(loc) {
			continue
		}
		path, _ := attr(loc, attrPath)
		key := strings.ToLower(strings.Trim(strings.ReplaceAll(strings.TrimSpace(path), `\`, "/"), "/"))
		for _, sw := range loc.ChildElements() {
			if !named(sw, elemSystemWeb) {
				continue
			}
			for _, mk := range sw.ChildElements() {
				if !named(mk, elemMachineKey) {
					continue
				}
				if s := seen[key]; s != nil {
					out = append(out, subPathDuplicate{first: s.first, extra: mk, path: s.path})
				} else {
					seen[key] = &scope{first: mk, path: path}
				}
			}
		}
	}
	return out
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
