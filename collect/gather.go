package collect

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"sync"
	"time"

	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/inventory"
	"github.com/tmsdrift/tmsdrift/machinekey"
	"github.com/tmsdrift/tmsdrift/manifest"
)

// Options tune a gathering run.
type Options struct {
	// Now is the time of the run (waivers expire against it); zero means
	// time.Now().
	Now time.Time
	// Parallel bounds how many nodes are gathered at once; 0 means a
	// default suited to the transports.
	Parallel int
	// Hasher hashes customer data files for every node through one bounded
	// pool; nil means a default Hasher without a cache.
	Hasher *manifest.Hasher
	// Open opens a node's Source (transports.Open); required.
	Open Opener
	// LiveDB reads the database facts from the live server when the
	// inventory names database.dsn_env; nil means live access is not
	// wired in (every database rule is then `error`).
	LiveDB func(ctx context.Context, inv *inventory.Inventory) facts.DB
}

// Gather reads every node and the database of inv. Problems with a node or
// the database are recorded in the Deployment (and become `error`
// results); Gather itself only fails when ctx ends.
func Gather(ctx context.Context, inv *inventory.Inventory, opts Options) (*facts.Deployment, error) {
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	if opts.Parallel <= 0 {
		opts.Parallel = 4 * runtime.GOMAXPROCS(0)
	}
	if opts.Hasher == nil {
		opts.Hasher = manifest.NewHasher(manifest.HasherOptions{})
	}
	if opts.Open == nil {
		return nil, fmt.Errorf("gather: %w", ErrNoOpener)
	}
	d := &facts.Deployment{Inventory: inv, Nodes: make([]*facts.Node, len(inv.Nodes)), Now: opts.Now}

	var wg sync.WaitGroup
	sem := make(chan struct{}, opts.Parallel)
	wg.Add(1)
	go func() {
		defer wg.Done()
		d.DB = gatherDB(ctx, inv, opts.LiveDB)
	}()
	// First every node's facts, which say the TMS release; then the
	// files, which the release's profile names (data folders,
	// web.configs). Each node's source stays open between the two.
	srcs := make([]Source, len(inv.Nodes))
	var nodes sync.WaitGroup
	for i := range inv.Nodes {
		spec := &inv.Nodes[i]
		nodes.Add(1)
		go func() {
			defer nodes.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			d.Nodes[i], srcs[i] = gatherFacts(ctx, inv, spec, opts)
		}()
	}
	nodes.Wait()
	d.ChooseVersion()
	dirs, others := d.DataDirs(), d.WebConfigs()
	for i := range inv.Nodes {
		if srcs[i] == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer srcs[i].Close()
			sem <- struct{}{}
			defer func() { <-sem }()
			gatherFiles(ctx, inv, d.Nodes[i], srcs[i], dirs, others, opts)
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	d.ApprovedKey, d.ApprovedKeyFrom, d.ApprovedKeyErr = approvedKey(inv, d)
	return d, nil
}

// gatherFacts opens one node and reads its facts.json; the source stays
// open for gatherFiles (nil when the node could not be reached: every part
// then carries the error).
func gatherFacts(ctx context.Context, inv *inventory.Inventory, spec *inventory.Node, opts Options) (*facts.Node, Source) {
	n := &facts.Node{Spec: spec}
	src, err := opts.Open(ctx, inv, spec)
	if err != nil {
		err = fmt.Errorf("node unreachable: %w", err)
		n.FactsErr, n.WebConfigErr, n.DataErr = err, err, err
		return n, nil
	}
	raw, err := src.Facts(ctx)
	if err == nil {
		n.Facts, err = facts.ParseNode(raw)
	}
	if err != nil {
		n.FactsErr = fmt.Errorf("facts.json: %w", err)
	}
	return n, src
}

// gatherFiles reads a node's web.config and customer data folders (dirs,
// relative to its install folder); every part records its own error.
func gatherFiles(ctx context.Context, inv *inventory.Inventory, n *facts.Node, src Source, dirs []string, others []facts.ListedWebConfig, opts Options) {
	// Files are read at the node's own paths, falling back to the
	// inventory's where facts lack them (contract §3).
	webRoot, install := inv.Paths.WebRoot, inv.Paths.Install
	if n.Facts != nil && n.Facts.TMS != nil {
		if n.Facts.TMS.WebRoot != "" {
			webRoot = n.Facts.TMS.WebRoot
		}
		if n.Facts.TMS.InstallPath != "" {
			install = n.Facts.TMS.InstallPath
		}
	}

	wcPath := trimSep(webRoot) + `\web.config`
	wc, err := src.ReadFile(ctx, wcPath)
	if err == nil {
		var key *machinekey.Key
		key, err = machinekey.FromWebConfig(wc)
		n.WebConfig = &facts.WebConfig{Path: wcPath, Raw: wc, Key: key}
	}
	if err != nil {
		n.WebConfig = nil
		n.WebConfigErr = describeReadErr(wcPath, err)
	}

	for _, w := range others {
		n.OtherWebConfigs = append(n.OtherWebConfigs, readOtherWebConfig(ctx, src, webRoot, w.Path))
	}

	if inv.Model.MultiServer() {
		n.Data, err = src.Data(ctx, trimSep(install), dirs, opts.Hasher)
		if err != nil {
			n.Data, n.DataErr = nil, err
		}
	}
}

// readOtherWebConfig reads a listed web.config (relative to the node's
// web root, or absolute): absent is not an error, the rules decide.
func readOtherWebConfig(ctx context.Context, src Source, webRoot, listed string) facts.OtherWebConfig {
	out := facts.OtherWebConfig{Listed: listed}
	path := facts.WebConfigPath(webRoot, listed)
	raw, err := src.ReadFile(ctx, path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		out.Absent = true
		return out
	case err != nil:
		out.Err = err
		return out
	}
	key, err := machinekey.FromWebConfig(raw)
	if err != nil {
		out.Err = fmt.Errorf("%s: %w", path, err)
		return out
	}
	out.File = &facts.WebConfig{Path: path, Raw: raw, Key: key}
	return out
}

// gatherDB reads the database facts: the recorded snapshot, or the live
// server.
func gatherDB(ctx context.Context, inv *inventory.Inventory, live func(context.Context, *inventory.Inventory) facts.DB) facts.DB {
	db := inv.Database
	if db.Snapshot == "" {
		if live != nil {
			out := live(ctx, inv)
			if out.Facts != nil {
				out.Facts.DropImpossible() // whoever the gatherer, no impossible fact reaches a rule
			}
			return out
		}
		return facts.DB{From: "$" + db.DSNEnv, Err: errors.New("live database access is not available in this build; record db.json and set database.snapshot")}
	}
	path := inv.Resolve(db.Snapshot)
	out := facts.DB{From: db.Snapshot}
	raw, err := readFile(path)
	if err == nil {
		out.Facts, err = facts.ParseDB(raw)
	}
	if err != nil {
		out.Facts, out.Err = nil, fmt.Errorf("%s: %w", db.Snapshot, err)
	}
	return out
}

// approvedKey resolves the machineKey every node must carry: the key file,
// the named node's web.config, or the first active node's.
func approvedKey(inv *inventory.Inventory, d *facts.Deployment) (*machinekey.Key, string, error) {
	if !inv.Model.MultiServer() {
		return nil, "", nil
	}
	if f := inv.MachineKey.File; f != "" {
		k, err := machinekey.ReadKeyFile(inv.Resolve(f))
		return k, f, err
	}
	spec := inv.FirstActive()
	if inv.MachineKey.Node != "" {
		spec = inv.NodeByName(inv.MachineKey.Node)
	}
	if spec == nil {
		return nil, "", errors.New("no node to take the key from")
	}
	from := "web.config of " + spec.Name
	n := d.NodeByName(spec.Name)
	switch {
	case n == nil:
		return nil, from, errors.New("node not gathered")
	case n.WebConfigErr != nil:
		return nil, from, n.WebConfigErr
	case n.WebConfig == nil || n.WebConfig.Key == nil:
		return nil, from, errors.New("it has no <machineKey>")
	case !n.WebConfig.Key.Fixed():
		return nil, from, errors.New("its <machineKey> has no fixed keys")
	}
	k := *n.WebConfig.Key
	return &k, from, nil
}

func trimSep(p string) string {
	for len(p) > 0 && (p[len(p)-1] == '\\' || p[len(p)-1] == '/') {
		p = p[:len(p)-1]
	}
	return p
}

// describeReadErr gives a missing file a plain message.
func describeReadErr(what string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s not found", what)
	}
	return err
}
