package fixers

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/checks"
)

func TestCheckAddressValue(t *testing.T) {
	for _, ok := range [][2]string{
		{"ipv4_local", "10.10.0.11"},
		{"ipv4_local", ""},
		{"ipv6_local", "2001:db8::11"},
		{"ipv6_local", "fe80::1"},
		{"dns_local", "tms.acme.local"},
		{"dns_local", "TMS.ACME.LOCAL."},
		{"dns_public", "tms-01.example.com"},
		{"dns_public", "203.0.113.7"},
		{"dns_public", "localhost"},
	} {
		assert.NoError(t, checkAddressValue(ok[0], ok[1]), ok)
	}
	for _, bad := range [][2]string{
		{"ipv4_local", "999.10.0.300"},
		{"ipv4_local", "not an ip"},
		{"ipv4_local", "2001:db8::11"},
		{"ipv4_local", "10.10.0.11 "},
		{"ipv6_local", "10.10.0.11"},
		{"ipv6_local", "::ffff:10.10.0.11"},
		{"ipv6_local", "fe80::1%eth0"},
		{"dns_local", "999.10.0.300"},
		{"dns_local", "not an ip"},
		{"dns_local", "tms..acme.local"},
		{"dns_local", "-tms.acme.local"},
		{"dns_local", "tms_01.acme.local"},
		{"dns_public", "tms.acme.local\x1b[2J"},
		{"dns_public", "a." + string(make([]byte, 64))},
		{"password", "x"},
	} {
		assert.Error(t, checkAddressValue(bad[0], bad[1]), "%q", bad)
	}
}

// The addresses fixer never plans to write an impossible address, even
// when the inventory holds one (issue 8, item 8).
func TestAddressesFixerRefusesImpossibleValues(t *testing.T) {
	a := audit(t, copyLab(t, "post-upgrade"))
	require.Equal(t, checks.Fail, status(a.results, "addresses.match", ""))
	a.d.Inventory.Addresses.IPv4Local = "999.10.0.300"
	p := plan(t, a, Options{Only: []string{"addresses.match"}})
	assert.Empty(t, p.Changes)
	require.Len(t, p.Skipped, 1)
	assert.Equal(t, `nothing is written to the database: the inventory's addresses.ipv4_local: "999.10.0.300" is not an IPv4 address: 999 is more than 255 (correct the inventory)`, p.Skipped[0].Reason)

	a.d.Inventory.Addresses.IPv4Local = "10.10.0.11"
	a.d.Inventory.Addresses.DNSLocal = "not a name"
	p = plan(t, a, Options{Only: []string{"addresses.match"}})
	assert.Empty(t, p.Changes, "one bad value refuses the whole change: the addresses are written as one unit")
	require.Len(t, p.Skipped, 1)
	assert.Contains(t, p.Skipped[0].Reason, `addresses.dns_local: "not a name" is not a host name or an IP address`)
}
