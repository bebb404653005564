package checks

import (
	"fmt"
	"strings"

	"github.com/tmsdrift/tmsdrift/facts"
)

// Paths rule: TMS is installed at identical paths on every node (guide:
// Architecture Requirements: local file paths).

// defaultInstallHint is added when the inventory leaves paths.install
// out and a node is installed elsewhere: the default is the folder the
// Preferred Architecture shows "In a default installation", while Cisco
// TAC document 215223 gives Program Files (x86) as the default
// (docs/tms-versions.md, Install path), so the drift may be the
// inventory's.
const defaultInstallHint = `; paths.install is not in the inventory, so tmsdrift's default C:\Program Files\TANDBERG\TMS was expected: on 64-bit Windows TMS is often installed under C:\Program Files (x86)\TANDBERG\TMS, so if every node is installed where this one is, set paths.install (tmsdrift discover node suggests it)`

func evalPathsIdentical(d *facts.Deployment) []Result {
	p := d.Inventory.Paths
	// The software folder the inventory leaves out is the TMS version
	// profile's (TMS 15 keeps packages under wwwTMS\Public\Data).
	p.Software = d.ExpectedSoftware()
	want := fmt.Sprintf("install=%s web_root=%s software=%s", p.Install, p.WebRoot, p.Software)
	return perNode(d, func(d *facts.Deployment, n *facts.Node) (Result, bool) {
		f, err := nodeFacts(n)
		if err != nil {
			return errored(want, "%v", err), true
		}
		if f.TMS == nil {
			return errored(want, "facts.json lacks the tms block"), true
		}
		checks := []struct{ key, want, got string }{
			{"install_path", p.Install, f.TMS.InstallPath},
			{"web_root", p.WebRoot, f.TMS.WebRoot},
			{"software_dir", p.Software, f.TMS.SoftwareDir},
		}
		var missing, exp, obs []string
		for _, c := range checks {
			switch {
			case c.got == "":
				missing = append(missing, "tms."+c.key)
			case !samePath(c.got, c.want):
				exp = append(exp, c.key+"="+c.want)
				obs = append(obs, c.key+"="+c.got)
			}
		}
		if len(obs) > 0 {
			msg := "TMS is installed at a different path on this node"
			if d.Inventory.Defaulted.Install && !samePath(f.TMS.InstallPath, p.Install) {
				msg += defaultInstallHint
			}
			return failed(strings.Join(exp, " "), strings.Join(obs, " "), msg), true
		}
		if len(missing) > 0 {
			return errored(want, "facts.json lacks %s", strings.Join(missing, ", ")), true
		}
		return passed(want, fmt.Sprintf("install=%s web_root=%s software=%s", f.TMS.InstallPath, f.TMS.WebRoot, f.TMS.SoftwareDir)), true
	})
}
