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
	got := *s
	wantS := facts.Settings(a)
	var exp, obs, keys []string
	for _, k := range facts.SettingsKeys {
		if !facts.SameAddress(k, wantS.Get(k), got.Get(k)) {
			exp = append(exp, k+"="+quoted(wantS.Get(k)))
			obs = append(obs, k+"="+quoted(got.Get(k)))
			keys = append(keys, k)
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
