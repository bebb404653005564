package report

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestColorWantedIsFalseForPipesAndFiles(t *testing.T) {
	t.Setenv("NO_COLOR", "")
	t.Setenv("TERM", "xterm-256color")

	r, w, err := os.Pipe()
	require.NoError(t, err)
	t.Cleanup(func() { _ = r.Close(); _ = w.Close() })
	assert.False(t, ColorWanted(w), "a pipe is not a terminal")

	f, err := os.Create(filepath.Join(t.TempDir(), "report.txt"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = f.Close() })
	assert.False(t, ColorWanted(f), "a file is not a terminal")

	assert.False(t, ColorWanted(nil))
}

// TestColorWantedOnTerminal uses a pseudo-terminal, a real TTY, so that
// NO_COLOR is shown to switch off colour that would otherwise be on.
func TestColorWantedOnTerminal(t *testing.T) {
	pty, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	t.Cleanup(func() { _ = pty.Close() })

	t.Setenv("TERM", "xterm-256color")
	t.Setenv("NO_COLOR", "")
	assert.True(t, ColorWanted(pty), "a terminal without NO_COLOR gets colour")

	t.Setenv("NO_COLOR", "1")
	assert.False(t, ColorWanted(pty), "NO_COLOR switches colour off")

	t.Setenv("NO_COLOR", "")
	t.Setenv("TERM", "dumb")
	assert.False(t, ColorWanted(pty), "TERM=dumb switches colour off")
}

func TestColorAllowed(t *testing.T) {
	env := func(vars map[string]string) func(string) string {
		return func(k string) string { return vars[k] }
	}
	cases := []struct {
		name     string
		terminal bool
		vars     map[string]string
		want     bool
	}{
		{"terminal", true, map[string]string{"TERM": "xterm"}, true},
		{"not a terminal", false, map[string]string{"TERM": "xterm"}, false},
		{"NO_COLOR set", true, map[string]string{"NO_COLOR": "1", "TERM": "xterm"}, false},
		{"NO_COLOR empty counts as unset", true, map[string]string{"NO_COLOR": "", "TERM": "xterm"}, true},
		{"dumb terminal", true, map[string]string{"TERM": "dumb"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, colorAllowed(c.terminal, env(c.vars)))
		})
	}
}
