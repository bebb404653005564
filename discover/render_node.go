package discover

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/tmsdrift/tmsdrift/collect/psscript"
	"github.com/tmsdrift/tmsdrift/report"
)

// NodeReport is what `tmsdrift discover node` prints.
type NodeReport struct {
	Node, Transport string
	Doc             *psscript.DiscoverDocument
	Suggestion      Suggestion
	// Width is how many columns the text may fill (report.Width's
	// answer; 0 for report.DefaultWidth). The suggested inventory
	// values, YAML to paste, are never wrapped.
	Width int
}

// Write prints what the node keeps where, the inventory values it points
// to (as YAML to paste), and the facts to report. Everything from the
// node is escaped; secret-looking registry values appear only as
// fingerprints.
func (r *NodeReport) Write(w io.Writer) error {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	// wp writes an item wrapped to the width, continuation lines
	// indented by rest; paths and quoted names in keep stay whole.
	width := report.TextWidth(r.Width)
	wp := func(first, rest, text string, keep ...string) {
		b.WriteString(report.WrapIndent(first, rest, text, width, keep...))
	}
	d := r.Doc
	wp("", "  ", fmt.Sprintf("tmsdrift discover node %s (%s) through %s (read-only)", Clean(r.Node), Clean(d.Hostname), r.Transport))
	for _, wn := range d.Warnings {
		wp("  ", "        ", "note: "+Clean(wn))
	}
	p("")
	p("Registry values under HKLM\\SOFTWARE[\\WOW6432Node]\\Tandberg and \\Cisco")
	if len(d.Registry) == 0 {
		p("  none")
	}
	lastKey := ""
	for _, v := range d.Registry {
		if v.Key != lastKey {
			p("  %s", Clean(v.Key))
			lastKey = v.Key
		}
		val := Clean(v.Value)
		if v.SHA256 != "" {
			val = "sha256:" + v.SHA256[:12] + " (name looks secret, or binary: fingerprint only)"
		}
		// Name and type stand in columns: kept whole, padding included,
		// when the line wraps.
		cols := fmt.Sprintf("%-28s %-13s", Clean(v.Name), Clean(v.Type))
		wp("    ", "      ", cols+" "+val, Clean(v.Value), cols)
	}
	p("")
	p("Installed Cisco and TANDBERG products")
	for _, u := range d.Uninstall {
		wp("  ", "    ", fmt.Sprintf("%s %s at %s", Clean(u.DisplayName), Clean(u.DisplayVersion), Clean(u.InstallLocation)), Clean(u.InstallLocation))
	}
	p("")
	p("Services")
	for _, s := range d.Services {
		cols := fmt.Sprintf("%-28s %s/%s", Clean(s.Name), Clean(s.StartType), Clean(s.State))
		line := cols
		display := fmt.Sprintf("%q", Clean(s.DisplayName))
		if s.DisplayName != "" {
			line += "  " + display
		}
		if s.BinaryPath != "" {
			line += "  " + Clean(s.BinaryPath)
		}
		wp("  ", "    ", line, display, Clean(s.BinaryPath), cols)
	}
	p("")
	p("IIS applications")
	for _, a := range d.IIS {
		wc := "no web.config"
		if len(a.WebConfigs) > 0 {
			wc = strings.Join(cleanAll(a.WebConfigs), ", ")
		}
		wp("  ", "    ", fmt.Sprintf("%s %s -> %s (%s)", Clean(a.Site), Clean(a.Path), Clean(a.PhysicalPath), wc), append([]string{Clean(a.PhysicalPath)}, cleanAll(a.WebConfigs)...)...)
	}
	p("")
	wp("", "  ", "Folders under "+Clean(d.InstallPath), Clean(d.InstallPath))
	p("  %s", wrapList(cleanAll(d.Folders), 4, width))
	wp("", "  ", "web.config files there: "+strings.Join(cleanAll(d.WebConfigs), ", "), cleanAll(d.WebConfigs)...)
	p("")
	wp("", "", "Suggested inventory values (check them against the server, then put them in the inventory):")
	b.WriteString(r.Suggestion.YAML())
	for _, k := range r.Suggestion.RegistryKeyAlternatives {
		p("# another key also names the database: %s (an extension's or an old one?)", Clean(k))
	}
	p("")
	b.WriteString(r.facts(width))
	_, err := io.WriteString(w, b.String())
	return err
}

// YAML is the suggestion as inventory keys, with why in comments.
func (s *Suggestion) YAML() string {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	why := func(key string) string {
		if w := s.Why[key]; w != "" {
			return "   # " + yamlComment(w)
		}
		return ""
	}
	if s.TMSVersion != "" {
		p("tms_version: %s%s", yamlQuote(s.TMSVersion), why("tms_version"))
	}
	if s.Install != "" || s.WebRoot != "" || s.Software != "" || len(s.WebConfigs) > 0 {
		p("paths:")
		if s.Install != "" {
			p("  install: %s%s", yamlQuote(s.Install), why("paths.install"))
		}
		if s.WebRoot != "" {
			p("  web_root: %s%s", yamlQuote(s.WebRoot), why("paths.web_root"))
		}
		if s.Software != "" {
			p("  software: %s%s", yamlQuote(s.Software), why("paths.software"))
		}
		if len(s.WebConfigs) > 0 {
			p("  web_configs:%s", why("paths.web_configs"))
			for _, wc := range s.WebConfigs {
				p("    - %s", yamlQuote(wc))
			}
		}
	}
	if s.Registry.Key != "" {
		p("registry:%s", why("registry"))
		p("  key: %s", yamlQuote(s.Registry.Key))
		for _, kv := range [][2]string{{"db_server", s.Registry.DBServer}, {"db_name", s.Registry.DBName}, {"install_path", s.Registry.InstallPath}, {"version", s.Registry.Version}} {
			if kv[1] != "" {
				p("  %s: %s", kv[0], yamlQuote(kv[1]))
			}
		}
	} else {
		p("# registry: no value holds database.server or database.name; see the values above")
	}
	return b.String()
}

// facts is the short, secret-free block to report: names, not values
// (the version excepted).
func (r *NodeReport) facts(width int) string {
	var b strings.Builder
	p := func(format string, a ...any) {
		b.WriteString(report.WrapIndent("  ", "    ", strings.TrimPrefix(fmt.Sprintf(format, a...), "  "), width))
	}
	d, s := r.Doc, r.Suggestion
	b.WriteString(report.WrapIndent("", "", "Facts to report (names only, no values; paste into an issue at the tmsdrift project so its guesses can follow TMS)", width))
	p("  probe: tmsdrift discover node")
	p("  tms_version: %s", orUnknown(s.TMSVersion, "unknown"))
	byKey := map[string][]string{}
	var keys []string
	for _, v := range d.Registry {
		if _, ok := byKey[v.Key]; !ok {
			keys = append(keys, v.Key)
		}
		byKey[v.Key] = append(byKey[v.Key], Clean(v.Name)+" ("+Clean(v.Type)+")")
	}
	for _, k := range keys {
		p("  registry %s: %s", Clean(k), strings.Join(byKey[k], ", "))
	}
	if s.Registry.Key != "" {
		p("  database connection: key %s, server in %s, database in %s", Clean(s.Registry.Key), orUnknown(Clean(s.Registry.DBServer), "?"), orUnknown(Clean(s.Registry.DBName), "?"))
	}
	var svcs []string
	for _, sv := range d.Services {
		if sv.DisplayName == "" {
			svcs = append(svcs, Clean(sv.Name))
		} else {
			svcs = append(svcs, Clean(sv.Name)+" ("+Clean(sv.DisplayName)+")")
		}
	}
	p("  services: %s", strings.Join(svcs, ", "))
	var apps []string
	for _, a := range d.IIS {
		apps = append(apps, Clean(a.Path))
	}
	p("  iis applications: %s", strings.Join(apps, ", "))
	p("  web.config files: %s", strings.Join(cleanAll(d.WebConfigs), ", "))
	var top []string
	for _, f := range d.Folders {
		if !strings.Contains(f, `\`) || strings.Count(f, `\`) == 1 && strings.HasPrefix(strings.ToLower(f), `wwwtms\`) {
			top = append(top, Clean(f))
		}
	}
	slices.Sort(top)
	p("  folders: %s", strings.Join(top, ", "))
	return b.String()
}

func cleanAll(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = Clean(s)
	}
	return out
}

// wrapList joins items, breaking lines before width, indented by indent.
func wrapList(items []string, indent, width int) string {
	var b strings.Builder
	col := indent
	for i, it := range items {
		if i > 0 {
			if col+2+len(it) > width {
				b.WriteString(",\n" + strings.Repeat(" ", indent))
				col = indent
			} else {
				b.WriteString(", ")
				col += 2
			}
		}
		b.WriteString(it)
		col += len(it)
	}
	return b.String()
}
