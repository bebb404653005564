//go:build windows

package winservice

import (
	"context"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestServiceChild is not a test: under the service manager, the test
// binary started by TestServiceLifecycle runs here as the service. Its
// "serve" writes started.txt, waits for the stop and writes stopped.txt.
// The real serve runs as a service in exe_windows_test.go, in the real
// tmsdrift.exe.
func TestServiceChild(t *testing.T) {
	args := flag.Args()
	if len(args) < 2 || args[0] != "child" {
		return // only the service process of TestServiceLifecycle
	}
	dir := args[1]
	err := Run("tmsdrift-test", func(ctx context.Context) error {
		h, closeLog, err := EventLog("tmsdrift-test")
		if err == nil {
			slog.New(h).Info("service running", "dir", dir)
			defer closeLog()
		}
		if err := os.WriteFile(filepath.Join(dir, "started.txt"), []byte("started"), 0o600); err != nil {
			return err
		}
		<-ctx.Done()
		return os.WriteFile(filepath.Join(dir, "stopped.txt"), []byte("stopped after cancel"), 0o600)
	})
	if err != nil {
		_ = os.WriteFile(filepath.Join(dir, "error.txt"), []byte(err.Error()), 0o600)
	}
}

// TestServiceLifecycle installs the test binary as a service through the
// service manager, starts it, sees it run, stops it (the stop cancels
// serve's context), and uninstalls it. Under Wine this is Wine's own
// services.exe.
func TestServiceLifecycle(t *testing.T) {
	exe, err := os.Executable()
	require.NoError(t, err)
	// Not t.TempDir: Wine refuses its recursive removal ("Invalid function").
	dir, err := os.MkdirTemp("", "tmsdrift-service-")
	require.NoError(t, err)
	defer os.RemoveAll(dir) //nolint:errcheck // best effort
	const name = "tmsdrift-test"
	_ = Uninstall(name) // a leftover of an interrupted run
	line, err := Install(Config{Name: name, Exe: exe, Args: []string{"-test.run=^TestServiceChild$", "child", dir}})
	require.NoError(t, err)
	assert.Contains(t, line, "TestServiceChild")
	_, err = Install(Config{Name: name, Exe: exe})
	assert.ErrorContains(t, err, "already installed")
	defer func() { assert.NoError(t, Uninstall(name)) }()

	require.NoError(t, Start(name))
	require.Eventually(t, func() bool { return exists(filepath.Join(dir, "started.txt")) }, 30*time.Second, 100*time.Millisecond,
		"the service runs serve (error: %s)", read(filepath.Join(dir, "error.txt")))
	require.NoError(t, Stop(name))
	assert.Equal(t, "stopped after cancel", read(filepath.Join(dir, "stopped.txt")), "the stop cancelled serve's context and waited for it")
	assert.False(t, IsService(), "the test itself is not a service")
}

func TestNotInstalled(t *testing.T) {
	assert.ErrorContains(t, Start("tmsdrift-no-such-service"), "is not installed")
	assert.ErrorContains(t, Stop("tmsdrift-no-such-service"), "is not installed")
	assert.ErrorContains(t, Uninstall("tmsdrift-no-such-service"), "is not installed")
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

func read(p string) string {
	b, _ := os.ReadFile(p)
	return strings.TrimSpace(string(b))
}
