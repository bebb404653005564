package discover

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/tmsdrift/tmsdrift/collect/psscript"
	"github.com/tmsdrift/tmsdrift/internal/secretname"
	"github.com/tmsdrift/tmsdrift/inventory"
	"github.com/tmsdrift/tmsdrift/tmsversion"
)

// Limits on what a node may report: a node sending more is broken, not a
// reason to run out of memory or flood a terminal.
const (
	maxEntries = 5000
	maxText    = 4096
)

// ParseNode reads the JSON document a node's discover probe reported (the
// script's output unframed by psscript.ParseDiscoverOutput, or the local
// transport's). It rejects what is not the format with a message naming
// the field, and re-checks every registry value's name: a value whose
// name looks secret that came with its data keeps only a fingerprint.
func ParseNode(raw []byte) (*psscript.DiscoverDocument, error) {
	var doc psscript.DiscoverDocument
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("discover document: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("discover document: more than one JSON value")
	}
	if doc.Schema != psscript.DiscoverSchema {
		return nil, fmt.Errorf("discover document: schema %q, want %q", doc.Schema, psscript.DiscoverSchema)
	}
	for _, n := range []int{len(doc.Registry), len(doc.Uninstall), len(doc.Services), len(doc.IIS), len(doc.Folders), len(doc.WebConfigs), len(doc.Warnings)} {
		if n > maxEntries {
			return nil, fmt.Errorf("discover document: a list of %d entries (at most %d)", n, maxEntries)
		}
	}
	for i := range doc.Registry {
		v := &doc.Registry[i]
		if v.SHA256 != "" && !isHex64(v.SHA256) {
			return nil, fmt.Errorf("discover document: registry[%d].sha256 is not a SHA-256", i)
		}
		if v.Value != "" && (secretname.Looks(v.Name) || v.Type == "REG_BINARY") {
			v.SHA256, v.Value = secretname.SHA256(v.Value), ""
		}
		if len(v.Value) > maxText {
			v.Value = v.Value[:maxText]
		}
	}
	return &doc, nil
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return false
		}
	}
	return true
}

// Suggestion is the inventory values a node's discovery points to, each
// with why.
type Suggestion struct {
	TMSVersion              string
	Install, WebRoot        string
	Software                string
	WebConfigs              []string // relative to the web root, besides web.config
	Registry                inventory.Registry
	Why                     map[string]string // inventory key -> how it was found
	RegistryKeyAlternatives []string
}

// Suggest reads a node's discovery against the inventory: where TMS is
// (uninstall entry, IIS), its version, the web.config files beside the
// main one (IIS applications below /tms, files under the web root), the
// software folder the release's profile names that exists, and the
// registry values that hold the database the inventory names (value
// equal to database.server and database.name), under the key that holds
// both. Sources of what it takes TMS to be: that TMS is the IIS
// application /tms is Cisco's documented URL http://<server>/tms; the
// uninstall entry's DisplayName ("... Management Suite") is a tmsdrift
// assumption from administrators' descriptions, not checked on a server
// (docs/transports.md, Where TMS keeps what).
func Suggest(doc *psscript.DiscoverDocument, inv *inventory.Inventory) Suggestion {
	s := Suggestion{Why: map[string]string{}}
	for _, u := range doc.Uninstall {
		n := strings.ToLower(u.DisplayName)
		if strings.Contains(n, "management suite") && !strings.Contains(n, "extension") && !strings.Contains(n, "provisioning") {
			if v, err := tmsversion.Parse(u.DisplayVersion); err == nil {
				s.TMSVersion = fmt.Sprintf("%d.%d", v.Major, v.Minor)
				s.Why["tms_version"] = "uninstall entry " + Clean(u.DisplayName) + " " + Clean(u.DisplayVersion)
			}
			if loc := strings.TrimRight(u.InstallLocation, `\`); loc != "" {
				s.Install = loc
				s.Why["paths.install"] = "its install location"
			}
			break
		}
	}
	if s.Install == "" && doc.InstallPath != "" {
		s.Install = strings.TrimRight(doc.InstallPath, `\`)
		s.Why["paths.install"] = "where the node found TMS"
	}
	var tmsApp *psscript.IISApplication
	for i := range doc.IIS {
		if strings.EqualFold(doc.IIS[i].Path, "/tms") {
			tmsApp = &doc.IIS[i]
			s.WebRoot = strings.TrimRight(tmsApp.PhysicalPath, `\`)
			s.Why["paths.web_root"] = "IIS application /tms of " + Clean(tmsApp.Site)
		}
	}
	if s.WebRoot == "" && s.Install != "" {
		s.WebRoot = s.Install + `\wwwTMS`
	}
	// web.config files of the applications below /tms, and others under
	// the web root, relative to it.
	rel := func(p string) (string, bool) {
		if s.WebRoot == "" || len(p) <= len(s.WebRoot)+1 || !strings.EqualFold(p[:len(s.WebRoot)+1], s.WebRoot+`\`) {
			return "", false
		}
		return p[len(s.WebRoot)+1:], true
	}
	add := func(r string) {
		if !strings.EqualFold(r, "web.config") && !slices.ContainsFunc(s.WebConfigs, func(x string) bool { return strings.EqualFold(x, r) }) {
			s.WebConfigs = append(s.WebConfigs, r)
		}
	}
	for _, a := range doc.IIS {
		if !strings.HasPrefix(strings.ToLower(a.Path), "/tms/") {
			continue
		}
		for _, wc := range a.WebConfigs {
			if r, ok := rel(wc); ok {
				add(r)
			}
		}
	}
	for _, wc := range doc.WebConfigs {
		if r, ok := rel(s.Install + `\` + wc); ok {
			add(r)
		}
	}
	if len(s.WebConfigs) > 0 {
		s.Why["paths.web_configs"] = "IIS applications below /tms and web.config files under the web root"
	}
	// The software folder: the newest release's that exists.
	for _, cand := range tmsversion.SoftwareCandidates() {
		if slices.ContainsFunc(doc.Folders, func(f string) bool { return strings.EqualFold(f, `wwwTMS\`+cand) }) {
			s.Software = s.WebRoot + `\` + cand
			s.Why["paths.software"] = "the newest release's software folder that exists"
			break
		}
	}
	s.suggestRegistry(doc, inv)
	return s
}

// suggestRegistry finds the registry values that hold the inventory's
// database server and name, preferring a key that holds both and that is
// TMS's own (not an extension's, not a legacy subkey).
func (s *Suggestion) suggestRegistry(doc *psscript.DiscoverDocument, inv *inventory.Inventory) {
	type found struct{ server, name, install, version string }
	byKey := map[string]*found{}
	var order []string
	get := func(k string) *found {
		if byKey[k] == nil {
			byKey[k] = &found{}
			order = append(order, k)
		}
		return byKey[k]
	}
	server, name := strings.TrimSpace(inv.Database.Server), strings.TrimSpace(inv.Database.Name)
	for _, v := range doc.Registry {
		if v.Value == "" {
			continue
		}
		val := strings.TrimSpace(v.Value)
		f := get(v.Key)
		switch {
		case server != "" && strings.EqualFold(val, server) && f.server == "":
			f.server = v.Name
		case name != "" && strings.EqualFold(val, name) && f.name == "":
			f.name = v.Name
		case s.Install != "" && strings.EqualFold(strings.TrimRight(val, `\`), s.Install) && f.install == "":
			f.install = v.Name
		case s.TMSVersion != "" && strings.HasPrefix(val, s.TMSVersion) && f.version == "" && versionLike(val):
			f.version = v.Name
		}
	}
	score := func(k string) int {
		f, n := byKey[k], 0
		if f.server != "" {
			n += 10
		}
		if f.name != "" {
			n += 10
		}
		if f.install != "" || f.version != "" {
			n += 2
		}
		low := strings.ToLower(k)
		if strings.Contains(low, "tandberg") {
			n += 3
		}
		for _, w := range []string{"tmspe", "tmsxe", "extension", "provisioning", "legacy", "old", "backup"} {
			if strings.Contains(low, w) {
				n -= 8
			}
		}
		return n
	}
	best := ""
	for _, k := range order {
		if f := byKey[k]; (f.server != "" || f.name != "") && (best == "" || score(k) > score(best)) {
			best = k
		}
	}
	if best == "" {
		return
	}
	f := byKey[best]
	s.Registry = inventory.Registry{Key: psscript.KeyBelowHKLM(best), DBServer: f.server, DBName: f.name, InstallPath: f.install, Version: f.version}
	s.Why["registry"] = "the values that hold database.server and database.name"
	for _, k := range order {
		if k != best && (byKey[k].server != "" || byKey[k].name != "") {
			s.RegistryKeyAlternatives = append(s.RegistryKeyAlternatives, k)
		}
	}
}

func versionLike(s string) bool {
	_, err := tmsversion.Parse(s)
	return err == nil
}
