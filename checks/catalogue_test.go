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
	"nodes.identity",
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
		assert.Same(t, r, Lookup(r.ID))
	}
	assert.Nil(t, Lookup("no.such-rule"))
}
