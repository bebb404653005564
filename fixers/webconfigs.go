package fixers

import (
	"bytes"
	"fmt"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/machinekey"
)

// planOtherWebConfigs writes the approved <machineKey> into every other
// web.config the deployment lists (the TMS profile's, such as TMS 15.8's
// Public\web.config, and paths.web_configs) on each node failing a
// machineKey rule, where the file is required to carry a key, carries
// another key, or carries none while the same file on another node
// carries one — the cases machinekey.present and machinekey.match fail.
// Like the main file, it is spliced byte for byte (machinekey.Splice). A
// file missing on the node is not created: that is listed for a person.
func planOtherWebConfigs(in *input, failing []checks.Result) ([]Change, []Skipped) {
	d := in.d
	listed := d.WebConfigs()
	if len(listed) == 0 || d.ApprovedKey == nil {
		return nil, nil
	}
	var changes []Change
	var skipped []Skipped
	for _, node := range failingNodes(failing) {
		rules := rulesOn(failing, node)
		n := d.NodeByName(node)
		if n == nil {
			continue
		}
		for j, w := range listed {
			if j >= len(n.OtherWebConfigs) {
				continue
			}
			f := n.OtherWebConfigs[j]
			skip := func(reason string) {
				for _, r := range rules {
					skipped = append(skipped, Skipped{Rule: r, Node: node, Reason: w.Path + ": " + reason})
				}
			}
			switch {
			case f.Err != nil:
				skip(fmt.Sprintf("unreadable: %v", f.Err))
				continue
			case f.Absent:
				if keyedElsewhere(d, n, j) {
					skip("missing on this node; copy it from a node that has it (the application's other settings are not tmsdrift's to write)")
				}
				continue
			}
			wc := f.File
			needs := w.Required || wc.Key != nil && !wc.Key.Equal(*d.ApprovedKey) || wc.Key == nil && keyedElsewhere(d, n, j)
			if !needs {
				continue
			}
			out, err := machinekey.Splice(wc.Raw, *d.ApprovedKey)
			if err != nil {
				skip("not rewritten: " + err.Error())
				continue
			}
			if bytes.Equal(out, wc.Raw) {
				continue
			}
			summary := "add the approved <machineKey> (" + d.ApprovedKey.String() + ") to " + w.Path
			if wc.Key != nil {
				summary = "replace the <machineKey> (" + wc.Key.String() + ") in " + w.Path + " with the approved one (" + d.ApprovedKey.String() + ")"
			}
			changes = append(changes, fileChange(rules, node, wc.Path, wc.Raw, out, summary))
		}
	}
	return changes, skipped
}

// keyedElsewhere reports whether listed file j carries a key on another
// node.
func keyedElsewhere(d *facts.Deployment, n *facts.Node, j int) bool {
	for _, m := range d.Nodes {
		if m != n && j < len(m.OtherWebConfigs) && m.OtherWebConfigs[j].File != nil && m.OtherWebConfigs[j].File.Key != nil {
			return true
		}
	}
	return false
}

// fileChange is a change replacing a node's file at path, before → after.
func fileChange(rules []string, node, path string, before, after []byte, summary string) Change {
	return Change{
		Rules:   rules,
		Node:    node,
		Summary: summary,
		Detail:  unifiedDiff(node+":"+path, node+":"+path+" (fixed)", before, after),
		Op:      &FileOp{Path: path, Before: stateOf(before), After: stateOf(after), Data: after},
	}
}
