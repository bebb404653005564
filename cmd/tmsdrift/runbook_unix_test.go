//go:build unix

package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/creack/pty"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/report"
)

// answerOnTerminal runs the command line in-process with a terminal (a
// pseudo-terminal) as its standard input, on which answer is typed, and
// returns exit code, stdout and stderr.
func answerOnTerminal(t *testing.T, answer string, args ...string) (int, string, string) {
	t.Helper()
	ptmx, tty, err := pty.Open()
	require.NoError(t, err)
	defer ptmx.Close()
	defer tty.Close()
	_, err = ptmx.WriteString(answer)
	require.NoError(t, err)
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, tty, &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestRunbookAsksOnATerminal: with --apply and no --yes, a runbook asks on
// the terminal; "n" changes nothing, "y" carries it out.
func TestRunbookAsksOnATerminal(t *testing.T) {
	for _, c := range []struct {
		answer string
		code   int
	}{{"n\n", report.ExitFail}, {"y\n", report.ExitOK}} {
		t.Run(c.answer[:1], func(t *testing.T) {
			dir, inv := labCopy(t, "manual-cutover")
			orig := files(t, dir)
			code, out, errOut := answerOnTerminal(t, c.answer, "promote", "tms02", "-i", inv, "--apply")
			assert.Equal(t, c.code, code, out+errOut)
			assert.Contains(t, out, "Carry out these steps now? [y/N]")
			if c.code == report.ExitFail {
				assert.Contains(t, errOut, "not confirmed; nothing was changed")
				assert.Equal(t, orig, files(t, dir))
				assert.Empty(t, runFolders(t, dir))
			} else {
				assert.Contains(t, out, "Every step is done.")
			}
		})
	}
}

// promptWriter is stdout that says when the confirmation was asked.
type promptWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	asked  chan struct{}
	closed bool
}

func (w *promptWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := w.buf.Write(p)
	if !w.closed && strings.Contains(w.buf.String(), "[y/N]") {
		w.closed = true
		close(w.asked)
	}
	return n, err
}

// TestRunbookPromptInterrupted: Ctrl-C (the command's context ends) at
// the confirmation is an answer: not confirmed, nothing changed, at once
// (it used to wait for a line that never came).
func TestRunbookPromptInterrupted(t *testing.T) {
	dir, inv := labCopy(t, "manual-cutover")
	before := treeSnapshot(t, dir)
	ptmx, tty, err := pty.Open()
	require.NoError(t, err)
	defer ptmx.Close()
	defer tty.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &promptWriter{asked: make(chan struct{})}
	var errOut bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"promote", "tms02", "-i", inv, "--apply"}, tty, out, &errOut) }()
	select {
	case <-out.asked:
	case code := <-done:
		t.Fatalf("ended before asking: %d %s", code, errOut.String())
	}
	cancel() // no line is ever typed: without the fix, this waits for ever (go test -timeout)
	assert.Equal(t, report.ExitFail, <-done, errOut.String())
	assert.Contains(t, errOut.String(), "not confirmed; nothing was changed")
	assert.Equal(t, before, treeSnapshot(t, dir))
}
