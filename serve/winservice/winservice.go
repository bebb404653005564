// Package winservice runs `tmsdrift serve` as a Windows service: install,
// uninstall, start and stop it through the service control manager
// (golang.org/x/sys/windows/svc/mgr), run under it (svc), and write the
// service's log to the Windows Event Log (svc/eventlog). On other systems
// every function says that it needs Windows; Linux uses a systemd unit
// (docs/service.md).
package winservice

import (
	"errors"
	"fmt"
	"strings"
)

// DefaultName is the service's name in the service control manager and
// the Event Log source.
const DefaultName = "tmsdrift"

// Config describes the service to install.
type Config struct {
	// Name is the service's key name (DefaultName when empty).
	Name string
	// Exe is the absolute path of tmsdrift.exe.
	Exe string
	// Args are the arguments the service manager starts it with:
	// "serve -i C:\...\inventory.yaml --log-file ...".
	Args []string
}

// ErrNotWindows is what every operation returns on other systems.
var ErrNotWindows = errors.New("Windows services exist only on Windows; on Linux run `tmsdrift serve` from a systemd unit (docs/service.md)")

// name is n or the default.
func name(n string) string {
	if n == "" {
		return DefaultName
	}
	return n
}

// displayName and description are what the Services console shows.
const (
	displayName = "tmsdrift — TMS redundancy compliance"
	description = "Audits the redundant Cisco TMS deployment on a schedule, keeps the history, serves reports and metrics, and notifies (tmsdrift serve)."
)

// commandLine shows how the service manager will start the service, for
// messages.
func commandLine(c Config) string {
	parts := append([]string{quote(c.Exe)}, c.Args...)
	for i := 1; i < len(parts); i++ {
		parts[i] = quote(parts[i])
	}
	return strings.Join(parts, " ")
}

func quote(s string) string {
	if s == "" || strings.ContainsAny(s, " \t\"") {
		return fmt.Sprintf("%q", s)
	}
	return s
}
