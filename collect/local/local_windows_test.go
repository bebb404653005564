//go:build windows

package local

// These tests run the Windows build for real: on Windows, or on Linux under
// Wine with `make test-windows` (fixtures/wine/exec.sh). They change the
// machine (a test service, registry keys under the TMS key) and undo it.

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/windows/registry"
	"golang.org/x/sys/windows/svc/mgr"

	"github.com/tmsdrift/tmsdrift/collect/psscript"
	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/inventory"
	"github.com/tmsdrift/tmsdrift/manifest"
)

const testService = "TMSDriftTestService"

// installTestService creates a stopped, Manual service whose name starts
// with TMS, so the collector lists it; removed when the test ends.
func installTestService(t *testing.T) {
	t.Helper()
	m, err := mgr.Connect()
	require.NoError(t, err)
	defer m.Disconnect()
	exe := filepath.Join(os.Getenv("windir"), "system32", "notepad.exe")
	s, err := m.CreateService(testService, exe, mgr.Config{StartType: mgr.StartManual, DisplayName: "tmsdrift test service"})
	require.NoError(t, err)
	s.Close()
	t.Cleanup(func() {
		m, err := mgr.Connect()
		if err != nil {
			return
		}
		defer m.Disconnect()
		if s, err := m.OpenService(testService); err == nil {
			_ = s.Delete()
			s.Close()
		}
	})
}

func findService(list []facts.Service, name string) *facts.Service {
	for i := range list {
		if strings.EqualFold(list[i].Name, name) {
			return &list[i]
		}
	}
	return nil
}

// TestServicesListsTheSystemsServices: the SCM opened read-only lists every
// Win32 service with a start type and state facts.json accepts.
func TestServicesListsTheSystemsServices(t *testing.T) {
	all, err := Services(func(string) bool { return true })
	require.NoError(t, err)
	require.NotEmpty(t, all)
	raw, err := json.Marshal(facts.NodeFacts{Schema: facts.NodeSchema, Services: all})
	require.NoError(t, err)
	_, err = facts.ParseNode(raw)
	require.NoError(t, err, "every start type and state is one facts.json allows")
	assert.NotNil(t, findService(all, "RpcSs"), "RpcSs is on every Windows (and Wine)")
}

// TestSetServiceChangesTheStartType reads, changes and reads back a start
// type through ChangeServiceConfig.
func TestSetServiceChangesTheStartType(t *testing.T) {
	installTestService(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	list, err := Services(IsAuditedService)
	require.NoError(t, err)
	s := findService(list, testService)
	require.NotNil(t, s, "the collector's filter (TMS*) lists the test service")
	assert.Equal(t, facts.StartManual, s.StartType)
	assert.Equal(t, facts.StateStopped, s.State)

	for _, want := range []string{facts.StartDisabled, facts.StartAutomatic, facts.StartManual} {
		require.NoError(t, SetService(ctx, testService, want, ""))
		list, err := Services(IsAuditedService)
		require.NoError(t, err)
		got := findService(list, testService)
		require.NotNil(t, got)
		assert.Equal(t, want, got.StartType)
	}
	err = SetService(ctx, "TMSNoSuchService", facts.StartManual, "")
	assert.ErrorIs(t, err, os.ErrNotExist)
}

// TestInstallInfoTriesTheInventorysNames: a TMS that keeps its
// connection under value names tmsdrift does not guess is read through
// the inventory's registry block (what discover node found).
func TestInstallInfoTriesTheInventorysNames(t *testing.T) {
	const key = `SOFTWARE\WOW6432Node\Tandberg\tmsdrift-test-TMS`
	k, _, err := registry.CreateKey(registry.LOCAL_MACHINE, key, registry.ALL_ACCESS)
	require.NoError(t, err)
	require.NoError(t, k.SetStringValue("SqlServerInstanceName", `sql01.acme.local\TMS`))
	require.NoError(t, k.SetStringValue("SqlDatabaseName", "tmsng"))
	k.Close()
	t.Cleanup(func() { _ = registry.DeleteKey(registry.LOCAL_MACHINE, key) })

	got := installInfo(`D:\nowhere`, psscript.RegistryFor(inventory.Registry{})).TMSFacts()
	if got != nil {
		assert.Empty(t, got.DBServer, "the guesses do not find it")
	}
	got = installInfo(`D:\nowhere`, psscript.RegistryFor(inventory.Registry{Key: `HKLM\` + key, DBServer: "SqlServerInstanceName", DBName: "SqlDatabaseName"})).TMSFacts()
	require.NotNil(t, got)
	assert.Equal(t, `sql01.acme.local\TMS`, got.DBServer)
	assert.Equal(t, "tmsng", got.DBName)
}

// TestInstallInfoReadsTheRegistry: the uninstall entry and the TMS key
// give the tms block of facts.json.
func TestInstallInfoReadsTheRegistry(t *testing.T) {
	tmsKey := TMSKeys[0]
	uninstall := UninstallKeys[0] + `\tmsdrift-test-tms`
	for path, values := range map[string]map[string]string{
		tmsKey:    {"DatabaseServer": `sql01.acme.local\TMS`, "DatabaseName": "tmsng"},
		uninstall: {"DisplayName": "Cisco TelePresence Management Suite", "DisplayVersion": "15.13.2", "InstallLocation": `C:\Program Files\TANDBERG\TMS\`},
	} {
		k, _, err := registry.CreateKey(registry.LOCAL_MACHINE, path, registry.ALL_ACCESS)
		require.NoError(t, err)
		for name, v := range values {
			require.NoError(t, k.SetStringValue(name, v))
		}
		k.Close()
		t.Cleanup(func() { _ = registry.DeleteKey(registry.LOCAL_MACHINE, path) })
	}
	got := installInfo(`D:\nowhere`, psscript.RegistryFor(inventory.Registry{})).TMSFacts()
	require.NotNil(t, got)
	assert.Equal(t, facts.TMSFacts{
		Version:     "15.13.2",
		InstallPath: `C:\Program Files\TANDBERG\TMS`,
		WebRoot:     `C:\Program Files\TANDBERG\TMS\wwwTMS`,
		SoftwareDir: `C:\Program Files\TANDBERG\TMS\wwwTMS\Data\Software`,
		DBServer:    `sql01.acme.local\TMS`,
		DBName:      "tmsng",
	}, *got)
}

// TestBuildFacts gathers this machine's facts.json as the local transport
// does, round trips to a SQL Server stand-in included.
func TestBuildFacts(t *testing.T) {
	installTestService(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	inv := &inventory.Inventory{Model: inventory.Single, Database: inventory.Database{Server: ln.Addr().String()}}
	inv.Database.Server = strings.Replace(inv.Database.Server, ":", ",", 1)
	inv.ApplyDefaults()
	n, err := Open(inv, &inventory.Node{Name: "me", Transport: inventory.Transport{Kind: "local"}})
	require.NoError(t, err)
	defer n.Close()
	raw, err := n.Facts(context.Background())
	require.NoError(t, err)
	f, err := facts.ParseNode(raw)
	require.NoError(t, err)
	host, _ := os.Hostname()
	assert.True(t, strings.EqualFold(f.Hostname, host), "hostname %q, os.Hostname %q", f.Hostname, host)
	require.NotNil(t, f.PartOfDomain)
	assert.NotNil(t, findService(f.Services, testService))
	assert.Nil(t, findService(f.Services, "RpcSs"), "only TMS* and W3SVC are listed")
	assert.Len(t, f.DBRTTMS, RTTSamples)
	require.NotNil(t, f.Time)
	assert.NotEmpty(t, f.Time.Source)
}

// TestFiles writes, reads, hashes and removes files through the node.
func TestFiles(t *testing.T) {
	inv := &inventory.Inventory{Model: inventory.ManualCutover}
	inv.ApplyDefaults()
	n, err := Open(inv, &inventory.Node{Name: "me", Transport: inventory.Transport{Kind: "local"}})
	require.NoError(t, err)
	ctx := context.Background()
	// Not t.TempDir: under Wine os.RemoveAll of a folder fails ("Invalid
	// function"), which would fail the test for Wine's sake.
	install, err := os.MkdirTemp("", "tmsdrift-local-")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(install) })
	p := filepath.Join(install, `wwwTMS\Data\Logo\logo.png`)
	require.NoError(t, n.WriteFile(ctx, p, strings.NewReader("first")))
	require.NoError(t, n.WriteFile(ctx, p, strings.NewReader("second")))
	got, err := n.ReadFile(ctx, p)
	require.NoError(t, err)
	assert.Equal(t, "second", string(got))
	rc, err := n.OpenFile(ctx, p)
	require.NoError(t, err)
	streamed, err := io.ReadAll(rc)
	rc.Close()
	require.NoError(t, err)
	assert.Equal(t, "second", string(streamed))
	entries, err := os.ReadDir(filepath.Dir(p))
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file left behind")

	m, err := n.Data(ctx, install, []string{`wwwTMS\Data\Logo`, `wwwTMS\Data\Map`}, manifest.NewHasher(manifest.HasherOptions{}))
	require.NoError(t, err)
	require.Equal(t, 1, m.Len())
	assert.Equal(t, `wwwTMS\Data\Logo\logo.png`, m.List()[0].Rel)

	require.NoError(t, n.RemoveFile(ctx, p))
	require.NoError(t, n.RemoveFile(ctx, p), "removing a missing file is not an error")
	_, err = n.ReadFile(ctx, p)
	assert.ErrorIs(t, err, os.ErrNotExist)
}
