package runbooks

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/inventory"
)

// setState rewrites the database state of a lab copy's db file.
func setState(t *testing.T, inventoryFile, db, state string) {
	t.Helper()
	p := filepath.Join(filepath.Dir(inventoryFile), db)
	raw, err := os.ReadFile(p)
	require.NoError(t, err)
	for _, s := range []string{"ONLINE", "RESTORING"} {
		raw = []byte(strings.Replace(string(raw), `"state": "`+s+`"`, `"state": "`+state+`"`, 1))
	}
	require.NoError(t, os.WriteFile(p, raw, 0o644))
}

// TestActivateOffsiteRefusesRestoringDatabase: the lab's secondary is
// restoring, as log shipping leaves it: no addresses can be written there
// until a DBA brings it online, and --force does not change that.
func TestActivateOffsiteRefusesRestoringDatabase(t *testing.T) {
	d, results := audit(t, lab("offsite"))
	rb, err := ActivateOffsite(d, results, OffsiteOptions{Other: otherDB(t, d)})
	require.NoError(t, err)
	refusals := rb.Refusals(true)
	require.Len(t, refusals, 1)
	assert.Equal(t, "database state", refusals[0].Check)
	assert.Contains(t, refusals[0].Problem, "RESTORING")
	assert.Contains(t, refusals[0].Fix, "WITH RECOVERY")
}

// TestActivateOffsite: with the secondary online, the primary site is
// disabled first, the off-site node started, the addresses written to the
// off-site database, and the inventory switched.
func TestActivateOffsite(t *testing.T) {
	file := labCopy(t, "offsite")
	setState(t, file, "db-dr.json", "ONLINE")
	d, results := audit(t, file)
	rb, err := ActivateOffsite(d, results, OffsiteOptions{Other: otherDB(t, d)})
	require.NoError(t, err)
	assert.Empty(t, rb.Preflight)
	assert.Equal(t, []string{"stop:tms01", "start:tmsdr01", "inventory", "offsite-database", "audit"}, ids(rb))
	s := step(t, rb, "offsite-database").Settings
	require.NotNil(t, s)
	assert.Equal(t, OffsiteStore, s.Store)
	assert.Equal(t, "db-dr.json", s.Database)
	assert.Equal(t, "10.10.0.31", s.After.IPv4Local)
	assert.Equal(t, []InventoryChange{
		{Field: "nodes[0].role", From: "primary", To: "offsite-standby"},
		{Field: "nodes[1].role", From: "offsite-standby", To: "primary"},
		{Field: "addresses.ipv4_local", From: "10.10.0.11", To: "10.10.0.31"},
		{Field: "database.server", From: `sql01.acme.local\TMS`, To: "sql-dr.acme.local"},
		{Field: "database.offsite_server", From: "sql-dr.acme.local", To: `sql01.acme.local\TMS`},
		{Field: "database.snapshot", From: "db.json", To: "db-dr.json"},
		{Field: "database.offsite_snapshot", From: "db-dr.json", To: "db.json"},
	}, step(t, rb, "inventory").Inventory)
	assert.Contains(t, rb.Manual[0].What, "disable the SQL Server")
}

// TestActivateOffsiteThenReturnWithASiteStandby: on lab offsite-three the
// primary site's standby (tms02) is disabled with it and becomes an
// offsite-standby (no standby of the site that is not live can be
// promoted); return-to-primary gives it its role back and leaves its
// services stopped.
func TestActivateOffsiteThenReturnWithASiteStandby(t *testing.T) {
	file := labCopy(t, "offsite-three")
	setState(t, file, "db-dr.json", "ONLINE")
	d, results := audit(t, file)
	act, err := ActivateOffsite(d, results, OffsiteOptions{Other: otherDB(t, d)})
	require.NoError(t, err)
	assert.Empty(t, act.Preflight)
	assert.Equal(t, []string{"stop:tms01", "stop:tms02", "start:tmsdr01", "inventory", "offsite-database", "audit"}, ids(act))
	assert.Empty(t, step(t, act, "stop:tms02").Services, "tms02 is stopped and Manual already")
	roles := step(t, act, "inventory").Inventory[:3]
	assert.Equal(t, []InventoryChange{
		{Field: "nodes[0].role", From: "primary", To: "offsite-standby"},
		{Field: "nodes[1].role", From: "standby", To: "offsite-standby"},
		{Field: "nodes[2].role", From: "offsite-standby", To: "primary"},
	}, roles)

	// The deployment as the activation leaves it (roles only: enough for
	// return-to-primary's plan).
	for i, r := range []string{"offsite-standby", "offsite-standby", "primary"} {
		d.Inventory.Nodes[i].Role = inventory.Role(r)
	}
	back, err := ReturnToPrimary(d, results, OffsiteOptions{Activation: act, Other: otherDB(t, d), Resynced: true})
	require.NoError(t, err)
	assert.Equal(t, []string{"stop:tmsdr01", "start:tms01", "inventory", "offsite-database", "audit"}, ids(back))
	assert.Equal(t, []InventoryChange{
		{Field: "nodes[2].role", From: "primary", To: "offsite-standby"},
		{Field: "nodes[0].role", From: "offsite-standby", To: "primary"},
		{Field: "nodes[1].role", From: "offsite-standby", To: "standby"},
	}, step(t, back, "inventory").Inventory[:3])
}

// TestActivateOffsitePrimarySiteUnreachable: the primary site cannot be
// read (why one activates the off-site site): no refusal; its steps are
// listed as manual, and the off-site node is still activated.
func TestActivateOffsitePrimarySiteUnreachable(t *testing.T) {
	file := labCopy(t, "offsite-three")
	setState(t, file, "db-dr.json", "ONLINE")
	for _, n := range []string{"tms01", "tms02"} {
		p := filepath.Join(filepath.Dir(file), "nodes", n, "facts.json")
		require.NoError(t, os.WriteFile(p, []byte(`{"schema": "tmsdrift/facts/v1", "hostname": `), 0o644))
	}
	d, results := audit(t, file)
	rb, err := ActivateOffsite(d, results, OffsiteOptions{Other: otherDB(t, d)})
	require.NoError(t, err)
	assert.Empty(t, rb.Refusals(false), "an unreachable primary site is no preflight failure")
	for _, n := range []string{"tms01", "tms02"} {
		stop := step(t, rb, "stop:"+n)
		assert.NotEmpty(t, stop.Unreachable, n)
		assert.Contains(t, stop.Manual, "on "+n+": stop every TMS service and W3SVC and set them to Manual")
		assert.Empty(t, stop.Services, n)
	}
	assert.NotEmpty(t, step(t, rb, "start:tmsdr01").Services)
	assert.Equal(t, "10.10.0.31", step(t, rb, "offsite-database").Settings.After.IPv4Local)
}

func TestActivateOffsiteBadUsage(t *testing.T) {
	d, results := audit(t, lab("offsite"))
	for _, node := range []string{"tms01", "nope"} {
		_, err := ActivateOffsite(d, results, OffsiteOptions{Node: node, Other: otherDB(t, d)})
		assert.True(t, errors.Is(err, ErrUsage), "%s: %v", node, err)
	}
	d, results = audit(t, lab("manual-cutover"))
	_, err := ActivateOffsite(d, results, OffsiteOptions{})
	assert.True(t, errors.Is(err, ErrUsage), "%v", err)
}

// TestReturnToPrimaryNeedsAnActivation: a deployment that runs on its
// primary site has nothing to return from.
func TestReturnToPrimaryNeedsAnActivation(t *testing.T) {
	d, results := audit(t, lab("offsite"))
	_, err := ReturnToPrimary(d, results, OffsiteOptions{Other: otherDB(t, d), Resynced: true})
	assert.True(t, errors.Is(err, ErrUsage), "%v", err)
	_, err = ReturnToPrimary(d, results, OffsiteOptions{Node: "tms01", Other: otherDB(t, d), Resynced: true})
	assert.True(t, errors.Is(err, ErrUsage), "%v", err)
}

func TestDatabaseSwitchLive(t *testing.T) {
	d, _ := audit(t, lab("offsite"))
	inv := *d.Inventory
	inv.Database.Snapshot, inv.Database.OffsiteSnapshot = "", ""
	inv.Database.DSNEnv, inv.Database.OffsiteDSNEnv = "TMSDRIFT_DSN", "TMSDRIFT_DR_DSN"
	got := databaseSwitch(&inv)
	assert.Contains(t, got, InventoryChange{Field: "database.dsn_env", From: "TMSDRIFT_DSN", To: "TMSDRIFT_DR_DSN"})
	assert.Contains(t, got, InventoryChange{Field: "database.offsite_dsn_env", From: "TMSDRIFT_DR_DSN", To: "TMSDRIFT_DSN"})
	assert.Len(t, got, 4)
}

// TestSwitchRefusesTheInventorysCertificateName: host_name_in_certificate
// holds whichever server dsn_env reaches to that name, so the switch would
// hold the other server to it: refused, even with --force.
func TestSwitchRefusesTheInventorysCertificateName(t *testing.T) {
	file := labCopy(t, "offsite")
	setState(t, file, "db-dr.json", "ONLINE")
	d, results := audit(t, file)
	other := otherDB(t, d)
	d.Inventory.Database.Snapshot, d.Inventory.Database.OffsiteSnapshot = "", ""
	d.Inventory.Database.DSNEnv, d.Inventory.Database.OffsiteDSNEnv = "TMSDRIFT_DSN", "TMSDRIFT_DR_DSN"
	rb, err := ActivateOffsite(d, results, OffsiteOptions{Other: other})
	require.NoError(t, err)
	assert.Empty(t, rb.Refusals(true), "without the key")

	d.Inventory.Database.HostNameInCertificate = "sql01.acme.local"
	rb, err = ActivateOffsite(d, results, OffsiteOptions{Other: other})
	require.NoError(t, err)
	refusals := rb.Refusals(true)
	require.Len(t, refusals, 1)
	assert.Equal(t, "database.host_name_in_certificate", refusals[0].Check)
	assert.Contains(t, refusals[0].Fix, "hostnameincertificate=")
}
