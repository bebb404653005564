package transports_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/collect"
	"github.com/tmsdrift/tmsdrift/collect/transports"
	"github.com/tmsdrift/tmsdrift/fixtures"
	"github.com/tmsdrift/tmsdrift/inventory"
)

// TestEveryInventoryKindIsRegistered keeps the registry in step with the
// kinds the inventory accepts.
func TestEveryInventoryKindIsRegistered(t *testing.T) {
	assert.ElementsMatch(t, inventory.TransportKinds, transports.Kinds())
}

// TestOpenDirReadsAndWrites: the dir transport opens as a Target.
func TestOpenDirReadsAndWrites(t *testing.T) {
	inv := &inventory.Inventory{File: filepath.Join(fixtures.LabsDir(), "single", "inventory.yaml")}
	n := &inventory.Node{Name: "tms01", Transport: inventory.Transport{Kind: "dir", Path: "nodes/tms01"}}
	src, err := transports.Open(context.Background(), inv, n)
	require.NoError(t, err)
	defer src.Close()
	_, ok := src.(collect.Target)
	assert.True(t, ok)
	raw, err := src.Facts(context.Background())
	require.NoError(t, err)
	assert.Contains(t, string(raw), "tmsdrift/facts/v1")
}

// TestMissingCredentialsNameTheVariable: the error names the variable and
// the inventory key, and no connection is attempted.
func TestMissingCredentialsNameTheVariable(t *testing.T) {
	t.Setenv("TMSDRIFT_T_USER", "")
	inv := &inventory.Inventory{File: "inventory.yaml"}
	for _, kind := range []string{"winrm", "ssh"} {
		n := &inventory.Node{Name: "tms01", Transport: inventory.Transport{Kind: kind, Host: "192.0.2.1", UserEnv: "TMSDRIFT_T_USER"}}
		_, err := transports.Open(context.Background(), inv, n)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "environment variable TMSDRIFT_T_USER (transport.user_env) is not set")
	}
	t.Setenv("TMSDRIFT_T_USER", "auditor")
	n := &inventory.Node{Name: "tms01", Transport: inventory.Transport{Kind: "winrm", Host: "192.0.2.1", UserEnv: "TMSDRIFT_T_USER", PasswordEnv: "TMSDRIFT_T_UNSET"}}
	_, err := transports.Open(context.Background(), inv, n)
	assert.ErrorContains(t, err, "TMSDRIFT_T_UNSET (transport.password_env) is not set")
}

// TestOpenDoesNotConnect: opening a live node only prepares the client;
// the first read connects (so an unreachable node costs nothing here).
func TestOpenDoesNotConnect(t *testing.T) {
	t.Setenv("TMSDRIFT_T_USER", "auditor")
	t.Setenv("TMSDRIFT_T_PASSWORD", "pw")
	dir := t.TempDir()
	kh := filepath.Join(dir, "known_hosts")
	require.NoError(t, os.WriteFile(kh, nil, 0o644))
	inv := &inventory.Inventory{File: filepath.Join(dir, "inventory.yaml")}
	for _, tr := range []inventory.Transport{
		{Kind: "winrm", Host: "192.0.2.1", UserEnv: "TMSDRIFT_T_USER", PasswordEnv: "TMSDRIFT_T_PASSWORD"},
		{Kind: "ssh", Host: "192.0.2.1", UserEnv: "TMSDRIFT_T_USER", PasswordEnv: "TMSDRIFT_T_PASSWORD", KnownHosts: "known_hosts"},
	} {
		src, err := transports.Open(context.Background(), inv, &inventory.Node{Name: "tms01", Transport: tr})
		require.NoError(t, err, tr.Kind)
		_, ok := src.(collect.Target)
		assert.True(t, ok, tr.Kind)
		require.NoError(t, src.Close())
	}
}

func TestUnknownKind(t *testing.T) {
	_, err := transports.Open(context.Background(), &inventory.Inventory{}, &inventory.Node{Transport: inventory.Transport{Kind: "telnet"}})
	assert.ErrorContains(t, err, `transport "telnet" is not available`)
}
