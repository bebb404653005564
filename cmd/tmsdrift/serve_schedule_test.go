package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestServeBadScheduleValues: a bad schedule value stops `serve` and
// `serve --once` before anything runs: exit 2, one `file:line:col: field:
// message` line per problem naming the value, and no history. The cron
// parser's own complaint came on two lines ("crontab parse failure" and
// the reason below it), which broke the one-line-per-problem rule.
func TestServeBadScheduleValues(t *testing.T) {
	tests := []struct {
		schedule, field, fragment string
	}{
		{"  audit: '0 2 * *'\n", "schedule.audit", `"0 2 * *" has 4 fields`},
		{"  audit: '0 0 2 * * * *'\n", "schedule.audit", `has 7 fields`},
		{"  audit: '61 2 * * *'\n", "schedule.audit", `"61 2 * * *" is not a cron expression the scheduler accepts: end of range (61) above maximum (59)`},
		{"  audit: '0 2 * * 8'\n", "schedule.audit", `"0 2 * * 8" is not a cron expression the scheduler accepts: `},
		{"  audit: '0 0 25 * * *'\n", "schedule.audit", `end of range (25) above maximum (23)`},
		{"  audit: '@every 0s'\n", "schedule.audit", "@every needs a duration of at least 1s"},
		{"  audit: '@every soon'\n", "schedule.audit", "@every needs a duration of at least 1s"},
		{"  time_zone: Mars/Olympus_Mons\n", "schedule.time_zone", `unknown time zone "Mars/Olympus_Mons"`},
		{"  run_timeout: 10\n", "schedule.run_timeout", "must be a positive duration"},
		{"  run_timeout: '-5m'\n", "schedule.run_timeout", "must be a positive duration"},
	}
	problem := regexp.MustCompile(`^(.+):(\d+):(\d+): (schedule\.[a-z_]+): (.+)$`)
	for _, tc := range tests {
		t.Run(strings.TrimSpace(tc.schedule), func(t *testing.T) {
			dir, inv := labCopy(t, "post-upgrade")
			raw, err := os.ReadFile(inv)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(inv, append(raw, []byte("schedule:\n"+tc.schedule)...), 0o644))
			wantLine := strings.Count(string(raw), "\n") + 2 // the line after "schedule:"

			check := func(code int, stderr string) {
				t.Helper()
				require.Equal(t, 2, code, stderr)
				lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
				require.Len(t, lines, 1, "one problem, on one line:\n%s", stderr)
				m := problem.FindStringSubmatch(lines[0])
				require.NotNil(t, m, "file:line:col: field: message, got %q", lines[0])
				assert.Equal(t, inv, m[1])
				assert.Equal(t, strconv.Itoa(wantLine), m[2], "the line of the value")
				assert.Equal(t, tc.field, m[4])
				assert.Contains(t, m[5], tc.fragment)
				_, err := os.Stat(filepath.Join(dir, ".tmsdrift"))
				assert.True(t, os.IsNotExist(err), "nothing recorded for an invalid inventory at start")
			}
			code, _, stderr := tmsdrift(t, "serve", "--once", "-i", inv)
			check(code, stderr)
			// The service itself refuses to start (a deadline in case it
			// wrongly did).
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			var out, errOut strings.Builder
			code = run(ctx, []string{"serve", "-i", inv, "--listen", "127.0.0.1:0"}, strings.NewReader(""), &out, &errOut)
			require.NoError(t, ctx.Err(), "serve started with a bad schedule")
			check(code, errOut.String())
		})
	}
}

// TestServeOnceExitCodes: `serve --once` exits as `tmsdrift audit` would
// on the same lab — 0 pass, 1 drift, 3 not everything checked — and
// records the run with that exit code and verdict.
func TestServeOnceExitCodes(t *testing.T) {
	for lab, want := range map[string]struct {
		code    int
		verdict string
	}{"single": {0, "pass"}, "post-upgrade": {1, "fail"}, "broken-snapshot": {3, "error"}} {
		t.Run(lab, func(t *testing.T) {
			_, inv := labCopy(t, lab)
			audit, _, stderr := tmsdrift(t, "audit", "-i", inv)
			require.Equal(t, want.code, audit, stderr)
			code, _, stderr := tmsdrift(t, "serve", "--once", "-i", inv)
			assert.Equal(t, want.code, code, stderr)
			runs := historyList(t, inv)
			require.Len(t, runs, 1)
			assert.Equal(t, want.code, runs[0].ExitCode)
			assert.Equal(t, want.verdict, runs[0].Verdict)
			assert.Equal(t, "once", string(runs[0].Trigger))
		})
	}
}

// TestNotificationLinkNamesThisMachine: a service listening on every
// interface (0.0.0.0, with its bearer token) links its report in the
// notification by this machine's host name; before, the webhook carried
// http://0.0.0.0:PORT/…, which opens nothing on the reader's machine.
// On loopback the link stays the address the service listens on.
func TestNotificationLinkNamesThisMachine(t *testing.T) {
	host, err := os.Hostname()
	require.NoError(t, err)
	t.Setenv("TMSDRIFT_TEST_HOOK_SECRET", hookSecret)
	t.Setenv("TMSDRIFT_TEST_LISTEN_TOKEN", strings.Repeat("0123456789abcdef", 4))
	for listen, want := range map[string]string{
		"0.0.0.0:19417":   "http://" + host + ":19417/reports/",
		"[::]:19417":      "http://" + host + ":19417/reports/",
		"127.0.0.1:19417": "http://127.0.0.1:19417/reports/",
	} {
		t.Run(listen, func(t *testing.T) {
			hook := newHookReceiver(t)
			_, inv := labCopy(t, "post-upgrade")
			raw, err := os.ReadFile(inv)
			require.NoError(t, err)
			block := "schedule:\n  listen: '" + listen + "'\n  listen_token_env: TMSDRIFT_TEST_LISTEN_TOKEN\n" + hook.notifyBlock()
			require.NoError(t, os.WriteFile(inv, append(raw, block...), 0o644))
			code, _, stderr := tmsdrift(t, "serve", "--once", "-i", inv)
			require.Equal(t, 1, code, stderr)
			got := hook.deliveries()
			require.Len(t, got, 1, "the first run is news")
			runs := historyList(t, inv)
			require.Len(t, runs, 1)
			assert.Equal(t, want+runs[0].ID+"/report.html", got[0].ReportURL)
		})
	}
}
