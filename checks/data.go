package checks

import (
	"fmt"
	"strings"

	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/manifest"
)

// Data rule: the customer files of every node equal the master's (guide:
// TMS Customer file synchronization). Synchronisation runs both ways, so a
// file only on the node fails as well as one it lacks.

func evalDataSynced(d *facts.Deployment) []Result {
	master := d.Inventory.DataMaster()
	if master == nil {
		return nil
	}
	m := d.NodeByName(master.Name)
	return perNode(d, func(d *facts.Deployment, n *facts.Node) (Result, bool) {
		if n == m {
			return Result{}, false
		}
		want := "same customer files as " + master.Name
		switch {
		case m.DataErr != nil:
			return errored(want, "customer files of the master %s unavailable: %v", master.Name, m.DataErr), true
		case m.Data == nil:
			return errored(want, "customer files of the master %s unavailable", master.Name), true
		case n.DataErr != nil:
			return errored(want, "customer files unavailable: %v", n.DataErr), true
		case n.Data == nil:
			return errored(want, "customer files unavailable"), true
		}
		want = fmt.Sprintf("same customer files as %s (%d files)", master.Name, len(m.Data.Files))
		delta := manifest.Diff(m.Data, n.Data)
		var parts []string
		for _, g := range []struct {
			what  string
			files []manifest.File
		}{{"missing", delta.Missing}, {"different", delta.Different}, {"extra", delta.Extra}} {
			if len(g.files) == 0 {
				continue
			}
			names := make([]string, len(g.files))
			for i, f := range g.files {
				names[i] = f.Rel
			}
			parts = append(parts, fmt.Sprintf("%d %s: %s", len(g.files), g.what, listLimited(names, 10)))
		}
		msg := "customer files differ from the master's"
		if len(delta.Debris) > 0 {
			// A tmsdrift write killed half-way: no customer file, not
			// an extra one either (atomicfile's temporary names).
			names := make([]string, len(delta.Debris))
			for i, f := range delta.Debris {
				names[i] = f.Rel
			}
			parts = append(parts, fmt.Sprintf("%d left by an interrupted write: %s", len(names), listLimited(names, 10)))
			msg = "an interrupted tmsdrift write left temporary files (tmsdrift fix deletes them)"
			if len(parts) > 1 {
				msg = "customer files differ from the master's, and " + msg
			}
		}
		if len(parts) > 0 {
			return failed(want, strings.Join(parts, "; "), msg), true
		}
		return passed(want, fmt.Sprintf("%d files identical", len(n.Data.Files))), true
	})
}
