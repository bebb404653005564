package checks

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/tmsdrift/tmsdrift/tmsversion"
)

// Every rule named in profileFacts exists, and every fact it names is one
// the profiles hold: explain would otherwise show nothing for it.
func TestProfileFactsNameRulesAndFacts(t *testing.T) {
	for id, names := range profileFacts {
		r := Lookup(id)
		if !assert.NotNil(t, r, id) {
			continue
		}
		assert.Equal(t, names, r.ProfileFacts())
		for _, n := range names {
			assert.True(t, slices.Contains(tmsversion.FactNames, n), "%s: %s", id, n)
		}
	}
	assert.Nil(t, Lookup("db.online").ProfileFacts(), "a rule every release judges alike")
}
