package checks

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/inventory"
)

func TestNodeIdentity(t *testing.T) {
	for _, tc := range []struct {
		name    string
		change  func(d *facts.Deployment)
		status  Status
		message string // fragment of observed + message
	}{
		{"another server's snapshot: name and address differ", func(d *facts.Deployment) {
			d.Inventory.Nodes[1].Hostname = "tms02"
			d.Nodes[1].Facts.Hostname, d.Nodes[1].Facts.IPv4 = "TMS03", []string{"10.10.0.13"}
		}, Fail, "reports host name TMS03, not tms02; the node does not report 10.10.0.12 (its ipv4 addresses: 10.10.0.13)"},
		{"address only: the node reports another", func(d *facts.Deployment) {
			d.Nodes[1].Facts.IPv4 = []string{"10.10.0.13", "10.20.0.13"}
		}, Fail, "does not report 10.10.0.12 (its ipv4 addresses: 10.10.0.13, 10.20.0.13)"},
		{"address among several", func(d *facts.Deployment) {
			d.Nodes[1].Facts.IPv4 = []string{"192.168.7.2", "10.10.0.12"}
		}, Pass, "ipv4 192.168.7.2, 10.10.0.12"},
		{"node reports no IPv4 at all", func(d *facts.Deployment) {
			d.Nodes[1].Facts.IPv4 = []string{}
		}, Fail, "its ipv4 addresses: none"},
		{"address list unknown", func(d *facts.Deployment) {
			d.Nodes[1].Facts.IPv4 = nil
		}, Error, "facts.json lacks ipv4"},
		{"IPv6 address compared as an address", func(d *facts.Deployment) {
			d.Inventory.Nodes[1].Address = "2001:db8::12"
			d.Nodes[1].Facts.IPv6 = []string{"2001:0db8:0:0:0:0:0:12"}
		}, Pass, "ipv6 2001:0db8:0:0:0:0:0:12"},
		{"IPv6 list unknown", func(d *facts.Deployment) {
			d.Inventory.Nodes[1].Address = "2001:db8::12"
		}, Error, "facts.json lacks ipv6"},
		{"host name from the transport, FQDN against the computer name", func(d *facts.Deployment) {
			d.Inventory.Nodes[1].Transport = inventory.Transport{Kind: "winrm", Host: "TMS02.acme.local"}
		}, Pass, "host name TMS02"},
		{"transport host that is an address is not a name", func(d *facts.Deployment) {
			d.Inventory.Nodes[1].Transport = inventory.Transport{Kind: "winrm", Host: "10.10.0.12"}
			d.Nodes[1].Facts.Hostname = "ANYTHING"
		}, Pass, "ipv4 10.10.0.12"},
		{"hostname wins over the transport host (an alias)", func(d *facts.Deployment) {
			d.Inventory.Nodes[1].Transport = inventory.Transport{Kind: "winrm", Host: "tms-standby.acme.local"}
			d.Inventory.Nodes[1].Hostname = "tms02"
		}, Pass, "host name TMS02"},
		{"wrong host name alone fails", func(d *facts.Deployment) {
			d.Inventory.Nodes[1].Hostname = "tms02.acme.local"
			d.Nodes[1].Facts.Hostname = "TMS03"
		}, Fail, "reports host name TMS03, not tms02.acme.local"},
		{"long DNS name against its 15-character computer name", func(d *facts.Deployment) {
			d.Inventory.Nodes[1].Hostname = "tmsstandby-berlin02.acme.local"
			d.Nodes[1].Facts.Hostname = "TMSSTANDBY-BERL"
		}, Pass, "host name TMSSTANDBY-BERL"},
		{"a prefix is not the name", func(d *facts.Deployment) {
			d.Inventory.Nodes[1].Hostname = "tms0"
		}, Fail, "not tms0"},
		{"host name unknown", func(d *facts.Deployment) {
			d.Inventory.Nodes[1].Hostname = "tms02"
			d.Nodes[1].Facts.Hostname = ""
		}, Error, "facts.json lacks hostname"},
		{"a known mismatch fails even when the other fact is unknown", func(d *facts.Deployment) {
			d.Inventory.Nodes[1].Hostname = "tms02"
			d.Nodes[1].Facts.Hostname, d.Nodes[1].Facts.IPv4 = "TMS03", nil
		}, Fail, "not tms02: these facts belong to another server, or the inventory is wrong; also facts.json lacks ipv4"},
		{"nothing to compare with", func(d *facts.Deployment) {
			d.Inventory.Nodes[1].Address = ""
		}, Error, "neither an address nor a hostname"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := testDeployment(inventory.ManualCutover, manual...)
			tc.change(d)
			r := result(t, d, "nodes.identity", "tms02")
			assert.Equal(t, tc.status, r.Status, "%+v", r)
			assert.Contains(t, r.Observed+" "+r.Message, tc.message)
			assert.Equal(t, Pass, result(t, d, "nodes.identity", "tms01").Status, "the other node is unaffected")
		})
	}
}

func TestImpossibleFactsAreErrorsNamingTheFact(t *testing.T) {
	d := testDeployment(inventory.ManualCutover, manual...)
	d.Nodes[1].Facts.DBRTTMS = nil
	d.Nodes[1].Facts.Impossible = map[string]string{"db_rtt_ms": "impossible value: db_rtt_ms[0] is -30 ms"}
	r := result(t, d, "db.latency", "tms02")
	assert.Equal(t, Error, r.Status)
	assert.Equal(t, "facts.json db_rtt_ms: impossible value: db_rtt_ms[0] is -30 ms", r.Message)

	d.Nodes[1].Facts.Time.OffsetMS = nil
	d.Nodes[1].Facts.Impossible["time.offset_ms"] = "impossible value: time.offset_ms is 1e+308 ms"
	r = result(t, d, "time.synced", "tms02")
	assert.Equal(t, Error, r.Status)
	assert.Contains(t, r.Message, "time.offset_ms is 1e+308 ms")

	d.DB.Facts.ConnectMS = nil
	d.DB.Facts.Unknown = map[string]string{"connect_ms": "impossible value: connect_ms is -2 ms"}
	r = result(t, d, "db.latency", "")
	assert.Equal(t, Error, r.Status, "samples timed by a clock that gives a negative connection time are not trusted")
	assert.Contains(t, r.Message, "database facts from db.json lack connect_ms: impossible value")
}

// TestAgesNeverSaturate: facts that never went through the reader's range
// checks (a Deployment built in code) still cannot make time.Sub's
// saturated 292 years a verdict.
func TestAgesNeverSaturate(t *testing.T) {
	d := testDeployment(inventory.Offsite, inventory.Primary, inventory.OffsiteStandby)
	d.DB.Facts.ObservedAt = &facts.Timestamp{Time: time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)}
	for _, rule := range []string{"db.backup-recent", "db.log-shipping-lag"} {
		r := result(t, d, rule, "")
		assert.Equal(t, Error, r.Status, "%+v", r)
		assert.Contains(t, r.Message, "and observed_at 9999-12-31T00:00:00Z are more than 292 years apart")
	}
}
