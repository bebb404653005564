package facts

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Every contract key reaches its own field, and nothing else does.
func TestSettingsFieldByKey(t *testing.T) {
	s := Settings{IPv4Local: "10.0.0.1", IPv6Local: "fd00::1", DNSLocal: "tms.example.org", DNSPublic: "tms.example.com"}
	assert.Equal(t, []string{"10.0.0.1", "fd00::1", "tms.example.org", "tms.example.com"},
		[]string{s.Get("ipv4_local"), s.Get("ipv6_local"), s.Get("dns_local"), s.Get("dns_public")})
	assert.Nil(t, s.Field("ipv4"), "not a contract key")
	assert.Empty(t, s.Get("IPv4Local"))
	*s.Field("dns_public") = "vip.example.com"
	assert.Equal(t, "vip.example.com", s.DNSPublic)
	assert.Len(t, SettingsKeys, 4)
	for _, k := range SettingsKeys {
		assert.NotNil(t, s.Field(k), k)
	}
}

func TestSameAddress(t *testing.T) {
	assert.True(t, SameAddress("dns_local", "TMS.Example.org ", "tms.example.org"), "DNS names ignore case")
	assert.True(t, SameAddress("dns_public", "A.example", "a.EXAMPLE"))
	assert.True(t, SameAddress("ipv4_local", " 10.0.0.1", "10.0.0.1"), "blanks around are ignored")
	assert.False(t, SameAddress("ipv6_local", "FD00::1", "fd00::1"), "IP addresses compare exactly, as written")
	assert.False(t, SameAddress("ipv4_local", "10.0.0.1", "10.0.0.2"))
}
