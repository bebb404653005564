package psscript

import (
	"strings"

	"github.com/tmsdrift/tmsdrift/inventory"
)

// Where TMS keeps its settings in the registry is not published (no
// Cisco document, script, module or API client says, issue 10); these
// are tmsdrift assumptions, guesses (docs/transports.md, Where TMS keeps
// what), tried
// after whatever the inventory's registry block names (what `tmsdrift
// discover node` found on the deployment). The local transport and the
// collector script try the same names, in the same order.
var (
	// GuessedKeys are the TMS key in the 64-bit and 32-bit views, under
	// HKEY_LOCAL_MACHINE.
	GuessedKeys = []string{
		`SOFTWARE\Tandberg\TANDBERG Management Suite`,
		`SOFTWARE\WOW6432Node\Tandberg\TANDBERG Management Suite`,
	}
	GuessedInstallValues  = []string{"InstallDir", "InstallPath", "InstallLocation"}
	GuessedVersionValues  = []string{"Version", "CurrentVersion"}
	GuessedDBServerValues = []string{"DatabaseServer", "DbServer", "SqlServer", "DatabaseServerName"}
	GuessedDBNameValues   = []string{"DatabaseName", "DbName"}
)

// Registry is where the collector looks for TMS's settings: keys under
// HKEY_LOCAL_MACHINE and, per fact, the value names to try, in order.
type Registry struct {
	Keys     []string `json:"keys"`
	Install  []string `json:"install"`
	Version  []string `json:"version"`
	DBServer []string `json:"db_server"`
	DBName   []string `json:"db_name"`
}

// RegistryFor is the inventory's registry block first, then the guesses.
func RegistryFor(r inventory.Registry) Registry {
	first := func(name string, guesses []string) []string {
		name = strings.TrimSpace(name)
		out := []string{}
		if name != "" {
			out = append(out, name)
		}
		for _, g := range guesses {
			if !strings.EqualFold(g, name) {
				out = append(out, g)
			}
		}
		return out
	}
	return Registry{
		Keys:     first(KeyBelowHKLM(r.Key), GuessedKeys),
		Install:  first(r.InstallPath, GuessedInstallValues),
		Version:  first(r.Version, GuessedVersionValues),
		DBServer: first(r.DBServer, GuessedDBServerValues),
		DBName:   first(r.DBName, GuessedDBNameValues),
	}
}

// KeyBelowHKLM strips a HKLM\ or HKEY_LOCAL_MACHINE\ prefix: the inventory
// may write the key either way.
func KeyBelowHKLM(key string) string {
	k := strings.TrimSpace(key)
	for _, pre := range []string{`HKLM\`, `HKEY_LOCAL_MACHINE\`, `HKLM:\`} {
		if len(k) >= len(pre) && strings.EqualFold(k[:len(pre)], pre) {
			return k[len(pre):]
		}
	}
	return k
}
