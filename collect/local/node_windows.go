//go:build windows

package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/windows"

	"github.com/tmsdrift/tmsdrift/collect"
	"github.com/tmsdrift/tmsdrift/collect/psscript"
	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/internal/atomicfile"
	"github.com/tmsdrift/tmsdrift/inventory"
	"github.com/tmsdrift/tmsdrift/manifest"
)

// maxRead bounds files read whole (web.config), as the dir transport does.
const maxRead = 32 << 20

// node is this machine as a collect.Target.
type node struct {
	inv     *inventory.Inventory
	timeout time.Duration

	// mu guards the facts, built once and built again after the node
	// changed the machine (SetService, WriteFile, RemoveFile): a fixer or
	// runbook checks its change afterwards through Facts on the same
	// node, and the facts depend on files too (the install path counts
	// only with its wwwTMS\web.config, the software folder is the newest
	// that exists).
	mu       sync.Mutex
	built    bool
	facts    []byte
	factsErr error
	warnings []string
}

func open(inv *inventory.Inventory, n *inventory.Node) (collect.Target, error) {
	return &node{inv: inv, timeout: n.Transport.Timeout()}, nil
}

func (n *node) Close() error { return nil }

// Facts builds facts.json from the Windows APIs, once until the node
// changes a service or a file.
func (n *node) Facts(ctx context.Context) ([]byte, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.built {
		return n.facts, n.factsErr
	}
	f, warnings, err := BuildFacts(ctx, n.inv)
	n.built, n.warnings, n.facts, n.factsErr = true, warnings, nil, err
	if err == nil {
		n.facts, n.factsErr = json.MarshalIndent(f, "", "  ")
	}
	return n.facts, n.factsErr
}

// BuildFacts reads this machine's facts. What cannot be found is left out
// (and said in warnings), so the rules needing it report `error`; only a
// failure to read the basics (name, domain, services) is an error.
func BuildFacts(ctx context.Context, inv *inventory.Inventory) (*facts.NodeFacts, []string, error) {
	var warnings []string
	warn := func(format string, a ...any) { warnings = append(warnings, fmt.Sprintf(format, a...)) }
	f := &facts.NodeFacts{Schema: facts.NodeSchema}
	var err error
	if f.Hostname, err = ComputerName(windows.ComputerNamePhysicalNetBIOS); err != nil {
		return nil, warnings, err
	}
	domain, joined, err := Membership()
	if err != nil {
		return nil, warnings, err
	}
	f.Domain, f.PartOfDomain = domain, &joined
	if f.IPv4, f.IPv6, err = Addresses(); err != nil {
		warn("%v", err)
	}

	source, peer := TimeSource(timeConfig(), domain, joined)
	if s := w32tmSource(ctx); s != "" {
		source = s
		peer, _, _ = strings.Cut(s, ",")
		if s == LocalCMOSClock || s == FreeRunningClock {
			peer = ""
		}
	}
	t, err := QueryTime(source, peer, 0, 0)
	if err != nil {
		warn("%v", err)
	}
	f.Time = &t

	f.TMS = installInfo(inv.Paths.Install, psscript.RegistryFor(inv.Registry)).TMSFacts()
	if f.TMS == nil {
		warn("no TMS installation found (IIS /tms application, uninstall entry, TMS registry key, %s)", inv.Paths.Install)
	}
	if f.Services, err = Services(IsAuditedService); err != nil {
		return nil, warnings, err
	}
	if f.Services == nil {
		f.Services = []facts.Service{}
	}
	if inv.Database.Server != "" {
		rtt, err := MeasureRTT(ctx, inv.Database.Server, RTTSamples, 1434)
		if err != nil {
			warn("db_rtt_ms: %v", err)
		} else {
			f.DBRTTMS = rtt
		}
	}
	return f, warnings, nil
}

// Warnings are what Facts could not find out.
func (n *node) Warnings() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.warnings
}

// ReadFile reads a file of this machine.
func (n *node) ReadFile(ctx context.Context, winPath string) ([]byte, error) {
	f, err := os.Open(winPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxRead+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxRead {
		return nil, fmt.Errorf("%s is larger than %d MiB", winPath, maxRead>>20)
	}
	return data, nil
}

// Data hashes the data folders below install.
func (n *node) Data(ctx context.Context, install string, dirs []string, h *manifest.Hasher) (*manifest.Manifest, error) {
	root, err := os.OpenRoot(install)
	if errors.Is(err, fs.ErrNotExist) {
		return manifest.New(), nil // no install folder: no files
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", install, err)
	}
	defer root.Close()
	trees := make([]manifest.Tree, 0, len(dirs))
	for _, d := range dirs {
		trees = append(trees, manifest.Tree{Rel: d, Root: root, Dir: strings.ReplaceAll(strings.Trim(d, `\/`), `\`, "/")})
	}
	return h.Hash(ctx, trees)
}

// OpenFile streams a file of this machine.
func (n *node) OpenFile(ctx context.Context, winPath string) (io.ReadCloser, error) {
	return os.Open(winPath)
}

// WriteFile replaces winPath atomically (internal/atomicfile: a temporary
// file in the same folder, synced, renamed over the original by
// MoveFileEx), creating the folders it needs. A replaced file keeps its
// mode; a new file inherits the folder's permissions, as the original did
// unless it had explicit ones. A link or a device is never replaced.
func (n *node) WriteFile(ctx context.Context, winPath string, r io.Reader) error {
	defer n.changed()
	if err := os.MkdirAll(filepath.Dir(winPath), 0o755); err != nil {
		return fmt.Errorf("write %s: %w", winPath, err)
	}
	return atomicfile.Write(winPath, 0o644, func(w io.Writer) error {
		_, err := io.Copy(w, r)
		return err
	})
}

// RemoveFile deletes a file; a missing one is not an error.
func (n *node) RemoveFile(ctx context.Context, winPath string) error {
	defer n.changed()
	if err := os.Remove(winPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// SetService changes a service through the service control manager.
func (n *node) SetService(ctx context.Context, name, startType, state string) error {
	if n.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, n.timeout)
		defer cancel()
	}
	defer n.changed()
	return SetService(ctx, name, startType, state)
}

// changed makes the next Facts read the machine again, after a change
// of a service or a file: even a failed change may have changed
// something (a service's start type set before its start failed, the
// folders a failed write created).
func (n *node) changed() {
	n.mu.Lock()
	n.built = false
	n.mu.Unlock()
}
