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
