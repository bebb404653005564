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

	"github.com/tmsdrift/tmsdrift/fixtures"
	"github.com/tmsdrift/tmsdrift/history"
	"github.com/tmsdrift/tmsdrift/serve"
)

// TestServiceChild is not a test: under the service manager, the test
// binary started by TestServiceLifecycle runs here as the service. Its
// "serve" writes started.txt, waits for the stop and writes stopped.txt.
func TestServiceChild(t *testing.T) {
	args := flag.Args()
	if len(args) == 3 && args[0] == "serve" {
		serveChild(args[1], args[2])
		return
	}
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

// serveChild is the real service: tmsdrift serve on inventory, logging
// to logFile and the Event Log, under the service manager.
func serveChild(inventory, logFile string) {
	f, err := os.OpenFile(logFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return
	}
	defer f.Close()
	var h slog.Handler = slog.NewTextHandler(f, nil)
	if events, closeEvents, err := EventLog("tmsdrift-serve-test"); err == nil {
		defer closeEvents() //nolint:errcheck // best effort
		h = slog.NewMultiHandler(h, events)
	}
	log := slog.New(h)
	// As cmd/tmsdrift's serve does it under the service manager.
	_ = RunServe("tmsdrift-serve-test", log, func() (func(context.Context) error, error) {
		svc, err := serve.New(serve.Options{InventoryPath: inventory, Log: log})
		if err != nil {
			return nil, err
		}
		return svc.Serve, nil
	})
}

// TestServeAsServiceBadInventory: a service whose inventory is invalid
// stops at once, and its log file (it has no console) says why, problem
// by problem.
func TestServeAsServiceBadInventory(t *testing.T) {
	exe, err := os.Executable()
	require.NoError(t, err)
	dir, err := os.MkdirTemp("", "tmsdrift-serve-bad-")
	require.NoError(t, err)
	defer os.RemoveAll(dir) //nolint:errcheck // best effort
	require.NoError(t, os.CopyFS(dir, os.DirFS(filepath.Join(fixtures.LabsDir(), "single"))))
	inv := filepath.Join(dir, "inventory.yaml")
	raw, err := os.ReadFile(inv)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(inv, append(raw, []byte("colour: blue\n")...), 0o600))
	logFile := filepath.Join(dir, "serve.log")

	const name = "tmsdrift-serve-test"
	_ = Uninstall(name)
	_, err = Install(Config{Name: name, Exe: exe, Args: []string{"-test.run=^TestServiceChild$", "serve", inv, logFile}})
	require.NoError(t, err)
	defer func() { assert.NoError(t, Uninstall(name)) }()
	require.NoError(t, Start(name))
	require.Eventually(t, func() bool { return strings.Contains(read(logFile), "service not started") }, 60*time.Second, 200*time.Millisecond,
		"the log says why the service did not start; log:\n%s", read(logFile))
	assert.Contains(t, read(logFile), "colour: unknown key")
}

// TestServeAsService runs the real `serve` under the service manager on a
// copy of a lab: it audits every second, and a service stop leaves a
// history of complete runs only.
func TestServeAsService(t *testing.T) {
	exe, err := os.Executable()
	require.NoError(t, err)
	dir, err := os.MkdirTemp("", "tmsdrift-serve-")
	require.NoError(t, err)
	defer os.RemoveAll(dir) //nolint:errcheck // best effort
	require.NoError(t, os.CopyFS(dir, os.DirFS(filepath.Join(fixtures.LabsDir(), "post-upgrade"))))
	inv := filepath.Join(dir, "inventory.yaml")
	raw, err := os.ReadFile(inv)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(inv, append(raw, []byte("schedule:\n  audit: '@every 1s'\n  time_zone: Europe/Oslo\n  listen: '127.0.0.1:0'\n")...), 0o600))
	logFile := filepath.Join(dir, "serve.log")

	const name = "tmsdrift-serve-test"
	_ = Uninstall(name)
	_, err = Install(Config{Name: name, Exe: exe, Args: []string{"-test.run=^TestServiceChild$", "serve", inv, logFile}})
	require.NoError(t, err)
	defer func() { assert.NoError(t, Uninstall(name)) }()
	require.NoError(t, Start(name))
	store := history.Open(filepath.Join(dir, ".tmsdrift", "history"))
	require.Eventually(t, func() bool {
		ids, _ := store.IDs()
		return len(ids) >= 2
	}, 60*time.Second, 200*time.Millisecond, "the service records runs; log:\n%s", read(logFile))
	require.NoError(t, Stop(name))

	entries, err := os.ReadDir(store.Dir())
	require.NoError(t, err)
	for _, e := range entries {
		if e.Name() == history.IndexFile {
			continue
		}
		require.True(t, history.ValidID(e.Name()), "only complete runs in the history, found %s", e.Name())
		r, err := store.Get(e.Name())
		require.NoError(t, err)
		assert.Equal(t, 1, r.ExitCode, "the post-upgrade lab drifts")
		assert.Len(t, r.Files, 3)
	}
	logged := read(logFile)
	assert.Contains(t, logged, "msg=\"service started\"")
	assert.Contains(t, logged, "msg=run ")
	assert.Contains(t, logged, "msg=\"service stopped\"")
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

func read(p string) string {
	b, _ := os.ReadFile(p)
	return strings.TrimSpace(string(b))
}
