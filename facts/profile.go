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
