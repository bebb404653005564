package fixers

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// What the fixers write into the database must be an address TMS can use:
// the addresses fixer refuses anything else rather than spread a typo of
// the inventory (999.10.0.300) to every managed system. This is the one
// place that decides it; when the inventory's own validators land
// (issue 8, item 8: inventory/ or internal/), checkAddressValue becomes a
// call to them.

// checkAddressValue says why value cannot be written as the address
// setting field (ipv4_local, ipv6_local, dns_local, dns_public), or nil.
// An empty value clears the setting and is allowed.
func checkAddressValue(field, value string) error {
	if value == "" {
		return nil
	}
	switch field {
	case "ipv4_local":
		a, err := netip.ParseAddr(value)
		if err != nil || !a.Is4() {
			return fmt.Errorf("%q is not an IPv4 address", value)
		}
	case "ipv6_local":
		a, err := netip.ParseAddr(value)
		if err != nil || !a.Is6() || a.Is4In6() || a.Zone() != "" {
			return fmt.Errorf("%q is not an IPv6 address (without a zone)", value)
		}
	case "dns_local", "dns_public":
		// TMS calls these "Fully Qualified Host Name or IP Address".
		if a, err := netip.ParseAddr(value); err == nil && a.Zone() == "" {
			return nil
		}
		if err := checkDNSName(value); err != nil {
			return fmt.Errorf("%q is neither an IP address nor a DNS name: %w", value, err)
		}
	default:
		return fmt.Errorf("%s is not an address setting", field)
	}
	return nil
}

// checkDNSName checks a host name as RFC 1123 writes one: at most 253
// characters, labels of 1 to 63 letters, digits and hyphens that neither
// start nor end with a hyphen, and a last label that is not all digits
// (RFC 3696 §2: that would be a malformed IPv4 address). A final dot is
// allowed.
func checkDNSName(name string) error {
	name = strings.TrimSuffix(name, ".")
	if name == "" || len(name) > 253 {
		return errors.New("a DNS name has 1 to 253 characters")
	}
	labels := strings.Split(name, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 {
			return errors.New("each label has 1 to 63 characters")
		}
		if l[0] == '-' || l[len(l)-1] == '-' {
			return fmt.Errorf("label %q starts or ends with a hyphen", l)
		}
		for _, c := range l {
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
				return fmt.Errorf("label %q holds %q (letters, digits and hyphens only)", l, c)
			}
		}
	}
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return errors.New("the last label is all digits")
	}
	return nil
}
