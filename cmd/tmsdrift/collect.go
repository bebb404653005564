package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/tmsdrift/tmsdrift/collect"
	"github.com/tmsdrift/tmsdrift/collect/local"
	"github.com/tmsdrift/tmsdrift/collect/psscript"
	"github.com/tmsdrift/tmsdrift/collect/record"
	"github.com/tmsdrift/tmsdrift/collect/sqlserver"
	"github.com/tmsdrift/tmsdrift/collect/transports"
	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/internal/shellword"
	"github.com/tmsdrift/tmsdrift/inventory"
	"github.com/tmsdrift/tmsdrift/report"
	"github.com/tmsdrift/tmsdrift/tmsversion"
)

type collectFlags struct {
	inventory  string
	output     string
	local      bool
	parallel   int
	showScript string
}

func newCollectCmd() *cobra.Command {
	var f collectFlags
	cmd := &cobra.Command{
		Use:   "collect -i INVENTORY -o DIR | --local -o DIR",
		Short: "Record live nodes and the database as a snapshot",
		Long: `collect reads every node of the inventory through its transport (local,
winrm, ssh) and the database, and writes what it read as a snapshot
deployment in DIR: inventory.yaml (nodes on the dir transport), db.json, and
nodes/<node>/ with facts.json, web.config under fs/ and manifest.json (the
size and SHA-256 of every customer data file instead of copies).
"tmsdrift audit -i DIR/inventory.yaml" then gives the live verdict offline.

--local records the machine tmsdrift runs on (a Windows TMS server) as one
node folder, e.g. from a scheduled task into a share:
  tmsdrift collect --local -i inventory.yaml -o \\files\tms\nodes\tms01

--show-script prints the PowerShell the winrm and ssh transports run on a
node (collector.ps1 and discover.ps1, read-only; read-file.ps1,
write-file.ps1, remove-file.ps1 and set-service.ps1 for fixes), for
review; name one after it (--show-script set-service.ps1).

An existing DIR is replaced only if it holds a previous snapshot.
Exit codes: 0 everything read; 2 bad input; 3 some node or the database
could not be read (the snapshot is written, with NOTES.txt saying what is
missing, and audits to error for it).`,
		Args: func(cmd *cobra.Command, args []string) error {
			// `--show-script discover.ps1`: the flag's value may stand
			// after a space too (its default fills it in otherwise).
			if len(args) == 1 && cmd.Flags().Changed("show-script") && f.showScript == defaultScript {
				return nil
			}
			return cobra.NoArgs(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("show-script") {
				name := f.showScript
				if len(args) == 1 {
					name = args[0]
				}
				return showScript(cmd.OutOrStdout(), name)
			}
			if f.output == "" {
				return usage(errors.New("collect: -o DIR is required"))
			}
			if f.local {
				return runCollectLocal(cmd, f)
			}
			if f.inventory == "" {
				return usage(errors.New("collect: -i INVENTORY is required (or --local)"))
			}
			return runCollect(cmd, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.inventory, "inventory", "i", "", "inventory file (YAML)")
	fl.StringVarP(&f.output, "output", "o", "", "folder to write the snapshot to")
	fl.BoolVar(&f.local, "local", false, "record this machine (a Windows TMS server) as one node folder")
	fl.IntVar(&f.parallel, "parallel", 8, "nodes collected at once")
	fl.StringVar(&f.showScript, "show-script", "", "print an embedded PowerShell script (default collector.ps1) and exit")
	fl.Lookup("show-script").NoOptDefVal = defaultScript
	return cmd
}

// showScript prints one embedded script with its SHA-256, or lists them.
// defaultScript is what --show-script shows without a name.
const defaultScript = "collector.ps1"

func showScript(w io.Writer, name string) error {
	scripts := psscript.Scripts()
	text, ok := scripts[name]
	if !ok {
		names := make([]string, 0, len(scripts))
		for n := range scripts {
			names = append(names, n)
		}
		sort.Strings(names)
		return usage(fmt.Errorf("--show-script: no script %q (scripts: %s)", name, strings.Join(names, ", ")))
	}
	if name == defaultScript {
		fmt.Fprintf(w, "# SHA-256 of this script: %s\n", psscript.CollectorSHA256())
	}
	_, err := io.WriteString(w, text)
	return err
}

func runCollect(cmd *cobra.Command, f collectFlags) error {
	if f.parallel < 1 {
		return usage(errors.New("--parallel must be at least 1"))
	}
	inv, err := loadInventory(f.inventory)
	if err != nil {
		return err
	}
	started := time.Now()
	prog := newProgress(cmd.ErrOrStderr(), len(inv.Nodes))
	rec := record.NewRecorder(prog.wrap(transports.Open))
	d, err := collect.Gather(cmd.Context(), inv, collect.Options{
		Now: started, Parallel: f.parallel, Open: rec.Open, LiveDB: sqlserver.Gather,
	})
	prog.finish()
	if err != nil {
		return err
	}
	err = replaceDir(f.output, "inventory.yaml", record.InventoryHeader, func(tmp string) error { return rec.Write(tmp, d, started) })
	if err != nil {
		return fmt.Errorf("write snapshot: %w", err)
	}
	problems := collectProblems(d, rec)
	for _, p := range problems {
		warn(cmd, "tmsdrift: could not read", p)
	}
	fmt.Fprint(cmd.OutOrStdout(), report.Sanitize(collectSummary(inv, d, rec, f.output, time.Since(started))))
	if len(problems) > 0 {
		return withCode(report.ExitErrored)
	}
	return nil
}

// collectSummary says what the snapshot holds: every node and the
// database recorded completely, in part, or not at all, so that a run
// that read nothing never reads as a success.
func collectSummary(inv *inventory.Inventory, d *facts.Deployment, rec *record.Recorder, dir string, took time.Duration) string {
	var complete, partial, missing []string
	for _, n := range inv.Nodes {
		r := rec.Node(n.Name)
		switch {
		case r == nil || r.Facts == nil:
			missing = append(missing, n.Name)
		case len(r.Problems) > 0:
			partial = append(partial, n.Name)
		default:
			complete = append(complete, n.Name)
		}
	}
	audit := "tmsdrift audit -i " + shellword.Quote(filepath.Join(dir, "inventory.yaml"))
	took = took.Round(time.Millisecond)
	if len(partial) == 0 && len(missing) == 0 && d.DB.Err == nil {
		return fmt.Sprintf("recorded %s and the database in %s (%s); audit it with: %s\n",
			countNodes(len(complete)), dir, took, audit)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "recorded in %s (%s), not everything:\n", dir, took)
	if len(complete) > 0 {
		fmt.Fprintf(&b, "  complete:     %s\n", joinNames(complete))
	}
	if len(partial) > 0 {
		fmt.Fprintf(&b, "  in part:      %s (NOTES.txt in each node folder says what is missing)\n", joinNames(partial))
	}
	if len(missing) > 0 {
		fmt.Fprintf(&b, "  not recorded: %s\n", joinNames(missing))
	}
	if d.DB.Err == nil {
		b.WriteString("  database:     recorded\n")
	} else {
		b.WriteString("  database:     not recorded (DATABASE-NOTES.txt says why)\n")
	}
	fmt.Fprintf(&b, "What was not recorded audits to error, never to pass: %s\n", audit)
	return b.String()
}

// countNodes is "1 node" or "n nodes".
func countNodes(n int) string {
	if n == 1 {
		return "1 node"
	}
	return fmt.Sprintf("%d nodes", n)
}

// collectProblems lists what could not be read, node by node.
func collectProblems(d *facts.Deployment, rec *record.Recorder) []string {
	var out []string
	for _, n := range d.Nodes {
		if r := rec.Node(n.Spec.Name); r != nil && len(r.Problems) > 0 {
			out = append(out, fmt.Sprintf("%s: %s", n.Spec.Name, strings.Join(r.Problems, "; ")))
		}
	}
	if d.DB.Err != nil {
		out = append(out, fmt.Sprintf("the database: %v", d.DB.Err))
	}
	return out
}

// runCollectLocal records this machine as one node folder.
func runCollectLocal(cmd *cobra.Command, f collectFlags) error {
	inv := &inventory.Inventory{Model: inventory.ManualCutover}
	if f.inventory != "" {
		var err error
		if inv, err = loadInventory(f.inventory); err != nil {
			return err
		}
	}
	inv.ApplyDefaults()
	spec := localNode(inv)
	if spec == nil {
		host, err := os.Hostname()
		if err != nil {
			return fmt.Errorf("name this node: %w", err)
		}
		spec = &inventory.Node{Name: host, Role: inventory.Primary, Transport: inventory.Transport{Kind: "local"}}
	}
	rec := record.NewRecorder(func(ctx context.Context, inv *inventory.Inventory, n *inventory.Node) (collect.Source, error) {
		return local.Open(inv, n)
	})
	ctx := cmd.Context()
	src, err := rec.Open(ctx, inv, spec)
	if err != nil {
		return usage(err)
	}
	defer src.Close()
	webRoot, install, version := inv.Paths.WebRoot, inv.Paths.Install, ""
	if raw, err := src.Facts(ctx); err == nil {
		if nf, err := facts.ParseNode(raw); err == nil && nf.TMS != nil {
			webRoot = cmp.Or(nf.TMS.WebRoot, webRoot)
			install = cmp.Or(nf.TMS.InstallPath, install)
			version = nf.TMS.Version
		}
	}
	// The folders of this machine's release, as the audit of the
	// recording will choose them (every profile's when it has none).
	choice := tmsversion.Choose(inv.TMSVersion, []tmsversion.Reported{{Node: spec.Name, Version: version, Active: true}})
	dirs := facts.DataDirsFor(inv.DataSync.Dirs, inv.Defaulted.DataDirs, choice.Profile)
	// The recorder keeps what each read returned, errors included: they
	// land in NOTES.txt / manifest.json and make the exit code 3 below.
	_, _ = src.ReadFile(ctx, strings.TrimRight(webRoot, `\`)+`\web.config`)
	for _, w := range (&facts.Deployment{Inventory: inv, Version: choice}).WebConfigs() {
		_, _ = src.ReadFile(ctx, facts.WebConfigPath(webRoot, w.Path)) // absent is recorded as absent
	}
	hasher, _ := newHasher(cmd, "")
	_, _ = src.Data(ctx, strings.TrimRight(install, `\`), dirs, hasher)
	r := rec.Node(spec.Name)
	if err := replaceDir(f.output, "facts.json", "", func(tmp string) error { return record.WriteNode(tmp, r) }); err != nil {
		return fmt.Errorf("write snapshot: %w", err)
	}
	for _, p := range r.Problems {
		warn(cmd, "tmsdrift: could not read", p)
	}
	if len(r.Problems) == 0 {
		say(cmd, "recorded this machine (%s) in %s\n", spec.Name, f.output)
	} else {
		say(cmd, "recorded this machine (%s) in %s in part: NOTES.txt there says what is missing, and it audits to error\n", spec.Name, f.output)
	}
	if len(r.Problems) > 0 {
		return withCode(report.ExitErrored)
	}
	return nil
}

// localNode is the inventory's node on the local transport, if any.
func localNode(inv *inventory.Inventory) *inventory.Node {
	for i := range inv.Nodes {
		if inv.Nodes[i].Transport.Kind == "local" {
			return &inv.Nodes[i]
		}
	}
	return nil
}

// replaceDir writes a snapshot into a fresh folder beside dir, then puts
// it in place of dir, so a reader (an audit of a share) never sees half a
// snapshot. An existing dir is replaced only when it is empty or holds
// marker (a previous snapshot) whose content starts with prefix: collect
// never deletes other folders. A folder holding an inventory.yaml that
// collect did not write (the administrator's own, next to the labs and
// notes it came with) is not a previous snapshot.
// A link to a folder stays a link: the folder it points at is replaced.
func replaceDir(dir, marker, prefix string, write func(tmp string) error) error {
	if st, err := os.Lstat(dir); err == nil && st.Mode()&fs.ModeSymlink != 0 {
		real, err := filepath.EvalSymlinks(dir)
		if err != nil {
			dest, _ := os.Readlink(dir)
			return fmt.Errorf("%s is a symbolic link to %q, which cannot be followed; not replaced", dir, dest)
		}
		dir = real
	}
	switch st, err := os.Stat(dir); {
	case err == nil && !st.IsDir():
		return fmt.Errorf("%s is not a folder; collect writes a snapshot folder", dir)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return err
	}
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	case len(entries) > 0:
		if _, err := os.Stat(filepath.Join(dir, marker)); err != nil {
			return fmt.Errorf("%s is not empty and holds no previous snapshot (no %s): not replacing it", dir, marker)
		}
		if prefix != "" && !startsWith(filepath.Join(dir, marker), prefix) {
			return fmt.Errorf("%s is not empty and holds no previous snapshot (its %s was not written by tmsdrift collect): not replacing it; name a new or empty folder", dir, marker)
		}
	}
	parent := filepath.Dir(filepath.Clean(dir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".new-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := write(tmp); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	old := ""
	if _, err := os.Stat(dir); err == nil {
		old = tmp + ".old"
		if err := os.Rename(dir, old); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		if old != "" {
			_ = os.Rename(old, dir)
		}
		return err
	}
	if old != "" {
		return os.RemoveAll(old)
	}
	return nil
}

// startsWith reports whether the file at path begins with prefix.
func startsWith(path, prefix string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, len(prefix))
	_, err = io.ReadFull(f, head)
	return err == nil && string(head) == prefix
}

// progress shows "collecting: 3/8 nodes done, 1 unreachable" on a
// terminal while nodes are collected; nothing when stderr is not one.
type progress struct {
	w     io.Writer
	on    bool
	total int

	mu            sync.Mutex
	done, failed  int
	started       time.Time
	lastLineWidth int
}

// liveProgress is the progress line of an audit: shown only when a node
// is read live (snapshots read in moments).
func liveProgress(w io.Writer, inv *inventory.Inventory) *progress {
	for _, n := range inv.Nodes {
		if n.Transport.Kind != "dir" {
			return newProgress(w, len(inv.Nodes))
		}
	}
	return &progress{}
}

func newProgress(w io.Writer, total int) *progress {
	p := &progress{w: w, total: total, started: time.Now()}
	if f, ok := w.(*os.File); ok {
		p.on = isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
	}
	p.draw()
	return p
}

// wrap counts a node done when its source is closed (or fails to open).
func (p *progress) wrap(open collect.Opener) collect.Opener {
	return func(ctx context.Context, inv *inventory.Inventory, n *inventory.Node) (collect.Source, error) {
		src, err := open(ctx, inv, n)
		if err != nil {
			p.tick(true)
			return nil, err
		}
		return &countedSource{Source: src, p: p}, nil
	}
}

type countedSource struct {
	collect.Source
	p    *progress
	once sync.Once
}

func (c *countedSource) Close() error {
	c.once.Do(func() { c.p.tick(false) })
	return c.Source.Close()
}

func (p *progress) tick(failed bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	if failed {
		p.failed++
	}
	p.drawLocked()
}

func (p *progress) draw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.drawLocked()
}

func (p *progress) drawLocked() {
	if !p.on {
		return
	}
	line := fmt.Sprintf("collecting: %d/%d nodes done", p.done, p.total)
	if p.failed > 0 {
		line += fmt.Sprintf(", %d unreachable", p.failed)
	}
	line += fmt.Sprintf(" (%s)", time.Since(p.started).Round(time.Second))
	pad := ""
	if n := p.lastLineWidth - len(line); n > 0 {
		pad = strings.Repeat(" ", n)
	}
	p.lastLineWidth = len(line)
	fmt.Fprint(p.w, "\r"+line+pad)
}

// finish ends the progress line.
func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.on {
		fmt.Fprintln(p.w)
	}
}
