// Package addrcheck tells whether a value can be what it claims to be: an
// IPv4 address, an IPv6 address, or a DNS host name. The inventory checks
// the addresses an administrator writes with it (addresses.*, a node's
// address, host and hostname), and the fixers check every value they are
// about to write into the tmsng database or a snapshot with the same
// functions, so "999.10.0.300" can neither pass validate nor reach TMS's
// Network Settings.
//
// Each function returns nil or an error that says what is wrong in the
// administrator's words, quoting the value (addresses are not secrets) but
// not naming the field: the caller adds the file, line and key.
package addrcheck

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// MaxDNSName is the longest DNS name in its text form, without the final
// dot (RFC 1035 §2.3.4: 255 octets on the wire).
const MaxDNSName = 253

// maxLabel is the longest label of a DNS name (RFC 1035 §2.3.4).
const maxLabel = 63

// IPv4 accepts an IPv4 host address in dotted-decimal form, 10.10.0.11:
// four decimal parts of 0 to 255, without leading zeros (which some tools
// read as octal, so 010 would mean 8 to one program and 10 to another).
// The unspecified address 0.0.0.0, the broadcast address and multicast
// addresses are refused: no TMS server can be reached at them.
func IPv4(s string) error {
	if err := plain(s, "an IPv4 address such as 10.10.0.11"); err != nil {
		return err
	}
	if strings.Contains(s, ":") {
		return fmt.Errorf("%q is an IPv6 address, not IPv4 (it belongs under ipv6_local)", s)
	}
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return fmt.Errorf("%q is not an IPv4 address: it needs four parts separated by dots, such as 10.10.0.11", s)
	}
	for _, p := range parts {
		if p == "" || strings.Trim(p, "0123456789") != "" {
			return fmt.Errorf("%q is not an IPv4 address: each of the four parts must be a number from 0 to 255", s)
		}
		if len(p) > 1 && p[0] == '0' {
			return fmt.Errorf("%q is not an IPv4 address: %q has a leading zero (some tools read it as octal); write it without", s, p)
		}
		if n, err := strconv.Atoi(p); err != nil || n > 255 {
			return fmt.Errorf("%q is not an IPv4 address: %s is more than 255", s, p)
		}
	}
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return fmt.Errorf("%q is not an IPv4 address", s)
	}
	return hostAddr(s, a)
}

// IPv6 accepts an IPv6 host address in any of its text forms (2001:db8::11).
// Refused: an IPv4 address, an IPv4-mapped address (::ffff:10.10.0.11: the
// IPv4 address belongs under ipv4_local), a zone (%eth0 names one
// machine's interface, meaningless to another), brackets (those belong to
// URLs), the unspecified address and multicast addresses.
func IPv6(s string) error {
	if err := plain(s, "an IPv6 address such as 2001:db8::11"); err != nil {
		return err
	}
	if strings.HasPrefix(s, "[") || strings.HasSuffix(s, "]") {
		return fmt.Errorf("%q: write the IPv6 address without brackets", s)
	}
	if !strings.Contains(s, ":") {
		return fmt.Errorf("%q is not an IPv6 address (IPv6 addresses have colons, such as 2001:db8::11)", s)
	}
	a, err := netip.ParseAddr(s)
	switch {
	case err != nil:
		return fmt.Errorf("%q is not an IPv6 address: %s", s, parseReason(err))
	case a.Zone() != "":
		return fmt.Errorf("%q has a zone (%%%s), which names an interface of one machine; write the address without it", s, a.Zone())
	case a.Is4In6():
		return fmt.Errorf("%q is an IPv4 address written as IPv6; write %s as an IPv4 address", s, a.Unmap())
	}
	return hostAddr(s, a)
}

// IP accepts an IPv4 or an IPv6 host address: a node's own address.
func IP(s string) error {
	if err := plain(s, "an IP address such as 10.10.0.11 or 2001:db8::11"); err != nil {
		return err
	}
	if strings.Contains(s, ":") {
		return IPv6(s)
	}
	return IPv4(s)
}

// DNSName accepts a DNS host name, short (tms01) or fully qualified
// (tms01.acme.local, with or without the final dot): labels of letters,
// digits and hyphens (RFC 952 and RFC 1123 §2.1), 1 to 63 characters, not
// starting or ending with a hyphen, 253 characters in all. The last label
// may not be all digits (RFC 3696 §2), so an address with a typo,
// 999.10.0.300, is not taken for a name. Underscores and non-ASCII letters
// are refused: Windows warns that such names break DNS, and TMS's managed
// systems could not resolve them (internationalised names are written in
// their xn-- form).
func DNSName(s string) error {
	if err := plain(s, "a host name such as tms01.acme.local"); err != nil {
		return err
	}
	name := strings.TrimSuffix(s, ".")
	if len(name) > MaxDNSName {
		return fmt.Errorf("%q is not a host name: %d characters, more than %d", short(s), len(name), MaxDNSName)
	}
	labels := strings.Split(name, ".")
	for _, l := range labels {
		switch {
		case l == "":
			return fmt.Errorf("%q is not a host name: it has an empty part between dots", s)
		case len(l) > maxLabel:
			return fmt.Errorf("%q is not a host name: the part %q is longer than %d characters", short(s), short(l), maxLabel)
		case l[0] == '-' || l[len(l)-1] == '-':
			return fmt.Errorf("%q is not a host name: the part %q starts or ends with a hyphen", s, l)
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return fmt.Errorf("%q is not a host name: %s is not allowed (letters, digits, hyphens and dots only)", s, describeRune(r))
			}
		}
	}
	if last := labels[len(labels)-1]; strings.Trim(last, "0123456789") == "" {
		if len(labels) == 4 {
			// Four numeric parts: an IPv4 address, well written or not.
			if err := IPv4(name); err != nil {
				return err
			}
			return fmt.Errorf("%q is an IP address, not a host name", s)
		}
		return fmt.Errorf("%q is neither an IP address nor a host name (a host name cannot end in a part of digits only)", s)
	}
	return nil
}

// Host accepts what a client can connect to: an IPv4 or IPv6 address, or a
// DNS host name. Values that look like addresses are judged as addresses,
// so 999.10.0.300 is reported as a bad IPv4 address, not a bad name.
func Host(s string) error {
	if err := plain(s, "a host name or an IP address"); err != nil {
		return err
	}
	switch {
	case strings.Contains(s, ":") || strings.HasPrefix(s, "["):
		return IPv6(s)
	case looksIPv4(s):
		return IPv4(s)
	}
	return DNSName(s)
}

// IsAddress reports whether s is an IPv4 or IPv6 address (of any kind),
// as opposed to a host name: rules compare names and addresses apart.
func IsAddress(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}

// looksIPv4 reports whether s is made of digits and dots only.
func looksIPv4(s string) bool {
	return strings.Trim(s, "0123456789.") == "" && strings.Contains(s, ".")
}

// plain refuses the empty string and values with white space or control
// characters, which no address or name holds (a pasted line break, a
// trailing space that makes two equal addresses differ).
func plain(s, want string) error {
	if s == "" {
		return fmt.Errorf("empty; write %s", want)
	}
	if strings.TrimSpace(s) != s {
		return fmt.Errorf("%q has white space around it; write %s without it", s, want)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == ' ' || r == '\t' {
			return fmt.Errorf("%q is not %s: %s is not allowed", s, want, describeRune(r))
		}
	}
	return nil
}

// hostAddr refuses addresses that name no single host.
func hostAddr(s string, a netip.Addr) error {
	switch {
	case a.IsUnspecified():
		return fmt.Errorf("%q is the unspecified address, which names no host", s)
	case a.IsMulticast():
		return fmt.Errorf("%q is a multicast address, not the address of one host", s)
	case a.Is4() && a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return fmt.Errorf("%q is the broadcast address, not the address of one host", s)
	}
	return nil
}

// parseReason is netip's reason without its echo of the input
// (`ParseAddr("x"): reason`).
func parseReason(err error) string {
	msg := err.Error()
	if _, after, ok := strings.Cut(msg, "): "); ok {
		return after
	}
	return msg
}

// describeRune names a character in a message.
func describeRune(r rune) string {
	switch r {
	case ' ':
		return "a space"
	case '_':
		return "an underscore"
	}
	if r < 0x20 || r == 0x7f {
		return fmt.Sprintf("the control character U+%04X", r)
	}
	return fmt.Sprintf("%q", r)
}

// short cuts a long value for a message.
func short(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}
