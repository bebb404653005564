package addrcheck

import (
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestIPv4(t *testing.T) {
	for _, ok := range []string{"10.10.0.11", "0.0.0.1", "192.168.255.254", "127.0.0.1"} {
		assert.NoError(t, IPv4(ok), ok)
	}
	for in, want := range map[string]string{
		"999.10.0.300":    "999 is more than 255",
		"10.10.0.256":     "256 is more than 255",
		"not an ip":       "is not an IPv4 address such as 10.10.0.11: a space is not allowed",
		"10.10.0":         "needs four parts",
		"10.10.0.11.5":    "needs four parts",
		"10.10.0.x":       "must be a number from 0 to 255",
		"10.10.0.-1":      "must be a number from 0 to 255",
		"10.10.0.011":     `"011" has a leading zero`,
		"10.10..11":       "must be a number",
		"2001:db8::11":    "is an IPv6 address, not IPv4",
		"":                "empty",
		" 10.10.0.11":     "white space",
		"10.10.0.11\n":    "white space",
		"10.10.\x1b0.11":  "control character U+001B",
		"0.0.0.0":         "unspecified address",
		"224.0.0.1":       "multicast",
		"255.255.255.255": "broadcast",
	} {
		err := IPv4(in)
		if assert.Error(t, err, "%q", in) {
			assert.Contains(t, err.Error(), want, "%q", in)
		}
	}
}

func TestIPv6(t *testing.T) {
	for _, ok := range []string{"2001:db8::11", "2001:0db8:0000:0000:0000:0000:0000:0011", "fe80::1", "::1"} {
		assert.NoError(t, IPv6(ok), ok)
	}
	for in, want := range map[string]string{
		"10.10.0.11":        "IPv6 addresses have colons",
		"2001:db8::11::1":   "not an IPv6 address",
		"2001:db8::g":       "not an IPv6 address",
		"12345::1":          "not an IPv6 address",
		"[2001:db8::11]":    "without brackets",
		"fe80::1%eth0":      "has a zone (%eth0)",
		"::ffff:10.10.0.11": "write 10.10.0.11 as an IPv4 address",
		"::":                "unspecified",
		"ff02::1":           "multicast",
	} {
		err := IPv6(in)
		if assert.Error(t, err, "%q", in) {
			assert.Contains(t, err.Error(), want, "%q", in)
		}
	}
}

func TestDNSName(t *testing.T) {
	for _, ok := range []string{"tms01", "TMS01", "tms01.acme.local", "tms01.acme.local.", "a-b.c-d.example", "xn--zrich-kva.ch", "tms1.10x", strings.Repeat("a", 63) + ".local"} {
		assert.NoError(t, DNSName(ok), ok)
	}
	for in, want := range map[string]string{
		"not an ip":                     "a space is not allowed",
		"tms_01":                        "an underscore is not allowed",
		"zürich.ch":                     `'ü' is not allowed`,
		"-tms01":                        "starts or ends with a hyphen",
		"tms01-.acme.local":             "starts or ends with a hyphen",
		"tms01..acme.local":             "empty part between dots",
		".acme.local":                   "empty part",
		strings.Repeat("a", 64):         "longer than 63",
		strings.Repeat("a.", 127) + "a": "more than 253",
		"999.10.0.300":                  "999 is more than 255",
		"12345":                         "neither an IP address nor a host name",
		"tms.acme.123":                  "cannot end in a part of digits only",
		"tms01.acme.local:5986":         `':' is not allowed`,
		"http://tms01.acme.local/x":     `':' is not allowed`,
		"tms01.acme.local\x07":          "control character U+0007",
		"":                              "empty",
	} {
		err := DNSName(in)
		if assert.Error(t, err, "%q", in) {
			assert.Contains(t, err.Error(), want, "%q", in)
		}
	}
}

func TestHostJudgesAddressesAsAddresses(t *testing.T) {
	for _, ok := range []string{"10.10.0.11", "2001:db8::11", "tms01.acme.local", "tms01"} {
		assert.NoError(t, Host(ok), ok)
	}
	assert.ErrorContains(t, Host("999.10.0.300"), "999 is more than 255")
	assert.ErrorContains(t, Host("10.10.0.011"), "leading zero")
	assert.ErrorContains(t, Host("2001:db8::11::1"), "not an IPv6 address")
	assert.ErrorContains(t, Host("not an ip"), "a space is not allowed")
	assert.ErrorContains(t, IP("tms01"), "needs four parts")
	assert.NoError(t, IP("2001:db8::11"))
	assert.True(t, IsAddress("10.10.0.11"))
	assert.True(t, IsAddress("2001:db8::11"))
	assert.False(t, IsAddress("tms01.acme.local"))
}

// An independent reading of RFC 1123 host names and dotted quads, to hold
// the hand-written checks to.
var (
	rfcLabel = `([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]{0,61}[A-Za-z0-9])`
	rfcName  = regexp.MustCompile(`^(` + rfcLabel + `\.)*` + rfcLabel + `\.?$`)
	quad     = regexp.MustCompile(`^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$`)
)

// FuzzHost: Host never panics; what IPv4 accepts is a dotted quad that
// netip reads as the same address; what DNSName accepts matches RFC 1123's
// grammar; what IPv6 accepts netip parses. Seeded from the labs'
// inventories.
func FuzzHost(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("..", "..", "fixtures", "labs", "*", "inventory.yaml"))
	if err != nil || len(files) == 0 {
		f.Fatalf("lab inventories: %v", err)
	}
	value := regexp.MustCompile(`(?m)(?:address|ipv4_local|ipv6_local|dns_local|dns_public|host|hostname):\s*'?([^'\s}]+)`)
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		for _, m := range value.FindAllSubmatch(b, -1) {
			f.Add(string(m[1]))
		}
	}
	for _, s := range []string{"999.10.0.300", "::ffff:1.2.3.4", "fe80::1%eth0", "tms_01", "a..b", "1.2.3.04"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_ = Host(s)
		if IPv4(s) == nil {
			a, err := netip.ParseAddr(s)
			if err != nil || !a.Is4() || a.String() != s || !quad.MatchString(s) {
				t.Fatalf("IPv4 accepted %q", s)
			}
		}
		if IPv6(s) == nil {
			if a, err := netip.ParseAddr(s); err != nil || !a.Is6() || a.Zone() != "" {
				t.Fatalf("IPv6 accepted %q", s)
			}
		}
		if DNSName(s) == nil {
			if !rfcName.MatchString(s) || len(strings.TrimSuffix(s, ".")) > MaxDNSName {
				t.Fatalf("DNSName accepted %q", s)
			}
			if IsAddress(s) {
				t.Fatalf("DNSName accepted the address %q", s)
			}
		}
	})
}
