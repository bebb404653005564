// Package winservice runs `tmsdrift serve` as a Windows service: install,
// uninstall, start and stop it through the service control manager
// (golang.org/x/sys/windows/svc/mgr), run under it (svc), and write the
// service's log to the Windows Event Log (svc/eventlog). On other systems
// every function says that it needs Windows; Linux uses a systemd unit
// (docs/service.md).
package winservice

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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

// RunServe is serve's life as a service. setup builds the service (reads
// the inventory, checks the listen address) and returns its serve. A
// service has no console: whatever stops it — setup failing, serve
// failing (the port is taken) — is logged to log (its file and the Event
// Log), and when setup fails the service manager still hears from the
// service, which stops with an error at once rather than leave the
// manager waiting for a start that never answers. The error is returned
// too, for the exit code.
func RunServe(serviceName string, log *slog.Logger, setup func() (func(context.Context) error, error)) error {
	serve, err := setup()
	if err != nil {
		log.Error("service not started", "error", err)
		if runErr := Run(serviceName, func(context.Context) error { return err }); runErr != nil && !errors.Is(runErr, err) {
			log.Error("service manager", "error", runErr)
		}
		return err
	}
	if err := Run(serviceName, serve); err != nil {
		log.Error("service failed", "error", err)
		return err
	}
	return nil
}
