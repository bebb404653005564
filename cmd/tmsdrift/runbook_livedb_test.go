package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/collect/sqlserver"
	"github.com/tmsdrift/tmsdrift/fixers"
	"github.com/tmsdrift/tmsdrift/fixtures/tdsserver"
	"github.com/tmsdrift/tmsdrift/report"
)

// The off-site runbooks with both databases live: the offsite lab's
// primary SQL Server (db.yaml) on $TMSDRIFT_DSN, its DSN naming tmsng,
// and its log-shipping secondary (db-dr.yaml) on $TMSDRIFT_DR_DSN, its
// DSN naming msdb as docs/database.md advises; each played by a TDS test
// server through the real go-mssqldb driver. The nodes are the lab's
// snapshot folders.

// offsiteLive serves the offsite lab's two databases and returns a copy
// of the lab and its inventory.live.yaml.
func offsiteLive(t *testing.T) (dir, inv string, primary, dr *tdsserver.Server) {
	t.Helper()
	lab := labNamedT(t, "offsite")
	primary = dbServeLab(t, lab, tdsserver.Faults{})
	dr = dbServeSecondary(t, lab)
	dir, _ = labCopy(t, "offsite")
	return dir, filepath.Join(dir, "inventory.live.yaml"), primary, dr
}

// ipv4Of is the TMS Server IPv4 address s holds in tmsng, as committed.
func ipv4Of(s *tdsserver.Server) string {
	for _, st := range s.Settings("tmsng") {
		if st.Name == sqlserver.DefaultNameIPv4Local && st.Value != nil {
			return *st.Value
		}
	}
	return ""
}

// setState plays the DBA: the state of s's tmsng in sys.databases.
func setState(t *testing.T, s *tdsserver.Server, state string) {
	t.Helper()
	require.NoError(t, s.ChangeCatalogue(func(c *tdsserver.Catalogue) { c.Databases[0].State = state }))
}

// writes are the statements of s since n that write or open a
// transaction.
func writes(s *tdsserver.Server, n int) []string {
	var out []string
	for _, e := range s.Executed()[n:] {
		switch e.Text {
		case sqlserver.InDatabaseUpdate, sqlserver.DefaultSettingsUpdate, "BEGIN TRANSACTION":
			out = append(out, e.Text)
		}
	}
	return out
}

// TestOffsiteRunbooksOnLiveDatabases: activate-offsite refuses while the
// secondary is restoring, as its server reports it; once a DBA brought
// it online, the off-site site takes over and the address goes to the
// secondary's tmsng as a compare-and-set in one transaction, through its
// sp_executesql (the DSN names msdb); the audit afterwards, live, fails
// only what the guide expects of a database running alone.
// return-to-primary refuses without the confirmation and while the
// primary database is restoring, then switches back: a clean live audit,
// and every file as it was.
func TestOffsiteRunbooksOnLiveDatabases(t *testing.T) {
	dbNoLeaks(t)
	dir, inv, primary, dr := offsiteLive(t)
	orig := files(t, dir)

	np, nd := len(primary.Executed()), len(dr.Executed())
	code, stdout, _ := dbRun(t, "activate-offsite", "-i", inv, "--apply", "--yes", "--force")
	assert.Equal(t, report.ExitFail, code)
	assert.Contains(t, stdout, "the off-site database (live SQL Server 127.0.0.1:")
	assert.Contains(t, stdout, "via $TMSDRIFT_DR_DSN")
	assert.Contains(t, stdout, ") is RESTORING, not ONLINE")
	assert.Contains(t, stdout, "refused even with --force")
	assert.Equal(t, orig, files(t, dir), "nothing changed")
	assert.Empty(t, runFolders(t, dir))
	assert.Empty(t, writes(primary, np))
	assert.Empty(t, writes(dr, nd))

	setState(t, dr, "ONLINE") // RESTORE DATABASE tmsng WITH RECOVERY
	nd = len(dr.Executed())
	code, stdout, stderr := dbRun(t, "activate-offsite", "-i", inv, "--apply", "--yes")
	require.Equal(t, report.ExitFail, code, "the off-site database runs alone: %s", stderr)
	assert.Contains(t, stdout, "Every step is done.")
	assert.Equal(t, "10.10.0.31", ipv4Of(dr), "the address went to the off-site database")
	assert.Equal(t, "10.10.0.11", ipv4Of(primary), "the primary database is not written")
	var tx uint64
	var sent []string
	for _, e := range dr.Executed()[nd:] {
		if e.Text == "BEGIN TRANSACTION" {
			tx = e.TxID
			assert.Equal(t, "SERIALIZABLE", e.Isolation)
		}
		if tx != 0 && e.TxID == tx {
			sent = append(sent, e.Text)
		}
		if e.Text == sqlserver.InDatabaseUpdate {
			assert.Equal(t, "tmsng", param(e, "@db"))
			assert.Equal(t, sqlserver.DefaultNameIPv4Local, param(e, "@name"))
			assert.Equal(t, "10.10.0.31", param(e, "@value"))
		}
	}
	assert.Equal(t, []string{"BEGIN TRANSACTION", sqlserver.InDatabaseQuery, sqlserver.DefaultSettingsQuery,
		sqlserver.InDatabaseUpdate, sqlserver.DefaultSettingsUpdate, "COMMIT TRANSACTION"}, sent,
		"checked and written in tmsng, in one transaction")
	active := files(t, dir)["inventory.live.yaml"]
	assert.Contains(t, active, "  dsn_env: TMSDRIFT_DR_DSN\n")
	assert.Contains(t, active, "  offsite_dsn_env: TMSDRIFT_DSN\n")
	assert.Contains(t, active, "  server: 'sql-dr.acme.local'\n", "the quoting kept")
	assert.Contains(t, active, "    role: primary\n    address: 10.10.0.31")
	left, _ := nonPass(t, inv)
	assert.ElementsMatch(t, []string{"db.log-shipping-lag fail", "db.backup-recent fail"}, left,
		"audited live on the secondary: log shipping not set up from it, no backup of its own yet")

	// Back: not before the confirmation, not while restoring.
	code, stdout, _ = dbRun(t, "return-to-primary", "-i", inv, "--apply", "--yes", "--force")
	assert.Equal(t, report.ExitFail, code)
	assert.Contains(t, stdout, "database-resynced: the primary database must be re-synchronized")
	setState(t, primary, "RESTORING") // the DBA restores the off-site database's backup
	code, stdout, _ = dbRun(t, "return-to-primary", "-i", inv, "--database-resynced", "--apply", "--yes", "--force")
	assert.Equal(t, report.ExitFail, code)
	assert.Contains(t, stdout, "via $TMSDRIFT_DSN")
	assert.Contains(t, stdout, ") is RESTORING, not ONLINE")
	assert.Equal(t, active, files(t, dir)["inventory.live.yaml"], "refused: the inventory stays")
	setState(t, primary, "ONLINE")
	code, stdout, stderr = dbRun(t, "return-to-primary", "-i", inv, "--database-resynced", "--apply", "--yes")
	require.Equal(t, report.ExitOK, code, stdout+stderr)
	left, code = nonPass(t, inv)
	assert.Equal(t, report.ExitOK, code)
	assert.Empty(t, left, "clean, audited live")
	assert.Empty(t, diffFiles(orig, files(t, dir)), "the inventory byte for byte, every node's files as they were")
	assert.Equal(t, "10.10.0.11", ipv4Of(primary))
	assert.Equal(t, "10.10.0.31", ipv4Of(dr), "the off-site database keeps what it ran with")
	assertNoDSNInTree(t, dir)
}

// TestActivateOffsiteLiveRollback: `rollback last` writes the off-site
// database's address back, through the database the switched inventory
// names live, then puts the inventory back byte for byte.
func TestActivateOffsiteLiveRollback(t *testing.T) {
	dbNoLeaks(t)
	dir, inv, primary, dr := offsiteLive(t)
	setState(t, dr, "ONLINE")
	orig := files(t, dir)
	code, stdout, stderr := dbRun(t, "activate-offsite", "-i", inv, "--apply", "--yes")
	require.Equal(t, report.ExitFail, code, stdout+stderr)
	require.Contains(t, stdout, "Every step is done.")
	require.Equal(t, "10.10.0.31", ipv4Of(dr))

	nd := len(dr.Executed())
	code, stdout, stderr = dbRun(t, "rollback", "-i", inv, "last")
	require.Equal(t, report.ExitOK, code, stdout+stderr)
	assert.Equal(t, orig, files(t, dir), "the inventory byte for byte, every node's files")
	assert.Equal(t, "10.10.0.11", ipv4Of(dr), "the off-site database's address back")
	assert.Equal(t, "10.10.0.11", ipv4Of(primary))
	assert.Contains(t, writes(dr, nd), sqlserver.InDatabaseUpdate, "written back live")
	assertNoDSNInTree(t, dir)
}

// TestActivateOffsiteLiveKilledResumes: killed (SIGKILL) once the
// inventory names the secondary live but before the address is written
// there, activate-offsite is carried on by running it again, to the same
// files and database values as an uninterrupted run; one rollback undoes
// it all.
func TestActivateOffsiteLiveKilledResumes(t *testing.T) {
	t.Setenv("COLUMNS", "1000") // long lines of the plan and run are matched whole below
	dbNoLeaks(t)
	wantDir, wantInv, _, wantDR := offsiteLive(t)
	setState(t, wantDR, "ONLINE")
	code, stdout, stderr := dbRun(t, "activate-offsite", "-i", wantInv, "--apply", "--yes")
	require.Equal(t, report.ExitFail, code, stdout+stderr)
	require.Contains(t, stdout, "Every step is done.")
	want := files(t, wantDir)

	dir, inv, primary, dr := offsiteLive(t) // new servers, and the variables point at them
	setState(t, dr, "ONLINE")
	orig := files(t, dir)
	step := killedRunbook(t, 3, "activate-offsite", "-i", inv, "--apply", "--yes")
	assert.Equal(t, "inventory", step)
	runs, err := fixers.Unfinished(filepath.Join(dir, ".tmsdrift", "runs"))
	require.NoError(t, err)
	require.Len(t, runs, 1, "the killed run is open")
	assert.Equal(t, want["inventory.live.yaml"], files(t, dir)["inventory.live.yaml"], "killed after the switch")
	assert.Equal(t, "10.10.0.11", ipv4Of(dr), "and before the address was written")

	code, stdout, stderr = dbRun(t, "activate-offsite", "-i", inv, "--apply", "--yes")
	require.Equal(t, report.ExitFail, code, stdout+stderr)
	assert.Contains(t, stdout, "3 of 5 steps are done. Carrying it on")
	assert.Contains(t, stdout, "Every step is done.")
	assert.Equal(t, want, files(t, dir), "the same files as an uninterrupted run")
	assert.Equal(t, ipv4Of(wantDR), ipv4Of(dr), "the same address in the off-site database")
	assert.Equal(t, "10.10.0.11", ipv4Of(primary))
	assert.Equal(t, []string{runs[0].ID}, runFolders(t, dir), "carried on in its own run folder")

	code, stdout, stderr = dbRun(t, "rollback", "-i", inv, "last")
	require.Equal(t, report.ExitOK, code, stdout+stderr)
	assert.Equal(t, orig, files(t, dir))
	assert.Equal(t, "10.10.0.11", ipv4Of(dr))
}

// TestUpgradeFinishOffsiteChecksLogShippingLive: upgrade finish on the
// offsite lab reads the last restore live, on the secondary
// ($TMSDRIFT_DR_DSN's msdb), and refuses to proceed while log shipping
// lags past its limit — nothing is changed — then proceeds once the
// restore caught up.
func TestUpgradeFinishOffsiteChecksLogShippingLive(t *testing.T) {
	dbNoLeaks(t)
	dir, inv, _, dr := offsiteLive(t)
	code, stdout, stderr := dbRun(t, "upgrade", "prepare", "-i", inv, "--apply", "--yes")
	require.Equal(t, report.ExitFail, code, "the primary is stopped now: %s", stdout+stderr)
	require.Contains(t, stdout, "Every step is done.")
	for _, node := range []string{"tms01", "tmsdr01"} {
		editFacts(t, filepath.Join(dir, "nodes", node, "facts.json"), func(doc map[string]any) {
			doc["tms"].(map[string]any)["version"] = "15.14.0"
			if node != "tmsdr01" {
				return
			}
			for _, s := range doc["services"].([]any) { // its installer started them
				svc := s.(map[string]any)
				if strings.HasPrefix(strings.ToUpper(svc["name"].(string)), "TMS") || strings.EqualFold(svc["name"].(string), "W3SVC") {
					svc["start_type"], svc["state"] = "Automatic", "Running"
				}
			}
		})
	}
	restored := func(ago time.Duration) {
		t.Helper()
		require.NoError(t, dr.ChangeCatalogue(func(c *tdsserver.Catalogue) {
			require.Len(t, c.LogShipping.Monitor, 1)
			c.LogShipping.Monitor[0].LastRestored = tdsserver.Instant{Time: c.Clock.Add(-ago)}
		}))
	}

	restored(90 * time.Minute) // the off-site installer ran before the restore caught up
	before := files(t, dir)
	runsBefore := runFolders(t, dir)
	nd := len(dr.Executed())
	code, stdout, _ = dbRun(t, "upgrade", "finish", "-i", inv, "--apply", "--yes")
	assert.Equal(t, report.ExitFail, code)
	assert.Contains(t, stdout, "db.log-shipping-lag: fail")
	assert.Contains(t, stdout, "force log shipping")
	assert.Equal(t, before, files(t, dir), "nothing changed")
	assert.Equal(t, runsBefore, runFolders(t, dir), "no run")
	var asked bool
	for _, e := range dr.Executed()[nd:] {
		asked = asked || e.Text == sqlserver.LogShippingRestoreQuery
	}
	assert.True(t, asked, "the last restore was read on the secondary")

	restored(10 * time.Minute)
	code, stdout, stderr = dbRun(t, "upgrade", "finish", "-i", inv, "--apply", "--yes")
	require.Equal(t, report.ExitOK, code, stdout+stderr)
	left, code := nonPass(t, inv)
	assert.Equal(t, report.ExitOK, code)
	assert.Empty(t, left)
}

// param is the value of e's parameter called name.
func param(e tdsserver.Execution, name string) any {
	for _, p := range e.Params {
		if p.Name == name {
			return p.Value
		}
	}
	return nil
}

// assertNoDSNInTree greps every file under dir (the run folders
// included) for the secrets of both DSNs.
func assertNoDSNInTree(t *testing.T, dir string) {
	t.Helper()
	assertNotInTree(t, dir, dbSecrets()...)
}
