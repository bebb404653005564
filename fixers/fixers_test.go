package fixers

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/checks"
)

// One test per fixer: testdata/<case>/in fixed must equal testdata/<case>/out.

func TestMachineKeyInsert(t *testing.T) {
	fixCase(t, "machinekey-insert", Options{Only: []string{"machinekey.present"}}, checks.Pass)
}

func TestMachineKeyReplace(t *testing.T) {
	fixCase(t, "machinekey-replace", Options{Only: []string{"machinekey.match"}}, checks.Pass)
}

func TestMachineKeyUTF16(t *testing.T) {
	fixCase(t, "machinekey-utf16", Options{}, checks.Pass)
}

func TestMachineKeyDuplicate(t *testing.T) {
	fixCase(t, "machinekey-duplicate", Options{Only: []string{"machinekey.present"}}, checks.Pass)
}

func TestAddressesMatch(t *testing.T) {
	fixCase(t, "addresses-match", Options{Only: []string{"addresses.match"}}, checks.Pass)
}

func TestAddressesPublicDNS(t *testing.T) {
	fixCase(t, "addresses-public-dns", Options{Only: []string{"addresses.public-dns"}}, checks.Pass)
}

func TestServicesStandbyInactive(t *testing.T) {
	fixCase(t, "services-standby-inactive", Options{}, checks.Pass)
}

func TestServicesActiveRunning(t *testing.T) {
	fixCase(t, "services-active-running", Options{}, checks.Pass)
}

func TestDataSyncedWithPrune(t *testing.T) {
	fixCase(t, "data-synced-prune", Options{Prune: true}, checks.Pass)
}

func TestDataSyncedKeepsExtraFilesWithoutPrune(t *testing.T) {
	v := fixCase(t, "data-synced", Options{}, checks.Fail)
	require.Len(t, v, 1)
	assert.Contains(t, v[0].Left, `1 extra: wwwTMS\Data\Software\s52020tc7_3_20.pkg`, "what is left is said")
}

// The catalogue's Fixable flags and the fixers registry agree.
func TestCatalogueFixableMatchesRegistry(t *testing.T) {
	for _, r := range checks.Catalogue() {
		assert.Equalf(t, Fixable(r.ID), r.Fixable, "%s: Fixable in the catalogue vs a fixer in the registry", r.ID)
	}
	for _, f := range registry {
		for _, id := range f.rules {
			assert.NotNilf(t, checks.Lookup(id), "fixer for unknown rule %s", id)
		}
	}
}
