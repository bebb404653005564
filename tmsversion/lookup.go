package tmsversion

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// entry is one release family of the table.
type entry struct {
	Family string
	Major  int
	// From is the family's first release tmsdrift has a profile for
	// (11.x starts at 11.5: the 11.7 guide does not cover older ones).
	From    Version
	Base    Profile
	Changes []change
}

// change is what a point release changed; nil fields stay as they were.
type change struct {
	Release     Version
	DataDirs    *Fact[[]string]
	SoftwareDir *Fact[string]
	WebConfigs  *Fact[[]WebConfig]
	Services    *Fact[[]string]
	MaxActive   *Fact[int]
	Passive     *Fact[ServiceState]
}

// ErrNoProfile is wrapped by Lookup's error for a version outside the
// table (older than 11.5, newer than 15.x, or only a major number where a
// point release decides).
var ErrNoProfile = errors.New("no TMS profile")

// Lookup returns the profile of the TMS release a version string names,
// as nodes report it or the inventory's tms_version gives it.
func Lookup(version string) (*Profile, error) {
	v, err := Parse(version)
	if err != nil {
		return nil, err
	}
	return LookupVersion(v)
}

// LookupVersion returns the profile of release v: its family's base with
// every change up to v applied. A version with only a major number is
// refused where a point release of that family changed a fact, since the
// profile would depend on the part that is missing.
func LookupVersion(v Version) (*Profile, error) {
	for i := range table {
		e := &table[i]
		if e.Major != v.Major {
			continue
		}
		if v.Parts >= 2 && v.Compare(e.From) < 0 {
			return nil, fmt.Errorf("%w for TMS %s: the redundancy guides cover %s and later (%s, Introduction)", ErrNoProfile, v, e.From, guide117)
		}
		if v.Parts < 2 && len(e.Changes) > 0 {
			return nil, fmt.Errorf("%w for TMS %s: the %s profile changes at %s, so give the minor version too (e.g. %s)", ErrNoProfile, v, e.Family, e.Changes[0].Release, e.Changes[0].Release)
		}
		p := e.Base
		p.Family, p.Version, p.Releases = e.Family, v, nil
		for _, c := range e.Changes {
			if v.Compare(c.Release) < 0 {
				break
			}
			c.apply(&p)
			p.Releases = append(p.Releases, c.Release.String())
		}
		p.clone()
		return &p, nil
	}
	first, last := table[0], table[len(table)-1]
	return nil, fmt.Errorf("%w for TMS %s: tmsdrift knows %s to %s", ErrNoProfile, v, first.From, last.Family)
}

func (c *change) apply(p *Profile) {
	if c.DataDirs != nil {
		p.DataDirs = *c.DataDirs
	}
	if c.SoftwareDir != nil {
		p.SoftwareDir = *c.SoftwareDir
	}
	if c.WebConfigs != nil {
		p.WebConfigs = *c.WebConfigs
	}
	if c.Services != nil {
		p.Services = *c.Services
	}
	if c.MaxActive != nil {
		p.MaxActive = *c.MaxActive
	}
	if c.Passive != nil {
		p.Passive = *c.Passive
	}
}

// clone gives the profile its own slices, so a caller that changes one
// cannot change the table.
func (p *Profile) clone() {
	p.DataDirs.Value = slices.Clone(p.DataDirs.Value)
	p.WebConfigs.Value = slices.Clone(p.WebConfigs.Value)
	p.Services.Value = slices.Clone(p.Services.Value)
}

// Release is one row of the table as the docs and explain show it: a
// family or a point release, and the profile from that release on.
type Release struct {
	// Name is "15.x" for a family's first release, "15.8" for a change.
	Name    string
	Profile *Profile
	// Changed lists the facts (FactNames) this release changed; empty
	// for a family's first release.
	Changed []string
}

// Releases lists every family and point release of the table, oldest
// first, each with its resolved profile.
func Releases() []Release {
	var out []Release
	for _, e := range table {
		p, err := LookupVersion(e.From)
		if err != nil {
			panic(err) // the table's own first release: a test keeps it resolvable
		}
		out = append(out, Release{Name: e.Family, Profile: p})
		for _, c := range e.Changes {
			p, err := LookupVersion(c.Release)
			if err != nil {
				panic(err)
			}
			out = append(out, Release{Name: c.Release.String(), Profile: p, Changed: c.names()})
		}
	}
	return out
}

func (c *change) names() []string {
	var out []string
	for _, f := range []struct {
		name string
		set  bool
	}{
		{"data_dirs", c.DataDirs != nil}, {"software_dir", c.SoftwareDir != nil}, {"web_configs", c.WebConfigs != nil},
		{"services", c.Services != nil}, {"max_active", c.MaxActive != nil}, {"passive", c.Passive != nil},
	} {
		if f.set {
			out = append(out, f.name)
		}
	}
	return out
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// AllDataDirs is every customer folder any profile names, without
// repeats: what to compare (or hash) when the release is not known yet or
// not known at all.
func AllDataDirs() []string {
	var out []string
	for _, r := range Releases() {
		out = union(out, r.Profile.DataDirs.Value)
	}
	return out
}

// SoftwareCandidates are the software folders of every profile relative
// to the web root, newest release first: a collector that cannot ask TMS
// where its packages are reports the first of them that exists on the
// node.
func SoftwareCandidates() []string {
	var out []string
	rs := Releases()
	for i := len(rs) - 1; i >= 0; i-- {
		rel := rs[i].Profile.SoftwareDir.Value
		if head, rest, ok := strings.Cut(rel, `\`); ok && strings.EqualFold(head, "wwwTMS") {
			rel = rest
		}
		if !containsFold(out, rel) {
			out = append(out, rel)
		}
	}
	return out
}
