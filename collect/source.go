// Package collect gathers the facts of a deployment — every node's
// facts.json, web.config and customer data files, and the database's
// facts — into one immutable facts.Deployment. It is the only package that
// reaches out (snapshot folders now; live transports behind the same
// Source interface).
package collect

import (
	"context"

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
