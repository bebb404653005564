package runbooks

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/facts"
)

// TestPromoteManualCutover: on the compliant three-node lab, promote tms02
// passes its preflight and lists the guide's steps in order, with every
// current and intended value.
func TestPromoteManualCutover(t *testing.T) {
	d, results := audit(t, lab("manual-cutover"))
	rb, err := Promote(d, results, "TMS02")
	require.NoError(t, err)
	assert.Empty(t, rb.Preflight)
	assert.Equal(t, []string{"tms02"}, rb.Args)
	assert.Equal(t, []string{"stop:tms01", "start:tms02", "database", "inventory", "audit"}, ids(rb))

	stop := step(t, rb, "stop:tms01")
	require.Len(t, stop.Services, 7)
	assert.Equal(t, "w3svc", stop.Services[0].Name, "IIS is stopped first")
	for _, c := range stop.Services {
		assert.Equal(t, ServiceState{StartType: facts.StartManual, State: facts.StateStopped}, c.To, c.Name)
	}
	assert.Equal(t, ServiceState{StartType: facts.StartAutomaticDelayed, State: facts.StateRunning}, stop.Services[4].From)

	start := step(t, rb, "start:tms02")
	require.Len(t, start.Services, 6, "tms02 has no TMSSnmpService")
	assert.Equal(t, "W3SVC", start.Services[5].Name, "IIS is started last")
	for _, c := range start.Services {
		assert.Equal(t, ServiceState{StartType: facts.StartAutomatic, State: facts.StateRunning}, c.To, c.Name)
	}

	db := step(t, rb, "database").Settings
	require.NotNil(t, db)
	// dns_local differs in case only (TMS.ACME.LOCAL), as addresses.match
	// compares it: left alone.
	assert.Equal(t, []string{"ipv4_local"}, db.Fields)
	assert.Equal(t, "10.10.0.11", db.Before.IPv4Local)
	assert.Equal(t, "10.10.0.12", db.After.IPv4Local)
	assert.Equal(t, "TMS.ACME.LOCAL", db.After.DNSLocal)

	assert.Equal(t, []InventoryChange{
		{Field: "nodes[0].role", From: "primary", To: "standby"},
		{Field: "nodes[1].role", From: "standby", To: "primary"},
		{Field: "addresses.ipv4_local", From: "10.10.0.11", To: "10.10.0.12"},
		{Field: "data_sync.master", From: "tms01", To: "tms02"},
	}, step(t, rb, "inventory").Inventory)

	var manual []string
	for _, m := range rb.Manual {
		manual = append(manual, m.What)
	}
	text := strings.Join(manual, "\n")
	for _, want := range []string{"DNS record", "tms.acme.local", "Enforce Now (Administrative Tools > Configuration > Network)", "external integrations", "configuration backups"} {
		assert.Contains(t, text, want)
	}
}

// TestPromotePreflightRefuses: a node that is not a standby, or that
// differs from the primary in what it must share, is refused and the
// finding names the rule and the node.
func TestPromotePreflightRefuses(t *testing.T) {
	cases := []struct{ lab, node, check string }{
		{"manual-cutover", "tms01", "role"},
		{"mixed-versions", "tms03", "version.same"},
		{"machinekey-drift", "tms02", "machinekey.present"},
		{"machinekey-drift", "tms04", "machinekey.match"},
		{"install-path", "tms02", "paths.identical"},
		{"data-drift", "tms02", "data.synced"},
	}
	for _, c := range cases {
		t.Run(c.lab+"/"+c.node, func(t *testing.T) {
			d, results := audit(t, lab(c.lab))
			rb, err := Promote(d, results, c.node)
			require.NoError(t, err)
			assert.Contains(t, findingChecks(rb), c.check)
			assert.NotEmpty(t, rb.Refusals(false))
			for _, f := range rb.Preflight {
				if f.Check == c.check {
					assert.Equal(t, c.node, f.Node)
				}
			}
		})
	}
}

// TestPromoteOtherNodesLagging: a version.same failure of another standby
// does not refuse promoting one that runs the primary's version.
func TestPromoteOtherNodesLagging(t *testing.T) {
	d, results := audit(t, lab("mixed-versions"))
	rb, err := Promote(d, results, "tms02")
	require.NoError(t, err)
	assert.NotContains(t, findingChecks(rb), "version.same")
}

func TestPromoteBadUsage(t *testing.T) {
	d, results := audit(t, lab("manual-cutover"))
	_, err := Promote(d, results, "tms09")
	assert.True(t, errors.Is(err, ErrUsage), "%v", err)
	for _, l := range []string{"nlb", "single"} {
		d, results := audit(t, lab(l))
		_, err := Promote(d, results, d.Inventory.Nodes[0].Name)
		assert.True(t, errors.Is(err, ErrUsage), "%s: %v", l, err)
	}
	// In model offsite an offsite-standby is activated, not promoted.
	for _, l := range []string{"offsite", "offsite-three"} {
		d, results := audit(t, lab(l))
		_, err := Promote(d, results, "tmsdr01")
		assert.True(t, errors.Is(err, ErrUsage), "%s: %v", l, err)
		assert.ErrorContains(t, err, "activate-offsite")
	}
	// A primary site of pool nodes has no one primary to replace.
	d, results = audit(t, lab("offsite-three"))
	d.Inventory.Nodes[0].Role = "pool"
	_, err = Promote(d, results, "tms02")
	assert.True(t, errors.Is(err, ErrUsage), "%v", err)
	assert.ErrorContains(t, err, "tms01 (pool)")
}

// TestPromoteOffsiteWithinSite: in model offsite, the primary site's warm
// standby (lab offsite-three, tms02) is promoted as in manual-cutover:
// the primary stopped, tms02 started, the addresses written to the live
// database (not the off-site one), the roles swapped; the off-site
// standby is left alone. This was refused ("no node to act on") before
// model offsite admitted role standby.
func TestPromoteOffsiteWithinSite(t *testing.T) {
	d, results := audit(t, lab("offsite-three"))
	rb, err := Promote(d, results, "tms02")
	require.NoError(t, err)
	assert.Empty(t, rb.Preflight)
	assert.Contains(t, rb.Guide, "within the primary site of model offsite: tmsdrift assumption")
	assert.Equal(t, []string{"stop:tms01", "start:tms02", "database", "inventory", "audit"}, ids(rb))
	db := step(t, rb, "database").Settings
	require.NotNil(t, db)
	assert.Equal(t, LiveStore, db.Store)
	assert.Equal(t, "db.json", db.Database)
	assert.Equal(t, "10.10.0.12", db.After.IPv4Local)
	assert.Equal(t, []InventoryChange{
		{Field: "nodes[0].role", From: "primary", To: "standby"},
		{Field: "nodes[1].role", From: "standby", To: "primary"},
		{Field: "addresses.ipv4_local", From: "10.10.0.11", To: "10.10.0.12"},
	}, step(t, rb, "inventory").Inventory)

	// The primary site's standby cannot be promoted over itself.
	rb, err = Promote(d, results, "tms01")
	require.NoError(t, err)
	assert.Contains(t, findingChecks(rb), "role")
}

// TestPromoteUnreachableOldPrimary: the old primary cannot be read; that
// is no refusal. Its step is left to a person, and the rules it would
// have answered are warnings.
func TestPromoteUnreachableOldPrimary(t *testing.T) {
	file := labCopy(t, "manual-cutover")
	facts01 := filepath.Join(filepath.Dir(file), "nodes", "tms01", "facts.json")
	require.NoError(t, os.WriteFile(facts01, []byte(`{"schema": "tmsdrift/facts/v1", "hostname": `), 0o644))
	d, results := audit(t, file)
	rb, err := Promote(d, results, "tms02")
	require.NoError(t, err)
	assert.Empty(t, rb.Preflight)
	stop := step(t, rb, "stop:tms01")
	assert.NotEmpty(t, stop.Unreachable)
	assert.Contains(t, stop.Manual, "on tms01: stop every TMS service and W3SVC and set them to Manual")
	assert.Empty(t, stop.Services)
	assert.NotEmpty(t, rb.Warnings)
	var buf bytes.Buffer
	require.NoError(t, WritePlan(&buf, rb, false, 0))
	assert.Contains(t, buf.String(), "BY HAND")
	// The address still moves: the inventory names tms01's address.
	assert.Equal(t, "10.10.0.12", step(t, rb, "database").Settings.After.IPv4Local)
}

// TestPromoteNodeUnreachable: the node to promote must be reached.
func TestPromoteNodeUnreachable(t *testing.T) {
	file := labCopy(t, "manual-cutover")
	require.NoError(t, os.WriteFile(filepath.Join(filepath.Dir(file), "nodes", "tms02", "facts.json"), []byte("{"), 0o644))
	d, results := audit(t, file)
	rb, err := Promote(d, results, "tms02")
	require.NoError(t, err)
	assert.Contains(t, findingChecks(rb), "reachable")
}

// TestFollowNames: a DNS name that names the old primary moves to the new
// one's name of the same form; a service name stays.
func TestFollowNames(t *testing.T) {
	file := labCopy(t, "manual-cutover")
	raw, err := os.ReadFile(file)
	require.NoError(t, err)
	text := strings.Replace(string(raw), "dns_local: tms.acme.local", "dns_local: TMS01.acme.local.", 1)
	require.NoError(t, os.WriteFile(file, []byte(text), 0o644))
	d, results := audit(t, file)
	rb, err := Promote(d, results, "tms02")
	require.NoError(t, err)
	assert.Contains(t, step(t, rb, "inventory").Inventory, InventoryChange{Field: "addresses.dns_local", From: "TMS01.acme.local.", To: "tms02.acme.local"})
	for _, m := range rb.Manual {
		assert.NotContains(t, m.What, "DNS record", "the name moved with the primary: no DNS step")
	}
}

// TestWritePlanEscapes: text from a node never reaches the terminal raw.
func TestWritePlanEscapes(t *testing.T) {
	rb := &Runbook{Command: "promote", Args: []string{"tms\x1b[31m02"}, Steps: []Step{{ID: "start:x", Title: "t", Target: OnNode, Node: "x",
		Services: []ServiceChange{{Name: "TMS\x1b]0;pwned\x07", From: ServiceState{"Manual", "Stopped"}, To: ServiceState{"Automatic", "Running"}}}}}}
	var buf bytes.Buffer
	require.NoError(t, WritePlan(&buf, rb, false, 0))
	assert.NotContains(t, buf.String(), "\x1b")
	assert.NotContains(t, buf.String(), "\x07")
	assert.Contains(t, buf.String(), "pwned")
}

// TestFollowRefusesAnImpossibleName: a DNS name that follows the old
// primary is built from the new one's facts.json (host name and domain);
// when that is no host name, the preflight refuses instead of planning to
// write it into the database (issue 8, item 8).
func TestFollowRefusesAnImpossibleName(t *testing.T) {
	file := labCopy(t, "manual-cutover")
	dir := filepath.Dir(file)
	raw, err := os.ReadFile(file)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(file, []byte(strings.Replace(string(raw), "dns_local: tms.acme.local", "dns_local: tms01.acme.local", 1)), 0o644))
	factsFile := filepath.Join(dir, "nodes", "tms02", "facts.json")
	raw, err = os.ReadFile(factsFile)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(factsFile, []byte(strings.Replace(string(raw), `"domain": "ACME.LOCAL"`, `"domain": "ACME LOCAL!"`, 1)), 0o644))
	d, results := audit(t, file)
	rb, err := Promote(d, results, "tms02")
	require.NoError(t, err)
	require.Contains(t, findingChecks(rb), "addresses.dns_local")
	for _, f := range rb.Preflight {
		if f.Check == "addresses.dns_local" {
			assert.Contains(t, f.Problem, `"tms02.acme local!"`)
			assert.Contains(t, f.Fix, "nodes[].hostname")
		}
	}
	assert.NotContains(t, step(t, rb, "inventory").Inventory, InventoryChange{Field: "addresses.dns_local", From: "tms01.acme.local", To: "tms02.acme local!"})
}
