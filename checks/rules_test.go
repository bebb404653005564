package checks

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/inventory"
	"github.com/tmsdrift/tmsdrift/machinekey"
	"github.com/tmsdrift/tmsdrift/manifest"
)

func lower(s string) string { return strings.ToLower(s) }
func upper(s string) string { return strings.ToUpper(s) }

// verdicts evaluates the whole catalogue and returns rule -> node -> status.
func verdicts(d *facts.Deployment) map[string]map[string]Status {
	out := map[string]map[string]Status{}
	for _, r := range Evaluate(d) {
		if out[r.Rule] == nil {
			out[r.Rule] = map[string]Status{}
		}
		out[r.Rule][r.Node] = r.Status
	}
	return out
}

// nonPass lists "rule node status" for every result that is not a pass.
func nonPass(d *facts.Deployment) []string {
	var out []string
	for _, r := range Evaluate(d) {
		if r.Status != Pass {
			out = append(out, r.Rule+" "+r.Node+" "+string(r.Status))
		}
	}
	return out
}

var (
	manual  = []inventory.Role{inventory.Primary, inventory.Standby}
	offsite = []inventory.Role{inventory.Primary, inventory.OffsiteStandby}
)

func TestCompliantDeploymentsPassEveryApplicableRule(t *testing.T) {
	for _, tc := range []struct {
		model inventory.Model
		roles []inventory.Role
	}{
		{inventory.Single, []inventory.Role{inventory.Primary}},
		{inventory.SingleSeparateDB, []inventory.Role{inventory.Primary}},
		{inventory.SingleClusteredDB, []inventory.Role{inventory.Primary}},
		{inventory.ManualCutover, manual},
		{inventory.NLB, []inventory.Role{inventory.Pool, inventory.Pool}},
		{inventory.Offsite, offsite},
	} {
		t.Run(string(tc.model), func(t *testing.T) {
			d := testDeployment(tc.model, tc.roles...)
			if tc.model == inventory.NLB {
				d.Inventory.Addresses.IPv4Local = "10.10.0.100"
				d.DB.Facts.Settings.IPv4Local = "10.10.0.100"
			}
			assert.Empty(t, nonPass(d))
			// Every applicable rule gives a result for every node it judges.
			v := verdicts(d)
			for _, r := range Catalogue() {
				if !r.AppliesTo(tc.model) {
					assert.NotContains(t, v, r.ID, "rule %s does not apply to %s", r.ID, tc.model)
					continue
				}
				require.Contains(t, v, r.ID)
				if r.Scope != NodeScope {
					assert.Contains(t, v[r.ID], "", "%s: deployment result", r.ID)
				}
			}
			if tc.model.MultiServer() {
				assert.Len(t, v["machinekey.match"], len(tc.roles))
				assert.Len(t, v["data.synced"], len(tc.roles)-1, "every node but the master")
			}
		})
	}
}

func TestNodeRules(t *testing.T) {
	for _, tc := range []struct {
		name   string
		model  inventory.Model
		roles  []inventory.Role
		change func(d *facts.Deployment)
		want   []string
	}{
		{"workgroup", inventory.ManualCutover, manual, func(d *facts.Deployment) {
			d.Nodes[1].Facts.PartOfDomain = ptr(false)
			d.Nodes[1].Facts.Domain = "WORKGROUP"
		}, []string{"domain.joined tms02 fail", "domain.same tms02 fail"}},
		{"other domain, case ignored for the same one", inventory.ManualCutover, manual, func(d *facts.Deployment) {
			d.Nodes[0].Facts.Domain = "acme.local"
			d.Nodes[1].Facts.Domain = "LAB.ACME.LOCAL"
		}, []string{"domain.same tms02 fail"}},
		{"no part_of_domain is an error, not a pass", inventory.ManualCutover, manual, func(d *facts.Deployment) {
			d.Nodes[1].Facts.PartOfDomain = nil
		}, []string{"domain.joined tms02 error"}},
		{"offset exactly at the limit passes", inventory.ManualCutover, manual, func(d *facts.Deployment) {
			d.Nodes[0].Facts.Time.OffsetMS = ptr(-1000.0)
			d.Nodes[1].Facts.Time.OffsetMS = ptr(1000.001)
		}, []string{"time.synced tms02 fail"}},
		{"not synced, and a free-running clock", inventory.ManualCutover, manual, func(d *facts.Deployment) {
			d.Nodes[0].Facts.Time.Synced = ptr(false)
			d.Nodes[1].Facts.Time.Source = "Local CMOS Clock"
		}, []string{"time.synced tms01 fail", "time.synced tms02 fail"}},
		{"no time block is an error", inventory.Single, []inventory.Role{inventory.Primary}, func(d *facts.Deployment) {
			d.Nodes[0].Facts.Time = nil
		}, []string{"time.synced tms01 error"}},
		{"paths: case and trailing backslash ignored, other path fails", inventory.ManualCutover, manual, func(d *facts.Deployment) {
			d.Nodes[0].Facts.TMS.InstallPath = `c:\program files\tandberg\tms\`
			d.Nodes[1].Facts.TMS.WebRoot = `D:\TMS\wwwTMS`
		}, []string{"paths.identical tms02 fail"}},
		{"standby awake; Disabled is not Manual; absent service is inactive", inventory.ManualCutover, manual, func(d *facts.Deployment) {
			s := d.Nodes[1].Facts.Services
			s[0].StartType = facts.StartDisabled
			d.Nodes[1].Facts.Services = s[1:] // TMSDatabaseScannerService absent: fine
			d.Nodes[1].Facts.Services[0].StartType = facts.StartDisabled
		}, []string{"services.standby-inactive tms02 fail"}},
		{"standby with no TMS services at all passes", inventory.ManualCutover, manual, func(d *facts.Deployment) {
			d.Nodes[1].Facts.Services = []facts.Service{}
		}, nil},
		{"services key missing is an error", inventory.ManualCutover, manual, func(d *facts.Deployment) {
			d.Nodes[0].Facts.Services = nil
		}, []string{"services.active-running tms01 error"}},
		{"active node without W3SVC fails; delayed start and odd case are fine", inventory.ManualCutover, manual, func(d *facts.Deployment) {
			s := d.Nodes[0].Facts.Services
			s[0].StartType = facts.StartAutomaticDelayed
			s[1].Name = "tmsLiveService"
			d.Nodes[0].Facts.Services = append(s[:3:3], s[4])
		}, []string{"services.active-running tms01 fail"}},
		{"off-site standby points at the off-site server", inventory.Offsite, offsite, func(d *facts.Deployment) {
			d.Nodes[1].Facts.TMS.DBServer = d.Inventory.Database.Server
		}, []string{"db.single-live tms02 fail"}},
		{"server names compare case-insensitively", inventory.ManualCutover, manual, func(d *facts.Deployment) {
			d.Nodes[1].Facts.TMS.DBServer = `SQL01.ACME.LOCAL\tms`
			d.Nodes[1].Facts.TMS.DBName = "TMSNG"
		}, nil},
		{"latency: median 9.9 passes, 10 fails", inventory.ManualCutover, manual, func(d *facts.Deployment) {
			d.Nodes[0].Facts.DBRTTMS = []float64{9.8, 9.9, 30}
			d.Nodes[1].Facts.DBRTTMS = []float64{10, 10, 1}
		}, []string{"db.latency tms02 fail"}},
		{"no round-trip samples is an error", inventory.ManualCutover, manual, func(d *facts.Deployment) {
			d.Nodes[1].Facts.DBRTTMS = nil
		}, []string{"db.latency tms02 error"}},
		{"versions differ", inventory.ManualCutover, manual, func(d *facts.Deployment) {
			d.Nodes[1].Facts.TMS.Version = "15.13.1"
		}, []string{"version.same  fail"}},
		{"facts unavailable: every facts rule errors, web.config rules still run", inventory.ManualCutover, manual, func(d *facts.Deployment) {
			d.Nodes[1].Facts, d.Nodes[1].FactsErr = nil, errors.New("line 3: malformed JSON")
		}, []string{"domain.joined tms02 error", "domain.same tms02 error", "time.synced tms02 error",
			"paths.identical tms02 error", "services.standby-inactive tms02 error", "version.same  error",
			"db.single-live tms02 error", "db.latency tms02 error", "nodes.identity tms02 error",
			"db.separate-server  error"}}, // the node's host name is unknown: it might host the database
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := testDeployment(tc.model, tc.roles...)
			tc.change(d)
			assert.ElementsMatch(t, tc.want, nonPass(d))
		})
	}
}

func TestMachineKeyRules(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(d *facts.Deployment)
		want   []string
	}{
		{"key erased by an upgrade fails both rules", func(d *facts.Deployment) {
			d.Nodes[1].WebConfig.Key = nil
		}, []string{"machinekey.present tms02 fail", "machinekey.match tms02 fail"}},
		{"auto-generated keys", func(d *facts.Deployment) {
			d.Nodes[1].WebConfig.Key.ValidationKey = "AutoGenerate,IsolateApps"
		}, []string{"machinekey.present tms02 fail", "machinekey.match tms02 fail"}},
		{"lower-case hex and default algorithm still match", func(d *facts.Deployment) {
			d.Nodes[1].WebConfig.Key.ValidationKey = lower(testKey.ValidationKey)
			d.Nodes[1].WebConfig.Key.Validation = ""
		}, nil},
		{"another key", func(d *facts.Deployment) {
			d.Nodes[0].WebConfig.Key.DecryptionKey = "00" + testKey.DecryptionKey[2:]
		}, []string{"machinekey.match tms01 fail"}},
		{"unreadable web.config errors both rules", func(d *facts.Deployment) {
			d.Nodes[0].WebConfig, d.Nodes[0].WebConfigErr = nil, errors.New("not well-formed XML: line 4")
		}, []string{"machinekey.present tms01 error", "machinekey.match tms01 error"}},
		{"a second key in <system.web> fails present, naming the lines", func(d *facts.Deployment) {
			wc := d.Nodes[1].WebConfig
			wc.Raw = []byte(strings.Replace(string(wc.Raw), "  </system.web>", "    "+machinekey.Element(testKey)+"\r\n  </system.web>", 1))
		}, []string{"machinekey.present tms02 fail"}},
		{"approved key unavailable errors match only", func(d *facts.Deployment) {
			d.ApprovedKey, d.ApprovedKeyErr = nil, errors.New("open keys/machinekey.xml: no such file")
		}, []string{"machinekey.match tms01 error", "machinekey.match tms02 error"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := testDeployment(inventory.ManualCutover, manual...)
			tc.change(d)
			assert.ElementsMatch(t, tc.want, nonPass(d))
		})
	}
}

func TestMachineKeyNeverInResults(t *testing.T) {
	d := testDeployment(inventory.ManualCutover, manual...)
	d.Nodes[1].WebConfig.Key.DecryptionKey = "FFEEDDCCBBAA99887766554433221100FFEEDDCCBBAA9988"
	for _, r := range Evaluate(d) {
		for _, secret := range []string{testKey.ValidationKey, testKey.DecryptionKey, d.Nodes[1].WebConfig.Key.DecryptionKey} {
			for _, s := range []string{r.Expected, r.Observed, r.Message} {
				assert.NotContains(t, upper(s), upper(secret[:16]), "%s %s leaks key material", r.Rule, r.Node)
			}
		}
	}
}

func TestDeploymentRules(t *testing.T) {
	for _, tc := range []struct {
		name   string
		model  inventory.Model
		roles  []inventory.Role
		change func(d *facts.Deployment)
		want   []string
	}{
		{"IPv4 overwritten by an upgrade", inventory.ManualCutover, manual, func(d *facts.Deployment) {
			d.DB.Facts.Settings.IPv4Local = "10.10.0.12"
		}, []string{"addresses.match  fail"}},
		{"DNS compares case-insensitively", inventory.ManualCutover, manual, func(d *facts.Deployment) {
			d.DB.Facts.Settings.DNSLocal = "TMS.ACME.LOCAL"
		}, nil},
		{"public systems need a public DNS name", inventory.ManualCutover, manual, func(d *facts.Deployment) {
			d.Inventory.PublicSystems = true
			d.Inventory.Addresses.DNSPublic = "tms.acme.com"
		}, []string{"addresses.match  fail", "addresses.public-dns  fail"}},
		{"a node sharing the VIP in nlb", inventory.NLB, []inventory.Role{inventory.Pool, inventory.Pool}, func(d *facts.Deployment) {
			d.Inventory.Addresses.IPv4Local = "10.10.0.12"
			d.DB.Facts.Settings.IPv4Local = "10.10.0.12"
		}, []string{"nodes.unique-address  fail"}},
		{"two nodes with one address", inventory.ManualCutover, manual, func(d *facts.Deployment) {
			d.Inventory.Nodes[1].Address = "10.10.0.11"
			d.Nodes[1].Facts.IPv4 = []string{"10.10.0.11"}
		}, []string{"nodes.unique-address  fail"}},
		{"database on a TMS node, by short name", inventory.ManualCutover, manual, func(d *facts.Deployment) {
			d.Inventory.Database.Server = `TMS01.acme.local\TMS`
			for _, n := range d.Nodes {
				n.Facts.TMS.DBServer = d.Inventory.Database.Server
			}
		}, []string{"db.separate-server  fail"}},
		{"database local to the node", inventory.SingleSeparateDB, []inventory.Role{inventory.Primary}, func(d *facts.Deployment) {
			d.DB.Facts.Server.Name = `(local)\TMS`
		}, []string{"db.separate-server  fail"}},
		{"single model may keep the database local", inventory.Single, []inventory.Role{inventory.Primary}, func(d *facts.Deployment) {
			d.Inventory.Database.Server = `.\TMS`
			d.Nodes[0].Facts.TMS.DBServer = `.\TMS`
			d.DB.Facts.Server.Name = `TMS01\TMS`
		}, nil},
		{"express edition", inventory.ManualCutover, manual, func(d *facts.Deployment) {
			d.DB.Facts.Server.Edition = "Express Edition (64-bit)"
		}, []string{"db.edition  fail"}},
		{"windows authentication only", inventory.ManualCutover, manual, func(d *facts.Deployment) {
			d.DB.Facts.Server.IntegratedSecurityOnly = ptr(true)
		}, []string{"db.mixed-auth  fail"}},
		{"not clustered", inventory.NLB, []inventory.Role{inventory.Pool, inventory.Pool}, func(d *facts.Deployment) {
			d.Inventory.Addresses.IPv4Local = "10.10.0.100"
			d.DB.Facts.Settings.IPv4Local = "10.10.0.100"
			d.DB.Facts.Server.IsHADREnabled = ptr(false)
		}, []string{"db.clustered  fail"}},
		{"database missing", inventory.Offsite, offsite, func(d *facts.Deployment) {
			d.DB.Facts.Database = facts.Null[facts.DatabaseFacts]()
		}, []string{"db.online  fail", "db.recovery-full  fail"}},
		{"database restoring, simple recovery", inventory.Offsite, offsite, func(d *facts.Deployment) {
			d.DB.Facts.Database.Value.State = "RESTORING"
			d.DB.Facts.Database.Value.RecoveryModel = "SIMPLE"
		}, []string{"db.online  fail", "db.recovery-full  fail"}},
		{"backup exactly at the limit fails, just under passes", inventory.Single, []inventory.Role{inventory.Primary}, func(d *facts.Deployment) {
			d.DB.Facts.LastFullBackup.Value.Time = d.DB.Facts.ObservedAt.Add(-26 * time.Hour)
		}, []string{"db.backup-recent  fail"}},
		{"never backed up", inventory.Single, []inventory.Role{inventory.Primary}, func(d *facts.Deployment) {
			d.DB.Facts.LastFullBackup = facts.Null[facts.Timestamp]()
		}, []string{"db.backup-recent  fail"}},
		{"backup key missing is an error", inventory.Single, []inventory.Role{inventory.Primary}, func(d *facts.Deployment) {
			d.DB.Facts.LastFullBackup = facts.Optional[facts.Timestamp]{}
		}, []string{"db.backup-recent  error"}},
		{"log shipping exactly at the limit passes", inventory.Offsite, offsite, func(d *facts.Deployment) {
			d.DB.Facts.LogShipping.Value.LastRestored.Value.Time = d.DB.Facts.ObservedAt.Add(-60 * time.Minute)
		}, nil},
		{"log shipping lags", inventory.Offsite, offsite, func(d *facts.Deployment) {
			d.DB.Facts.LogShipping.Value.LastRestored.Value.Time = d.DB.Facts.ObservedAt.Add(-61 * time.Minute)
		}, []string{"db.log-shipping-lag  fail"}},
		{"log shipping not configured", inventory.Offsite, offsite, func(d *facts.Deployment) {
			d.DB.Facts.LogShipping = facts.Null[facts.LogShipping]()
		}, []string{"db.log-shipping-lag  fail"}},
		{"database unavailable: database rules error, node rules still judged", inventory.ManualCutover, manual, func(d *facts.Deployment) {
			d.DB = facts.DB{From: "db.json", Err: errors.New("open db.json: no such file or directory")}
		}, []string{"addresses.match  error", "db.separate-server  error", "db.latency  error",
			"db.edition  error", "db.mixed-auth  error", "db.online  error", "db.backup-recent  error"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := testDeployment(tc.model, tc.roles...)
			tc.change(d)
			assert.ElementsMatch(t, tc.want, nonPass(d))
		})
	}
}

func TestDataSynced(t *testing.T) {
	d := testDeployment(inventory.ManualCutover, inventory.Primary, inventory.Standby, inventory.Standby)
	f := d.Nodes[1].Data.Files
	delete(f, lower(`wwwTMS\Data\Logo\acme.png`))
	f[lower(`wwwTMS\Data\Map\extra.jpg`)] = manifest.File{Rel: `wwwTMS\Data\Map\extra.jpg`, Size: 1, SHA256: "cc"}
	f[lower(`wwwTMS\Data\Sound\ring.wav`)] = manifest.File{Rel: `wwwTMS\Data\Sound\RING.wav`, Size: 5, SHA256: "dd"}
	d.Nodes[2].DataErr = errors.New(`wwwTMS\Data\Logo: path escapes from parent`)
	d.Nodes[2].Data = nil

	var got []Result
	for _, r := range Evaluate(d) {
		if r.Rule == "data.synced" {
			got = append(got, r)
		}
	}
	require.Len(t, got, 2, "the master is not judged")
	assert.Equal(t, "tms02", got[0].Node)
	assert.Equal(t, Fail, got[0].Status)
	assert.Contains(t, got[0].Observed, `1 missing: wwwTMS\Data\Logo\acme.png`)
	assert.Contains(t, got[0].Observed, `1 different: wwwTMS\Data\Sound\ring.wav`)
	assert.Contains(t, got[0].Observed, `1 extra: wwwTMS\Data\Map\extra.jpg`)
	assert.Equal(t, Error, got[1].Status)
	assert.Contains(t, got[1].Message, "escapes")
}

func TestWaivers(t *testing.T) {
	day := func(s string) inventory.Date {
		tm, err := time.Parse(time.DateOnly, s)
		require.NoError(t, err)
		return inventory.Date{Time: tm}
	}
	d := testDeployment(inventory.ManualCutover, manual...)
	d.Now = time.Date(2026, 11, 25, 23, 59, 59, 0, time.UTC)
	d.Nodes[0].Facts.Time.Synced = ptr(false)
	d.Nodes[1].Facts.Time.Synced = ptr(false)
	d.Nodes[1].Facts.PartOfDomain = nil // error: never waived
	d.DB.Facts.Settings.IPv4Local = "10.10.0.12"
	d.Inventory.Waivers = []inventory.Waiver{
		{Rule: "time.synced", Node: "TMS01", Reason: "NTP being replaced", Expires: day("2026-11-25")}, // holds until the end of the day
		{Rule: "time.synced", Node: "tms02", Reason: "old ticket", Expires: day("2026-11-24")},
		{Rule: "addresses.match", Reason: "migration", Expires: day("2099-12-31")},
		{Rule: "domain.joined", Reason: "errors are never waived", Expires: day("2099-12-31")},
	}
	byKey := map[string]Result{}
	for _, r := range Evaluate(d) {
		byKey[r.Rule+" "+r.Node] = r
	}
	assert.Equal(t, Waived, byKey["time.synced tms01"].Status)
	assert.Contains(t, byKey["time.synced tms01"].Message, "NTP being replaced")
	assert.Equal(t, Fail, byKey["time.synced tms02"].Status)
	assert.Contains(t, byKey["time.synced tms02"].Message, "waiver expired on 2026-11-24")
	assert.Equal(t, Waived, byKey["addresses.match "].Status, "a waiver without node covers the deployment result")
	assert.Equal(t, Error, byKey["domain.joined tms02"].Status)

	d.Now = time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC) // the next day: expired
	for _, r := range Evaluate(d) {
		if r.Rule == "time.synced" && r.Node == "tms01" {
			assert.Equal(t, Fail, r.Status)
		}
	}
}

// Two keys for the application: IIS refuses the file, so present fails,
// naming where both are; match still judges the effective (first) one.
func TestMachineKeyDuplicateNamesTheLines(t *testing.T) {
	d := testDeployment(inventory.ManualCutover, manual...)
	wc := d.Nodes[1].WebConfig
	wc.Raw = []byte(strings.Replace(string(wc.Raw), "  </system.web>", "    <machineKey validationKey=\"AutoGenerate\" decryptionKey=\"AutoGenerate\" />\r\n  </system.web>", 1))
	var got *Result
	for _, r := range Evaluate(d) {
		if r.Rule == "machinekey.present" && r.Node == "tms02" {
			got = &r
		}
		if r.Rule == "machinekey.match" && r.Node == "tms02" {
			assert.Equal(t, Pass, r.Status, "the effective key is the approved one")
		}
	}
	require.NotNil(t, got)
	assert.Equal(t, Fail, got.Status)
	assert.Equal(t, "2 <machineKey> elements (lines 3, 4)", got.Observed)
	assert.Contains(t, got.Message, "line 4: a second <machineKey> for the application (the first is on line 3)")
	assert.Contains(t, got.Message, "IIS refuses")
}

// Two keys for one sub-path (<location path="api">) are a section defined
// twice for that path: present fails, naming both lines, though the
// application's own key is right.
func TestMachineKeyDuplicateForASubPath(t *testing.T) {
	d := testDeployment(inventory.ManualCutover, manual...)
	wc := d.Nodes[1].WebConfig
	const key = `    <system.web>` + "\r\n" + `      <machineKey validationKey="AutoGenerate" decryptionKey="AutoGenerate" />` + "\r\n"
	wc.Raw = []byte(strings.Replace(string(wc.Raw), "</configuration>",
		"  <location path=\"api\">\r\n"+key+key[len("    <system.web>\r\n"):]+"    </system.web>\r\n  </location>\r\n</configuration>", 1))
	var got *Result
	for _, r := range Evaluate(d) {
		if r.Rule == "machinekey.present" && r.Node == "tms02" {
			got = &r
		}
	}
	require.NotNil(t, got)
	assert.Equal(t, Fail, got.Status, "%s", wc.Raw)
	assert.Regexp(t, `^2 <machineKey> elements \(lines \d+, \d+\)$`, got.Observed)
	assert.Contains(t, got.Message, `a second <machineKey> for path "api"`)
	assert.Contains(t, got.Message, "ASP.NET refuses a section defined twice for one path")
}

// A temporary file of an interrupted tmsdrift write is no extra customer
// file: data.synced says what it is (issue 8, item 3).
func TestDataSyncedNamesDebris(t *testing.T) {
	d := testDeployment(inventory.ManualCutover, inventory.Primary, inventory.Standby, inventory.Standby)
	tmp := manifest.File{Rel: `wwwTMS\Data\Logo\.acme.png.tmsdrift-0123456789abcdef.tmp`, Size: 1, SHA256: "ee"}
	d.Nodes[1].Data.Debris = map[string]manifest.File{lower(tmp.Rel): tmp}
	d.Nodes[2].Data.Debris = map[string]manifest.File{lower(tmp.Rel): tmp}
	delete(d.Nodes[2].Data.Files, lower(`wwwTMS\Data\Logo\acme.png`))

	var got []Result
	for _, r := range Evaluate(d) {
		if r.Rule == "data.synced" {
			got = append(got, r)
		}
	}
	require.Len(t, got, 2)
	assert.Equal(t, Fail, got[0].Status)
	assert.Equal(t, `1 left by an interrupted write: `+tmp.Rel, got[0].Observed)
	assert.NotContains(t, got[0].Observed, "extra")
	assert.Equal(t, "an interrupted tmsdrift write left temporary files (tmsdrift fix deletes them)", got[0].Message)
	assert.Equal(t, `1 missing: wwwTMS\Data\Logo\acme.png; 1 left by an interrupted write: `+tmp.Rel, got[1].Observed)
	assert.Equal(t, "customer files differ from the master's, and an interrupted tmsdrift write left temporary files (tmsdrift fix deletes them)", got[1].Message)
}
