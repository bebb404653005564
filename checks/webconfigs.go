package checks

import (
	"fmt"

	"github.com/tmsdrift/tmsdrift/facts"
)

// Every web.config: the machineKey rules judge <web_root>\web.config as
// machinekey.go does, and then each other web.config the TMS profile and
// the inventory list (facts.Deployment.WebConfigs; TMS 15.8 and later:
// Public\web.config), like with like: each file against the approved key
// and against the same file on the other nodes. A listed file absent on
// every node is skipped, and the result says so (snapshots recorded
// before files were listed audit the same); present on some nodes but not
// on this one, it fails here. A result names the file.

func evalMachineKeyPresent(d *facts.Deployment) []Result {
	return withOtherWebConfigs(d, evalMainKeyPresent(d), presentIn)
}

func evalMachineKeyMatch(d *facts.Deployment) []Result {
	return withOtherWebConfigs(d, evalMainKeyMatch(d), matchIn)
}

// finding is a verdict on one other file of one node; Pass findings only
// carry notes.
type finding struct {
	status   Status
	observed string
	message  string
}

// judgeFile judges listed file i (d.WebConfigs()[i]) on node n.
type judgeFile func(d *facts.Deployment, n *facts.Node, w facts.ListedWebConfig, f facts.OtherWebConfig, others []nodeFile) *finding

// presentIn: a file the profile or inventory requires a key in must carry
// an explicit, fixed one; others are not judged here.
func presentIn(_ *facts.Deployment, _ *facts.Node, w facts.ListedWebConfig, f facts.OtherWebConfig, others []nodeFile) *finding {
	if !w.Required {
		return nil
	}
	switch {
	case f.Err != nil:
		return &finding{Error, "", fmt.Sprintf("%s unreadable: %v", w.Path, f.Err)}
	case f.Absent:
		return &finding{Fail, w.Path + ": missing", fmt.Sprintf("%s is missing, while %s has it (required by %s)", w.Path, holders(others), w.From)}
	case f.File.Key == nil:
		return &finding{Fail, w.Path + ": no <machineKey>", fmt.Sprintf("%s has no <machineKey> (required by %s)", w.Path, w.From)}
	case !f.File.Key.Fixed():
		return &finding{Fail, w.Path + ": " + f.File.Key.String(), w.Path + "'s machineKey is auto-generated"}
	}
	return nil
}

// matchIn: a file that carries a key carries the approved one; one that
// carries none fails where it is required, or where the same file on
// another node carries one (its key was lost: an upgrade replaced it).
func matchIn(d *facts.Deployment, _ *facts.Node, w facts.ListedWebConfig, f facts.OtherWebConfig, others []nodeFile) *finding {
	switch {
	case f.Err != nil:
		return &finding{Error, "", fmt.Sprintf("%s unreadable: %v", w.Path, f.Err)}
	case f.Absent:
		return &finding{Fail, w.Path + ": missing", fmt.Sprintf("%s is missing, while %s has it", w.Path, holders(others))}
	case f.File.Key == nil:
		var keyed []string
		for _, o := range others {
			if o.File != nil && o.File.Key != nil {
				keyed = append(keyed, o.node)
			}
		}
		switch {
		case w.Required:
			return &finding{Fail, w.Path + ": no <machineKey>", fmt.Sprintf("%s has no <machineKey>, so it cannot carry the approved key", w.Path)}
		case len(keyed) > 0:
			return &finding{Fail, w.Path + ": no <machineKey>", fmt.Sprintf("%s has no <machineKey> while it carries one on %s (a TMS upgrade removes it)", w.Path, listLimited(keyed, 5))}
		}
		return &finding{Pass, "", fmt.Sprintf("%s carries no <machineKey> on any node (not required: %s)", w.Path, w.From)}
	case d.ApprovedKeyErr != nil:
		return &finding{Error, "", fmt.Sprintf("approved key from %s unavailable: %v", d.ApprovedKeyFrom, d.ApprovedKeyErr)}
	case d.ApprovedKey == nil:
		return &finding{Error, "", "approved key unavailable"}
	case !f.File.Key.Equal(*d.ApprovedKey):
		return &finding{Fail, w.Path + ": " + f.File.Key.String(), fmt.Sprintf("%s's machineKey differs from the approved key (%s)", w.Path, d.ApprovedKeyFrom)}
	}
	return nil
}

// withOtherWebConfigs adds each node's verdicts on the other listed files
// to its result on the main web.config: a failure anywhere fails, else an
// error anywhere is an error; the result names every file it speaks of.
func withOtherWebConfigs(d *facts.Deployment, main []Result, judge judgeFile) []Result {
	listed := d.WebConfigs()
	if len(listed) == 0 {
		return main
	}
	for i := range main {
		res := &main[i]
		n := d.NodeByName(res.Node)
		if n == nil {
			continue
		}
		for j, w := range listed {
			f, ok := otherFile(n, j)
			if !ok {
				continue // node unreachable: its main result already says so
			}
			others := sameFileElsewhere(d, n, j)
			if f.Absent && !anyHolds(others) {
				res.Message = joinMessage(res.Message, w.Path+" absent on every node: not checked")
				continue
			}
			fd := judge(d, n, w, f, others)
			if fd == nil {
				continue
			}
			switch {
			case fd.status == Fail && res.Status != Fail:
				if res.Status == Pass {
					res.Observed = "web.config: " + res.Observed
				}
				res.Status = Fail
			case fd.status == Error && res.Status == Pass:
				res.Status = Error
			}
			if fd.observed != "" {
				res.Observed = joinObserved(res.Observed, fd.observed)
			}
			res.Message = joinMessage(res.Message, fd.message)
		}
	}
	return main
}

// nodeFile is a node's copy of a listed file, with the node's name.
type nodeFile struct {
	facts.OtherWebConfig
	node string
}

func otherFile(n *facts.Node, j int) (facts.OtherWebConfig, bool) {
	if j >= len(n.OtherWebConfigs) {
		return facts.OtherWebConfig{}, false
	}
	return n.OtherWebConfigs[j], true
}

// sameFileElsewhere is listed file j on every other gathered node.
func sameFileElsewhere(d *facts.Deployment, n *facts.Node, j int) []nodeFile {
	var out []nodeFile
	for _, m := range d.Nodes {
		if m == n {
			continue
		}
		if f, ok := otherFile(m, j); ok {
			out = append(out, nodeFile{f, m.Spec.Name})
		}
	}
	return out
}

// anyHolds reports whether another node's copy was read: one that could
// not be read proves nothing either way.
func anyHolds(others []nodeFile) bool {
	for _, o := range others {
		if o.File != nil {
			return true
		}
	}
	return false
}

// holders names the nodes that have the file.
func holders(others []nodeFile) string {
	var names []string
	for _, o := range others {
		if o.File != nil {
			names = append(names, o.node)
		}
	}
	return listLimited(names, 5)
}

func joinObserved(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
