package local

import (
	"strings"

	"github.com/tmsdrift/tmsdrift/collect/psscript"
	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/tmsversion"
)

// Where TMS is looked for, in the same order as the PowerShell collector
// (collect/psscript/collector.ps1); docs/transports.md says how sure each
// source is. The registry value names under TMSKeys are tmsdrift's best
// knowledge, not confirmed on a TMS server: a name that is absent is
// skipped, and a fact found nowhere is left out of facts.json (the rules
// needing it report `error`, never a guess).
var (
	// TMSKeys are the TMS registry key in the 64-bit and 32-bit views,
	// under HKEY_LOCAL_MACHINE.
	// The guesses live in psscript (RegistryFor puts the inventory's
	// registry block before them).
	TMSKeys = psscript.GuessedKeys

	// UninstallKeys hold one subkey per installed product.
	UninstallKeys = []string{
		`SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall`,
		`SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall`,
	}
)

// IsTMSProduct tells TMS's own uninstall entry from its extensions'
// (TMSXE, TMSPE) and everything else.
func IsTMSProduct(displayName string) bool {
	n := strings.ToLower(displayName)
	if !strings.Contains(n, "telepresence management suite") && !strings.Contains(n, "tandberg management suite") {
		return false
	}
	return !strings.Contains(n, "extension") && !strings.Contains(n, "provisioning")
}

// InstallInfo is what each source says about the TMS installation; empty
// where a source says nothing.
type InstallInfo struct {
	IISWebRoot        string // physicalPath of the /tms application in IIS
	UninstallVersion  string // DisplayVersion of TMS's uninstall entry
	UninstallLocation string // its InstallLocation
	RegInstall        string // the TMS registry key's values
	RegVersion        string
	RegDBServer       string
	RegDBName         string
	// FallbackInstall is the inventory's install path when a TMS
	// web.config exists below it (the installed files themselves).
	FallbackInstall string
	// IsDir reports whether a folder exists on the node: the software
	// folder is the first of tmsversion.SoftwareCandidates below the web
	// root that does. Nil checks nothing (the web root's Data\Software).
	IsDir func(winPath string) bool
}

// TMSFacts chooses the tms block of facts.json: install path from the
// uninstall entry, the TMS key, the web root's parent, or the installed
// files; web root from IIS, else <install>\wwwTMS; the software folder
// below the web root, the newest release's that exists (TMS 15 keeps
// packages in Public\Data\SystemSoftware, older releases in
// Data\Software); version and database from the uninstall entry and the
// TMS key. Nil when nothing was found.
func (i InstallInfo) TMSFacts() *facts.TMSFacts {
	trim := func(p string) string { return strings.TrimRight(strings.TrimSpace(p), `\`) }
	t := &facts.TMSFacts{}
	webRoot := trim(i.IISWebRoot)
	install := first(trim(i.UninstallLocation), trim(i.RegInstall))
	if install == "" && webRoot != "" {
		if parent, leaf := splitWin(webRoot); strings.EqualFold(leaf, "wwwTMS") {
			install = parent
		}
	}
	if install == "" {
		install = trim(i.FallbackInstall)
	}
	if webRoot == "" && install != "" {
		webRoot = install + `\wwwTMS`
	}
	t.InstallPath, t.WebRoot = install, webRoot
	if webRoot != "" {
		t.SoftwareDir = webRoot + `\Data\Software`
		for _, rel := range tmsversion.SoftwareCandidates() {
			if i.IsDir != nil && i.IsDir(webRoot+`\`+rel) {
				t.SoftwareDir = webRoot + `\` + rel
				break
			}
		}
	}
	t.Version = first(strings.TrimSpace(i.UninstallVersion), strings.TrimSpace(i.RegVersion))
	t.DBServer = strings.TrimSpace(i.RegDBServer)
	t.DBName = strings.TrimSpace(i.RegDBName)
	if *t == (facts.TMSFacts{}) {
		return nil
	}
	return t
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// splitWin splits a Windows path into its folder and last component.
func splitWin(p string) (dir, leaf string) {
	i := strings.LastIndex(p, `\`)
	if i < 0 {
		return "", p
	}
	return p[:i], p[i+1:]
}

// WebRootFromAppHost reads the physical folder of the /tms application
// from IIS's applicationHost.config, expanding %variables% with expand.
// "" when no site has a /tms application.
func WebRootFromAppHost(data []byte, expand func(string) string) (string, error) {
	apps, err := AppsFromAppHost(data, expand)
	if err != nil {
		return "", err
	}
	for _, a := range apps {
		if strings.EqualFold(a.Path, "/tms") {
			return a.PhysicalPath, nil
		}
	}
	return "", nil
}

// ExpandPercent expands %NAME% with lookup, leaving unknown names as they
// are (what Windows' ExpandEnvironmentStrings does).
func ExpandPercent(s string, lookup func(string) (string, bool)) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '%')
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		j := strings.IndexByte(s[i+1:], '%')
		if j < 0 {
			b.WriteString(s)
			return b.String()
		}
		name := s[i+1 : i+1+j]
		b.WriteString(s[:i])
		if v, ok := lookup(name); ok && name != "" {
			b.WriteString(v)
		} else {
			b.WriteString(s[i : i+j+2])
		}
		s = s[i+j+2:]
	}
}
