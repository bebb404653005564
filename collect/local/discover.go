package local

import (
	"encoding/xml"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/tmsdrift/tmsdrift/collect/psscript"
	"github.com/tmsdrift/tmsdrift/internal/secretname"
)

// The portable parts of `tmsdrift discover node` on the node itself, as
// discover.ps1 does them: shared with the stand-in PowerShell
// (fixtures/fakenode), which answers the script from a snapshot folder.

// AppsFromAppHost lists every application of every site in IIS's
// applicationHost.config with its physical folder (%variables% expanded
// with expand); web.config files are the caller's to look for.
func AppsFromAppHost(data []byte, expand func(string) string) ([]psscript.IISApplication, error) {
	var doc struct {
		Sites []struct {
			Name string `xml:"name,attr"`
			Apps []struct {
				Path  string `xml:"path,attr"`
				VDirs []struct {
					Path         string `xml:"path,attr"`
					PhysicalPath string `xml:"physicalPath,attr"`
				} `xml:"virtualDirectory"`
			} `xml:"application"`
		} `xml:"system.applicationHost>sites>site"`
	}
	dec := xml.NewDecoder(strings.NewReader(string(data)))
	dec.Strict = true
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("applicationHost.config: %w", err)
	}
	var out []psscript.IISApplication
	for _, s := range doc.Sites {
		for _, a := range s.Apps {
			for _, v := range a.VDirs {
				if v.Path == "/" {
					out = append(out, psscript.IISApplication{Site: s.Name, Path: a.Path, PhysicalPath: strings.TrimRight(expand(v.PhysicalPath), `\`), WebConfigs: []string{}})
				}
			}
		}
	}
	return out, nil
}

// ListFolders lists the folders below root in fsys (slash paths), depth
// levels deep, at most max of them, sorted, as Windows paths relative to
// root; and the web.config files in root and in each of them. truncated
// says the limit cut the list.
func ListFolders(fsys fs.FS, root string, depth, max int) (folders, webConfigs []string, truncated bool, err error) {
	folders, webConfigs = []string{}, []string{}
	type item struct {
		dir, rel string
		level    int
	}
	queue := []item{{root, "", 0}}
	for len(queue) > 0 {
		it := queue[0]
		queue = queue[1:]
		entries, err := fs.ReadDir(fsys, it.dir)
		if err != nil {
			if it.dir == root {
				return nil, nil, false, err
			}
			continue // a folder that cannot be read is left out, as by the script
		}
		sort.Slice(entries, func(i, j int) bool { return strings.ToLower(entries[i].Name()) < strings.ToLower(entries[j].Name()) })
		for _, e := range entries {
			if !e.IsDir() && strings.EqualFold(e.Name(), "web.config") {
				webConfigs = append(webConfigs, strings.TrimPrefix(it.rel+`\`+e.Name(), `\`))
			}
		}
		if it.level >= depth {
			continue
		}
		for _, e := range entries {
			if !e.IsDir() {
				continue
			}
			if len(folders) >= max {
				return folders, webConfigs, true, nil
			}
			rel := strings.TrimPrefix(it.rel+`\`+e.Name(), `\`)
			folders = append(folders, rel)
			queue = append(queue, item{path.Join(it.dir, e.Name()), rel, it.level + 1})
		}
	}
	return folders, webConfigs, false, nil
}

// RegistryEntry is one value as the probe reports it: a binary value, or
// one whose name looks secret, hashed (its data never leaves the node);
// text otherwise.
func RegistryEntry(key, name, typ, text string) psscript.RegistryValue {
	v := psscript.RegistryValue{Key: key, Name: name, Type: typ}
	if typ == "REG_BINARY" || secretname.Looks(name) {
		v.SHA256 = secretname.SHA256(text)
	} else {
		v.Value = text
	}
	return v
}

// DiscoverInstall is where TMS is installed, as the probe decides: the
// install location of TMS's own uninstall entry, else the parent of the
// /tms application's wwwTMS folder, else the inventory's.
func DiscoverInstall(doc *psscript.DiscoverDocument, fallback string) string {
	for _, e := range doc.Uninstall {
		n := strings.ToLower(e.DisplayName)
		if strings.Contains(n, "management suite") && !strings.Contains(n, "extension") && e.InstallLocation != "" {
			return strings.TrimRight(e.InstallLocation, `\`)
		}
	}
	for _, a := range doc.IIS {
		if a.Path == "/tms" {
			if parent, leaf := splitWin(a.PhysicalPath); strings.EqualFold(leaf, "wwwTMS") {
				return parent
			}
		}
	}
	return strings.TrimRight(fallback, `\`)
}

// IsDiscoveredProduct tells the uninstall entries the probe lists: Cisco
// TelePresence and TANDBERG products.
func IsDiscoveredProduct(displayName string) bool {
	n := strings.ToLower(displayName)
	return strings.Contains(n, "telepresence") || strings.Contains(n, "tandberg") || strings.HasPrefix(n, "cisco tms")
}
