package checks

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/machinekey"
)

// machineKey rules: every web server carries an explicit, fixed machineKey
// and it is the approved one (guide: Set web validation key on web
// servers). TMS upgrades erase it from web.config.

func evalMainKeyPresent(d *facts.Deployment) []Result {
	const want = "explicit <machineKey> with fixed keys under <system.web>"
	return perNode(d, func(d *facts.Deployment, n *facts.Node) (Result, bool) {
		if n.WebConfigErr != nil || n.WebConfig == nil {
			return errored(want, "web.config unavailable: %v", n.WebConfigErr), true
		}
		k := n.WebConfig.Key
		if k == nil {
			return failed(want, "no <machineKey>", "web.config has no <machineKey> under <system.web> (a TMS upgrade removes it)"), true
		}
		// A second key for the application stops ASP.NET from loading
		// web.config at all, whatever the first one says.
		dups, err := machinekey.Duplicates(n.WebConfig.Raw)
		if err != nil {
			return errored(want, "web.config unreadable: %v", err), true
		}
		if len(dups) > 0 {
			var at []int
			where := make([]string, len(dups))
			app := false
			for i, d := range dups {
				at = append(at, d.FirstLine, d.Line)
				where[i] = d.String()
				app = app || d.Path == ""
			}
			slices.Sort(at)
			at = slices.Compact(at)
			lines := make([]string, len(at))
			for i, l := range at {
				lines[i] = strconv.Itoa(l)
			}
			effect := "IIS refuses a section defined twice, so the TMS web application does not start"
			if !app {
				effect = "ASP.NET refuses a section defined twice for one path, so the TMS web application fails there"
			}
			return failed(want, fmt.Sprintf("%d <machineKey> elements (lines %s)", len(at), strings.Join(lines, ", ")),
				"web.config "+strings.Join(where, "; ")+": "+effect), true
		}
		switch {
		case !k.Fixed():
			return failed(want, k.String(), "the machineKey is auto-generated, so each server signs differently"), true
		}
		return passed(want, k.String()), true
	})
}

func evalMainKeyMatch(d *facts.Deployment) []Result {
	want := "the approved key"
	if d.ApprovedKey != nil {
		want = d.ApprovedKey.String()
	}
	return perNode(d, func(d *facts.Deployment, n *facts.Node) (Result, bool) {
		if n.WebConfigErr != nil || n.WebConfig == nil {
			return errored(want, "web.config unavailable: %v", n.WebConfigErr), true
		}
		k := n.WebConfig.Key
		if k == nil {
			return failed(want, "no <machineKey>", "web.config has no <machineKey>, so it cannot carry the approved key"), true
		}
		switch {
		case d.ApprovedKeyErr != nil:
			return errored(want, "approved key from %s unavailable: %v", d.ApprovedKeyFrom, d.ApprovedKeyErr), true
		case d.ApprovedKey == nil:
			return errored(want, "approved key unavailable"), true
		case !k.Equal(*d.ApprovedKey):
			return failed(want, k.String(), "the machineKey differs from the approved key ("+d.ApprovedKeyFrom+")"), true
		}
		return passed(want, k.String()), true
	})
}
