package runbooks

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/collect"
	"github.com/tmsdrift/tmsdrift/collect/transports"
	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/inventory"
)

// observedAt is the labs' database clock.
var observedAt = time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)

// audit loads a lab (or a copy of one) and audits it as the command line
// does.
func audit(t *testing.T, file string) (*facts.Deployment, []checks.Result) {
	t.Helper()
	inv, err := inventory.Load(file, inventory.Options{KnownRules: checks.IDs()})
	require.NoError(t, err)
	d, err := collect.Gather(context.Background(), inv, collect.Options{Now: observedAt, Open: transports.Open})
	require.NoError(t, err)
	return d, checks.Evaluate(d)
}

// lab is the inventory of a lab, read where it is.
func lab(name string) string {
	return filepath.Join("..", "fixtures", "labs", name, "inventory.yaml")
}

// labCopy copies a lab to a temporary folder (to change it) and returns
// its inventory there.
func labCopy(t *testing.T, name string) string {
	t.Helper()
	src := filepath.Join("..", "fixtures", "labs", name)
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		out := filepath.Join(dst, rel)
		if e.IsDir() {
			return os.MkdirAll(out, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(out, b, 0o644)
	})
	require.NoError(t, err)
	return filepath.Join(dst, "inventory.yaml")
}

// otherDB reads the inventory's off-site database snapshot.
func otherDB(t *testing.T, d *facts.Deployment) facts.DB {
	t.Helper()
	p := d.Inventory.Resolve(d.Inventory.Database.OffsiteSnapshot)
	raw, err := os.ReadFile(p)
	require.NoError(t, err)
	f, err := facts.ParseDB(raw)
	require.NoError(t, err)
	return facts.DB{Facts: f, From: d.Inventory.Database.OffsiteSnapshot}
}

// ids lists the IDs of a runbook's steps.
func ids(rb *Runbook) []string {
	var out []string
	for _, s := range rb.Steps {
		out = append(out, s.ID)
	}
	return out
}

// step returns the step with id.
func step(t *testing.T, rb *Runbook, id string) *Step {
	t.Helper()
	for i := range rb.Steps {
		if rb.Steps[i].ID == id {
			return &rb.Steps[i]
		}
	}
	t.Fatalf("no step %s in %v", id, ids(rb))
	return nil
}

// checks names the preflight findings' checks.
func findingChecks(rb *Runbook) []string {
	var out []string
	for _, f := range rb.Preflight {
		out = append(out, f.Check)
	}
	return out
}
