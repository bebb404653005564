package tmsversion

import (
	"errors"
	"fmt"
	"strings"
)

// Reported is the TMS version one node reports in its facts ("" when it
// reports none or its facts are unreadable).
type Reported struct {
	Node    string
	Version string
	// Active is true for a primary or pool node: when nodes disagree, the
	// first active node's release decides (it is the one serving).
	Active bool
}

// Choice is the profile a deployment is judged by, and why that one.
type Choice struct {
	// Profile is nil when none could be chosen; Err then says why.
	Profile *Profile
	Err     error
	// From says where the version came from: "inventory tms_version" or
	// "facts of tms01, tms02".
	From string
	// Note says what a reader of the results should know: nodes that
	// disagree, versions that could not be read.
	Note string
}

// Choose picks the deployment's profile: the inventory's tms_version when
// it sets one (it always wins), else the version the nodes report. Nodes
// on releases with different profiles (an upgrade half done, which
// version.same reports) are judged by the first active node's release.
func Choose(override string, reported []Reported) Choice {
	if strings.TrimSpace(override) != "" {
		p, err := Lookup(override)
		if err != nil {
			return Choice{Err: fmt.Errorf("inventory tms_version: %w", err), From: "inventory tms_version"}
		}
		return Choice{Profile: p, From: "inventory tms_version " + p.Version.String()}
	}
	type pick struct {
		r Reported
		p *Profile
	}
	var picks []pick
	var unreadable []string
	for _, r := range reported {
		if strings.TrimSpace(r.Version) == "" {
			continue
		}
		p, err := Lookup(r.Version)
		if err != nil {
			unreadable = append(unreadable, fmt.Sprintf("%s (%v)", r.Node, err))
			continue
		}
		picks = append(picks, pick{r, p})
	}
	if len(picks) == 0 {
		err := errors.New("no node reports its TMS version; set tms_version in the inventory")
		if len(unreadable) > 0 {
			err = fmt.Errorf("no node reports a TMS version tmsdrift has a profile for: %s; set tms_version in the inventory", strings.Join(unreadable, "; "))
		}
		return Choice{Err: err}
	}
	chosen := picks[0]
	for _, p := range picks {
		if p.r.Active {
			chosen = p
			break
		}
	}
	var same, other []string
	for _, p := range picks {
		if p.p.Name() == chosen.p.Name() {
			same = append(same, p.r.Node)
		} else {
			other = append(other, fmt.Sprintf("%s on %s", p.r.Node, p.p.Version))
		}
	}
	c := Choice{Profile: chosen.p, From: "facts of " + strings.Join(same, ", ")}
	var notes []string
	if len(other) > 0 {
		notes = append(notes, fmt.Sprintf("judged by %s's release %s, while %s", chosen.r.Node, chosen.p.Version, strings.Join(other, ", ")))
	}
	if len(unreadable) > 0 {
		notes = append(notes, "no profile for "+strings.Join(unreadable, "; "))
	}
	c.Note = strings.Join(notes, "; ")
	return c
}
