// Package collect gathers the facts of a deployment — every node's
// facts.json, web.config and customer data files, and the database's
// facts — into one immutable facts.Deployment. It is the only package that
// reaches out (snapshot folders now; live transports behind the same
// Source interface).
package collect

import (
	"context"
	"errors"
	"io"

	"github.com/tmsdrift/tmsdrift/collect/psscript"
	"github.com/tmsdrift/tmsdrift/inventory"
	"github.com/tmsdrift/tmsdrift/manifest"
)

// Source is how one node's facts are read. The dir transport reads a
// snapshot folder; live transports reach the Windows server. Errors name
// what could not be read and why; they become `error` results for the
// rules that needed the value, never a crash.
type Source interface {
	// Facts returns the node's facts.json document.
	Facts(ctx context.Context) ([]byte, error)
	// ReadFile returns a file by its Windows path on the node.
	ReadFile(ctx context.Context, winPath string) ([]byte, error)
	// Data returns the customer data files under install\dir for each dir
	// (relative, Windows separators), hashing through h where the source
	// holds the files themselves.
	Data(ctx context.Context, install string, dirs []string, h *manifest.Hasher) (*manifest.Manifest, error)
	// Close releases what the source holds open.
	Close() error
}

// Opener opens one node of an inventory: its Source, which is also a
// Target when the transport can change the node. This is the one opener
// type; the command line passes transports.Open to collect, the recorder
// and the fixers alike. Nothing falls back to a default opener: a caller
// that passes none gets ErrNoOpener, never a quiet dir transport that
// would read a snapshot folder in place of a WinRM or SSH node.
type Opener func(ctx context.Context, inv *inventory.Inventory, n *inventory.Node) (Source, error)

// ErrNoOpener is the error of a call that was given no Opener: a
// mistake in the program, said loudly.
var ErrNoOpener = errors.New("no transport opener was given (pass transports.Open)")

// Target is a Source that can also change the node: what fixers write
// through. The dir transport changes the snapshot folder (facts.json for
// services); live transports change the Windows server itself.
type Target interface {
	Source
	// OpenFile streams a node file by its Windows path (customer files can
	// be large). Errors wrap fs.ErrNotExist when there is no such file.
	OpenFile(ctx context.Context, winPath string) (io.ReadCloser, error)
	// WriteFile replaces (or creates) the file at winPath with the bytes of
	// r, atomically: a temporary file in the same folder, flushed, then
	// renamed over the original, keeping the original's mode (new files:
	// 0644, folders created as needed). A failed write leaves the original
	// untouched and no temporary file behind.
	WriteFile(ctx context.Context, winPath string, r io.Reader) error
	// RemoveFile deletes a file; a missing file is not an error.
	RemoveFile(ctx context.Context, winPath string) error
	// SetService sets a service's start type (facts.StartManual, ...) and
	// brings it to state (facts.StateStopped or facts.StateRunning); an
	// empty argument leaves that part as it is.
	SetService(ctx context.Context, name, startType, state string) error
}

// Discoverer is a live node that can run `tmsdrift discover node`'s
// read-only probe (WinRM, SSH, local; a snapshot folder cannot). It
// returns the probe's JSON document (psscript.DiscoverDocument), not yet
// checked: package discover parses it.
type Discoverer interface {
	Discover(ctx context.Context, p psscript.DiscoverParams) ([]byte, error)
}
