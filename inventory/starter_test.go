package inventory

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

// TestStarters writes each model's starter into an empty folder: it loads
// with only the missing snapshot folders reported, and cleanly once they
// exist, with the roles the model calls for.
func TestStarters(t *testing.T) {
	wantRoles := map[Model][]Role{
		Single:            {Primary},
		SingleSeparateDB:  {Primary},
		SingleClusteredDB: {Primary},
		ManualCutover:     {Primary, Standby},
		NLB:               {Pool, Pool},
		Offsite:           {Primary, OffsiteStandby},
	}
	require.Len(t, wantRoles, len(Models))
	for _, m := range Models {
		t.Run(string(m), func(t *testing.T) {
			src, err := Starter(m)
			require.NoError(t, err)
			assert.Contains(t, string(src), fmt.Sprintf("%q", starters[m].Section), "names its guide section")
			assert.Contains(t, string(src), "# dsn_env: TMSDRIFT_DSN", "shows the live alternative")

			dir := t.TempDir()
			file := filepath.Join(dir, "inventory.yaml")
			require.NoError(t, os.WriteFile(file, src, 0o600))

			_, err = Load(file, Options{KnownRules: testRules})
			var ie *Error
			require.True(t, errors.As(err, &ie), "without snapshot folders: %v", err)
			require.Len(t, ie.Problems, len(wantRoles[m]), err.Error())
			for i, p := range ie.Problems {
				assert.Equal(t, fmt.Sprintf("nodes[%d].transport.path", i), p.Field)
				assert.Contains(t, p.Message, "missing snapshot folder")
				assert.Positive(t, p.Line)
			}

			for _, name := range starterNodeNames(m) {
				require.NoError(t, os.MkdirAll(filepath.Join(dir, "nodes", name), 0o755))
			}
			inv, err := Load(file, Options{KnownRules: testRules})
			require.NoError(t, err)
			assert.Equal(t, m, inv.Model)
			var roles []Role
			for _, n := range inv.Nodes {
				roles = append(roles, n.Role)
				assert.Equal(t, Transport{Kind: "dir", Path: "nodes/" + n.Name}, n.Transport)
				assert.NotEmpty(t, n.Address)
			}
			assert.Equal(t, wantRoles[m], roles)
			assert.Equal(t, "db.json", inv.Database.Snapshot)
			assert.Empty(t, inv.Database.DSNEnv)
			assert.Equal(t, m == Offsite, inv.Database.OffsiteServer != "", "offsite_server only for offsite")
			assert.Equal(t, m.MultiServer(), inv.Domain != "", "domain for multi-server models")
		})
	}
}

// starterNodeNames lists the node names of a model's starter.
func starterNodeNames(m Model) []string {
	var names []string
	for _, n := range starters[m].Nodes {
		names = append(names, n.Name)
	}
	return names
}

func TestStarterManualCutoverNodes(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"tms01", "tms02"} {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, "nodes", n), 0o755))
	}
	src, err := Starter(ManualCutover)
	require.NoError(t, err)
	inv, err := LoadBytes(filepath.Join(dir, "inventory.yaml"), src, Options{})
	require.NoError(t, err)
	require.Len(t, inv.Nodes, 2)
	assert.Equal(t, Node{Name: "tms01", Role: Primary, Address: "10.10.0.11", Transport: Transport{Kind: "dir", Path: "nodes/tms01"}}, inv.Nodes[0])
	assert.Equal(t, Node{Name: "tms02", Role: Standby, Address: "10.10.0.12", Transport: Transport{Kind: "dir", Path: "nodes/tms02"}}, inv.Nodes[1])
	assert.Equal(t, "ACME.LOCAL", inv.Domain)
	assert.Equal(t, `sql01.acme.local\TMS`, inv.Database.Server)
}

func TestStarterUnknownModel(t *testing.T) {
	_, err := Starter("cluster")
	require.EqualError(t, err, `starter inventory: unknown model "cluster" (known: single, single-separate-db, single-clustered-db, manual-cutover, nlb, offsite)`)
}
