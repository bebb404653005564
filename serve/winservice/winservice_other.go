//go:build !windows

package winservice

import (
	"context"
	"log/slog"
)

// Install would register the service; it needs Windows.
func Install(Config) (string, error) { return "", ErrNotWindows }

// Uninstall would remove the service; it needs Windows.
func Uninstall(string) error { return ErrNotWindows }

// Start would start the service; it needs Windows.
func Start(string) error { return ErrNotWindows }

// Stop would stop the service; it needs Windows.
func Stop(string) error { return ErrNotWindows }

// IsService reports whether the process runs under the Windows service
// manager: never, here.
func IsService() bool { return false }

// Run would run serve under the service manager; it needs Windows.
func Run(string, func(ctx context.Context) error) error { return ErrNotWindows }

// EventLog would open the Event Log; it needs Windows.
func EventLog(string) (slog.Handler, func() error, error) { return nil, nil, ErrNotWindows }
