package facts

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/tmsdrift/tmsdrift/inventory"
	"github.com/tmsdrift/tmsdrift/tmsversion"
)

// deploymentOn is a deployment whose inventory ApplyDefaults completed
// after edit, judged by TMS version v.
func deploymentOn(v string, edit func(*inventory.Inventory)) *Deployment {
	inv := &inventory.Inventory{}
	edit(inv)
	inv.ApplyDefaults()
	d := &Deployment{Inventory: inv}
	d.Version = tmsversion.Choose(v, nil)
	return d
}

// Issue 10: the profile fills in what the inventory leaves out, and an
// inventory value always beats the profile.
func TestTheInventoryBeatsTheProfile(t *testing.T) {
	p15, err := tmsversion.Lookup("15.9")
	assert.NoError(t, err)

	// Left out: the release's folders and software folder.
	d := deploymentOn("15.9", func(*inventory.Inventory) {})
	assert.Equal(t, p15.DataDirs.Value, d.DataDirs())
	assert.Contains(t, d.DataDirsFrom(), "TMS 15.x profile")
	assert.Equal(t, `C:\Program Files\TANDBERG\TMS\wwwTMS\Public\Data\SystemSoftware`, d.ExpectedSoftware())

	// Written: the inventory's, even where they are the 11.x defaults
	// the 15.x profile contradicts.
	old := []string{`wwwTMS\Data\Software`, `wwwTMS\Data\Sound`}
	d = deploymentOn("15.9", func(inv *inventory.Inventory) {
		inv.DataSync.Dirs = old
		inv.Paths.Software = inventory.DefaultSoftware
	})
	assert.Equal(t, old, d.DataDirs())
	assert.Equal(t, "the inventory's data_sync.dirs", d.DataDirsFrom())
	assert.Equal(t, inventory.DefaultSoftware, d.ExpectedSoftware())

	// The software folder lies under the inventory's web root, wherever that is.
	d = deploymentOn("15.9", func(inv *inventory.Inventory) { inv.Paths.WebRoot = `D:\Sites\TMS` })
	assert.Equal(t, `D:\Sites\TMS\Public\Data\SystemSoftware`, d.ExpectedSoftware())

	// No version known: every profile's folders, never too few.
	d = deploymentOn("", func(*inventory.Inventory) {})
	assert.Nil(t, d.Version.Profile)
	assert.Equal(t, tmsversion.AllDataDirs(), d.DataDirs())
	assert.Contains(t, d.DataDirs(), `Config\System`)
	assert.Contains(t, d.DataDirs(), `wwwTMS\Data\Sound`)

	// web.configs: the profile's, then the inventory's; required_in makes
	// a file required, and the main web.config is never listed twice.
	d = deploymentOn("15.9", func(inv *inventory.Inventory) {
		inv.Paths.WebConfigs = []string{`api\web.config`, `WEB.CONFIG`}
		inv.MachineKey.RequiredIn = []string{`public/web.config`}
	})
	assert.Equal(t, []ListedWebConfig{
		{Path: `Public\web.config`, Required: true, From: "the inventory's machine_key.required_in"},
		{Path: `api\web.config`, From: "the inventory's paths.web_configs"},
	}, d.WebConfigs())
	d = deploymentOn("14.6.2", func(*inventory.Inventory) {})
	assert.Empty(t, d.WebConfigs(), "no Public application before 15.8")
}
