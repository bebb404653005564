package checks

import (
	"strings"

	"github.com/tmsdrift/tmsdrift/facts"
)

// Address rules: the TMS server addresses stored in the database name the
// primary or the NLB virtual address (guide: Set primary TMS address; IP
// Addresses vs. DNS hostnames). A TMS upgrade overwrites the IPv4 address.

func evalAddressesMatch(d *facts.Deployment) []Result {
	a := d.Inventory.Addresses
	want := "ipv4_local=" + quoted(a.IPv4Local) + " ipv6_local=" + quoted(a.IPv6Local) +
		" dns_local=" + quoted(a.DNSLocal) + " dns_public=" + quoted(a.DNSPublic)
	f, err := dbFacts(d)
	if err != nil {
		return deployment(errored(want, "%v", err))
	}
	s := f.Settings
	if s == nil {
		return deployment(errored(want, "%s", f.Lacks("settings")))
	}
	fields := []struct {
		key, want, got string
		equal          func(a, b string) bool
	}{
		// IP addresses compare exactly, DNS names case-insensitively.
		{"ipv4_local", a.IPv4Local, s.IPv4Local, func(a, b string) bool { return a == b }},
		{"ipv6_local", a.IPv6Local, s.IPv6Local, func(a, b string) bool { return a == b }},
		{"dns_local", a.DNSLocal, s.DNSLocal, strings.EqualFold},
		{"dns_public", a.DNSPublic, s.DNSPublic, strings.EqualFold},
	}
	var exp, obs, keys []string
	for _, fl := range fields {
		if !fl.equal(strings.TrimSpace(fl.want), strings.TrimSpace(fl.got)) {
			exp = append(exp, fl.key+"="+quoted(fl.want))
			obs = append(obs, fl.key+"="+quoted(fl.got))
			keys = append(keys, fl.key)
		}
	}
	if len(obs) > 0 {
		return deployment(failed(strings.Join(exp, " "), strings.Join(obs, " "),
			"the database holds other TMS server addresses ("+strings.Join(keys, ", ")+")"))
	}
	return deployment(passed(want, want))
}

func evalAddressesPublicDNS(d *facts.Deployment) []Result {
	if !d.Inventory.PublicSystems {
		return deployment(passed("not required (public_systems: false)", "not required"))
	}
	want := "dns_public=" + quoted(d.Inventory.Addresses.DNSPublic)
	f, err := dbFacts(d)
	if err != nil {
		return deployment(errored(want, "%v", err))
	}
	if f.Settings == nil {
		return deployment(errored(want, "%s", f.Lacks("settings")))
	}
	if strings.TrimSpace(f.Settings.DNSPublic) == "" {
		return deployment(failed(want, `dns_public=""`, "public systems cannot reach TMS: no public DNS name is set in the database"))
	}
	return deployment(passed(want, "dns_public="+f.Settings.DNSPublic))
}
