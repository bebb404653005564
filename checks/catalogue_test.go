package checks

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/tmsdrift/tmsdrift/tmsversion"
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

// Every rule's guide section is one docs/tms-versions.md's "Sources, as
// read" lists (tmsversion's citations), with a status: a rule citing a
// section nobody checked against the pages read cannot be added silently.
func TestEveryRuleCitesASectionAsRead(t *testing.T) {
	used := map[string]bool{}
	for _, r := range Catalogue() {
		c, ok := r.Citation()
		if !assert.Truef(t, ok, "%s cites %q, which tmsversion's citations (Sources, as read) do not list", r.ID, r.Source) {
			continue
		}
		used[c.Section] = true
		assert.Contains(t, tmsversion.ReadStatuses, c.Status, r.ID)
		assert.NotEmpty(t, c.Read, "%s: what was read, or why not", r.ID)
		if c.Status == tmsversion.Assumption {
			assert.Empty(t, r.DocName(), "%s: an assumption cites no document", r.ID)
		} else {
			assert.NotEmpty(t, r.DocName(), r.ID)
		}
	}
	for _, c := range tmsversion.Citations() {
		assert.Truef(t, used[c.Section], "citation %q is cited by no rule", c.Section)
	}
	// The three sections issue 10's audit could not read are not
	// confirmed, whatever the rules' prose says.
	for _, id := range []string{"machinekey.present", "addresses.match", "db.latency"} {
		c, _ := Lookup(id).Citation()
		assert.Equal(t, tmsversion.NotReread, c.Status, id)
	}
}
