// Package remote is a Windows TMS node reached through a remote shell that
// runs one command line with standard input at a time (WinRM, SSH). It
// runs tmsdrift's embedded PowerShell (package psscript) and turns what it
// prints into the collect.Source and collect.Target methods, so the WinRM
// and SSH transports only differ in how a command reaches the node.
package remote

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tmsdrift/tmsdrift/collect/psscript"
	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/inventory"
	"github.com/tmsdrift/tmsdrift/manifest"
	"github.com/tmsdrift/tmsdrift/tmsversion"
)

// Runner runs one command line on a node: what a transport provides.
type Runner interface {
	// Run runs cmdline with stdin (nil: none), copying the command's
	// output to stdout and stderr, and returns its exit code. It returns
	// an error when the command could not be run or ctx ended first;
	// it must not outlive ctx by more than a moment.
	Run(ctx context.Context, cmdline string, stdin io.Reader, stdout, stderr io.Writer) (int, error)
	// Close releases connections held between commands.
	Close() error
}

// MaxOutput bounds what one command may print (the collector's manifest
// of a large Software folder is a few MiB): a node printing more is
// broken, not a reason to run out of memory.
const MaxOutput = 256 << 20

// DefaultTimeout bounds one command when the inventory sets none: long
// enough to hash the customer data folders of a TMS server.
const DefaultTimeout = 5 * time.Minute

// Node is a collect.Target over a Runner. The collector runs on the first
// read, and its output answers Facts, Data and the web.config read until
// a write changes the node; other reads and every write run a small
// script each.
type Node struct {
	run     Runner
	params  psscript.Params
	timeout time.Duration

	mu       sync.Mutex
	ran      bool // out/err hold a run's result
	stale    bool // a write happened since: run again before answering
	hashed   bool // that run hashed the data folders
	out      *psscript.Output
	err      error
	warnings []string
}

// New returns the node reached through r. params are the collector's
// (see Params); timeout bounds every command (0: DefaultTimeout).
func New(r Runner, params psscript.Params, timeout time.Duration) *Node {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &Node{run: r, params: params, timeout: timeout}
}

// Params are the collector's parameters for a node of inv: the inventory's
// paths as fallbacks, the data folders (hashed only in multi-server
// models, the only ones data.synced judges), the SQL Server to time.
//
// The data folders are the inventory's when it lists them, else those of
// the release its tms_version names, else every folder any TMS profile
// names: the release the nodes run is only known from the facts this very
// run returns, and Data asks for a subset.
func Params(inv *inventory.Inventory) psscript.Params {
	var profile *tmsversion.Profile
	if inv.TMSVersion != "" {
		profile, _ = tmsversion.Lookup(inv.TMSVersion) // validated on load; nil means every folder
	}
	return psscript.Params{
		Install:      inv.Paths.Install,
		WebRoot:      inv.Paths.WebRoot,
		Software:     inv.Paths.Software,
		DataDirs:     facts.DataDirsFor(inv.DataSync.Dirs, inv.Defaulted.DataDirs, profile),
		SoftwareDirs: tmsversion.SoftwareCandidates(),
		Registry:     psscript.RegistryFor(inv.Registry),
		HashData:     inv.Model.MultiServer(),
		DBServer:     inv.Database.Server,
		RTTSamples:   3,
	}
}

// Close closes the runner.
func (n *Node) Close() error { return n.run.Close() }

// Warnings are what the collector reported it could not find out.
func (n *Node) Warnings() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.warnings...)
}

// collect runs the collector and keeps its output (or error) for the
// next reads. The first run does everything asked in the parameters; after
// a write (a fixer checking its work) the facts are read again without
// hashing the data folders, unless withData asks for them.
func (n *Node) collect(ctx context.Context, withData bool) (*psscript.Output, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ran && !n.stale && (n.hashed || !withData || !n.params.HashData) {
		return n.out, n.err
	}
	p := n.params
	if n.ran && !withData {
		p.HashData = false
	}
	n.ran, n.stale, n.hashed, n.out, n.err = true, false, p.HashData, nil, nil
	in, err := psscript.CollectorInput(p)
	if err != nil {
		n.err = err
		return nil, err
	}
	stdout, err := n.exec(ctx, psscript.CollectorCommand, bytes.NewReader(in))
	if err != nil {
		n.err = fmt.Errorf("collector: %w", err)
		return nil, n.err
	}
	n.out, n.err = psscript.ParseOutput(stdout)
	if n.err != nil {
		n.err = fmt.Errorf("collector output: %w", n.err)
		return nil, n.err
	}
	n.warnings = n.out.Warnings
	return n.out, nil
}

// changed marks the collector's output out of date after a write.
func (n *Node) changed() {
	n.mu.Lock()
	n.stale = true
	n.mu.Unlock()
}

// exec runs one command under the node's timeout and returns its standard
// output; a non-zero exit is an *ExitError carrying standard error.
func (n *Node) exec(ctx context.Context, cmdline string, stdin io.Reader) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, n.timeout)
	defer cancel()
	stdout := &limitedBuffer{max: MaxOutput}
	stderr := &limitedBuffer{max: 64 << 10}
	code, err := n.run.Run(ctx, cmdline, stdin, stdout, stderr)
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return nil, fmt.Errorf("no answer within %s (transport timeout)", n.timeout)
	case err != nil:
		return nil, err
	case stdout.over:
		return nil, fmt.Errorf("printed more than %d MiB", MaxOutput>>20)
	case code != 0:
		return nil, &ExitError{Code: code, Stderr: cleanStderr(stderr.Bytes())}
	}
	return stdout.Bytes(), nil
}

// ExitError is a script that ran and failed.
type ExitError struct {
	Code   int
	Stderr string
}

// Error names the exit code and what the script said.
func (e *ExitError) Error() string {
	if e.Stderr == "" {
		return fmt.Sprintf("exited with code %d", e.Code)
	}
	return fmt.Sprintf("exited with code %d: %s", e.Code, e.Stderr)
}

// Unwrap makes a script's "no such file or service" exit match
// fs.ErrNotExist.
func (e *ExitError) Unwrap() error {
	if e.Code == psscript.ExitNotFound {
		return fs.ErrNotExist
	}
	return nil
}

// part returns one part of the collector's output.
func (n *Node) part(ctx context.Context, name string) (*psscript.Part, error) {
	out, err := n.collect(ctx, name == psscript.PartManifest)
	if err != nil {
		return nil, err
	}
	p, ok := out.Parts[name]
	if !ok {
		return nil, fmt.Errorf("the collector printed no %s", name)
	}
	return p, nil
}

// Facts returns the facts.json the collector built.
func (n *Node) Facts(ctx context.Context) ([]byte, error) {
	p, err := n.part(ctx, psscript.PartFacts)
	if err != nil {
		return nil, err
	}
	if p.Err != nil {
		return nil, fmt.Errorf("on the node: %w", p.Err)
	}
	return p.Data, nil
}

// Discover runs discover node's read-only probe (psscript.Discover) and
// returns the JSON document it printed.
func (n *Node) Discover(ctx context.Context, p psscript.DiscoverParams) ([]byte, error) {
	in, err := psscript.DiscoverInput(p)
	if err != nil {
		return nil, err
	}
	out, err := n.exec(ctx, psscript.CollectorCommand, bytes.NewReader(in))
	if err != nil {
		return nil, fmt.Errorf("discover probe: %w", err)
	}
	doc, err := psscript.ParseDiscoverOutput(out)
	if err != nil {
		return nil, fmt.Errorf("discover probe output: %w", err)
	}
	return doc, nil
}

// ReadFile returns a file of the node: the web.config the collector read,
// or any other file through the read script.
//
// When the collector failed, so does the read, with the collector's error:
// another script would cost the node's timeout again and report the same
// trouble less clearly.
func (n *Node) ReadFile(ctx context.Context, winPath string) ([]byte, error) {
	p, err := n.part(ctx, psscript.PartWebConfig)
	if err != nil {
		return nil, err
	}
	if samePath(p.Path, winPath) {
		if p.Err != nil {
			return nil, p.Err
		}
		return p.Data, nil
	}
	rc, err := n.OpenFile(ctx, winPath)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// Data returns the manifest the collector hashed on the node, limited to
// dirs. Its paths must lie under install (the node's install path, which
// the collector found the same way as collect.Gather).
func (n *Node) Data(ctx context.Context, install string, dirs []string, _ *manifest.Hasher) (*manifest.Manifest, error) {
	p, err := n.part(ctx, psscript.PartManifest)
	if err != nil {
		return nil, err
	}
	if p.Err != nil {
		return nil, fmt.Errorf("hashing the data folders on the node: %w", p.Err)
	}
	m, err := manifest.Parse(p.Data, install)
	if err != nil {
		return nil, fmt.Errorf("manifest from the node: %w", err)
	}
	// A folder the collector was not asked to hash would look empty, and
	// an empty folder passes: refuse rather than judge it.
	var missing []string
	for _, d := range dirs {
		if !slices.ContainsFunc(n.params.DataDirs, func(h string) bool { return samePath(h, d) }) {
			missing = append(missing, d)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("the collector did not hash %s (it was asked for %s)", strings.Join(missing, ", "), strings.Join(n.params.DataDirs, ", "))
	}
	return manifest.Filter(m, dirs), nil
}

// OpenFile reads a whole file of the node (the read script prints it as
// base64) and returns it as a stream.
func (n *Node) OpenFile(ctx context.Context, winPath string) (io.ReadCloser, error) {
	out, err := n.exec(ctx, psscript.ReadFileCommand(winPath), nil)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", winPath, err)
	}
	data, err := decodeLines(out)
	if err != nil {
		return nil, fmt.Errorf("read %s: damaged in transit: %w", winPath, err)
	}
	return io.NopCloser(bytes.NewReader(data)), nil
}

// WriteFile replaces the file at winPath with r's bytes through the write
// script, which checks their SHA-256 and renames a temporary file over
// the original.
func (n *Node) WriteFile(ctx context.Context, winPath string, r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("write %s: %w", winPath, err)
	}
	sum := sha256.Sum256(data)
	var in bytes.Buffer
	for len(data) > 0 {
		k := min(len(data), 57000) // 76,000 base64 characters a line
		in.WriteString(base64.StdEncoding.EncodeToString(data[:k]))
		in.WriteString("\r\n")
		data = data[k:]
	}
	defer n.changed()
	if _, err := n.exec(ctx, psscript.WriteFileCommand(winPath, hex.EncodeToString(sum[:])), &in); err != nil {
		return fmt.Errorf("write %s: %w", winPath, err)
	}
	return nil
}

// RemoveFile deletes a file of the node; a missing one is not an error.
func (n *Node) RemoveFile(ctx context.Context, winPath string) error {
	defer n.changed()
	if _, err := n.exec(ctx, psscript.RemoveFileCommand(winPath), nil); err != nil {
		return fmt.Errorf("remove %s: %w", winPath, err)
	}
	return nil
}

// SetService sets a service's start type and/or state through the service
// script, which waits for the state within the node's timeout.
func (n *Node) SetService(ctx context.Context, name, startType, state string) error {
	cmd := psscript.SetServiceCommand(name, startType, state, n.timeout-5*time.Second)
	defer n.changed()
	if _, err := n.exec(ctx, cmd, nil); err != nil {
		return fmt.Errorf("service %s: %w", name, err)
	}
	return nil
}

// samePath compares Windows paths as Windows does.
func samePath(a, b string) bool {
	norm := func(p string) string { return strings.TrimRight(strings.ReplaceAll(p, "/", `\`), `\`) }
	return a != "" && strings.EqualFold(norm(a), norm(b))
}

// decodeLines decodes base64 printed in lines.
func decodeLines(out []byte) ([]byte, error) {
	var data bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 128<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		b, err := base64.StdEncoding.DecodeString(line)
		if err != nil {
			return nil, err
		}
		data.Write(b)
	}
	return data.Bytes(), sc.Err()
}

// limitedBuffer keeps at most max bytes and notes that more came.
type limitedBuffer struct {
	bytes.Buffer
	max  int
	over bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); len(p) > room {
		b.over = true
		b.Buffer.Write(p[:max(room, 0)])
		return len(p), nil
	}
	return b.Buffer.Write(p)
}
