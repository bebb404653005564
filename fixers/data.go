package fixers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/manifest"
)

// planData copies the data master's customer files to every node failing
// data.synced (guide: "TMS Customer file synchronization"): files missing
// on the node are created, different ones replaced. Files only the node has
// are deleted only with Prune; otherwise they are kept and the plan says
// so. Temporary files an interrupted tmsdrift write left on the node are
// deleted. Nothing is ever written on the master.
func planData(ctx context.Context, in *input, failing []checks.Result) ([]Change, []Skipped, error) {
	d := in.d
	masterSpec := d.Inventory.DataMaster()
	if masterSpec == nil {
		return nil, nil, nil
	}
	master := d.NodeByName(masterSpec.Name)
	// The folders data.synced compares (the inventory's, else the TMS
	// profile's): the ones the gathered manifests hold, so the ones whose
	// absence on the master must not be copied by pruning.
	dirs := d.DataDirs()
	var changes []Change
	var skipped []Skipped
	for _, node := range failingNodes(failing) {
		skip := func(reason string) {
			skipped = append(skipped, Skipped{Rule: "data.synced", Node: node, Reason: reason})
		}
		n := d.NodeByName(node)
		switch {
		case n == nil:
			skip("the node was not gathered")
			continue
		case strings.EqualFold(node, masterSpec.Name):
			skip("the data master is never written to")
			continue
		case master == nil || master.Data == nil:
			skip("the master's customer files are unavailable")
			continue
		case n.Data == nil:
			skip("the node's customer files are unavailable")
			continue
		}
		masterInstall, nodeInstall := installPath(d, master), installPath(d, n)
		delta := manifest.Diff(master.Data, n.Data)
		var nodeChanges []Change
		failed := false
		add := func(action Action, rel string, before FileState, after FileState, from *NodeFile) {
			nodePath := nodeInstall + `\` + rel
			op := &FileOp{Path: nodePath, Before: before, After: after, From: from}
			c := Change{Rules: []string{"data.synced"}, Node: node, Op: op}
			switch {
			case action == Delete && manifest.IsDebris(rel):
				c.Summary = "delete " + rel + " (a temporary file left by an interrupted tmsdrift write)"
			case action == Delete:
				c.Summary = "delete " + rel + " (not on " + masterSpec.Name + ")"
			case action == Create:
				c.Summary = "copy " + rel + " from " + masterSpec.Name
			default:
				c.Summary = "replace " + rel + " with " + masterSpec.Name + "'s"
			}
			detail, err := in.dataDiff(ctx, node, op)
			if err != nil {
				skip(fmt.Sprintf("%s: %v", rel, err))
				failed = true
				return
			}
			c.Detail = detail
			nodeChanges = append(nodeChanges, c)
		}
		for _, mf := range delta.Missing {
			add(Create, mf.Rel, FileState{}, fileState(mf), &NodeFile{Node: masterSpec.Name, Path: masterInstall + `\` + mf.Rel})
		}
		for _, mf := range delta.Different {
			// The node's own spelling of the file is the one replaced.
			own := n.Data.Files[manifest.Key(mf.Rel)]
			add(Replace, own.Rel, fileState(own), fileState(mf), &NodeFile{Node: masterSpec.Name, Path: masterInstall + `\` + mf.Rel})
		}
		// tmsdrift's own leftovers go whatever --prune says: they are
		// nobody's files.
		for _, f := range delta.Debris {
			add(Delete, f.Rel, fileState(f), FileState{}, nil)
		}
		var kept []string
		notPruned := map[string][]string{} // data folder → files kept in it
		for _, f := range delta.Extra {
			switch dir := emptyOnMaster(dirs, master.Data, f.Rel); {
			case !in.opts.Prune:
				kept = append(kept, f.Rel)
			case dir != "":
				notPruned[dir] = append(notPruned[dir], f.Rel)
			default:
				add(Delete, f.Rel, fileState(f), FileState{}, nil)
			}
		}
		if len(kept) > 0 {
			skip(fmt.Sprintf("%s only on the node kept (delete with --prune): %s", plural(len(kept), "file"), strings.Join(kept, ", ")))
		}
		for _, dir := range dirs {
			if files := notPruned[dir]; len(files) > 0 {
				skip(fmt.Sprintf("not pruned: the data master %s has no files in %s (the folder is missing, unreadable or empty there), so its %s on the node stay: "+
					"restore the master's folder, or make another node data_sync.master, then fix again: %s",
					masterSpec.Name, dir, plural(len(files), "file"), strings.Join(files, ", ")))
			}
		}
		if failed {
			// A node's data is fixed as a whole or not at all.
			continue
		}
		changes = append(changes, nodeChanges...)
	}
	return changes, skipped, nil
}

// emptyOnMaster returns the data folder (as data_sync.dirs spells it) that
// holds rel when the master has no file at all in that folder, else "".
// Pruning copies the master's absence of files: when the master's folder
// is gone or unreadable, that absence is an accident, not a wish, and
// pruning would delete every file of the node (issue 8, item 4).
func emptyOnMaster(dirs []string, master *manifest.Manifest, rel string) string {
	key := manifest.Key(rel)
	for _, dir := range dirs {
		prefix := manifest.Key(strings.Trim(dir, `\/`))
		if prefix != "" && !strings.HasPrefix(key, prefix+`\`) {
			continue
		}
		if manifest.Filter(master, []string{dir}).Len() == 0 {
			return dir
		}
		return ""
	}
	return ""
}

// fileState is a manifest entry as a FileState.
func fileState(f manifest.File) FileState {
	return FileState{Exists: true, Size: f.Size, SHA256: strings.ToLower(f.SHA256)}
}

// installPath is where a node's customer files live: its own install path
// from facts.json, else the inventory's (as gathering reads them).
func installPath(d *facts.Deployment, n *facts.Node) string {
	p := d.Inventory.Paths.Install
	if n.Facts != nil && n.Facts.TMS != nil && n.Facts.TMS.InstallPath != "" {
		p = n.Facts.TMS.InstallPath
	}
	return strings.TrimRight(p, `\/`)
}

// dataDiff shows a data file change: a unified diff for small text files,
// sizes and hashes for the rest.
func (in *input) dataDiff(ctx context.Context, node string, op *FileOp) (string, error) {
	from := op.From
	name := node + ":" + op.Path
	small := op.Before.Size <= maxDiffSize && op.After.Size <= maxDiffSize
	if !small {
		return fmt.Sprintf("Large file %s: %s -> %s\n", name, describeState(op.Before), describeState(op.After)), nil
	}
	var before, after []byte
	var err error
	if op.Before.Exists {
		if before, err = in.readSmall(ctx, node, op.Path); err != nil {
			return "", err
		}
	}
	if from != nil {
		if after, err = in.readSmall(ctx, from.Node, from.Path); err != nil {
			return "", fmt.Errorf("read %s on %s: %w", from.Path, from.Node, err)
		}
	}
	return unifiedDiff(name, name+" (fixed)", before, after), nil
}

// readSmall reads a file of at most maxDiffSize bytes through a node's
// transport.
func (in *input) readSmall(ctx context.Context, node, path string) ([]byte, error) {
	t, err := in.target(ctx, node)
	if err != nil {
		return nil, err
	}
	r, err := t.OpenFile(ctx, path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	b, err := io.ReadAll(io.LimitReader(r, maxDiffSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxDiffSize {
		return nil, errors.New("larger than the audit recorded")
	}
	return b, nil
}
