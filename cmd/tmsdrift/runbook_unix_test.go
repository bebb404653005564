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
			ptmx, tty, err := pty.Open()
			require.NoError(t, err)
			defer ptmx.Close()
			defer tty.Close()
			_, err = ptmx.WriteString(c.answer)
			require.NoError(t, err)
			var out, errOut bytes.Buffer
			code := run(context.Background(), []string{"promote", "tms02", "-i", inv, "--apply"}, tty, &out, &errOut)
			assert.Equal(t, c.code, code, out.String()+errOut.String())
			assert.Contains(t, out.String(), "Carry out these steps now? [y/N]")
			if c.code == report.ExitFail {
				assert.Contains(t, errOut.String(), "not confirmed; nothing was changed")
				assert.Equal(t, orig, files(t, dir))
				assert.Empty(t, runFolders(t, dir))
			} else {
				assert.Contains(t, out.String(), "Every step is done.")
			}
		})
	}
}
