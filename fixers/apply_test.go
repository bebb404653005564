package fixers

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/collect"
	"github.com/tmsdrift/tmsdrift/collect/transports"
	"github.com/tmsdrift/tmsdrift/inventory"
)

const (
	webConfig = "fs/C/Program Files/TANDBERG/TMS/wwwTMS/web.config"
	reminder  = "fs/C/Program Files/TANDBERG/TMS/wwwTMS/Data/CompanyLogo/acme-logo.png" // a folder TMS 15's profile compares
)

// twoBrokenNodes is the post-upgrade lab where tms02 and tms03 both lost
// their machineKey and a customer file: each node needs two writes.
func twoBrokenNodes(t *testing.T) (dir, inv string) {
	t.Helper()
	inv = copyLab(t, "post-upgrade")
	dir = filepath.Dir(inv)
	stripped, err := os.ReadFile(filepath.Join(dir, "nodes/tms02", webConfig))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "nodes/tms03", webConfig), stripped, 0o644))
	for _, n := range []string{"tms02", "tms03"} {
		require.NoError(t, os.Remove(filepath.Join(dir, "nodes", n, reminder)))
	}
	return dir, inv
}

// faultyOpen opens nodes with the dir transport; node's WriteFile calls
// numbered in failOn (1-based, counted over the run) fail half-way through
// the content, as a dropped connection would.
func faultyOpen(node string, failOn ...int) collect.Opener {
	var mu sync.Mutex
	calls := 0
	return func(ctx context.Context, inv *inventory.Inventory, n *inventory.Node) (collect.Source, error) {
		src, err := transports.Open(ctx, inv, n)
		if err != nil || !strings.EqualFold(n.Name, node) {
			return src, err
		}
		return &faultyTarget{Target: src.(collect.Target), fail: func() bool {
			mu.Lock()
			defer mu.Unlock()
			calls++
			return slices.Contains(failOn, calls)
		}}, nil
	}
}

type faultyTarget struct {
	collect.Target
	fail func() bool
}

func (f *faultyTarget) WriteFile(ctx context.Context, path string, r io.Reader) error {
	if f.fail() {
		r = &cutReader{r: r, n: 16}
	}
	return f.Target.WriteFile(ctx, path, r)
}

// cutReader passes n bytes, then fails.
type cutReader struct {
	r io.Reader
	n int
}

func (c *cutReader) Read(p []byte) (int, error) {
	if c.n <= 0 {
		return 0, errors.New("connection reset by peer")
	}
	if len(p) > c.n {
		p = p[:c.n]
	}
	n, err := c.r.Read(p)
	c.n -= n
	return n, err
}

// noTemporaryFiles asserts that no write left a temporary file behind.
func noTemporaryFiles(t *testing.T, tree map[string]string) {
	t.Helper()
	for rel := range tree {
		assert.NotContains(t, rel, ".tmsdrift-", "temporary file left behind")
	}
}

func TestWriteErrorOnTheSecondNodeLeavesItAsItWas(t *testing.T) {
	dir, inv := twoBrokenNodes(t)
	orig := readTree(t, dir)
	before := audit(t, inv)
	p := plan(t, before, Options{})
	runs := t.TempDir()
	out := apply(t, before, p, runs, faultyOpen("tms03", 2))

	byNode := map[string]NodeOutcome{}
	for _, n := range out.Nodes {
		byNode[n.Node] = n
	}
	require.Len(t, byNode, 3)
	assert.Equal(t, Fixed, byNode["tms02"].Status, byNode["tms02"].Error)
	assert.Equal(t, Fixed, byNode[""].Status, byNode[""].Error)
	got := byNode["tms03"]
	assert.Equal(t, Reverted, got.Status)
	assert.Contains(t, got.Error, "connection reset by peer")
	assert.Contains(t, got.Error, "put back")
	require.Len(t, got.Changes, 2)
	assert.Equal(t, Restored, got.Changes[0].Status, "the web.config written first was put back")
	assert.Equal(t, Failed, got.Changes[1].Status)

	now := readTree(t, dir)
	noTemporaryFiles(t, now)
	for rel, data := range orig {
		if strings.HasPrefix(rel, "nodes/tms03/") {
			assert.Truef(t, data == now[rel], "%s changed on the node that failed", rel)
		}
	}
	_, hasReminder := now["nodes/tms03/"+reminder]
	assert.False(t, hasReminder, "no half-written file")
	assert.Equal(t, orig["pre-upgrade/web.config"], now["nodes/tms02/"+webConfig], "tms02 is fully fixed")

	var text strings.Builder
	require.NoError(t, WriteText(&text, &Document{Command: "fix", Applied: true, Plan: p, Outcome: out}, 1000)) // one line per node
	assert.Regexp(t, `tms03\s+reverted\s+2 changes: .*connection reset by peer`, text.String(), "the report says which node is as it was")
	assert.Regexp(t, `tms02\s+fixed\s+2 changes`, text.String())

	after := audit(t, inv)
	assert.Equal(t, checks.Pass, status(after.results, "machinekey.present", "tms02"))
	assert.Equal(t, checks.Fail, status(after.results, "machinekey.present", "tms03"))

	// The run's manifest says the same, and a rollback of the run puts
	// back what was applied: everything as it was.
	_, _, err := Rollback(testContext(t), RollbackRequest{Open: transports.Open, RunsDir: runs, Run: "last", Inventory: after.inv, Settings: store(after.inv)})
	require.NoError(t, err)
	assertSameTree(t, orig, readTree(t, dir))
}

func TestFailureWhilePuttingBackIsReportedAsPartial(t *testing.T) {
	dir, inv := twoBrokenNodes(t)
	orig := readTree(t, dir)
	before := audit(t, inv)
	p := plan(t, before, Options{Nodes: []string{"tms03"}})
	runs := t.TempDir()
	// The second write fails, and so does the third: putting the
	// web.config back.
	out := apply(t, before, p, runs, faultyOpen("tms03", 2, 3))
	require.Len(t, out.Nodes, 1)
	n := out.Nodes[0]
	assert.Equal(t, Partial, n.Status)
	assert.Contains(t, n.Error, "not put back")
	assert.Equal(t, NotRestored, n.Changes[0].Status)
	noTemporaryFiles(t, readTree(t, dir))

	// The backups are in the run folder: a rollback finishes the job.
	after := audit(t, inv)
	rb, _, err := Rollback(testContext(t), RollbackRequest{Open: transports.Open, RunsDir: runs, Run: "last", Inventory: after.inv, Settings: store(after.inv)})
	require.NoError(t, err)
	assert.True(t, rb.Complete())
	assertSameTree(t, orig, readTree(t, dir))
}

func TestChangedSinceThePlanIsLeftAlone(t *testing.T) {
	dir, inv := twoBrokenNodes(t)
	before := audit(t, inv)
	p := plan(t, before, Options{})
	// Someone edits tms03's web.config between plan and apply.
	wc := filepath.Join(dir, "nodes/tms03", webConfig)
	edited := append(must(os.ReadFile(wc)), "<!-- edited by hand -->\r\n"...)
	require.NoError(t, os.WriteFile(wc, edited, 0o644))
	tms03 := readTree(t, filepath.Join(dir, "nodes/tms03"))

	out := apply(t, before, p, "", nil)
	for _, n := range out.Nodes {
		if n.Node == "tms03" {
			assert.Equal(t, Unchanged, n.Status)
			assert.Contains(t, n.Error, "changed since the plan")
			assert.Contains(t, n.Error, "nothing was changed")
			for _, c := range n.Changes {
				assert.Equal(t, NotAttempted, c.Status)
			}
		} else {
			assert.Equalf(t, Fixed, n.Status, "%s: %s", n.Node, n.Error)
		}
	}
	assertSameTree(t, tms03, readTree(t, filepath.Join(dir, "nodes/tms03")))
}

func TestNotWellFormedWebConfigIsNeverRewritten(t *testing.T) {
	inv := copyLab(t, "broken-snapshot")
	dir := filepath.Dir(inv)
	orig := readTree(t, filepath.Join(dir, "nodes/tms04"))
	a := audit(t, inv)
	assert.Equal(t, checks.Error, status(a.results, "machinekey.present", "tms04"))
	p := plan(t, a, Options{})
	for _, c := range p.Changes {
		assert.NotEqual(t, "tms04", c.Node, "no change planned on a node whose web.config is not well-formed: %s", c.Summary)
	}
	apply(t, a, p, "", nil)
	assertSameTree(t, orig, readTree(t, filepath.Join(dir, "nodes/tms04")))
}

func TestConflictingChangesAreRefused(t *testing.T) {
	a := Change{Node: "tms02", Summary: "one", Rules: []string{"machinekey.match"},
		Op: &FileOp{Path: `C:\TMS\web.config`}}
	b := Change{Node: "TMS02", Summary: "two", Rules: []string{"data.synced"},
		Op: &FileOp{Path: `c:/tms/WEB.CONFIG`}}
	err := checkConflicts([]Change{a, b})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "conflicting changes")
	assert.Contains(t, err.Error(), "machinekey.match")
	assert.Contains(t, err.Error(), "data.synced")

	other := b
	other.Node = "tms03"
	assert.NoError(t, checkConflicts([]Change{a, other}), "the same path on two nodes is two things")
	s1 := Change{Node: "tms02", Op: &ServiceOp{Name: "W3SVC"}}
	s2 := Change{Node: "tms02", Op: &ServiceOp{Name: "w3svc"}}
	assert.Error(t, checkConflicts([]Change{s1, s2}))
	d1 := Change{Op: &SettingsOp{Store: "db.json"}}
	assert.Error(t, checkConflicts([]Change{d1, d1}))
}

func TestOnlyAndNodeNarrowThePlan(t *testing.T) {
	_, inv := twoBrokenNodes(t)
	a := audit(t, inv)
	all := plan(t, a, Options{})
	assert.Len(t, all.Changes, 5, "2 on tms02, 2 on tms03, the database")

	only := plan(t, a, Options{Only: []string{"data.synced"}})
	require.Len(t, only.Changes, 2)
	for _, c := range only.Changes {
		assert.Equal(t, []string{"data.synced"}, c.Rules)
	}
	node := plan(t, a, Options{Nodes: []string{"TMS03"}})
	require.Len(t, node.Changes, 2)
	for _, c := range node.Changes {
		assert.Equal(t, "tms03", c.Node, "no database change with --node")
	}
}

func TestRulesNoToolFixesAreManual(t *testing.T) {
	a := audit(t, copyLab(t, "clock"))
	p := plan(t, a, Options{})
	assert.Empty(t, p.Changes)
	require.NotEmpty(t, p.Manual)
	for _, m := range p.Manual {
		assert.Equal(t, "time.synced", m.Rule)
		assert.Equal(t, checks.Lookup("time.synced").Remediation, m.Remediation)
	}
}

func TestServicesNotInstalledAreSkippedSayingSo(t *testing.T) {
	dir := copyTree(t, filepath.Join("testdata", "services-active-running", "in"))
	facts := filepath.Join(dir, "nodes/tms01/facts.json")
	raw := string(must(os.ReadFile(facts)))
	raw = strings.Replace(raw, `"name": "W3SVC"`, `"name": "Spooler"`, 1)
	require.NoError(t, os.WriteFile(facts, []byte(raw), 0o644))
	p := plan(t, audit(t, filepath.Join(dir, "inventory.yaml")), Options{})
	require.Len(t, p.Skipped, 1)
	assert.Contains(t, p.Skipped[0].Reason, "W3SVC (IIS) is not installed")
	assert.Len(t, p.Changes, 1, "the stopped TMS service is still started")
}

func TestApprovedKeyUnavailableIsSkipped(t *testing.T) {
	dir, inv := twoBrokenNodes(t)
	require.NoError(t, os.Remove(filepath.Join(dir, "keys/machinekey.xml")))
	p := plan(t, audit(t, inv), Options{Only: []string{"machinekey.present"}})
	assert.Empty(t, p.Changes)
	require.NotEmpty(t, p.Skipped)
	assert.Contains(t, p.Skipped[0].Reason, "approved key")
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
