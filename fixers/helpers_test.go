package fixers

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/collect"
	"github.com/tmsdrift/tmsdrift/collect/transports"
	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/fixtures"
	"github.com/tmsdrift/tmsdrift/inventory"
)

// testTimeout bounds every test context: a hang fails instead of blocking.
const testTimeout = 2 * time.Minute

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// copyTree copies src into a new temporary folder (fixtures are never
// changed by tests) and returns it.
func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	require.NoError(t, os.CopyFS(dst, os.DirFS(src)))
	return dst
}

// copyLab copies a lab deployment and returns its inventory path.
func copyLab(t *testing.T, name string) string {
	t.Helper()
	return filepath.Join(copyTree(t, filepath.Join(fixtures.LabsDir(), name)), "inventory.yaml")
}

// readTree reads every file under dir (slash paths), leaving out skip.
func readTree(t *testing.T, dir string, skip ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		for _, s := range skip {
			if rel == s || strings.HasPrefix(rel, s+"/") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
		}
		if d.IsDir() {
			return nil
		}
		data, err := os.ReadFile(p)
		out[rel] = string(data)
		return err
	}))
	return out
}

// assertSameTree compares two folders file by file, byte for byte.
func assertSameTree(t *testing.T, want, got map[string]string) {
	t.Helper()
	for rel, w := range want {
		g, ok := got[rel]
		if !assert.Truef(t, ok, "%s is missing", rel) {
			continue
		}
		assert.Truef(t, w == g, "%s differs", rel)
	}
	for rel := range got {
		_, ok := want[rel]
		assert.Falsef(t, !ok, "%s should not exist", rel)
	}
}

// audited is one audit of a deployment.
type audited struct {
	inv     *inventory.Inventory
	d       *facts.Deployment
	results []checks.Result
}

// audit gathers and evaluates the deployment of an inventory, as the
// command line does.
func audit(t *testing.T, invPath string) audited {
	t.Helper()
	inv, err := inventory.Load(invPath, inventory.Options{KnownRules: checks.IDs()})
	require.NoError(t, err)
	d, err := collect.Gather(testContext(t), inv, collect.Options{Open: transports.Open})
	require.NoError(t, err)
	return audited{inv: inv, d: d, results: checks.Evaluate(d)}
}

// status returns the status of rule on node in results ("" if none).
func status(results []checks.Result, rule, node string) checks.Status {
	for _, r := range results {
		if r.Rule == rule && r.Node == node {
			return r.Status
		}
	}
	return ""
}

// store is the snapshot settings store of a snapshot inventory.
func store(inv *inventory.Inventory) SettingsStore {
	return NewSnapshotStore(inv.Resolve(inv.Database.Snapshot), inv.Database.Snapshot)
}

// plan builds the plan for an audit with opts (the snapshot store filled
// in).
func plan(t *testing.T, a audited, opts Options) *Plan {
	t.Helper()
	if opts.Settings == nil {
		opts.Settings = store(a.inv)
	}
	if opts.Open == nil {
		opts.Open = transports.Open
	}
	p, err := Build(testContext(t), a.d, a.results, opts)
	require.NoError(t, err)
	return p
}

// apply applies p with a run folder under runs (created when empty).
func apply(t *testing.T, a audited, p *Plan, runs string, open collect.Opener) *Outcome {
	t.Helper()
	if open == nil {
		open = transports.Open
	}
	if runs == "" {
		runs = t.TempDir()
	}
	j, err := NewJournal(runs, RunManifest{Command: "fix", Deployment: a.inv.Deployment, Inventory: a.inv.File})
	require.NoError(t, err)
	t.Cleanup(func() { j.Close() })
	out, err := Apply(testContext(t), p, Env{Inventory: a.inv, Open: open, Settings: store(a.inv), Journal: j})
	require.NoError(t, err)
	return out
}

// fixCase runs one testdata case: fixing in/ with opts must give out/,
// byte for byte; every rule the plan touched then has status want in the
// audit afterwards (pass, or fail where the case leaves something on
// purpose), and a second plan changes nothing. It returns the verdicts.
func fixCase(t *testing.T, name string, opts Options, want checks.Status) []Verdict {
	t.Helper()
	dir := copyTree(t, filepath.Join("testdata", name, "in"))
	inv := filepath.Join(dir, "inventory.yaml")
	before := audit(t, inv)
	p := plan(t, before, opts)
	require.NotEmpty(t, p.Changes, "the case has something to fix")
	out := apply(t, before, p, "", nil)
	for _, n := range out.Nodes {
		assert.Equalf(t, Fixed, n.Status, "node %q: %s", n.Node, n.Error)
	}
	assertSameTree(t, readTree(t, filepath.Join("testdata", name, "out")), readTree(t, dir))

	after := audit(t, inv)
	verdicts := Verify(p, after.results)
	require.NotEmpty(t, verdicts)
	for _, v := range verdicts {
		assert.Equalf(t, want, v.Status, "%s %s after the fix: %s", v.Rule, v.Node, v.Left)
	}
	again := plan(t, after, opts)
	assert.Empty(t, again.Changes, "a second run changes nothing")
	return verdicts
}
