package fixers

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/machinekey"
)

// planMachineKey writes the approved <machineKey> into the web.config of
// every node failing machinekey.present or machinekey.match: one file
// change per node, which repairs both rules (guide: "Set web validation key
// on web servers"; a TMS upgrade erases the key). machinekey.Splice keeps
// every other byte of the file, and refuses a file that is not well-formed,
// which is then left alone.
func planMachineKey(_ context.Context, in *input, failing []checks.Result) ([]Change, []Skipped, error) {
	d := in.d
	var changes []Change
	var skipped []Skipped
	for _, node := range failingNodes(failing) {
		rules := rulesOn(failing, node)
		skip := func(reason string) {
			for _, r := range rules {
				skipped = append(skipped, Skipped{Rule: r, Node: node, Reason: reason})
			}
		}
		n := d.NodeByName(node)
		switch {
		case n == nil:
			skip("the node was not gathered")
			continue
		case n.WebConfigErr != nil || n.WebConfig == nil:
			skip(fmt.Sprintf("web.config unavailable: %v", n.WebConfigErr))
			continue
		case d.ApprovedKeyErr != nil:
			skip(fmt.Sprintf("the approved key from %s is unavailable: %v", d.ApprovedKeyFrom, d.ApprovedKeyErr))
			continue
		case d.ApprovedKey == nil:
			skip("the approved key is unavailable")
			continue
		}
		wc := n.WebConfig
		out, err := machinekey.Splice(wc.Raw, *d.ApprovedKey)
		if err != nil {
			skip("web.config is not rewritten: " + err.Error())
			continue
		}
		if bytes.Equal(out, wc.Raw) {
			continue
		}
		var what []string
		switch {
		case wc.Key == nil:
			what = append(what, "add the approved <machineKey> ("+d.ApprovedKey.String()+") to web.config")
		case !wc.Key.Equal(*d.ApprovedKey):
			what = append(what, "replace the <machineKey> ("+wc.Key.String()+") in web.config with the approved one ("+d.ApprovedKey.String()+")")
		}
		// Splice has parsed the file: Duplicates reads it the same way.
		if dups, err := machinekey.Duplicates(wc.Raw); err == nil {
			for _, dup := range dups {
				what = append(what, fmt.Sprintf("remove the second <machineKey> on line %d (IIS refuses a section defined twice)", dup.Line))
			}
		}
		summary := strings.Join(what, "; ")
		changes = append(changes, Change{
			Rules:   rules,
			Node:    node,
			Summary: summary,
			Detail:  unifiedDiff(node+":"+wc.Path, node+":"+wc.Path+" (fixed)", wc.Raw, out),
			Op:      &FileOp{Path: wc.Path, Before: stateOf(wc.Raw), After: stateOf(out), Data: out},
		})
	}
	more, moreSkipped := planOtherWebConfigs(in, failing)
	return append(changes, more...), append(skipped, moreSkipped...), nil
}
