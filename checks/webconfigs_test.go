package checks

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/inventory"
	"github.com/tmsdrift/tmsdrift/machinekey"
)

// publicDeployment is a TMS 15.9 manual-cutover deployment of three nodes
// whose Public\web.config each carries key (nil: none).
func publicDeployment(keys ...*machinekey.Key) *facts.Deployment {
	d := testDeployment(inventory.ManualCutover, inventory.Primary, inventory.Standby, inventory.Standby)
	setVersion(d, "15.9")
	for i, n := range d.Nodes {
		n.OtherWebConfigs = []facts.OtherWebConfig{{Listed: `Public\web.config`,
			File: &facts.WebConfig{Path: `C:\TMS\wwwTMS\Public\web.config`, Key: keys[i]}}}
	}
	return d
}

func TestOtherWebConfigsAreJudgedLikeWithLike(t *testing.T) {
	k := testKey
	rotated := testKey
	rotated.ValidationKey = "FF" + rotated.ValidationKey[2:]

	d := publicDeployment(&k, &k, &k)
	assert.Empty(t, nonPass(d), "every Public\\web.config carries the approved key")

	d = publicDeployment(&k, nil, &k)
	r := result(t, d, "machinekey.match", "tms02")
	assert.Equal(t, Fail, r.Status, "lost its key while tms01's and tms03's carry it")
	assert.Contains(t, r.Observed, `Public\web.config: no <machineKey>`)
	assert.Contains(t, r.Message, "tms01, tms03")
	assert.Equal(t, Pass, result(t, d, "machinekey.present", "tms02").Status, "not required by the 15.x profile (unsettled)")

	d = publicDeployment(nil, nil, nil)
	r = result(t, d, "machinekey.match", "tms02")
	assert.Equal(t, Pass, r.Status, "no node carries one there, and none is required")
	assert.Contains(t, r.Message, "carries no <machineKey> on any node")

	d = publicDeployment(nil, nil, nil)
	d.Inventory.MachineKey.RequiredIn = []string{`Public\web.config`}
	r = result(t, d, "machinekey.present", "tms01")
	assert.Equal(t, Fail, r.Status, "the inventory requires it")
	assert.Contains(t, r.Message, "machine_key.required_in")
	assert.Equal(t, Fail, result(t, d, "machinekey.match", "tms01").Status)

	d = publicDeployment(&k, &rotated, &k)
	r = result(t, d, "machinekey.match", "tms02")
	assert.Equal(t, Fail, r.Status)
	assert.Contains(t, r.Message, `Public\web.config's machineKey differs`)

	d = publicDeployment(&k, &k, &k)
	d.Nodes[2].OtherWebConfigs[0] = facts.OtherWebConfig{Listed: `Public\web.config`, Absent: true}
	r = result(t, d, "machinekey.match", "tms03")
	assert.Equal(t, Fail, r.Status, "present on some nodes, missing here")
	assert.Contains(t, r.Observed, `Public\web.config: missing`)

	d = publicDeployment(&k, &k, &k)
	for _, n := range d.Nodes {
		n.OtherWebConfigs[0] = facts.OtherWebConfig{Listed: `Public\web.config`, Absent: true}
	}
	r = result(t, d, "machinekey.match", "tms02")
	assert.Equal(t, Pass, r.Status, "absent on every node: skipped")
	assert.Contains(t, r.Message, `Public\web.config absent on every node: not checked`)

	d = publicDeployment(&k, &k, &k)
	d.Nodes[1].OtherWebConfigs[0] = facts.OtherWebConfig{Listed: `Public\web.config`, Err: errors.New("not well-formed")}
	assert.Equal(t, Error, result(t, d, "machinekey.match", "tms02").Status, "unreadable: never a pass")

	// The main web.config's failure stays the headline; the other file's adds to it.
	d = publicDeployment(&k, nil, &k)
	d.Nodes[1].WebConfig.Key = nil
	r = result(t, d, "machinekey.match", "tms02")
	assert.Equal(t, "no <machineKey>; "+`Public\web.config: no <machineKey>`, r.Observed)

	// 14.x has no Public application: a leftover file is not judged.
	d = publicDeployment(&k, nil, &k)
	setVersion(d, "14.6.2")
	d.Nodes[0].OtherWebConfigs, d.Nodes[1].OtherWebConfigs, d.Nodes[2].OtherWebConfigs = nil, nil, nil
	assert.Empty(t, nonPass(d))

	// The inventory lists one more file.
	d = publicDeployment(&k, &k, &k)
	d.Inventory.Paths.WebConfigs = []string{`api\web.config`}
	for _, n := range d.Nodes {
		n.OtherWebConfigs = append(n.OtherWebConfigs, facts.OtherWebConfig{Listed: `api\web.config`, File: &facts.WebConfig{Key: &k}})
	}
	d.Nodes[1].OtherWebConfigs[1].File.Key = &rotated
	r = result(t, d, "machinekey.match", "tms02")
	assert.Contains(t, r.Observed, `api\web.config:`)
}

func TestWebConfigsListed(t *testing.T) {
	d := publicDeployment(nil, nil, nil)
	d.Inventory.Paths.WebConfigs = []string{`public/web.config`, `D:\Sites\TMS\web.config`, `web.config`}
	d.Inventory.MachineKey.RequiredIn = []string{`D:\Sites\TMS\web.config`}
	got := d.WebConfigs()
	assert.Equal(t, []facts.ListedWebConfig{
		{Path: `Public\web.config`, From: "the TMS 15.x profile (with 15.8)"},
		{Path: `D:\Sites\TMS\web.config`, Required: true, From: "the inventory's machine_key.required_in"},
	}, got, "no repeats (case-insensitive), the main file never listed, required where the inventory says")
	assert.Equal(t, `D:\Sites\TMS\web.config`, facts.WebConfigPath(`C:\TMS\wwwTMS`, `D:\Sites\TMS\web.config`))
	assert.Equal(t, `C:\TMS\wwwTMS\Public\web.config`, facts.WebConfigPath(`C:\TMS\wwwTMS\`, `Public\web.config`))
}
