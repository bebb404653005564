// Package record writes what a live collection saw as a snapshot
// deployment in the contract's layout (docs/contract.md §3): an
// inventory whose nodes use the dir transport, each node's facts.json,
// web.config under fs/, manifest.json, and the database's db.json. Audited
// offline, the snapshot gives the verdict the live audit gave: a
// Recorder wraps the transports during collect.Gather and keeps the bytes
// they returned, damaged ones included, so an error is recorded as what
// caused it.
package record

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/tmsdrift/tmsdrift/collect"
	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/internal/winpath"
	"github.com/tmsdrift/tmsdrift/inventory"
	"github.com/tmsdrift/tmsdrift/manifest"
)

// Node is what was read from one node.
type Node struct {
	Facts    []byte            // facts.json as returned, or nil
	Files    map[string][]byte // Windows path → bytes read
	Data     *manifest.Manifest
	Install  string   // the install path Data's paths are under
	DataErr  error    // why the data folders could not be read
	Problems []string // what could not be read, for NOTES.txt
}

// Recorder keeps what the Sources it opens return.
type Recorder struct {
	open collect.Opener

	mu    sync.Mutex
	nodes map[string]*Node
}

// NewRecorder wraps open.
func NewRecorder(open collect.Opener) *Recorder {
	return &Recorder{open: open, nodes: map[string]*Node{}}
}

// Open opens n through the wrapped opener and records what it returns;
// pass it as collect.Options.Open.
func (r *Recorder) Open(ctx context.Context, inv *inventory.Inventory, n *inventory.Node) (collect.Source, error) {
	rec := &Node{Files: map[string][]byte{}}
	r.mu.Lock()
	r.nodes[n.Name] = rec
	r.mu.Unlock()
	src, err := r.open(ctx, inv, n)
	if err != nil {
		rec.problem("node unreachable: %v", err)
		rec.DataErr = fmt.Errorf("node unreachable: %w", err) // the data rules stay error offline
		return nil, err
	}
	return &source{Source: src, rec: rec}, nil
}

// Node returns what was recorded for the node called name.
func (r *Recorder) Node(name string) *Node {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.nodes[name]
}

func (n *Node) problem(format string, a ...any) {
	n.Problems = append(n.Problems, fmt.Sprintf(format, a...))
}

// source records one node's reads.
type source struct {
	collect.Source
	rec *Node
	mu  sync.Mutex
}

func (s *source) Facts(ctx context.Context) ([]byte, error) {
	b, err := s.Source.Facts(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.rec.problem("facts.json: %v", err)
	} else {
		s.rec.Facts = bytes.Clone(b)
	}
	return b, err
}

func (s *source) ReadFile(ctx context.Context, winPath string) ([]byte, error) {
	b, err := s.Source.ReadFile(ctx, winPath)
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// Absent: the snapshot holds no such file either, which is what
		// a file the rules may look for (a listed web.config) needs.
	case err != nil:
		s.rec.problem("%s: %v", winPath, err)
	default:
		s.rec.Files[winPath] = bytes.Clone(b)
	}
	return b, err
}

func (s *source) Data(ctx context.Context, install string, dirs []string, h *manifest.Hasher) (*manifest.Manifest, error) {
	m, err := s.Source.Data(ctx, install, dirs, h)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.rec.DataErr = err
		s.rec.problem("data folders: %v", err)
	} else {
		s.rec.Data, s.rec.Install = m, install
	}
	return m, err
}

// InventoryHeader is how the inventory.yaml of every snapshot collect
// writes begins: collect replaces a folder only when it holds one.
const InventoryHeader = "# Recorded by tmsdrift collect"

// WriteNode writes one node's snapshot folder: facts.json, the files under
// fs/<drive>/..., manifest.json, and NOTES.txt listing what could not be
// read (for people; tmsdrift does not read it).
func WriteNode(dir string, n *Node) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if n.Facts != nil {
		if err := os.WriteFile(filepath.Join(dir, "facts.json"), n.Facts, 0o600); err != nil {
			return err
		}
	}
	paths := make([]string, 0, len(n.Files))
	for p := range n.Files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		rel, err := fsPath(p)
		if err != nil {
			n.problem("%s: not recorded: %v", p, err)
			continue
		}
		full := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(full), 0o700); err != nil {
			return err
		}
		if err := os.WriteFile(full, n.Files[p], 0o600); err != nil {
			return err
		}
	}
	var b bytes.Buffer
	switch {
	case n.Data != nil:
		if err := manifest.Write(&b, n.Data, n.Install); err != nil {
			return fmt.Errorf("manifest.json: %w", err)
		}
	case n.DataErr != nil:
		// Recorded as a failure, so the data rules stay `error` offline
		// instead of seeing a node without files.
		if err := manifest.WriteError(&b, n.DataErr.Error()); err != nil {
			return fmt.Errorf("manifest.json: %w", err)
		}
	}
	if b.Len() > 0 {
		if err := os.WriteFile(filepath.Join(dir, "manifest.json"), b.Bytes(), 0o600); err != nil {
			return err
		}
	}
	if len(n.Problems) > 0 {
		notes := "What tmsdrift could not read from this node (the audit reports it as error):\n\n- " +
			strings.Join(n.Problems, "\n- ") + "\n"
		if err := os.WriteFile(filepath.Join(dir, "NOTES.txt"), []byte(notes), 0o600); err != nil {
			return err
		}
	}
	return nil
}

// fsPath maps `C:\Program Files\x` to fs/C/Program Files/x (the snapshot
// layout); only drive paths without `..` are accepted.
func fsPath(winPath string) (string, error) {
	drive, names, err := winpath.Split(winPath)
	if err != nil {
		return "", err
	}
	return filepath.Join(append([]string{"fs", drive}, names...)...), nil
}

// Write writes the snapshot deployment of d into dir: inventory.yaml
// (nodes on the dir transport, database from db.json, the key file
// copied), db.json, and every node's folder under nodes/. dir must be
// empty or not exist.
func (r *Recorder) Write(dir string, d *facts.Deployment, collectedAt time.Time) error {
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("%s is not empty: collect writes a fresh snapshot", dir)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	src := d.Inventory
	inv := *src
	inv.Nodes = slices.Clone(src.Nodes)
	inv.Waivers = slices.Clone(src.Waivers)
	for i := range inv.Nodes {
		n := &inv.Nodes[i]
		rec := r.Node(n.Name)
		if rec == nil {
			rec = &Node{Problems: []string{"not collected"}}
		}
		n.Transport = inventory.Transport{Kind: "dir", Path: "nodes/" + n.Name}
		if err := WriteNode(filepath.Join(dir, "nodes", n.Name), rec); err != nil {
			return fmt.Errorf("node %s: %w", n.Name, err)
		}
	}
	db := inv.Database
	db.DSNEnv, db.OffsiteDSNEnv, db.Snapshot = "", "", "db.json"
	inv.Database = db
	if d.DB.Facts != nil {
		raw, err := json.MarshalIndent(d.DB.Facts, "", "  ")
		if err != nil {
			return fmt.Errorf("db.json: %w", err)
		}
		if err := os.WriteFile(filepath.Join(dir, "db.json"), append(raw, '\n'), 0o600); err != nil {
			return err
		}
	} else if d.DB.Err != nil {
		note := fmt.Sprintf("The database could not be read (the audit reports it as error):\n\n- %v\n", d.DB.Err)
		if err := os.WriteFile(filepath.Join(dir, "DATABASE-NOTES.txt"), []byte(note), 0o600); err != nil {
			return err
		}
	}
	if f := src.MachineKey.File; f != "" {
		data, err := os.ReadFile(src.Resolve(f))
		if err == nil {
			rel := filepath.Join("keys", filepath.Base(f))
			if err := os.MkdirAll(filepath.Join(dir, "keys"), 0o700); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(dir, rel), data, 0o600); err != nil {
				return err
			}
			inv.MachineKey.File = filepath.ToSlash(rel)
		} else {
			inv.MachineKey.File = "keys/" + filepath.Base(f) // missing there, missing here
		}
	}
	body, err := yaml.MarshalWithOptions(inv.AsWritten(), yaml.UseSingleQuote(true))
	if err != nil {
		return fmt.Errorf("inventory.yaml: %w", err)
	}
	head := fmt.Sprintf(InventoryHeader+" on %s from %s.\n# Audit it offline: tmsdrift audit -i inventory.yaml\n",
		collectedAt.UTC().Format(time.RFC3339), filepath.Base(src.File))
	return os.WriteFile(filepath.Join(dir, "inventory.yaml"), append([]byte(head), body...), 0o600)
}
