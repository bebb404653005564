package checks

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/inventory"
	"github.com/tmsdrift/tmsdrift/tmsversion"
)

func setVersion(d *facts.Deployment, v string) {
	for _, n := range d.Nodes {
		n.Facts.TMS.Version = v
	}
	d.ChooseVersion()
}

func TestNodesCountFollowsTheRelease(t *testing.T) {
	three := []inventory.Role{inventory.Pool, inventory.Pool, inventory.Pool}

	d := testDeployment(inventory.NLB, three...)
	r := result(t, d, "nodes.count", "")
	assert.Equal(t, Fail, r.Status, "three pool members on TMS 15: Cisco supports two")
	assert.Equal(t, "3 active TMS servers on the live database: tms01, tms02, tms03", r.Observed)
	assert.Contains(t, r.Expected, "at most 2 active TMS servers for TMS 15.13.2")
	assert.Contains(t, r.Expected, "Setting up a Redundant Deployment > Preliminary Information > Supported Configurations")
	assert.Contains(t, r.Message, "neither tested nor supported")
	assert.Equal(t, High, r.Severity)

	setVersion(d, "12.6.3")
	r = result(t, d, "nodes.count", "")
	assert.Equal(t, Pass, r.Status, "the 11.7 guide sets no limit for 12.x")
	assert.Contains(t, r.Expected, "no limit documented for TMS 12.6.3")

	setVersion(d, "13.1")
	assert.Equal(t, Pass, result(t, d, "nodes.count", "").Status)
	setVersion(d, "13.2.1")
	assert.Equal(t, Fail, result(t, d, "nodes.count", "").Status, "D14570.04: two from 13.2")

	d.Inventory.TMSVersion = "12.6"
	d.ChooseVersion()
	assert.Equal(t, Pass, result(t, d, "nodes.count", "").Status, "the inventory's tms_version wins")

	d = testDeployment(inventory.NLB, inventory.Pool, inventory.Pool)
	assert.Equal(t, Pass, result(t, d, "nodes.count", "").Status, "two is the limit, not over it")

	d = testDeployment(inventory.NLB, three...)
	setVersion(d, "")
	r = result(t, d, "nodes.count", "")
	assert.Equal(t, Error, r.Status, "no version: the limit is unknown, never a pass")
	assert.Contains(t, r.Message, "set tms_version")

	d = testDeployment(inventory.Offsite, inventory.Pool, inventory.Pool, inventory.Pool, inventory.OffsiteStandby)
	r = result(t, d, "nodes.count", "")
	assert.Equal(t, Fail, r.Status, "the primary site's pool counts; the off-site standby does not")
	assert.Contains(t, r.Observed, "3 active")

	d = testDeployment(inventory.ManualCutover, inventory.Primary, inventory.Standby, inventory.Standby)
	for _, res := range Evaluate(d) {
		assert.NotEqual(t, "nodes.count", res.Rule, "standbys are not counted: manual-cutover has no pool")
	}
}

// services.standby-inactive keeps the 11.7 guide's Stopped/Manual for
// every release (the profiles carry it; unsettled from 13.2 on).
func TestStandbyInactiveFollowsTheProfile(t *testing.T) {
	d := testDeployment(inventory.ManualCutover, manual...)
	for _, v := range []string{"11.7", "14.6.2", "15.13.2"} {
		setVersion(d, v)
		assert.Equal(t, Pass, result(t, d, "services.standby-inactive", "tms02").Status, v)
	}
	d.Nodes[1].Facts.Services[0].StartType = facts.StartAutomatic
	for _, v := range []string{"11.7", "15.13.2", ""} {
		setVersion(d, v)
		assert.Equal(t, Fail, result(t, d, "services.standby-inactive", "tms02").Status, "version %q", v)
	}

	// A profile that says otherwise is followed (issue 10: "unless the
	// profile says otherwise"; no release's does today).
	d = testDeployment(inventory.ManualCutover, manual...)
	setVersion(d, "15.13.2")
	d.Version.Profile.Passive.Value = tmsversion.ServiceState{StartType: facts.StartDisabled, State: facts.StateStopped}
	r := result(t, d, "services.standby-inactive", "tms02")
	assert.Equal(t, Fail, r.Status, "Manual where the profile says Disabled")
	assert.Contains(t, r.Expected, "Stopped and Disabled")
	for i := range d.Nodes[1].Facts.Services {
		d.Nodes[1].Facts.Services[i].StartType = facts.StartDisabled
	}
	assert.Equal(t, Pass, result(t, d, "services.standby-inactive", "tms02").Status)
}
