//go:build unix

package main

import (
	"bytes"
	"context"
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
