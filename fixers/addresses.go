package fixers

import (
	"context"
	"fmt"
	"strings"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/facts"
)

// planAddresses sets the TMS server addresses in the database to the
// inventory's (guide: "Set primary TMS address"; a TMS upgrade overwrites
// the IPv4 address): addresses.match sets every value that differs,
// addresses.public-dns sets dns_public when it is empty. Both rules make
// one change, written as one unit through the SettingsStore.
func planAddresses(ctx context.Context, in *input, failing []checks.Result) ([]Change, []Skipped, error) {
	rules := rulesOn(failing, "")
	if len(rules) == 0 {
		return nil, nil, nil
	}
	var skipped []Skipped
	skip := func(reason string) ([]Change, []Skipped, error) {
		for _, r := range rules {
			skipped = append(skipped, Skipped{Rule: r, Reason: reason})
		}
		return nil, skipped, nil
	}
	store := in.opts.Settings
	if store == nil {
		return skip("the database cannot be changed from here")
	}
	db := in.d.DB.Facts
	if db == nil || db.Settings == nil {
		return skip("the database's address settings are unknown")
	}
	a := in.d.Inventory.Addresses
	want := facts.Settings{IPv4Local: a.IPv4Local, IPv6Local: a.IPv6Local, DNSLocal: a.DNSLocal, DNSPublic: a.DNSPublic}
	before := *db.Settings
	after := before
	var fields []string
	set := func(name, value string) {
		for _, f := range fields {
			if f == name {
				return
			}
		}
		fields = append(fields, name)
		*after.Field(name) = value
	}
	for _, r := range rules {
		switch r {
		case "addresses.match":
			for _, name := range facts.SettingsKeys {
				w := want.Get(name)
				if !facts.SameAddress(name, w, before.Get(name)) {
					set(name, strings.TrimSpace(w))
				}
			}
		case "addresses.public-dns":
			if in.d.Inventory.PublicSystems && strings.TrimSpace(before.DNSPublic) == "" {
				set("dns_public", strings.TrimSpace(want.DNSPublic))
			}
		}
	}
	if len(fields) == 0 {
		return nil, nil, nil
	}
	// Keep the contract's order whatever the rules' order was.
	ordered := make([]string, 0, len(fields))
	for _, name := range facts.SettingsKeys {
		for _, f := range fields {
			if f == name {
				ordered = append(ordered, name)
			}
		}
	}
	// Never spread an impossible address to every managed system.
	var bad []string
	for _, name := range ordered {
		if err := checkAddressValue(name, after.Get(name)); err != nil {
			bad = append(bad, fmt.Sprintf("addresses.%s: %v", name, err))
		}
	}
	if len(bad) > 0 {
		return skip("nothing is written to the database: the inventory's " + strings.Join(bad, "; ") + " (correct the inventory)")
	}
	op := &SettingsOp{Store: store.Name(), Fields: ordered, Before: before, After: after}
	detail, err := store.Describe(ctx, op)
	if err != nil {
		return skip("cannot prepare the change: " + err.Error())
	}
	var parts []string
	for _, name := range ordered {
		parts = append(parts, fmt.Sprintf("%s %q -> %q", name, before.Get(name), after.Get(name)))
	}
	return []Change{{
		Rules:   rules,
		Summary: "set " + strings.Join(parts, ", ") + " in " + store.Name(),
		Detail:  detail,
		Op:      op,
	}}, nil, nil
}
