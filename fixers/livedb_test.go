package fixers

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/collect"
	"github.com/tmsdrift/tmsdrift/collect/sqlserver"
	"github.com/tmsdrift/tmsdrift/collect/transports"
	"github.com/tmsdrift/tmsdrift/fixtures"
	"github.com/tmsdrift/tmsdrift/fixtures/tdsserver"
	"github.com/tmsdrift/tmsdrift/inventory"
)

// The addresses fixer against a live database: the real go-mssqldb driver
// talking to the TDS test server playing the post-upgrade lab's SQL Server.

const (
	dbUser     = "tmsdrift"
	dbPassword = "s3cret p@ss/#?"
)

// liveLab starts the test server for the post-upgrade lab, puts its DSN in
// TMSDRIFT_DSN and returns the server and the lab's live inventory.
func liveLab(t *testing.T) (*tdsserver.Server, string) {
	t.Helper()
	cat, err := tdsserver.LoadCatalogue(filepath.Join(fixtures.LabsDir(), "post-upgrade", "db.yaml"))
	require.NoError(t, err)
	s, err := tdsserver.Start(tdsserver.Config{Catalogue: cat, User: dbUser, Password: dbPassword})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	t.Setenv("TMSDRIFT_DSN", s.DSN(dbUser, dbPassword, "tmsng"))
	dir := filepath.Dir(copyLab(t, "post-upgrade"))
	return s, filepath.Join(dir, "inventory.live.yaml")
}

// auditLive gathers with the live database probe.
func auditLive(t *testing.T, invPath string) audited {
	t.Helper()
	inv, err := inventory.Load(invPath, inventory.Options{KnownRules: checks.IDs()})
	require.NoError(t, err)
	d, err := collect.Gather(testContext(t), inv, collect.Options{Open: transports.Open, LiveDB: sqlserver.Gather})
	require.NoError(t, err)
	return audited{inv: inv, d: d, results: checks.Evaluate(d)}
}

// ipv4 is the committed IPv4 setting on the server.
func ipv4(t *testing.T, s *tdsserver.Server) string {
	t.Helper()
	for _, st := range s.Settings("tmsng") {
		if st.Name == sqlserver.DefaultNameIPv4Local && st.Value != nil {
			return *st.Value
		}
	}
	t.Fatal("no IPv4 setting on the server")
	return ""
}

func applyLive(t *testing.T, a audited, p *Plan, runs string) *Outcome {
	t.Helper()
	j, err := NewJournal(runs, RunManifest{Command: "fix", Deployment: a.inv.Deployment})
	require.NoError(t, err)
	t.Cleanup(func() { j.Close() })
	out, err := Apply(testContext(t), p, Env{Inventory: a.inv, Open: transports.Open, Settings: NewLiveStore(a.inv), Journal: j})
	require.NoError(t, err)
	return out
}

func TestAddressesFixerOnTheLiveDatabase(t *testing.T) {
	noLeaks(t)
	s, inv := liveLab(t)
	a := auditLive(t, inv)
	require.Equal(t, checks.Fail, status(a.results, "addresses.match", ""))

	live := NewLiveStore(a.inv)
	p := plan(t, a, Options{Only: []string{"addresses.match"}, Settings: live})
	require.Len(t, p.Changes, 1)
	c := p.Changes[0]
	assert.Equal(t, `sql01.acme.local\TMS/tmsng`, c.Object())
	assert.Contains(t, c.Detail, sqlserver.DefaultSettingsQuery+"  -- check the old values", "the plan shows the check")
	assert.Contains(t, c.Detail, sqlserver.DefaultSettingsUpdate, "and the statement")
	assert.Contains(t, c.Detail, `@name = "TMSServerIPv4Address", @value = "10.10.0.11" (was "10.10.0.12")`, "and its parameters")
	assert.NotContains(t, c.Detail, dbPassword)
	assert.NotContains(t, c.Detail, "sp_executesql", "the DSN names tmsng: the statements go as written")

	runs := t.TempDir()
	n := len(s.Executed())
	out := applyLive(t, a, p, runs)
	require.True(t, out.Complete(), "%+v", out.Nodes)
	assert.Equal(t, "10.10.0.11", ipv4(t, s))

	// What the apply sent: the settings query alone to check the plan
	// (no probe), then one serializable transaction that reads the
	// settings again, updates, and commits.
	applied := s.Executed()[n:]
	var texts []string
	for _, e := range applied {
		texts = append(texts, e.Text)
	}
	require.Equal(t, []string{sqlserver.DefaultSettingsQuery, "BEGIN TRANSACTION", sqlserver.DefaultSettingsQuery, sqlserver.DefaultSettingsUpdate, "COMMIT TRANSACTION"}, texts)
	assert.Zero(t, applied[0].TxID)
	tx := applied[1].TxID
	assert.NotZero(t, tx)
	assert.Equal(t, "SERIALIZABLE", applied[1].Isolation)
	for _, e := range applied[2:] {
		assert.Equal(t, tx, e.TxID, "%s runs in the transaction", e.Text)
	}
	update := applied[3]
	var values []string
	for _, prm := range update.Params {
		values = append(values, prm.Name+"="+strings.TrimSpace(stringValue(prm.Value)))
	}
	assert.ElementsMatch(t, []string{"@name=TMSServerIPv4Address", "@value=10.10.0.11"}, values)

	after := auditLive(t, inv)
	assert.Equal(t, checks.Pass, status(after.results, "addresses.match", ""))

	// And rolled back, the database holds its old value again.
	rb, _, err := Rollback(testContext(t), RollbackRequest{Open: transports.Open, RunsDir: runs, Run: "last", Inventory: a.inv, Settings: live})
	require.NoError(t, err)
	assert.True(t, rb.Complete())
	assert.Equal(t, "10.10.0.12", ipv4(t, s))
}

// A connection dropped in the middle of the UPDATE leaves no partial
// change: the transaction is not committed, the node is reported as it was.
func TestDroppedConnectionDuringTheUpdateChangesNothing(t *testing.T) {
	noLeaks(t)
	s, inv := liveLab(t)
	a := auditLive(t, inv)
	live := NewLiveStore(a.inv)
	p := plan(t, a, Options{Only: []string{"addresses.match"}, Settings: live})
	require.Len(t, p.Changes, 1)

	s.SetFaults(tdsserver.Faults{DropOn: sqlserver.DefaultSettingsUpdate})
	out := applyLive(t, a, p, t.TempDir())
	require.Len(t, out.Nodes, 1)
	db := out.Nodes[0]
	assert.Equal(t, Reverted, db.Status, db.Error)
	assert.Contains(t, db.Error, "nothing was changed")
	assert.NotContains(t, db.Error, dbPassword)
	assert.Equal(t, Failed, db.Changes[0].Status)

	s.SetFaults(tdsserver.Faults{})
	assert.Equal(t, "10.10.0.12", ipv4(t, s), "no partial change")
	for _, e := range s.Executed() {
		assert.NotEqual(t, "COMMIT TRANSACTION", e.Text, "nothing was committed")
	}
}

// A plan whose database values changed before --apply is refused.
func TestLiveSettingsChangedSinceThePlanAreLeftAlone(t *testing.T) {
	noLeaks(t)
	s, inv := liveLab(t)
	a := auditLive(t, inv)
	live := NewLiveStore(a.inv)
	p := plan(t, a, Options{Only: []string{"addresses.match"}, Settings: live})
	require.Len(t, p.Changes, 1)
	// Someone sets another address in TMS meanwhile.
	require.NoError(t, s.SetSetting("tmsng", sqlserver.DefaultNameIPv4Local, "10.10.0.99"))

	out := applyLive(t, a, p, t.TempDir())
	require.Len(t, out.Nodes, 1)
	assert.Equal(t, Unchanged, out.Nodes[0].Status)
	assert.Contains(t, out.Nodes[0].Error, "changed since the plan")
	assert.Contains(t, out.Nodes[0].Error, `"10.10.0.99"`)
	assert.Equal(t, "10.10.0.99", ipv4(t, s))
	assertNoUpdate(t, s)
}

// A change that lands after the check against the plan, the moment the
// write's transaction begins, is caught by the read inside the
// transaction: nothing is written, and the database is reported
// unchanged, exactly like a change made before --apply.
func TestLiveSettingsChangedDuringTheApplyAreLeftAlone(t *testing.T) {
	noLeaks(t)
	s, inv := liveLab(t)
	a := auditLive(t, inv)
	live := NewLiveStore(a.inv)
	p := plan(t, a, Options{Only: []string{"addresses.match"}, Settings: live})
	require.Len(t, p.Changes, 1)
	s.Interleave(func(e tdsserver.Execution) {
		if e.Text == "BEGIN TRANSACTION" {
			assert.NoError(t, s.SetSetting("tmsng", sqlserver.DefaultNameIPv4Local, "10.10.0.99"))
		}
	})

	out := applyLive(t, a, p, t.TempDir())
	s.Interleave(nil)
	require.Len(t, out.Nodes, 1)
	db := out.Nodes[0]
	assert.Equal(t, Unchanged, db.Status, db.Error)
	assert.Equal(t, `sql01.acme.local\TMS/tmsng: changed since the plan: ipv4_local is now "10.10.0.99", the plan expected "10.10.0.12" — run fix again; nothing was changed`, db.Error)
	require.Len(t, db.Changes, 1)
	assert.Equal(t, NotAttempted, db.Changes[0].Status)
	assert.Equal(t, "10.10.0.99", ipv4(t, s), "the other writer's value stays")
	assertNoUpdate(t, s)
	var rolledBack bool
	for _, e := range s.Executed() {
		rolledBack = rolledBack || e.Text == "ROLLBACK TRANSACTION"
	}
	assert.True(t, rolledBack, "the transaction was rolled back")
}

// assertNoUpdate fails when the server executed an UPDATE.
func assertNoUpdate(t *testing.T, s *tdsserver.Server) {
	t.Helper()
	for _, e := range s.Executed() {
		assert.NotEqual(t, sqlserver.DefaultSettingsUpdate, e.Text, "nothing was written")
	}
}

// noLeaks checks, after the test's cleanups (the server's Close among
// them), that no goroutine the test started is left.
func noLeaks(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
}

func stringValue(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return ""
}

// TestAddressesFixerThroughAnotherDatabase: with a DSN naming msdb (as a
// log-shipping secondary's does) the plan says the statements run in
// tmsng through its sp_executesql, and the fix writes there.
func TestAddressesFixerThroughAnotherDatabase(t *testing.T) {
	noLeaks(t)
	s, inv := liveLab(t)
	t.Setenv("TMSDRIFT_DSN", s.DSN(dbUser, dbPassword, "msdb"))
	a := auditLive(t, inv)
	require.Equal(t, checks.Fail, status(a.results, "addresses.match", ""), "read in tmsng all the same")
	p := plan(t, a, Options{Only: []string{"addresses.match"}, Settings: NewLiveStore(a.inv)})
	require.Len(t, p.Changes, 1)
	detail := p.Changes[0].Detail
	assert.Contains(t, detail, `(each statement runs in database tmsng through tmsng.sys.sp_executesql (@db = "tmsng", @stmt = the statement): $TMSDRIFT_DSN logs in to "msdb")`)
	assert.NotContains(t, detail, dbPassword)
	out := applyLive(t, a, p, t.TempDir())
	require.True(t, out.Complete(), "%+v", out.Nodes)
	assert.Equal(t, "10.10.0.11", ipv4(t, s))
	assert.Equal(t, checks.Pass, status(auditLive(t, inv).results, "addresses.match", ""))
}
