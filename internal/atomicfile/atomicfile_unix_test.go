//go:build unix

package atomicfile

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"

	"github.com/creack/pty"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriteThroughFIFO(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no mkfifo on Windows")
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "pipe")
	require.NoError(t, syscall.Mkfifo(p, 0o600))
	got := make(chan string, 1)
	go func() {
		f, err := os.Open(p)
		if err != nil {
			got <- "open: " + err.Error()
			return
		}
		defer f.Close()
		b, _ := io.ReadAll(f)
		got <- string(b)
	}()
	require.NoError(t, WriteFile(p, []byte("through the pipe"), 0o644))
	assert.Equal(t, "through the pipe", <-got)
	st, err := os.Lstat(p)
	require.NoError(t, err)
	assert.NotZero(t, st.Mode()&fs.ModeNamedPipe, "the FIFO is still a FIFO")
	assertOnly(t, dir, "pipe")
}

// A pipe named through /dev/fd/N is what a shell's process substitution
// and `-o /dev/stdout | cmd` hand the program.
func TestWriteThroughDescriptorPath(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/dev/fd is Linux here")
	}
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	path := "/dev/fd/" + itoa(int(w.Fd()))
	done := make(chan string, 1)
	go func() { b, _ := io.ReadAll(r); done <- string(b) }()
	require.NoError(t, WriteFile(path, []byte("substituted"), 0o644))
	w.Close()
	assert.Equal(t, "substituted", <-done)
}

// A shell's "-o /dev/stdout >> file": the descriptor is a regular file, and
// the write appends where the shell's descriptor would, replacing nothing.
func TestWriteThroughDescriptorToRegularFileAppends(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/dev/fd is Linux here")
	}
	dir := t.TempDir()
	log := filepath.Join(dir, "log")
	require.NoError(t, os.WriteFile(log, []byte("earlier\n"), 0o644))
	f, err := os.OpenFile(log, os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	defer f.Close()
	before, err := os.Stat(log)
	require.NoError(t, err)
	require.NoError(t, WriteFile("/proc/self/fd/"+itoa(int(f.Fd())), []byte("report\n"), 0o644))
	assertFile(t, log, "earlier\nreport\n")
	after, err := os.Stat(log)
	require.NoError(t, err)
	assert.True(t, os.SameFile(before, after), "the shell's file was written, not replaced")
}

// A secret may go into a pipe, never onto a screen: NotToTerminal refuses a
// terminal before a byte reaches it, and lets a pipe through.
func TestNotToTerminal(t *testing.T) {
	ptmx, tty, err := pty.Open()
	require.NoError(t, err)
	defer ptmx.Close()
	defer tty.Close()
	err = WriteFile(tty.Name(), []byte("secret"), 0o600, NotToTerminal())
	require.ErrorIs(t, err, ErrTerminal)
	assert.Contains(t, err.Error(), tty.Name())
	through, err := Through(tty.Name())
	require.NoError(t, err)
	assert.True(t, through)
	// Without the option the same device is written through; what the
	// terminal shows is that, and nothing of the refused write before it.
	require.NoError(t, WriteFile(tty.Name(), []byte("ok"), 0o600))
	got := make([]byte, 0, 16)
	buf := make([]byte, 16)
	for len(got) < 2 {
		n, err := ptmx.Read(buf)
		require.NoError(t, err)
		got = append(got, buf[:n]...)
	}
	assert.Equal(t, "ok", string(got), "no byte of the refused write reached the terminal")

	if runtime.GOOS != "linux" {
		return
	}
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	done := make(chan string, 1)
	go func() { b, _ := io.ReadAll(r); done <- string(b) }()
	require.NoError(t, WriteFile("/dev/fd/"+itoa(int(w.Fd())), []byte("secret"), 0o600, NotToTerminal()))
	w.Close()
	assert.Equal(t, "secret", <-done, "a pipe is not a terminal")
}

func TestThrough(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	for path, want := range map[string]bool{
		os.DevNull:                    true,
		file:                          false,
		filepath.Join(dir, "not-yet"): false,
	} {
		got, err := Through(path)
		require.NoError(t, err, path)
		assert.Equal(t, want, got, path)
	}
	_, err := Through(dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is a folder")
}
