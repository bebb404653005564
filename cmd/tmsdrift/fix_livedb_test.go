package main

import (
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/collect/sqlserver"
	"github.com/tmsdrift/tmsdrift/fixers"
	"github.com/tmsdrift/tmsdrift/fixtures"
	"github.com/tmsdrift/tmsdrift/fixtures/tdsserver"
	"github.com/tmsdrift/tmsdrift/report"
)

// fix --apply against a live database (the TDS test server playing the
// post-upgrade lab's SQL Server) whose IPv4 address someone else changes
// after tmsdrift planned: before the apply checks the plan, or as the
// write's transaction begins. Either way the database is left as the
// other writer set it, the report says "unchanged" and why, the node's
// own fix goes ahead, and the exit code is the audit's afterwards — 1,
// since addresses.match still fails (had tmsdrift overwritten the value,
// everything would pass and it would be 0).
func TestFixApplyLeavesAnAddressChangedSinceThePlan(t *testing.T) {
	t.Setenv("COLUMNS", "1000") // long lines of the plan and run are matched whole below
	lab := fixtures.Lab{DBYAML: filepath.Join(fixtures.LabsDir(), "post-upgrade", "db.yaml")}
	for _, tc := range []struct {
		name string
		// lands says whether the other writer's change lands before
		// request e; reads counts the settings queries so far, e's
		// included (the audit's is the first).
		lands func(e tdsserver.Execution, reads int) bool
	}{
		{"before the check against the plan", func(e tdsserver.Execution, reads int) bool {
			return e.Text == sqlserver.DefaultSettingsQuery && e.TxID == 0 && reads == 2
		}},
		{"as the write begins", func(e tdsserver.Execution, _ int) bool { return e.Text == "BEGIN TRANSACTION" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dbNoLeaks(t)
			s := dbServeLab(t, lab, tdsserver.Faults{})
			dir, _ := labCopy(t, "post-upgrade")
			inv := filepath.Join(dir, "inventory.live.yaml")
			var mu sync.Mutex
			reads, landed := 0, false
			s.Interleave(func(e tdsserver.Execution) {
				mu.Lock()
				defer mu.Unlock()
				if e.Text == sqlserver.DefaultSettingsQuery {
					reads++
				}
				if !landed && tc.lands(e, reads) {
					landed = true
					assert.NoError(t, s.SetSetting("tmsng", sqlserver.DefaultNameIPv4Local, "10.10.0.99"))
				}
			})

			code, stdout, stderr := tmsdrift(t, "fix", "-i", inv, "--apply")
			s.Interleave(nil)
			require.True(t, landed, "the other writer's change landed")
			assert.Equal(t, report.ExitFail, code, "stdout: %s\nstderr: %s", stdout, stderr)
			assert.Empty(t, stderr)
			assert.Contains(t, stdout, `database     unchanged 1 change: sql01.acme.local\TMS/tmsng: changed since the plan: ipv4_local is now "10.10.0.99", the plan expected "10.10.0.12" — run fix again; nothing was changed`)
			assert.Contains(t, stdout, "tms02        fixed", "the node's own fix goes ahead")
			assert.Contains(t, stdout, "fail   addresses.match: still ipv4_local=10.10.0.99")
			assert.NotContains(t, stdout, dbPassword)

			for _, st := range s.Settings("tmsng") {
				if st.Name == sqlserver.DefaultNameIPv4Local {
					require.NotNil(t, st.Value)
					assert.Equal(t, "10.10.0.99", *st.Value, "the other writer's value stays")
				}
			}
			for _, e := range s.Executed() {
				assert.NotEqual(t, sqlserver.DefaultSettingsUpdate, e.Text, "nothing was written")
			}

			runs := runFolders(t, dir)
			require.Len(t, runs, 1)
			j, err := fixers.OpenJournal(filepath.Join(dir, ".tmsdrift", "runs"), runs[0])
			require.NoError(t, err)
			defer j.Close()
			var db *fixers.Record
			for _, r := range j.Manifest().Changes {
				if r.Kind == fixers.KindDatabase {
					db = &r
				}
			}
			require.NotNil(t, db, "the run records the database change")
			assert.Equal(t, fixers.NotAttempted, db.Status)
			assert.Contains(t, db.Error, `ipv4_local is now "10.10.0.99"`)
		})
	}
}
