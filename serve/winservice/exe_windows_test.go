//go:build windows

package winservice

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/mgr"

	"github.com/tmsdrift/tmsdrift/fixtures"
	"github.com/tmsdrift/tmsdrift/history"
)

// The tests in this file drive the real tmsdrift.exe — its `service`
// command and its `serve` under the service manager (cmd/tmsdrift) —
// where the tests beside them stand the test binary in for it.

// exeServiceName keeps these tests' service apart from a real tmsdrift
// service and from the other tests' one.
const exeServiceName = "tmsdrift-exe-test"

// tmsdriftExe is the Windows tmsdrift.exe that `make test-windows` builds
// and names in TMSDRIFT_EXE. Without it the test fails under CI and skips
// loudly elsewhere.
func tmsdriftExe(t *testing.T) string {
	t.Helper()
	p := os.Getenv("TMSDRIFT_EXE")
	if p == "" {
		msg := "TMSDRIFT_EXE is not set: this test runs the real tmsdrift.exe as a service; `make test-windows` builds it and sets TMSDRIFT_EXE"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip("SKIPPED: " + msg)
	}
	abs, err := filepath.Abs(p)
	require.NoError(t, err)
	require.FileExists(t, abs, "TMSDRIFT_EXE")
	return abs
}

// tmsdrift runs tmsdrift.exe with args and returns its combined output
// and exit code.
func tmsdrift(t *testing.T, exe string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, exe, args...).CombinedOutput()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return string(out), ee.ExitCode()
		}
		require.NoError(t, err, "run tmsdrift.exe %s", strings.Join(args, " "))
	}
	return string(out), 0
}

// installExe installs tmsdrift.exe as the service exeServiceName on inv
// (with its default log file) through `tmsdrift service install`, and
// makes sure the service is gone when the test ends.
func installExe(t *testing.T, exe, inv string) {
	t.Helper()
	_ = Uninstall(exeServiceName) // a leftover of an interrupted run
	out, code := tmsdrift(t, exe, "service", "install", "--name", exeServiceName, "-i", inv)
	require.Equal(t, 0, code, "service install: %s", out)
	assert.Contains(t, out, "Installed service "+exeServiceName+": ")
	assert.Contains(t, out, " serve -i "+inv+" --log-file ", "the service runs serve on the inventory")
	t.Cleanup(func() { _ = Uninstall(exeServiceName) }) // when the test failed before its uninstall
}

// state is what the service manager says of the service.
func state(name string) (svc.Status, error) {
	m, err := mgr.Connect()
	if err != nil {
		return svc.Status{}, err
	}
	defer m.Disconnect() //nolint:errcheck // best effort
	s, err := m.OpenService(name)
	if err != nil {
		return svc.Status{}, err
	}
	defer s.Close()
	return s.Query()
}

// TestExeServiceLifecycle installs the real tmsdrift.exe as a service on
// a copy of a lab, starts it, sees serve audit under the service manager
// (a run folder with run.json and the reports, the run in its log file),
// stops it (within serve's documented 10 s, leaving complete run folders
// only) and uninstalls it, all through tmsdrift.exe's `service` command.
func TestExeServiceLifecycle(t *testing.T) {
	exe := tmsdriftExe(t)
	dir, inv := labCopy(t, "post-upgrade", everySecond)
	logFile := filepath.Join(dir, ".tmsdrift", "serve.log") // install's default
	installExe(t, exe, inv)

	out, code := tmsdrift(t, exe, "service", "start", "--name", exeServiceName)
	require.Equal(t, 0, code, "service start: %s", out)
	assert.Contains(t, out, "Started service "+exeServiceName)
	store := history.Open(filepath.Join(dir, ".tmsdrift", "history"))
	var first string
	require.Eventually(t, func() bool {
		ids, _ := store.IDs()
		for _, id := range ids {
			if exists(filepath.Join(store.Dir(), id, "run.json")) && exists(filepath.Join(store.Dir(), id, "report.json")) {
				first = id
				return true
			}
		}
		return false
	}, 60*time.Second, 200*time.Millisecond, "the service records a run; log:\n%s", read(logFile))
	require.Eventually(t, func() bool { return strings.Contains(read(logFile), "msg=run id="+first) }, 10*time.Second, 100*time.Millisecond,
		"the log file says the run %s; log:\n%s", first, read(logFile))
	st, err := state(exeServiceName)
	require.NoError(t, err)
	assert.Equal(t, svc.Running, st.State)

	began := time.Now()
	out, code = tmsdrift(t, exe, "service", "stop", "--name", exeServiceName)
	took := time.Since(began)
	require.Equal(t, 0, code, "service stop: %s", out)
	assert.Contains(t, out, "Stopped service "+exeServiceName)
	assert.Less(t, took, 10*time.Second, "docs/service.md: a stop ends serve within 10 s")
	st, err = state(exeServiceName)
	require.NoError(t, err)
	assert.Equal(t, svc.Stopped, st.State)

	entries, err := os.ReadDir(store.Dir())
	require.NoError(t, err)
	runs := 0
	for _, e := range entries {
		if e.Name() == history.IndexFile {
			continue
		}
		require.True(t, history.ValidID(e.Name()), "only complete runs in the history, found %s", e.Name())
		r, err := store.Get(e.Name())
		require.NoError(t, err)
		assert.Equal(t, 1, r.ExitCode, "the post-upgrade lab drifts")
		for _, f := range append([]string{"run.json"}, r.Files...) {
			assert.FileExists(t, filepath.Join(store.Dir(), e.Name(), f))
		}
		assert.Contains(t, r.Files, "report.json")
		runs++
	}
	assert.Positive(t, runs)
	logged := read(logFile)
	assert.Contains(t, logged, `msg="service started" inventory=`)
	assert.Contains(t, logged, "msg=run id="+first+" trigger=schedule deployment=acme-post-upgrade verdict=fail exit=1")
	assert.Contains(t, logged, `msg="service stopped"`)
	assert.NotContains(t, logged, "no Event Log", "the Event Log source opened (Wine cannot read it back)")

	out, code = tmsdrift(t, exe, "service", "uninstall", "--name", exeServiceName)
	require.Equal(t, 0, code, "service uninstall: %s", out)
	assert.Contains(t, out, "Removed service "+exeServiceName)
	_, err = state(exeServiceName)
	assert.Error(t, err, "the service manager no longer knows the service")
	out, code = tmsdrift(t, exe, "service", "start", "--name", exeServiceName)
	assert.NotEqual(t, 0, code)
	assert.Contains(t, out, "service "+exeServiceName+" is not installed")
}

// TestExeServiceBadInventory: tmsdrift.exe installed as a service on a
// good inventory that is then broken fails to start — the service
// manager sees it stop with an error — and its log file says why, with
// the file and line of the problem.
func TestExeServiceBadInventory(t *testing.T) {
	exe := tmsdriftExe(t)
	dir, inv := labCopy(t, "single", "")
	logFile := filepath.Join(dir, ".tmsdrift", "serve.log")
	installExe(t, exe, inv) // install refuses an invalid inventory: break it afterwards
	raw, err := os.ReadFile(inv)
	require.NoError(t, err)
	line := strings.Count(string(raw), "\n") + 1
	appendFile(t, inv, "colour: blue\n")

	out, code := tmsdrift(t, exe, "service", "start", "--name", exeServiceName)
	require.Equal(t, 0, code, "the service manager starts the process: %s", out)
	// The error is quoted in the log line: its backslashes doubled.
	want := strings.Trim(strconv.Quote(fmt.Sprintf("%s:%d:1: colour: unknown key", inv, line)), `"`)
	require.Eventually(t, func() bool { return strings.Contains(read(logFile), "service not started") }, 60*time.Second, 200*time.Millisecond,
		"the log says why the service did not start; log:\n%s", read(logFile))
	assert.Contains(t, read(logFile), want)
	var st svc.Status
	require.Eventually(t, func() bool {
		st, err = state(exeServiceName)
		return err == nil && st.State == svc.Stopped
	}, 30*time.Second, 200*time.Millisecond, "the service stops at once (state %v, error %v)", st.State, err)
	assert.Equal(t, uint32(windows.ERROR_SERVICE_SPECIFIC_ERROR), st.Win32ExitCode, "the service manager hears of the failure")
	assert.Equal(t, uint32(1), st.ServiceSpecificExitCode)
	assert.NotContains(t, read(logFile), "service started")

	out, code = tmsdrift(t, exe, "service", "uninstall", "--name", exeServiceName)
	require.Equal(t, 0, code, "service uninstall: %s", out)
}

// everySecond is an inventory's schedule block that makes serve audit
// at once and every second after, in a zone Wine knows only from the
// embedded zone data, on a port of its own.
const everySecond = "schedule:\n  audit: '@every 1s'\n  time_zone: Europe/Oslo\n  listen: '127.0.0.1:0'\n"

// labCopy copies the lab fixtures/labs/<lab> to a new folder, removed
// when the test ends, and appends extra to the copy's inventory.yaml. It
// returns the folder and the inventory's path.
func labCopy(t *testing.T, lab, extra string) (dir, inv string) {
	t.Helper()
	// Not t.TempDir: Wine refuses its recursive removal ("Invalid function").
	dir, err := os.MkdirTemp("", "tmsdrift-"+lab+"-")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(dir) }) // best effort
	require.NoError(t, os.CopyFS(dir, os.DirFS(filepath.Join(fixtures.LabsDir(), lab))))
	inv = filepath.Join(dir, "inventory.yaml")
	appendFile(t, inv, extra)
	return dir, inv
}

// appendFile appends text to the file at p.
func appendFile(t *testing.T, p, text string) {
	t.Helper()
	raw, err := os.ReadFile(p)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(p, append(raw, text...), 0o600))
}

// TestExeServiceCommandLineInAConsole: the service's own command line
// (serve with --service-name) started from a console, not by the service
// manager, ends at once and says how to start the service or run serve
// by hand, instead of waiting for a service manager that never calls.
func TestExeServiceCommandLineInAConsole(t *testing.T) {
	exe := tmsdriftExe(t)
	_, inv := labCopy(t, "single", everySecond)
	out, code := tmsdrift(t, exe, "serve", "-i", inv, "--service-name", exeServiceName)
	assert.NotZero(t, code, out)
	assert.Contains(t, out, "`tmsdrift service start`", out)
	assert.Contains(t, out, "without it", out)
}
