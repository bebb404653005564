//go:build !windows

package main

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/history"
	"github.com/tmsdrift/tmsdrift/internal/atomicfile"
)

// TestServeChild is not a test: TestServeSIGTERMMidRun runs the test
// binary again with TMSDRIFT_SERVE_CHILD set, and this is then the real
// tmsdrift main with the arguments it passes.
func TestServeChild(t *testing.T) {
	args := os.Getenv("TMSDRIFT_SERVE_CHILD")
	if args == "" {
		return // only a helper process: see TestServeSIGTERMMidRun
	}
	os.Args = append([]string{"tmsdrift"}, strings.Split(args, "\x1f")...)
	main()
}

// TestServeSIGTERMMidRun: SIGTERM (and SIGINT) while a run waits on a node or a
// database that never answers stops the service with exit 0 within 10 s,
// and the history holds only complete runs: the one in flight is absent.
func TestServeSIGTERMMidRun(t *testing.T) {
	t.Run("node stalls", func(t *testing.T) { signalMidRun(t, syscall.SIGTERM, false) })
	t.Run("database stalls", func(t *testing.T) { signalMidRun(t, syscall.SIGTERM, true) })
	// Ctrl-C in a console (serve run by hand) is SIGINT: the same stop.
	t.Run("SIGINT", func(t *testing.T) { signalMidRun(t, syscall.SIGINT, false) })
}

func signalMidRun(t *testing.T, sig syscall.Signal, stallDB bool) {
	dir, inv := labCopy(t, "post-upgrade")
	// Two complete runs first, from the recorded database.
	for range 2 {
		code, _, stderr := tmsdrift(t, "serve", "--once", "-i", inv)
		require.Equal(t, 1, code, stderr)
	}

	// A "SQL Server" that accepts the connection and never says a word.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		var held []net.Conn
		for {
			c, err := ln.Accept()
			if err != nil {
				for _, c := range held {
					c.Close()
				}
				return
			}
			held = append(held, c)
		}
	}()
	// Either the database (live, from the silent listener) or tms03 (over
	// WinRM to it) never answers.
	live := filepath.Join(dir, "inventory.live.yaml")
	raw, err := os.ReadFile(live)
	require.NoError(t, err)
	src := strings.Replace(string(raw), "  max_latency_ms: 10\n", "  max_latency_ms: 10\n  connect_timeout_seconds: 600\n", 1)
	if !stallDB {
		raw, err = os.ReadFile(inv)
		require.NoError(t, err)
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		src = strings.Replace(string(raw), "transport: {kind: dir, path: nodes/tms03}",
			"transport: {kind: winrm, host: 127.0.0.1, port: "+port+", auth: basic, insecure_skip_verify: true, timeout_seconds: 600}", 1)
		require.NotEqual(t, string(raw), src)
	}
	src += "schedule:\n  audit: '@every 1s'\n  listen: '127.0.0.1:0'\n  history_dir: .tmsdrift/history\n"
	require.NoError(t, os.WriteFile(live, []byte(src), 0o644))

	child := exec.Command(os.Args[0], "-test.run=^TestServeChild$", "-test.count=1")
	child.Env = append(os.Environ(),
		"TMSDRIFT_SERVE_CHILD="+strings.Join([]string{"serve", "-i", live, "--log-format", "json"}, "\x1f"),
		"TMSDRIFT_DSN=sqlserver://tmsdrift:pw@"+ln.Addr().String()+"?database=tmsng&encrypt=disable",
		"TMSDRIFT_USER=tmsdrift", "TMSDRIFT_PASSWORD=pw")
	var logs strings.Builder
	child.Stdout, child.Stderr = &logs, &logs
	require.NoError(t, child.Start())

	hist := filepath.Join(dir, ".tmsdrift", "history")
	require.Eventually(t, func() bool { return pendingRun(t, hist) }, 20*time.Second, 10*time.Millisecond,
		"a run is in flight (its temporary folder exists)")
	time.Sleep(200 * time.Millisecond) // let it get well into the database wait
	require.True(t, pendingRun(t, hist), "still in flight")

	stopped := time.Now()
	require.NoError(t, child.Process.Signal(sig))
	waited := make(chan error, 1)
	go func() { waited <- child.Wait() }()
	select {
	case err := <-waited:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("exit code %d, want 0\n%s", ee.ExitCode(), logs.String())
		}
		require.NoError(t, err, logs.String())
	case <-time.After(10 * time.Second):
		_ = child.Process.Kill()
		t.Fatalf("serve did not stop within 10 s of %v\n%s", sig, logs.String())
	}
	assert.Less(t, time.Since(stopped), 10*time.Second)
	// The WinRM client and the live SQL Server probe (also while it waits
	// for the pre-login answer: collect/sqlserver's dialer) notice the
	// cancellation: the run removes its own folder, the service need not
	// give it up.
	assert.Contains(t, logs.String(), `"msg":"run cancelled: the service is stopping"`)
	assert.NotContains(t, logs.String(), "its folder was removed", "the run noticed the cancellation; it was not abandoned")
	assert.Contains(t, logs.String(), `"msg":"service stopped"`)

	// Every run folder is complete or absent.
	entries, err := os.ReadDir(hist)
	require.NoError(t, err)
	var runs []string
	for _, e := range entries {
		require.False(t, atomicfile.IsTemp(e.Name()), "half-written %s left behind", e.Name())
		if e.Name() == history.IndexFile {
			continue
		}
		require.True(t, history.ValidID(e.Name()), "unexpected %s in the history", e.Name())
		runs = append(runs, e.Name())
	}
	require.Len(t, runs, 2, "the two complete runs; the cancelled one is absent")
	store := history.Open(hist)
	for _, id := range runs {
		r, err := store.Get(id)
		require.NoError(t, err)
		require.Equal(t, []string{history.ReportHTML, history.ReportJSON, history.ReportMarkdown}, r.Files)
		for _, f := range r.Files {
			st, err := os.Stat(filepath.Join(hist, id, f))
			require.NoError(t, err)
			assert.Positive(t, st.Size(), f)
		}
		_, err = store.Report(id)
		assert.NoError(t, err, "report.json parses")
	}
}

// pendingRun reports whether the history holds a run being written.
func pendingRun(t *testing.T, hist string) bool {
	entries, err := os.ReadDir(hist)
	if err != nil {
		return false
	}
	return slices.ContainsFunc(entries, func(e os.DirEntry) bool { return e.IsDir() && atomicfile.IsTemp(e.Name()) })
}
