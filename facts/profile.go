package facts

import (
	"slices"
	"strings"

	"github.com/tmsdrift/tmsdrift/tmsversion"
)

// The deployment's view through its TMS version profile: what the
// inventory leaves out, the profile of the release the nodes run fills in
// (docs/tms-versions.md). The inventory's own values always win.

// ChooseVersion sets d.Version from the inventory's tms_version, else the
// versions the nodes report (tmsversion.Choose): the gatherer calls it
// once every node's facts are in, before reading the files the profile
// names.
func (d *Deployment) ChooseVersion() {
	reported := make([]tmsversion.Reported, 0, len(d.Nodes))
	for _, n := range d.Nodes {
		if n == nil {
			continue
		}
		r := tmsversion.Reported{Node: n.Spec.Name, Active: n.Spec.Role.Active()}
		if n.Facts != nil && n.Facts.TMS != nil {
			r.Version = n.Facts.TMS.Version
		}
		reported = append(reported, r)
	}
	d.Version = tmsversion.Choose(d.Inventory.TMSVersion, reported)
}

// DataDirs are the customer data folders data.synced compares and the
// fixers copy, relative to the install folder: the inventory's
// data_sync.dirs when it lists them; else the profile's; else, with no
// profile, every folder any profile names, so a release tmsdrift could not
// identify is never compared on too few (a folder absent everywhere
// passes).
func (d *Deployment) DataDirs() []string {
	return DataDirsFor(d.Inventory.DataSync.Dirs, d.Inventory.Defaulted.DataDirs, d.Version.Profile)
}

// DataDirsFor is DataDirs from its parts, for callers that gather before
// the deployment exists (a transport asked for the folders up front).
func DataDirsFor(dirs []string, defaulted bool, p *tmsversion.Profile) []string {
	switch {
	case !defaulted && len(dirs) > 0:
		return slices.Clone(dirs)
	case p != nil:
		return slices.Clone(p.DataDirs.Value)
	}
	return tmsversion.AllDataDirs()
}

// DataDirsFrom says where DataDirs come from, for messages.
func (d *Deployment) DataDirsFrom() string {
	switch {
	case !d.Inventory.Defaulted.DataDirs && len(d.Inventory.DataSync.Dirs) > 0:
		return "the inventory's data_sync.dirs"
	case d.Version.Profile != nil:
		return "the " + d.Version.Profile.Name()
	}
	return "every TMS profile's folders (TMS version unknown)"
}

// ExpectedSoftware is the software folder every node must use
// (paths.identical): the inventory's paths.software when it sets one,
// else the profile's folder under the inventory's web root (or install
// folder), else the web root's Data\Software.
func (d *Deployment) ExpectedSoftware() string {
	inv := d.Inventory
	if !inv.Defaulted.Software || d.Version.Profile == nil {
		return inv.Paths.Software
	}
	return UnderInstall(inv.Paths.Install, inv.Paths.WebRoot, d.Version.Profile.SoftwareDir.Value)
}

// UnderInstall resolves a profile path relative to the install folder
// (`wwwTMS\Data\CompanyLogo`) on a node: under its web root when it starts
// with wwwTMS (the web root may live elsewhere), else under install.
func UnderInstall(install, webRoot, rel string) string {
	join := func(dir, rel string) string { return strings.TrimRight(dir, `\`) + `\` + rel }
	if head, rest, ok := strings.Cut(rel, `\`); ok && strings.EqualFold(head, "wwwTMS") && webRoot != "" {
		return join(webRoot, rest)
	}
	return join(install, rel)
}

// ListedWebConfig is a web.config besides the main one whose machineKey
// the rules judge: from the TMS profile (TMS 15.8+: Public\web.config)
// or the inventory's paths.web_configs.
type ListedWebConfig struct {
	// Path is relative to the web root, or absolute (C:\...).
	Path string
	// Required says it must carry a fixed machineKey (machinekey.present):
	// the profile says so, or the inventory's machine_key.required_in.
	Required bool
	// From says who listed it, for messages.
	From string
}

// WebConfigs are the web.config files besides <web_root>\web.config that
// the machineKey rules judge and the fixers restore: the profile's, then
// the inventory's paths.web_configs, without repeats.
func (d *Deployment) WebConfigs() []ListedWebConfig {
	inv := d.Inventory
	var out []ListedWebConfig
	add := func(path string, required bool, from string) {
		path = strings.TrimSpace(strings.ReplaceAll(path, "/", `\`))
		if strings.EqualFold(path, "web.config") || path == "" {
			return
		}
		for i := range out {
			if strings.EqualFold(out[i].Path, path) {
				if required && !out[i].Required {
					out[i].Required, out[i].From = true, from
				}
				return
			}
		}
		out = append(out, ListedWebConfig{Path: path, Required: required, From: from})
	}
	if p := d.Version.Profile; p != nil {
		for _, w := range p.WebConfigs.Value {
			add(w.Path, w.KeyRequired, "the "+p.Name())
		}
	}
	for _, w := range inv.Paths.WebConfigs {
		add(w, false, "the inventory's paths.web_configs")
	}
	for _, w := range inv.MachineKey.RequiredIn {
		add(w, true, "the inventory's machine_key.required_in")
	}
	return out
}

// WebConfigPath is a listed web.config's Windows path on a node whose web
// root is webRoot.
func WebConfigPath(webRoot, listed string) string {
	listed = strings.ReplaceAll(listed, "/", `\`)
	if len(listed) >= 3 && listed[1] == ':' && listed[2] == '\\' {
		return listed
	}
	return strings.TrimRight(webRoot, `\`) + `\` + strings.TrimLeft(listed, `\`)
}
