//go:build unix

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/fixtures/tdsserver"
	"github.com/tmsdrift/tmsdrift/report"
)

// `init -o /dev/stdout`, `-o /dev/null`, a FIFO and process substitution
// were refused ("exists; use --force") although nothing there can be
// overwritten, and with --force the starter's comments told the user to
// run `validate -i /dev/stdout`. They are written through now, like
// audit's and keygen's -o; a folder is refused before anything else.
func TestInitWritesThroughDevicesAndPipes(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "starter.pipe")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	got := readFIFO(fifo)
	code, stdout, stderr := tmsdrift(t, "init", "--model", "manual-cutover", "-o", fifo)
	assert.Equal(t, report.ExitOK, code, stderr)
	assert.Empty(t, stdout)
	starter := <-got
	assert.Contains(t, starter, "model: manual-cutover")
	assert.Contains(t, starter, "-i inventory.yaml", "the comments name a file, not the pipe")
	assert.NotContains(t, starter, fifo)
	st, err := os.Lstat(fifo)
	require.NoError(t, err)
	assert.NotZero(t, st.Mode()&fs.ModeNamedPipe, "the FIFO is still a FIFO")

	code, _, stderr = tmsdrift(t, "init", "--model", "single", "-o", os.DevNull)
	assert.Equal(t, report.ExitOK, code, stderr)
	st, err = os.Stat(os.DevNull)
	require.NoError(t, err)
	assert.NotZero(t, st.Mode()&fs.ModeCharDevice)

	code, _, stderr = tmsdrift(t, "init", "--model", "single", "-o", dir)
	assert.Equal(t, report.ExitUsage, code)
	assert.Contains(t, stderr, dir+": is a folder; name a file in it")
	assertOnlyFiles(t, dir, "starter.pipe")
}

// --hash-cache on a FIFO blocked the audit for ever (the cache is read
// first); on /dev/stdout it mixed the cache into the report; on a file
// that is not a cache (the inventory, by a slip of the shell's
// completion) it took it for a damaged cache and replaced it.
func TestHashCacheNeverBlocksOrDestroys(t *testing.T) {
	dir, inv := labCopy(t, "data-drift")
	fifo := filepath.Join(t.TempDir(), "cache.pipe") // not in the lab: files() would read it
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	for _, bad := range []string{fifo, os.DevNull} {
		code, stdout, stderr := tmsdrift(t, "audit", "-i", inv, "--hash-cache", bad)
		assert.Equal(t, report.ExitUsage, code, stderr)
		assert.Empty(t, stdout)
		assert.Contains(t, stderr, "--hash-cache "+bad+": is a device or a pipe")
	}
	before := files(t, dir)
	code, stdout, stderr := tmsdrift(t, "audit", "-i", inv, "--hash-cache", inv)
	assert.Equal(t, report.ExitFail, code, stderr)
	assert.Contains(t, stdout, "data.synced")
	assert.Contains(t, stderr, inv+" is not a tmsdrift hash cache; not used, and left as it is")
	assert.Equal(t, before, files(t, dir), "the inventory is kept byte for byte")
}

// serve --log-file opened its file with O_CREATE through whatever was
// there: a dangling link created the file it pointed at, wherever that
// was. It follows the one write implementation's rules now.
func TestServeLogFileFollowsTheWriteRules(t *testing.T) {
	dir, inv := labCopy(t, "single")
	elsewhere := filepath.Join(t.TempDir(), "planted.log")
	link := filepath.Join(dir, "serve.log")
	require.NoError(t, os.Symlink(elsewhere, link))
	code, _, stderr := tmsdrift(t, "serve", "--once", "-i", inv, "--log-file", link)
	assert.Equal(t, report.ExitUsage, code, stderr)
	assert.Contains(t, stderr, "--log-file: "+link+": is a symbolic link to")
	_, err := os.Stat(elsewhere)
	assert.ErrorIs(t, err, fs.ErrNotExist, "nothing created where the link points")

	code, _, stderr = tmsdrift(t, "serve", "--once", "-i", inv, "--log-file", dir)
	assert.Equal(t, report.ExitUsage, code, stderr)
	assert.Contains(t, stderr, dir+": is a folder; name a file in it")

	logFile := filepath.Join(dir, "real.log")
	require.NoError(t, os.WriteFile(logFile, []byte("earlier\n"), 0o600))
	require.NoError(t, os.Remove(link))
	require.NoError(t, os.Symlink("real.log", link))
	code, _, stderr = tmsdrift(t, "serve", "--once", "-i", inv, "--log-file", link)
	assert.Equal(t, report.ExitOK, code, stderr)
	data, err := os.ReadFile(logFile)
	require.NoError(t, err)
	assert.Regexp(t, `^earlier\n.*msg=run`, string(data), "appended through the link")
	code, _, stderr = tmsdrift(t, "serve", "--once", "-i", inv, "--log-file", os.DevNull)
	assert.Equal(t, report.ExitOK, code, stderr)
}

// `snapshot db -o /dev/stdout > db.json`: db.json was written through a
// second opening of the shell's file (its own offset), then the
// confirmation went to standard output at offset 0, over the start of
// db.json: the file no longer parsed. The standard descriptors are now
// written through themselves, and a command that wrote its output through
// stdout or a pipe puts its note on stderr.
func TestSnapshotDBToStdoutStaysValidJSON(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/dev/stdout is a link into /proc/self/fd on Linux")
	}
	lab := labNamedT(t, "post-upgrade")
	dbServeLab(t, lab, tdsserver.Faults{})
	dbJSON := filepath.Join(t.TempDir(), "db.json")
	f, err := os.Create(dbJSON)
	require.NoError(t, err)
	defer f.Close()
	cmd := tmsdriftProcess(t, "snapshot", "db", "-i", lab.LiveInventory, "-o", "/dev/stdout")
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = f, &stderr
	assertExit(t, report.ExitOK, cmd.Run(), stderr.String())
	data, err := os.ReadFile(dbJSON)
	require.NoError(t, err)
	var db map[string]any
	require.NoError(t, json.Unmarshal(data, &db), "db.json through stdout is JSON and nothing else: %s", data)
	assert.Equal(t, "tmsdrift/db/v1", db["schema"])
	assert.Contains(t, stderr.String(), "/dev/stdout: recorded live SQL Server")
	assert.NotContains(t, stderr.String()+string(data), dbPassword)

	// A folder is refused before the database is asked.
	code, _, errOut := tmsdrift(t, "snapshot", "db", "-i", lab.LiveInventory, "-o", t.TempDir())
	assert.Equal(t, report.ExitUsage, code)
	assert.Contains(t, errOut, ": is a folder; name a file in it")
}

// A snapshot whose facts.json or db.json, or an inventory whose key
// file, is a FIFO hung the audit for ever (opening a FIFO for reading
// waits for a writer; SIGTERM did not stop it). Each is refused before
// it is opened: an error result naming it, and validate's exit 2.
func TestFIFOsInASnapshotNeverHang(t *testing.T) {
	for _, name := range []string{"nodes/tms02/facts.json", "db.json", "keys/machinekey.xml"} {
		t.Run(name, func(t *testing.T) {
			dir, inv := labCopy(t, "data-drift")
			p := filepath.Join(dir, filepath.FromSlash(name))
			require.NoError(t, os.Remove(p))
			require.NoError(t, syscall.Mkfifo(p, 0o600))
			// A separate process, so that a regression fails on the
			// deadline instead of hanging the test binary.
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "audit", "-i", inv, "--format", "json")
			cmd.Env = append(os.Environ(), runMainEnv+"=1")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			require.NoError(t, ctx.Err(), "the audit finished")
			assertExit(t, report.ExitFail, err, stderr.String()) // the lab's own drift outranks the errors
			assert.Contains(t, string(out), "is not a regular file")
		})
	}
	_, inv := labCopy(t, "data-drift")
	key := filepath.Join(filepath.Dir(inv), "keys", "machinekey.xml")
	require.NoError(t, os.Remove(key))
	require.NoError(t, syscall.Mkfifo(key, 0o600))
	code, _, stderr := tmsdrift(t, "validate", "-i", inv)
	assert.Equal(t, report.ExitUsage, code)
	assert.Contains(t, stderr, "machine_key.file: keys/machinekey.xml is not a regular file")
}
