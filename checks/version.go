package checks

import (
	"sort"
	"strings"

	"github.com/tmsdrift/tmsdrift/facts"
)

// Version rule: one TMS version on every node, since they share one
// database schema (guide: Upgrading TMS).

func evalVersionSame(d *facts.Deployment) []Result {
	const want = "one TMS version on every node"
	byVersion := map[string][]string{}
	var unknown []string
	for _, n := range d.Nodes {
		f, err := nodeFacts(n)
		switch {
		case err != nil:
			unknown = append(unknown, n.Spec.Name+" (facts unavailable)")
		case f.TMS == nil || f.TMS.Version == "":
			why := "no tms.version"
			if f.Impossible["tms.version"] != "" {
				why = f.Lacks("tms.version")
			}
			unknown = append(unknown, n.Spec.Name+" ("+why+")")
		default:
			v := strings.TrimSpace(f.TMS.Version)
			byVersion[v] = append(byVersion[v], n.Spec.Name)
		}
	}
	versions := make([]string, 0, len(byVersion))
	for v := range byVersion {
		versions = append(versions, v)
	}
	sort.Strings(versions)
	var parts []string
	for _, v := range versions {
		parts = append(parts, v+": "+listLimited(byVersion[v], 5))
	}
	obs := strings.Join(parts, "; ")
	switch {
	case len(versions) > 1:
		// Known versions already disagree: a failure whatever the others run.
		return deployment(failed(want, obs, "nodes run different TMS versions"))
	case len(unknown) > 0:
		return deployment(errored(want, "version unknown on %s", listLimited(unknown, 5)))
	}
	return deployment(passed(want, obs))
}
