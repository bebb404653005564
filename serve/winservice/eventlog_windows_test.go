//go:build windows

package winservice

import (
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/windows"
)

// The Event Log under Wine 8: RegisterEventSourceW, OpenEventLogW and
// ReadEventLogW are stubs (the last fails with ERROR_HANDLE_EOF, no record
// is kept) and wevtutil.exe prints nothing; ReportEventW hands each line
// of each string to Wine's debug channel "eventlog" — trace for
// information, warn for a warning, err for an error — as wine_dbgstr_wn
// quotes it. That channel is what these tests read back: the exact text
// and level serve's Event Log handler reported.

const eventLogChild = "eventlog-child"

// TestWineEventLogChild is not a test: started by TestWineEventLogLines
// with the channel on, it logs through the Event Log handler and exits.
func TestWineEventLogChild(t *testing.T) {
	args := flag.Args()
	if len(args) != 1 || args[0] != eventLogChild {
		return // only the child process
	}
	h, closeLog, err := EventLog("tmsdrift-eventlog-test")
	require.NoError(t, err)
	defer closeLog() //nolint:errcheck // the process ends
	log := slog.New(h)
	log.Debug("not reported: below Info")
	log.Info("run finished", "run", "20261204T021500Z", "verdict", "fail", "exit", 1)
	log.With("service", "tmsdrift").Warn("notification failed", "to", "ops@acme.local", "error", `smtp: 421 "busy"`)
	log.Error("run failed", "error", "inventory.yaml:5:1: colour: unknown key\nsecond line", "node", "tms-ø")
}

// wineDebugChild runs this test binary with args under the Wine loader
// with WINEDEBUG=channels, and returns what it wrote to its standard error
// (where Wine writes its debug channels) and output. Wine hands a child
// process its parent's Unix standard error whatever handle the child is
// given, so the child is started from a Unix shell that sends it to a
// file: Wine runs a Unix program that CreateProcess names (Go's os/exec
// insists on a Windows extension, hence windows.CreateProcess).
func wineDebugChild(t *testing.T, channels string, args ...string) (string, string) {
	t.Helper()
	require.NotEmpty(t, os.Getenv("WINELOADER"), "WINELOADER: Wine sets it")
	// Below Z:\tmp, so the shell has the Unix path too.
	dir, err := os.MkdirTemp(`Z:\tmp`, "tmsdrift-wine-debug-")
	require.NoError(t, err)
	t.Cleanup(func() {
		// One by one: Wine refuses os.RemoveAll of a folder.
		for _, name := range []string{"stdout", "stderr", "rc", "rc.tmp", ""} {
			_ = os.Remove(filepath.Join(dir, name))
		}
	})
	unixDir := "/tmp/" + filepath.Base(dir)
	// sh's $0 is the Wine loader (Wine leaves WINELOADER out of a Unix
	// process's environment), $1 the test binary, $2 the channels, $3 the
	// folder; the test binary's arguments follow. The exit code lands in
	// rc last: Wine gives no handle of a Unix process to wait on.
	script := `wine="$0" exe="$1" ch="$2" out="$3"; shift 3; WINEDEBUG="$ch" "$wine" "$exe" "$@" >"$out/stdout" 2>"$out/stderr"; echo $? >"$out/rc.tmp"; mv "$out/rc.tmp" "$out/rc"`
	line := windows.ComposeCommandLine(append([]string{`Z:\bin\sh`, "-c", script, os.Getenv("WINELOADER"), os.Args[0], channels, unixDir}, args...))
	cl, err := windows.UTF16PtrFromString(line)
	require.NoError(t, err)
	si := windows.StartupInfo{Cb: uint32(unsafe.Sizeof(windows.StartupInfo{}))}
	var pi windows.ProcessInformation
	require.NoError(t, windows.CreateProcess(nil, cl, nil, nil, false, 0, nil, nil, &si, &pi), "run Z:\\bin\\sh")
	for _, h := range []windows.Handle{pi.Thread, pi.Process} {
		if h != 0 {
			_ = windows.CloseHandle(h)
		}
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		return string(b)
	}
	require.Eventually(t, func() bool { _, err := os.Stat(filepath.Join(dir, "rc")); return err == nil },
		time.Minute, 100*time.Millisecond, "the child did not end within a minute")
	require.Equal(t, "0", strings.TrimSpace(read("rc")), "the child's exit code\nstdout: %s\nstderr: %s", read("stdout"), read("stderr"))
	return read("stderr"), read("stdout")
}

// isWine reports whether this process runs under Wine (ntdll exports
// wine_get_version).
func isWine() bool {
	return windows.NewLazySystemDLL("ntdll.dll").NewProc("wine_get_version").Find() == nil
}

// wineEventLine is one line ReportEventW gave Wine's debug channel:
// "0024:trace:eventlog:ReportEventW L\"...\"".
var wineEventLine = regexp.MustCompile(`^[0-9a-f]+:(trace|warn|err):eventlog:ReportEventW L"(.*)"(\.\.\.)?$`)

// unquoteWine undoes wine_dbgstr_wn: \n \r \t \" \\ and \XXXX (four hex
// digits) for the other characters below 32 and above 126.
func unquoteWine(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		i++
		if i >= len(s) {
			return "", strconv.ErrSyntax
		}
		switch s[i] {
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case '"', '\\':
			b.WriteByte(s[i])
		default:
			if i+4 > len(s) {
				return "", strconv.ErrSyntax
			}
			r, err := strconv.ParseUint(s[i:i+4], 16, 16)
			if err != nil {
				return "", err
			}
			b.WriteRune(rune(r))
			i += 3
		}
	}
	return b.String(), nil
}

// TestWineEventLogLines: serve's Event Log handler reports one event per
// record at Info and above, with the event type of its level and the text
// of the log file's key=value line without time and level (one line:
// quotes and newlines in values escaped, non-ASCII kept). Under Wine the
// events are read back from the eventlog debug channel of a child process
// that logs through the handler; Wine keeps no Event Log to read.
func TestWineEventLogLines(t *testing.T) {
	if !isWine() {
		t.Skip("SKIPPED: this test reads back Wine's eventlog debug channel; on Windows look in the Application log (Event Viewer)")
	}
	stderr, stdout := wineDebugChild(t, "-all,trace+eventlog,warn+eventlog,err+eventlog",
		"-test.run=^TestWineEventLogChild$", "--", eventLogChild)
	require.Contains(t, stdout, "PASS", "the child: %s\n%s", stdout, stderr)

	type event struct{ Level, Text string }
	var got []event
	for _, line := range strings.Split(stderr, "\n") {
		m := wineEventLine.FindStringSubmatch(strings.TrimRight(line, "\r"))
		if m == nil {
			continue
		}
		require.Empty(t, m[3], "Wine cut the line short: %s", line)
		text, err := unquoteWine(m[2])
		require.NoError(t, err, line)
		got = append(got, event{m[1], text})
	}
	assert.Equal(t, []event{
		{"trace", `msg="run finished" run=20261204T021500Z verdict=fail exit=1`},
		{"warn", `msg="notification failed" service=tmsdrift to=ops@acme.local error="smtp: 421 \"busy\""`},
		{"err", `msg="run failed" error="inventory.yaml:5:1: colour: unknown key\nsecond line" node=tms-ø`},
	}, got, "the events ReportEventW got (stderr: %s)", stderr)
}
