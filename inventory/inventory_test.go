package inventory

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestNodeLookups(t *testing.T) {
	inv := &Inventory{Nodes: []Node{
		{Name: "tms-dr01", Role: OffsiteStandby},
		{Name: "TMS01", Role: Primary},
		{Name: "tms02", Role: Pool},
	}}
	assert.Equal(t, &inv.Nodes[1], inv.NodeByName("tms01"), "names compare case-insensitively")
	assert.Nil(t, inv.NodeByName("tms09"))
	assert.Equal(t, &inv.Nodes[1], inv.FirstActive(), "a standby is never the default source")
	assert.Equal(t, &inv.Nodes[1], inv.DataMaster(), "default master: the first active node")

	inv.DataSync.Master = "tms02"
	assert.Equal(t, &inv.Nodes[2], inv.DataMaster())

	standbyOnly := &Inventory{Nodes: []Node{{Name: "a", Role: Standby}}}
	assert.Nil(t, standbyOnly.FirstActive())
}

func TestModelsAndRoles(t *testing.T) {
	for _, m := range Models {
		assert.True(t, m.Known())
		assert.NotEmpty(t, m.AllowedRoles(), m)
	}
	assert.False(t, Model("cluster").Known())
	assert.Nil(t, Model("cluster").AllowedRoles())
	assert.Equal(t, []Role{Pool}, NLB.AllowedRoles())

	roles := NLB.AllowedRoles()
	roles[0] = Standby
	assert.Equal(t, []Role{Pool}, NLB.AllowedRoles(), "callers get a copy")
	// Model offsite admits a warm standby at the primary site (promote
	// within the site).
	assert.Equal(t, []Role{Primary, Standby, Pool, OffsiteStandby}, Offsite.AllowedRoles())

	assert.True(t, Primary.Active())
	assert.True(t, Pool.Active())
	assert.False(t, Standby.Active())
	assert.False(t, OffsiteStandby.Active())
}
