package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// systemdAnalyze is Debian's (package systemd; .ci/run installs it).
const systemdAnalyze = "/usr/bin/systemd-analyze"

// TestSystemdUnitInTheDocs: the example unit in docs/service.md is one
// systemd accepts — `systemd-analyze verify` prints nothing, not even a
// warning about an unknown key or a value it ignores — it leaves serve
// its 10 s to stop, and its ExecStart is a command line tmsdrift accepts
// (run here with --once on a lab copy: the audit's exit 1). verify needs
// the program to exist, so ExecStart points at this test binary there.
func TestSystemdUnitInTheDocs(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "service.md"))
	require.NoError(t, err)
	m := regexp.MustCompile("(?s)```ini\n(.*?)```").FindSubmatch(doc)
	require.NotNil(t, m, "docs/service.md has the unit in an ```ini block")
	unit := string(m[1])

	execStart := regexp.MustCompile(`(?m)^ExecStart=(\S+) (.*)$`).FindStringSubmatch(unit)
	require.NotNil(t, execStart, "the unit has an ExecStart")
	assert.Equal(t, "/usr/local/bin/tmsdrift", execStart[1])
	args := strings.Fields(execStart[2])
	stop := regexp.MustCompile(`(?m)^TimeoutStopSec=(\d+)$`).FindStringSubmatch(unit)
	require.NotNil(t, stop, "the unit sets TimeoutStopSec")
	d, err := time.ParseDuration(stop[1] + "s")
	require.NoError(t, err)
	assert.Greater(t, d, 10*time.Second, "serve stops within 10 s of SIGTERM: systemd must wait at least that long")

	// The documented command line, on a lab copy, once.
	_, inv := labCopy(t, "post-upgrade")
	i := slices.Index(args, "-i")
	require.Positive(t, i+1, "ExecStart names the inventory with -i: %v", args)
	require.Less(t, i+1, len(args))
	assert.Equal(t, "serve", args[0])
	run := append([]string{}, args...)
	run[i+1] = inv
	code, _, stderr := tmsdrift(t, append(run, "--once")...)
	assert.Equal(t, 1, code, "the documented serve command line runs (the lab drifts: exit 1)\n%s", stderr)

	if _, err := os.Stat(systemdAnalyze); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but %s is missing (apt-get install systemd; .ci/run does): %v", systemdAnalyze, err)
		}
		t.Skipf("SKIPPED, NOT TESTED: the unit was not verified: %s is missing (apt-get install systemd)", systemdAnalyze)
	}
	self, err := os.Executable()
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "tmsdrift.service")
	require.NoError(t, os.WriteFile(path, []byte(strings.Replace(unit, "ExecStart="+execStart[1], "ExecStart="+self, 1)), 0o644))
	out, err := exec.Command(systemdAnalyze, "verify", path).CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Empty(t, strings.TrimSpace(string(out)), "systemd-analyze verify has something to say about the unit")
}
