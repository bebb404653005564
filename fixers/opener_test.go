package fixers

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/collect"
	"github.com/tmsdrift/tmsdrift/fixtures"
)

// Issue 8: Build, Apply and Rollback without an opener fell back to the
// dir transport, which breaks WinRM/SSH nodes silently. Each now refuses,
// before changing anything.
func TestNoOpenerFailsLoudly(t *testing.T) {
	a := audit(t, filepath.Join(fixtures.LabsDir(), "post-upgrade", "inventory.yaml"))
	_, err := Build(testContext(t), a.d, a.results, Options{Settings: store(a.inv)})
	require.ErrorIs(t, err, collect.ErrNoOpener)
	p := plan(t, a, Options{})
	require.NotEmpty(t, p.Changes)
	_, err = Apply(testContext(t), p, Env{Inventory: a.inv, Settings: store(a.inv)})
	require.ErrorIs(t, err, collect.ErrNoOpener)
	_, _, err = Rollback(testContext(t), RollbackRequest{RunsDir: t.TempDir(), Run: "last", Inventory: a.inv, Settings: store(a.inv)})
	require.ErrorIs(t, err, collect.ErrNoOpener)
}
