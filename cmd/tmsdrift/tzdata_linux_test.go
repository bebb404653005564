package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/internal/shellword"
)

// TestTimeZoneWithoutSystemZoneData: schedule.time_zone names IANA zones
// and Windows has no zone data Go can read, so the binary carries its own
// (time/tzdata). Here the machine's zone data is hidden (a private mount
// namespace with an empty folder over every place Go looks: the system's
// folders and GOROOT's zoneinfo.zip) and tmsdrift, the real main, still
// accepts and runs a schedule in Pacific/Chatham; the shell first checks
// the zone files are gone there. Needs root and unshare(1), else skipped.
func TestTimeZoneWithoutSystemZoneData(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for a private mount namespace")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("no unshare(1)")
	}
	_, inv := labCopy(t, "post-upgrade")
	raw, err := os.ReadFile(inv)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(inv, append(raw, "schedule:\n  time_zone: Pacific/Chatham\n  audit: '0 45 2 * * *'\n"...), 0o644))

	empty := t.TempDir()
	var mounts, gone []string
	for _, dir := range []string{"/usr/share/zoneinfo", "/usr/share/lib/zoneinfo", "/usr/lib/locale/TZ", "/etc/zoneinfo",
		filepath.Join(runtime.GOROOT(), "lib", "time")} { //nolint:staticcheck // where time.LoadLocation looks, not where Go is
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			mounts = append(mounts, "mount --bind "+shellword.Quote(empty)+" "+shellword.Quote(dir))
		}
	}
	gone = append(gone, "! test -e /usr/share/zoneinfo/Pacific/Chatham",
		"! test -e "+shellword.Quote(filepath.Join(runtime.GOROOT(), "lib", "time", "zoneinfo.zip"))) //nolint:staticcheck
	script := strings.Join(append(append(mounts, gone...), `exec "$0" "$@"`), " && ")
	probe := exec.Command(unshare, "-m", "sh", "-c", "mount --bind "+shellword.Quote(empty)+" "+shellword.Quote(empty))
	if out, err := probe.CombinedOutput(); err != nil {
		t.Skipf("no private mount namespace here: %v %s", err, out)
	}

	for _, args := range [][]string{{"validate", "-i", inv}, {"serve", "--once", "-i", inv}} {
		cmd := exec.CommandContext(t.Context(), unshare, append([]string{"-m", "sh", "-c", script, os.Args[0]}, args...)...)
		cmd.Env = append(os.Environ(), runMainEnv+"=1", "ZONEINFO=")
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else {
			require.NoError(t, err)
		}
		assert.NotContains(t, string(out), "unknown time zone", args)
		want := map[string]int{"validate": 0, "serve": 1}[args[0]]
		assert.Equal(t, want, code, "%v:\n%s", args, out)
	}
}
