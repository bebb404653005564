package collect

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/fixtures"
	"github.com/tmsdrift/tmsdrift/inventory"
)

func loadLab(t *testing.T, name string) *inventory.Inventory {
	t.Helper()
	inv, err := inventory.Load(filepath.Join(fixtures.LabsDir(), name, "inventory.yaml"), inventory.Options{KnownRules: checks.IDs()})
	require.NoError(t, err)
	return inv
}

func TestGatherReadsEveryPart(t *testing.T) {
	d, err := Gather(context.Background(), loadLab(t, "manual-cutover"), Options{Open: openDir})
	require.NoError(t, err)
	require.Len(t, d.Nodes, 3)
	for _, n := range d.Nodes {
		assert.NoError(t, n.FactsErr, n.Spec.Name)
		assert.NoError(t, n.WebConfigErr, n.Spec.Name)
		assert.NoError(t, n.DataErr, n.Spec.Name)
		require.NotNil(t, n.WebConfig)
		assert.NotNil(t, n.WebConfig.Key)
		assert.NotZero(t, n.Data.Len(), "customer files hashed")
	}
	require.NoError(t, d.DB.Err)
	assert.NotNil(t, d.DB.Facts)
	require.NoError(t, d.ApprovedKeyErr)
	assert.Equal(t, "keys/machinekey.xml", d.ApprovedKeyFrom)
}

// An unreachable node gives errors for that node only; nothing crashes and
// the other nodes are read as usual.
func TestUnreachableNodeIsAnErrorNotACrash(t *testing.T) {
	inv := loadLab(t, "manual-cutover")
	down := errors.New("dial tcp 10.10.0.12:5986: connect: connection refused")
	d, err := Gather(context.Background(), inv, Options{
		Open: func(ctx context.Context, inv *inventory.Inventory, n *inventory.Node) (Source, error) {
			if n.Name == "tms02" {
				return nil, down
			}
			return openDir(ctx, inv, n)
		},
	})
	require.NoError(t, err)
	bad := d.NodeByName("tms02")
	for _, e := range []error{bad.FactsErr, bad.WebConfigErr, bad.DataErr} {
		assert.ErrorIs(t, e, down)
		assert.Contains(t, e.Error(), "node unreachable")
	}
	assert.NoError(t, d.NodeByName("tms01").FactsErr)

	for _, r := range checks.Evaluate(d) {
		if r.Node == "tms02" {
			assert.Equalf(t, checks.Error, r.Status, "%s on the unreachable node", r.Rule)
		}
	}
}

func TestLiveTransportsAreErrorsUntilAvailable(t *testing.T) {
	inv := loadLab(t, "manual-cutover")
	inv.Nodes[1].Transport = inventory.Transport{Kind: "winrm", Host: "tms02.acme.local"}
	d, err := Gather(context.Background(), inv, Options{Open: openDir})
	require.NoError(t, err)
	assert.ErrorContains(t, d.NodeByName("tms02").FactsErr, `transport "winrm"`)
}

func TestMissingDBSnapshotIsAnError(t *testing.T) {
	inv := loadLab(t, "manual-cutover")
	inv.Database.Snapshot = "no-such-db.json"
	d, err := Gather(context.Background(), inv, Options{Open: openDir})
	require.NoError(t, err)
	require.Error(t, d.DB.Err)
	assert.Contains(t, d.DB.Err.Error(), "no-such-db.json")
	assert.Nil(t, d.DB.Facts)
}

func TestGatherStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Gather(ctx, loadLab(t, "manual-cutover"), Options{Open: openDir})
	assert.ErrorIs(t, err, context.Canceled)
}

// openDir is the dir transport as an Opener (transports.Open cannot be
// imported here: it imports this package).
func openDir(_ context.Context, inv *inventory.Inventory, n *inventory.Node) (Source, error) {
	if n.Transport.Kind != "dir" {
		return nil, fmt.Errorf("transport %q: the test opener reads only dir", n.Transport.Kind)
	}
	return OpenDir(inv.Resolve(n.Transport.Path))
}

// Issue 8: Gather without an Opener fell back to the dir transport, which
// reads a snapshot folder where a WinRM or SSH node was meant. Now it
// fails, loudly, before reading anything.
func TestGatherWithoutOpenerFails(t *testing.T) {
	d, err := Gather(context.Background(), loadLab(t, "manual-cutover"), Options{})
	require.ErrorIs(t, err, ErrNoOpener)
	assert.Nil(t, d)
	assert.Contains(t, err.Error(), "transports.Open")
}
