package fixers

import (
	"fmt"

	"github.com/tmsdrift/tmsdrift/internal/addrcheck"
)

// What the fixers write into the database must be an address TMS can use:
// the addresses fixer refuses anything else rather than spread a typo of
// the inventory (999.10.0.300) to every managed system. The judgement is
// internal/addrcheck's, the same the inventory's validation makes.

// checkAddressValue says why value cannot be written as the address
// setting field (ipv4_local, ipv6_local, dns_local, dns_public), or nil.
// An empty value clears the setting and is allowed.
func checkAddressValue(field, value string) error {
	if value == "" {
		return nil
	}
	switch field {
	case "ipv4_local":
		return addrcheck.IPv4(value)
	case "ipv6_local":
		return addrcheck.IPv6(value)
	case "dns_local", "dns_public":
		// TMS calls these "Fully Qualified Host Name or IP Address".
		return addrcheck.Host(value)
	}
	return fmt.Errorf("%s is not an address setting", field)
}
