package fixers

import (
	"errors"
	"github.com/tmsdrift/tmsdrift/collect/transports"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/facts"
)

// setServices sets every TMS service of a node to one state.
func setServices(a audited, node, startType, state string) {
	n := a.d.NodeByName(node)
	for i := range n.Facts.Services {
		if facts.IsTMSService(n.Facts.Services[i].Name) {
			n.Facts.Services[i].StartType, n.Facts.Services[i].State = startType, state
		}
	}
}

func TestCheckLive(t *testing.T) {
	for _, tc := range []struct {
		name     string
		lab      string
		change   func(a audited)
		live     []string // nil: no refusal
		evidence string
	}{
		{name: "the lab: a cutover the inventory does not know of", lab: "cutover-unrecorded",
			live:     []string{"tms02"},
			evidence: "tms01 runs none of its TMS services or W3SVC, tms02 runs them and the database's TMS server address (10.10.0.12) is tms02's"},
		{name: "upgrade overwrote the address, the primary serves: drift, not a cutover", lab: "post-upgrade"},
		{name: "standbys awake beside a serving primary: drift", lab: "standby-awake"},
		{name: "the primary with one service stopped still serves", lab: "manual-cutover", change: func(a audited) {
			a.d.NodeByName("tms01").Facts.Services[0].State = facts.StateStopped
		}},
		{name: "everything stopped, address the primary's: start the primary", lab: "manual-cutover", change: func(a audited) {
			setServices(a, "tms01", facts.StartManual, facts.StateStopped)
		}},
		{name: "everything stopped, address another node's: half-way through a cutover", lab: "manual-cutover", change: func(a audited) {
			setServices(a, "tms01", facts.StartManual, facts.StateStopped)
			a.d.DB.Facts.Settings.IPv4Local = "10.10.0.13"
		}, live: []string{"tms03"},
			evidence: "tms01 runs none of its TMS services or W3SVC, no other node runs them either and the database's TMS server address (10.10.0.13) is tms03's"},
		{name: "another node started, address still the primary's", lab: "manual-cutover", change: func(a audited) {
			setServices(a, "tms01", facts.StartManual, facts.StateStopped)
			setServices(a, "tms03", facts.StartAutomatic, facts.StateRunning)
		}, live: []string{"tms03"},
			evidence: "tms01 runs none of its TMS services or W3SVC, tms03 runs them and the database's TMS server address (10.10.0.11) is still tms01's"},
		{name: "two standbys serving", lab: "manual-cutover", change: func(a audited) {
			setServices(a, "tms01", facts.StartManual, facts.StateStopped)
			setServices(a, "tms02", facts.StartAutomatic, facts.StateRunning)
			setServices(a, "tms03", facts.StartAutomatic, facts.StateStartPending)
		}, live: []string{"tms02", "tms03"}},
		{name: "the primary unreadable, a standby serving", lab: "manual-cutover", change: func(a audited) {
			n := a.d.NodeByName("tms01")
			n.Facts, n.FactsErr = nil, errors.New("unreachable")
			setServices(a, "tms02", facts.StartAutomatic, facts.StateRunning)
		}, live: []string{"tms02"},
			evidence: "tms01's services could not be read, tms02 runs them and the database's TMS server address (10.10.0.11) is still tms01's"},
		{name: "an address by a node's own report", lab: "manual-cutover", change: func(a audited) {
			setServices(a, "tms01", facts.StartManual, facts.StateStopped)
			a.d.NodeByName("tms02").Facts.IPv4 = append(a.d.NodeByName("tms02").Facts.IPv4, "192.0.2.12")
			a.d.DB.Facts.Settings.IPv4Local = "192.0.2.12"
		}, live: []string{"tms02"}},
		{name: "an NLB pool has no cutover", lab: "nlb", change: func(a audited) {
			for _, n := range a.d.Nodes[1:] {
				setServices(a, n.Spec.Name, facts.StartManual, facts.StateStopped)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := audit(t, copyLab(t, tc.lab))
			if tc.change != nil {
				tc.change(a)
			}
			err := checkLive(a.d)
			if tc.live == nil {
				assert.Nil(t, err)
				return
			}
			require.NotNil(t, err)
			assert.Equal(t, tc.live, err.Live)
			if tc.evidence != "" {
				assert.Equal(t, tc.evidence, err.Evidence)
			}
		})
	}
}

func TestBuildRefusesToUndoACutoverUnlessForced(t *testing.T) {
	a := audit(t, copyLab(t, "cutover-unrecorded"))
	_, err := Build(testContext(t), a.d, a.results, Options{Open: transports.Open, Settings: store(a.inv)})
	var notLive *NotLiveError
	require.ErrorAs(t, err, &notLive)
	assert.Equal(t, "tms01", notLive.Primary)
	assert.Equal(t, []string{"tms02"}, notLive.Live)
	assert.Contains(t, err.Error(), "If the deployment was cut over to tms02, record that in the inventory (make it the primary, tms01 a standby, and addresses.* its addresses; `tmsdrift promote tms02` will do that) before fixing.")
	assert.Contains(t, err.Error(), "--force fixes anyway, making tms01 the live node again")

	p, err := Build(testContext(t), a.d, a.results, Options{Open: transports.Open, Settings: store(a.inv), Force: true})
	require.NoError(t, err)
	assert.Len(t, p.Changes, 1+7+7, "the database, tms01's seven services started, tms02's stopped")
}

// TestTouchesLive: the kinds that start or stop services or write the
// database's addresses make a plan a cutover, each saying so in its own
// file; files and the inventory do not.
func TestTouchesLive(t *testing.T) {
	assert.True(t, touchesLive([]Change{{Op: &FileOp{}}, {Op: &ServiceOp{}}}))
	assert.True(t, touchesLive([]Change{{Op: &SettingsOp{}}}))
	assert.False(t, touchesLive([]Change{{Op: &FileOp{}}, {Op: &InventoryOp{}}}))
	assert.False(t, touchesLive(nil))
}
