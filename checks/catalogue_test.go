package checks

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The contract's rule IDs (§4) are stable: every one must exist, and no
// other may appear without being added to the contract reference.
var contractIDs = []string{
	"domain.joined", "domain.same", "time.synced", "paths.identical",
	"machinekey.present", "machinekey.match", "addresses.match", "addresses.public-dns",
	"services.standby-inactive", "services.active-running", "version.same", "nodes.unique-address",
	"db.single-live", "db.separate-server", "db.latency", "db.edition", "db.mixed-auth",
	"db.clustered", "db.online", "db.recovery-full", "db.backup-recent", "db.log-shipping-lag",
	"data.synced",
	// Added by tmsdrift (contract §7, Extensions).
	"nodes.identity", "nodes.count",
}

func TestCatalogueMatchesContract(t *testing.T) {
	assert.ElementsMatch(t, contractIDs, IDs())
}

func TestEveryRuleIsComplete(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Catalogue() {
		assert.Falsef(t, seen[r.ID], "duplicate rule id %s", r.ID)
		seen[r.ID] = true
		assert.NotEmpty(t, r.Title, r.ID)
		assert.NotZero(t, r.Severity.Rank(), "%s: severity", r.ID)
		assert.Contains(t, []Scope{NodeScope, DeploymentScope, BothScopes}, r.Scope, r.ID)
		assert.NotEmpty(t, r.Models, r.ID)
		assert.NotEmpty(t, r.Source, r.ID)
		assert.NotEmpty(t, r.Why, r.ID)
		assert.NotEmpty(t, r.Remediation, r.ID)
		assert.NotNil(t, r.eval, r.ID)
		assert.Equal(t, r.ID, Lookup(r.ID).ID)
	}
	assert.Nil(t, Lookup("no.such-rule"))
}

// Issue 8: Catalogue handed out the global slice, so a caller could change
// what every later audit evaluates. What it and Lookup return are copies.
func TestCatalogueCannotBeChangedFromOutside(t *testing.T) {
	before := Catalogue()
	got := Catalogue()
	got[0] = &Rule{ID: "replaced"}
	got[1].Severity = Low
	got[1].Models[0] = "cluster"
	got[2].Title = "changed"
	got = append(got[:3], got[4:]...)
	r := Lookup(before[5].ID)
	r.Remediation = "changed"
	r.Models = nil
	_ = got

	// Rules hold their eval function, which reflect cannot compare.
	public := func(rules ...*Rule) []Rule {
		out := make([]Rule, len(rules))
		for i, r := range rules {
			out[i] = *r
			out[i].eval = nil
		}
		return out
	}
	assert.Equal(t, public(before...), public(Catalogue()...), "the catalogue is as it was")
	assert.Equal(t, public(before[5]), public(Lookup(before[5].ID)))
	assert.Len(t, IDs(), len(before))
	for _, id := range UpgradeRules() {
		assert.NotNil(t, Lookup(id), "UpgradeRules names a rule of the catalogue: %s", id)
		assert.True(t, Lookup(id).Fixable, "post-upgrade fixes %s", id)
	}
	u := UpgradeRules()
	u[0] = "changed"
	assert.NotEqual(t, "changed", UpgradeRules()[0])
}
