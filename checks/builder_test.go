package checks

import (
	"time"

	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/inventory"
	"github.com/tmsdrift/tmsdrift/machinekey"
	"github.com/tmsdrift/tmsdrift/manifest"
)

// A compliant manual-cutover deployment built in memory; tests change one
// thing and look at the verdict. The labs under fixtures/ cover the same
// ground end to end; these tests pin the boundaries.

var testKey = machinekey.Key{
	ValidationKey: "0A1B2C3D4E5F60718293A4B5C6D7E8F90A1B2C3D4E5F60718293A4B5C6D7E8F9",
	DecryptionKey: "8A9B0C1D2E3F405162738495A6B7C8D9EAFB0C1D2E3F4051",
	Validation:    "HMACSHA256",
	Decryption:    "AES",
}

var testNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

func testInventory(model inventory.Model, roles ...inventory.Role) *inventory.Inventory {
	inv := &inventory.Inventory{
		Deployment: "acme-tms", Model: model, Domain: "ACME.LOCAL",
		Addresses: inventory.Addresses{IPv4Local: "10.10.0.11", DNSLocal: "tms.acme.local"},
		Paths: inventory.Paths{Install: `C:\Program Files\TANDBERG\TMS`, WebRoot: `C:\Program Files\TANDBERG\TMS\wwwTMS`,
			Software: `C:\Program Files\TANDBERG\TMS\wwwTMS\Data\Software`},
		MachineKey: inventory.MachineKeySource{File: "keys/machinekey.xml"},
		DataSync:   inventory.DataSync{Dirs: inventory.DefaultDataDirs},
		Time:       inventory.TimeLimits{MaxOffsetMS: 1000},
		Database: inventory.Database{Snapshot: "db.json", Server: `sql01.acme.local\TMS`, OffsiteServer: `sql-dr.acme.local\TMS`,
			Name: "tmsng", MaxLatencyMS: 10, MaxBackupAgeHours: 26, MaxLogShippingLagMinutes: 60},
	}
	for i, r := range roles {
		inv.Nodes = append(inv.Nodes, inventory.Node{Name: nodeName(i), Role: r, Address: nodeAddr(i),
			Transport: inventory.Transport{Kind: "dir", Path: "nodes/" + nodeName(i)}})
	}
	return inv
}

func nodeName(i int) string { return []string{"tms01", "tms02", "tms03", "tms04"}[i] }
func nodeAddr(i int) string {
	return []string{"10.10.0.11", "10.10.0.12", "10.10.0.13", "10.10.0.14"}[i]
}

func testServices(active bool) []facts.Service {
	start, state := facts.StartManual, facts.StateStopped
	if active {
		start, state = facts.StartAutomatic, facts.StateRunning
	}
	var out []facts.Service
	for _, n := range []string{"TMSDatabaseScannerService", "TMSLiveService", "TMSSchedulerService", "W3SVC"} {
		out = append(out, facts.Service{Name: n, StartType: start, State: state})
	}
	return append(out, facts.Service{Name: "Spooler", StartType: facts.StartAutomatic, State: facts.StateRunning})
}

func testFiles() *manifest.Manifest {
	m := &manifest.Manifest{Files: map[string]manifest.File{}}
	for _, f := range []manifest.File{
		{Rel: `wwwTMS\Data\Logo\acme.png`, Size: 3, SHA256: "aa"},
		{Rel: `wwwTMS\Data\Sound\ring.wav`, Size: 5, SHA256: "bb"},
	} {
		m.Files[lower(f.Rel)] = f
	}
	return m
}

func testDeployment(model inventory.Model, roles ...inventory.Role) *facts.Deployment {
	inv := testInventory(model, roles...)
	d := &facts.Deployment{Inventory: inv, Now: testNow, ApprovedKeyFrom: "keys/machinekey.xml"}
	k := testKey
	d.ApprovedKey = &k
	for i := range inv.Nodes {
		spec := &inv.Nodes[i]
		key := testKey
		d.Nodes = append(d.Nodes, &facts.Node{
			Spec: spec,
			Facts: &facts.NodeFacts{
				Schema: facts.NodeSchema, Hostname: upper(spec.Name), Domain: "ACME.LOCAL", PartOfDomain: ptr(true),
				IPv4: []string{spec.Address},
				Time: &facts.TimeFacts{Source: "dc01.acme.local", Synced: ptr(true), OffsetMS: ptr(2.4)},
				TMS: &facts.TMSFacts{Version: "15.13.2", InstallPath: inv.Paths.Install, WebRoot: inv.Paths.WebRoot,
					SoftwareDir: inv.Paths.Software, DBServer: inv.Database.Server, DBName: "tmsng"},
				Services: testServices(spec.Role.Active()),
				DBRTTMS:  []float64{0.8, 0.9, 1.2},
			},
			WebConfig: &facts.WebConfig{Path: inv.Paths.WebRoot + `\web.config`, Key: &key, Raw: testWebConfig(key)},
			Data:      testFiles(),
		})
		if spec.Role == inventory.OffsiteStandby {
			d.Nodes[i].Facts.TMS.DBServer = inv.Database.OffsiteServer
		}
	}
	observed := facts.Timestamp{Time: time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)}
	d.DB = facts.DB{From: "db.json", Facts: &facts.DBFacts{
		Schema: facts.DBSchema,
		Server: &facts.ServerFacts{Name: `sql01.acme.local\TMS`, Edition: "Standard Edition (64-bit)",
			IsClustered: ptr(false), IsHADREnabled: ptr(true), IntegratedSecurityOnly: ptr(false)},
		Database:       facts.Some(facts.DatabaseFacts{Name: "tmsng", State: "ONLINE", RecoveryModel: "FULL"}),
		LastFullBackup: facts.Some(facts.Timestamp{Time: observed.Add(-3 * time.Hour)}),
		LogShipping: facts.Some(facts.LogShipping{SecondaryServer: "sql-dr.acme.local",
			LastRestored: facts.Some(facts.Timestamp{Time: observed.Add(-20 * time.Minute)})}),
		Settings:   &facts.Settings{IPv4Local: "10.10.0.11", DNSLocal: "tms.acme.local"},
		RTTMS:      []float64{0.7, 0.8, 0.9},
		ObservedAt: &observed,
	}}
	d.ChooseVersion()
	return d
}

// testWebConfig is a web.config carrying k, as gathering would have read
// it.
func testWebConfig(k machinekey.Key) []byte {
	return []byte("<configuration>\r\n  <system.web>\r\n    " + machinekey.Element(k) + "\r\n  </system.web>\r\n</configuration>\r\n")
}
