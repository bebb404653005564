//go:build windows

package local

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/windows/registry"

	"github.com/tmsdrift/tmsdrift/collect"
	"github.com/tmsdrift/tmsdrift/collect/psscript"
	"github.com/tmsdrift/tmsdrift/internal/secretname"
	"github.com/tmsdrift/tmsdrift/inventory"
)

// TestDiscoverListsTheRegistryServicesAndFolders: the local transport's
// discover probe, under Wine: values under the Cisco key (a secret-looking
// one and a binary one hashed), a TMS service with its display name and
// binary path, the folders and web.config files under the install path.
func TestDiscoverListsTheRegistryServicesAndFolders(t *testing.T) {
	installTestService(t)
	const key = `SOFTWARE\Cisco\tmsdrift-test-discover`
	k, _, err := registry.CreateKey(registry.LOCAL_MACHINE, key+`\Sub`, registry.ALL_ACCESS)
	require.NoError(t, err)
	require.NoError(t, k.SetStringValue("SqlServerInstanceName", `sql01\TMS`))
	require.NoError(t, k.SetStringValue("SqlUserPassword", "Hunter2-discover"))
	require.NoError(t, k.SetBinaryValue("Blob", []byte{1, 2, 3}))
	require.NoError(t, k.SetDWordValue("LogLevel", 2))
	k.Close()
	t.Cleanup(func() {
		_ = registry.DeleteKey(registry.LOCAL_MACHINE, key+`\Sub`)
		_ = registry.DeleteKey(registry.LOCAL_MACHINE, key)
	})

	// Not t.TempDir: Wine's RemoveAll fails on nested folders ("Invalid
	// function"), which would fail the test for Wine's sake.
	install, err := os.MkdirTemp("", "tmsdrift-discover")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(install) })
	for _, d := range []string{`wwwTMS\Public\Data\SystemSoftware`, `Config\System`} {
		require.NoError(t, os.MkdirAll(filepath.Join(install, d), 0o755))
	}
	for _, f := range []string{`wwwTMS\web.config`, `wwwTMS\Public\web.config`} {
		require.NoError(t, os.WriteFile(filepath.Join(install, f), []byte("<configuration/>"), 0o644))
	}

	tgt, err := Open(&inventory.Inventory{}, &inventory.Node{Name: "here", Transport: inventory.Transport{Kind: "local"}})
	require.NoError(t, err)
	raw, err := tgt.(collect.Discoverer).Discover(context.Background(), psscript.DefaultDiscoverParams(install, install+`\wwwTMS`))
	require.NoError(t, err)
	assert.NotContains(t, string(raw), "Hunter2-discover", "the secret never leaves the probe")

	var doc psscript.DiscoverDocument
	require.NoError(t, jsonUnmarshal(raw, &doc))
	byName := map[string]psscript.RegistryValue{}
	for _, v := range doc.Registry {
		if strings.HasPrefix(v.Key, `HKLM\`+key) {
			byName[v.Name] = v
		}
	}
	assert.Equal(t, `sql01\TMS`, byName["SqlServerInstanceName"].Value)
	assert.Equal(t, `HKLM\`+key+`\Sub`, byName["SqlServerInstanceName"].Key)
	assert.Equal(t, secretname.SHA256("Hunter2-discover"), byName["SqlUserPassword"].SHA256)
	assert.Empty(t, byName["SqlUserPassword"].Value)
	assert.Equal(t, "REG_BINARY", byName["Blob"].Type)
	assert.NotEmpty(t, byName["Blob"].SHA256)
	assert.Equal(t, "2", byName["LogLevel"].Value)

	var svc *psscript.ServiceEntry
	for i := range doc.Services {
		if strings.EqualFold(doc.Services[i].Name, testService) {
			svc = &doc.Services[i]
		}
	}
	require.NotNil(t, svc, "%v", doc.Services)
	assert.Equal(t, "tmsdrift test service", svc.DisplayName)
	assert.Contains(t, strings.ToLower(svc.BinaryPath), "notepad.exe")
	assert.Equal(t, "Manual", svc.StartType)

	assert.Equal(t, install, doc.InstallPath)
	assert.Contains(t, doc.Folders, `wwwTMS\Public\Data\SystemSoftware`)
	assert.Contains(t, doc.Folders, `Config\System`)
	assert.Equal(t, []string{`wwwTMS\web.config`, `wwwTMS\Public\web.config`}, doc.WebConfigs)
}

func jsonUnmarshal(raw []byte, v any) error { return json.Unmarshal(raw, v) }
