package inventory

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestScheduleDefaults(t *testing.T) {
	inv, err := Load(filepath.Join("testdata", "good", "minimal.yaml"), Options{})
	require.NoError(t, err)
	s := inv.Schedule
	assert.Equal(t, "0 2 * * *", s.AuditSpec())
	assert.Equal(t, 30*time.Minute, s.Timeout())
	assert.Equal(t, 90, s.KeepRuns())
	assert.Equal(t, "127.0.0.1:9417", s.ListenAddr())
	assert.Equal(t, filepath.Join("testdata", "good", ".tmsdrift", "history"), inv.HistoryPath())
	loc, err := s.Location()
	require.NoError(t, err)
	assert.Equal(t, time.Local, loc, "no time_zone: the machine's zone")
	_, every := s.Every()
	assert.False(t, every)
	assert.False(t, s.HasAutoFix(AutoFixPostUpgrade), "no automatic fix unless asked")
}

func TestScheduleGood(t *testing.T) {
	inv, err := Load(filepath.Join("testdata", "schedule", "good.yaml"), Options{})
	require.NoError(t, err)
	s := inv.Schedule
	assert.Equal(t, "30 0 2 * * *", s.AuditSpec())
	assert.Equal(t, 45*time.Minute, s.Timeout())
	assert.Equal(t, 30, s.KeepRuns())
	assert.Equal(t, filepath.FromSlash("/var/lib/tmsdrift/history"), inv.HistoryPath(), "absolute stays absolute")
	loc, err := s.Location()
	require.NoError(t, err)
	assert.Equal(t, "Europe/Oslo", loc.String(), "zone data is embedded")
	assert.True(t, s.HasAutoFix(AutoFixPostUpgrade))
}

func TestScheduleBad(t *testing.T) {
	tests := map[string][]wantProblem{
		"bad": {
			{7, 10, "schedule.audit", `"0 2 * *" has 4 fields; a cron expression has 5`},
			{8, 14, "schedule.time_zone", `unknown time zone "Mars/Olympus_Mons"`},
			{9, 16, "schedule.run_timeout", "must be a positive duration"},
			{10, 16, "schedule.history_dir", "must name a folder"},
			{11, 9, "schedule.keep", "must be between 0 and 1000000 (omit it for the default, 90 runs)"},
			{13, 21, "schedule.listen_token_env", "must be the name of an environment variable"},
			{14, 28, "schedule.auto_fix[1]", `unknown automatic fix "everything" (known: post-upgrade)`},
		},
		"bad-audit": {
			{7, 10, "schedule.audit", "@every needs a duration of at least 1s"},
			{8, 11, "schedule.listen", "the port must be a number between 0 and 65535"},
		},
		"bad-listen": {{7, 11, "schedule.listen", ":9417 is reachable from other machines, and the reports describe the deployment: set schedule.listen_token_env"}},
		"bad-types": {
			{7, 9, "schedule.keep", "expected a whole number, found text"},
			{8, 13, "schedule.auto_fix", "expected a list, found text"},
			{9, 3, "schedule.audit_at", "unknown key (allowed here: audit, time_zone,"},
		},
	}
	for name, want := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Load(filepath.Join("testdata", "schedule", name+".yaml"), Options{})
			var ie *Error
			require.True(t, errors.As(err, &ie), "a bad inventory is an *inventory.Error: %v", err)
			require.Len(t, ie.Problems, len(want), "problems:\n%v", err)
			for i, w := range want {
				p := ie.Problems[i]
				assert.Equal(t, w.field, p.Field, "problem %d: %v", i, p)
				assert.Equal(t, [2]int{w.line, w.col}, [2]int{p.Line, p.Column}, "problem %d: %v", i, p)
				assert.Contains(t, p.Message, w.fragment, "problem %d", i)
			}
			assert.NotContains(t, err.Error(), "s3cret", "a value that may be the secret is not echoed")
		})
	}
}

func TestCheckAudit(t *testing.T) {
	for _, ok := range []string{"0 2 * * *", "*/5 * * * *", "0 30 2 * * *", "@every 6h", "@every 1s", "0 2 * * MON-FRI", "@daily"} {
		assert.NoError(t, CheckAudit(ok, time.UTC), ok)
	}
	for _, bad := range []string{"", "0 2 * *", "1 2 3 4 5 6 7", "61 * * * *", "@every", "@every -1h", "@every 0s", "CRON_TZ=UTC 0 2 * * *", "@sometimes"} {
		assert.Error(t, CheckAudit(bad, time.UTC), bad)
	}
}

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:9417": true, "[::1]:9417": true, "localhost:80": true, "127.1.2.3:1": true,
		":9417": false, "0.0.0.0:9417": false, "192.0.2.1:9417": false, "tms01:9417": false, "nonsense": false,
	} {
		assert.Equal(t, want, IsLoopback(addr), addr)
	}
}
