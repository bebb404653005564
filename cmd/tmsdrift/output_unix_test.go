//go:build unix

package main

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/creack/pty"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/collect/record"
	"github.com/tmsdrift/tmsdrift/machinekey"
	"github.com/tmsdrift/tmsdrift/report"
)

// Issue 8, item 1: `-o /dev/null` (run as root) turned the machine's
// /dev/null into a regular file. A device is written through and stays a
// device.
func TestOutputDevNullStaysADevice(t *testing.T) {
	before, err := os.Stat(os.DevNull)
	require.NoError(t, err)
	for _, args := range [][]string{
		{"audit", "-i", lab("post-upgrade"), "-o", os.DevNull},
		{"audit", "-i", lab("post-upgrade"), "--format", "json", "-o", os.DevNull},
		{"fix", "-i", lab("post-upgrade"), "-o", os.DevNull},
	} {
		code, stdout, stderr := tmsdrift(t, args...)
		assert.Equal(t, report.ExitFail, code, "%v: %s", args, stderr)
		assert.Empty(t, stdout)
		after, err := os.Stat(os.DevNull)
		require.NoError(t, err)
		assert.NotZero(t, after.Mode()&fs.ModeCharDevice, "/dev/null is still a character device")
		assert.True(t, os.SameFile(before, after), "/dev/null is the same file")
	}
}

// `-o /dev/stdout` into a pipe (no terminal anywhere) and into a file the
// shell opened: the report arrives, nothing is replaced.
func TestOutputDevStdout(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/dev/stdout is a link into /proc/self/fd on Linux")
	}
	cmd := tmsdriftProcess(t, "audit", "-i", lab("post-upgrade"), "--format", "json", "-o", "/dev/stdout")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output() // stdout is a pipe, stdin /dev/null
	assertExit(t, report.ExitFail, err, stderr.String())
	assert.Contains(t, string(out), `"schema": "tmsdrift/report/v1"`)

	// `tmsdrift audit -o /dev/stdout >> log`: appended to the shell's file.
	dir := t.TempDir()
	log := filepath.Join(dir, "audit.log")
	require.NoError(t, os.WriteFile(log, []byte("earlier run\n"), 0o644))
	f, err := os.OpenFile(log, os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	defer f.Close()
	cmd = tmsdriftProcess(t, "audit", "-i", lab("post-upgrade"), "-o", "/dev/stdout")
	cmd.Stdout, cmd.Stderr = f, &stderr
	assertExit(t, report.ExitFail, cmd.Run(), stderr.String())
	got, err := os.ReadFile(log)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(got), "earlier run\n"), "the shell's file is appended to, not replaced")
	assert.Contains(t, string(got), "machinekey.present")
	assertOnlyFiles(t, dir, "audit.log")
}

// A FIFO and a shell's process substitution (/dev/fd/N) are written
// through.
func TestOutputFIFOAndProcessSubstitution(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "report.pipe")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	got := readFIFO(fifo)
	code, _, stderr := tmsdrift(t, "audit", "-i", lab("post-upgrade"), "--format", "junit", "-o", fifo)
	assert.Equal(t, report.ExitFail, code, stderr)
	assert.Contains(t, <-got, "<testsuites")
	st, err := os.Lstat(fifo)
	require.NoError(t, err)
	assert.NotZero(t, st.Mode()&fs.ModeNamedPipe, "the FIFO is still a FIFO")
	assertOnlyFiles(t, dir, "report.pipe")

	if runtime.GOOS != "linux" {
		return
	}
	// What `-o >(cmd)` hands the program: a pipe as /dev/fd/3.
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	cmd := tmsdriftProcess(t, "audit", "-i", lab("post-upgrade"), "--format", "markdown", "-o", "/dev/fd/3")
	cmd.ExtraFiles = []*os.File{w}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	require.NoError(t, cmd.Start())
	w.Close()
	substituted, err := io.ReadAll(r)
	require.NoError(t, err)
	assertExit(t, report.ExitFail, cmd.Wait(), errOut.String())
	assert.Contains(t, string(substituted), "## tmsdrift:")
	assert.Empty(t, out.String())

	// And the real thing, through bash.
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Log("bash not found: process substitution through a shell not tried")
		return
	}
	res := filepath.Join(dir, "substituted.md")
	sh := exec.CommandContext(t.Context(), bash, "-c", `"$0" audit -i "$1" --format markdown -o >(cat >"$2"); code=$?; wait $!; exit $code`,
		os.Args[0], lab("post-upgrade"), res)
	sh.Env = append(os.Environ(), runMainEnv+"=1")
	shOut, err := sh.CombinedOutput()
	assertExit(t, report.ExitFail, err, string(shOut))
	data, err := os.ReadFile(res)
	require.NoError(t, err)
	assert.Contains(t, string(data), "## tmsdrift:")
}

// readFIFO reads the FIFO at path to its end in the background: what a
// reader of `-o FIFO` receives (or the error opening it).
func readFIFO(path string) <-chan string {
	got := make(chan string, 1)
	go func() {
		f, err := os.Open(path)
		if err != nil {
			got <- err.Error()
			return
		}
		defer f.Close()
		b, _ := io.ReadAll(f)
		got <- string(b)
	}()
	return got
}

// A folder, a dangling link and a link to a file, through -o.
func TestOutputFolderAndLinks(t *testing.T) {
	dir := t.TempDir()
	folder := filepath.Join(dir, "reports")
	require.NoError(t, os.Mkdir(folder, 0o755))
	code, _, stderr := tmsdrift(t, "audit", "-i", lab("post-upgrade"), "-o", folder)
	assert.Equal(t, report.ExitUsage, code)
	assert.Contains(t, stderr, folder+": is a folder; name a file in it")
	assert.NotContains(t, stderr, "rename")
	assertOnlyFiles(t, folder)

	real := filepath.Join(dir, "real.json")
	require.NoError(t, os.WriteFile(real, []byte("old report"), 0o640))
	link := filepath.Join(dir, "latest.json")
	require.NoError(t, os.Symlink("real.json", link))
	code, _, stderr = tmsdrift(t, "audit", "-i", lab("post-upgrade"), "--format", "json", "-o", link)
	assert.Equal(t, report.ExitFail, code, stderr)
	data, err := os.ReadFile(real)
	require.NoError(t, err)
	assert.Contains(t, string(data), `"schema"`, "the link's target was replaced")
	st, err := os.Lstat(link)
	require.NoError(t, err)
	assert.NotZero(t, st.Mode()&fs.ModeSymlink, "the link is still a link")
	st, err = os.Stat(real)
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o640), st.Mode().Perm(), "the target keeps its mode")

	dangling := filepath.Join(dir, "dangling.json")
	require.NoError(t, os.Symlink("nowhere/report.json", dangling))
	code, _, stderr = tmsdrift(t, "audit", "-i", lab("post-upgrade"), "-o", dangling)
	assert.Equal(t, report.ExitUsage, code)
	assert.Contains(t, stderr, dangling+`: is a symbolic link to "nowhere/report.json", which cannot be followed`)
	dest, err := os.Readlink(dangling)
	require.NoError(t, err)
	assert.Equal(t, "nowhere/report.json", dest, "the dangling link is left alone")
	assertOnlyFiles(t, dir, "reports", "real.json", "latest.json", "dangling.json")
}

// `keygen -o /dev/stdout --force` left a 0600 key file in place of
// /dev/stdout. Into a pipe the key file goes through (the fingerprint note
// to stderr); onto a terminal it is refused before a byte is written.
func TestKeygenToStdout(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/dev/stdout is a link into /proc/self/fd on Linux")
	}
	for _, args := range [][]string{{"keygen", "-o", "/dev/stdout"}, {"keygen", "-o", "/dev/stdout", "--force"}} {
		cmd := tmsdriftProcess(t, args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		assertExit(t, report.ExitOK, err, stderr.String())
		k, err := machinekey.ParseKeyFile(out)
		require.NoError(t, err, "stdout is the key file and nothing else")
		assert.Contains(t, stderr.String(), "wrote the key to /dev/stdout (")
		assert.Contains(t, stderr.String(), k.Fingerprint())
		assertNoSecrets(t, []string{k.ValidationKey, k.DecryptionKey}, stderr.String())
	}

	ptmx, tty, err := pty.Open()
	require.NoError(t, err)
	defer ptmx.Close()
	for _, args := range [][]string{{"keygen", "-o", "/dev/stdout", "--force"}, {"keygen", "-o", tty.Name()}} {
		cmd := tmsdriftProcess(t, args...)
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = tty, &stderr
		assertExit(t, report.ExitUsage, cmd.Run(), stderr.String())
		assert.Contains(t, stderr.String(), "is a terminal")
		assert.Contains(t, stderr.String(), "never shown on a terminal")
	}
	// Nothing reached the terminal: what it shows next is only this.
	_, err = tty.WriteString("end")
	require.NoError(t, err)
	tty.Close()
	screen, _ := io.ReadAll(ptmx) // EIO once the terminal side is closed
	assert.Equal(t, "end", string(screen), "no key material reached the terminal")
}

// assertExit checks a process's exit code.
func assertExit(t *testing.T, want int, err error, stderr string) {
	t.Helper()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err, stderr)
	}
	assert.Equal(t, want, code, "exit code; stderr: %s", stderr)
}

// assertOnlyFiles checks that dir holds exactly names: no temporary file.
func assertOnlyFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	assert.ElementsMatch(t, names, got)
}

// collect -o: a link to a snapshot folder stays a link (the folder it
// names is replaced); a dangling link and a file are refused.
func TestCollectOutputLinks(t *testing.T) {
	parent := t.TempDir()
	real := filepath.Join(parent, "snap-2026")
	require.NoError(t, os.Mkdir(real, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(real, "inventory.yaml"), []byte(record.InventoryHeader+" earlier\nold"), 0o644))
	link := filepath.Join(parent, "latest")
	require.NoError(t, os.Symlink("snap-2026", link))
	write := func(tmp string) error {
		return os.WriteFile(filepath.Join(tmp, "inventory.yaml"), []byte("new"), 0o644)
	}
	require.NoError(t, replaceDir(link, "inventory.yaml", record.InventoryHeader, write))
	st, err := os.Lstat(link)
	require.NoError(t, err)
	assert.NotZero(t, st.Mode()&fs.ModeSymlink, "the link is still a link")
	data, err := os.ReadFile(filepath.Join(real, "inventory.yaml"))
	require.NoError(t, err)
	assert.Equal(t, "new", string(data))

	dangling := filepath.Join(parent, "dangling")
	require.NoError(t, os.Symlink("gone", dangling))
	err = replaceDir(dangling, "inventory.yaml", record.InventoryHeader, write)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `is a symbolic link to "gone", which cannot be followed`)
	file := filepath.Join(parent, "file")
	require.NoError(t, os.WriteFile(file, []byte("x"), 0o644))
	err = replaceDir(file, "inventory.yaml", record.InventoryHeader, write)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is not a folder")
	assertOnlyFiles(t, parent, "snap-2026", "latest", "dangling", "file")
}

// On a real terminal its own size decides, before COLUMNS.
func TestAuditFitsTheTerminal(t *testing.T) {
	ptmx, tty, err := pty.Open()
	require.NoError(t, err)
	defer ptmx.Close()
	require.NoError(t, pty.Setsize(ptmx, &pty.Winsize{Rows: 24, Cols: 72}))
	// From the lab's folder with a relative path: the fix hint quotes the
	// inventory path as given, and a clone's location must not decide
	// whether the screen fits.
	cmd := tmsdriftProcess(t, "audit", "-i", "inventory.yaml")
	cmd.Dir = filepath.Dir(lab("post-upgrade"))
	cmd.Env = append(cmd.Env, "COLUMNS=200", "NO_COLOR=1")
	cmd.Stdout, cmd.Stderr = tty, tty
	require.NoError(t, cmd.Start())
	tty.Close()
	var screen bytes.Buffer
	_, _ = io.Copy(&screen, ptmx) // ends with EIO when the program exits
	assertExit(t, report.ExitFail, cmd.Wait(), screen.String())
	out := strings.ReplaceAll(screen.String(), "\r\n", "\n")
	assert.Contains(t, out, "machinekey.present")
	assertFits(t, out, 72, []string{"audit on a 72-column terminal"})
	assert.Equal(t, 72, maxWidth(strings.SplitN(out, "\n", 2)[0]), "the table fills the terminal")
}
