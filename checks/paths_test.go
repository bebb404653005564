package checks

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/tmsdrift/tmsdrift/inventory"
)

// Issue 10: on 64-bit Windows TMS is often installed under Program Files
// (x86), where tmsdrift's default install folder is not. Every node there
// still fails paths.identical against the inventory, never a silent pass,
// but when the inventory left paths.install out the message says the
// default was expected and how to set it; a written paths.install gets no
// such hint.
func TestDefaultInstallPathIsNamedWhenANodeIsElsewhere(t *testing.T) {
	const x86 = `C:\Program Files (x86)\TANDBERG\TMS`
	d := testDeployment(inventory.ManualCutover, manual...)
	d.Inventory.Paths.Install = inventory.DefaultInstall
	d.Inventory.Defaulted.Install = true
	for _, n := range d.Nodes {
		n.Facts.TMS.InstallPath = x86
	}
	r := result(t, d, "paths.identical", "tms02")
	assert.Equal(t, Fail, r.Status)
	assert.Contains(t, r.Observed, "install_path="+x86)
	assert.Contains(t, r.Message, "paths.install is not in the inventory")
	assert.Contains(t, r.Message, `Program Files (x86)`)

	d.Inventory.Defaulted.Install = false
	r = result(t, d, "paths.identical", "tms02")
	assert.Equal(t, Fail, r.Status)
	assert.Equal(t, "TMS is installed at a different path on this node", r.Message, "the inventory's own path: no hint")

	d.Inventory.Defaulted.Install = true
	for _, n := range d.Nodes {
		n.Facts.TMS.InstallPath = inventory.DefaultInstall
	}
	d.Nodes[1].Facts.TMS.WebRoot = `D:\wwwTMS`
	r = result(t, d, "paths.identical", "tms02")
	assert.Equal(t, Fail, r.Status)
	assert.NotContains(t, r.Message, "paths.install", "the install folder is the default one; only the web root differs")
}
