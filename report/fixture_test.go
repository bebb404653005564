package report

import (
	"time"

	"github.com/tmsdrift/tmsdrift/checks"
)

// Fixed times, so golden files need no scrubbing.
var (
	fixtureStart = time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)
	fixtureEnd   = fixtureStart.Add(1843 * time.Millisecond)
)

// Machine key fingerprints as the checks report them: never the key.
const (
	approvedKeys = "validationKey sha256:4f1c9a2e7b3d, decryptionKey sha256:b7d03e1190aa, HMACSHA256/AES"
	rogueKeys    = "validationKey sha256:e02d77a1c4f9, decryptionKey sha256:b7d03e1190aa, HMACSHA256/AES"
)

// hostile holds every character that needs escaping in some format:
// XML's < & " and the CDATA end ]]>, Markdown's | and a line break, and
// non-ASCII.
const hostile = "web.config: XML syntax error on line 14: unexpected \"]]>\" in <machineKey validation=\"SHA1|AES\" & …>\nfile saved by Notepad (Größe 0 B)"

func pass(rule, node string, sev checks.Severity) checks.Result {
	return checks.Result{Rule: rule, Node: node, Status: checks.Pass, Severity: sev}
}

// mixedReport is a realistic manual-cutover audit (tms01 primary, tms02
// and tms03 standbys), in the engine's order (catalogue, then inventory):
// failures of three severities on nodes and on the deployment, two
// errors, a waiver and passes.
func mixedReport() *Report {
	h, c, m := checks.High, checks.Critical, checks.Medium
	results := []checks.Result{
		pass("domain.joined", "tms01", h), pass("domain.joined", "tms02", h), pass("domain.joined", "tms03", h),
		pass("domain.same", "tms01", h), pass("domain.same", "tms02", h), pass("domain.same", "tms03", h),
		pass("time.synced", "tms01", h),
		{Rule: "time.synced", Node: "tms02", Status: checks.Waived, Severity: h,
			Expected: "synced, |offset| <= 1000 ms", Observed: "synced to dc01.acme.local, offset 2400 ms",
			Message: "waived until 2026-12-31: NTP source being replaced, ticket 4711"},
		pass("time.synced", "tms03", h),
		pass("paths.identical", "tms01", m), pass("paths.identical", "tms02", m), pass("paths.identical", "tms03", m),
		pass("machinekey.present", "tms01", c), pass("machinekey.present", "tms02", c),
		{Rule: "machinekey.present", Node: "tms03", Status: checks.Error, Severity: c, Message: hostile, Fixable: true},
		pass("machinekey.match", "tms01", c),
		{Rule: "machinekey.match", Node: "tms02", Status: checks.Fail, Severity: c,
			Expected: approvedKeys, Observed: rogueKeys,
			Message: "validationKey differs from the approved key", Fixable: true},
		{Rule: "machinekey.match", Node: "tms03", Status: checks.Error, Severity: c,
			Message: "web.config is not well-formed (see machinekey.present)", Fixable: true},
		{Rule: "addresses.match", Status: checks.Fail, Severity: c,
			Expected: "ipv4_local 10.10.0.11, dns_local tms.acme.local",
			Observed: "ipv4_local 10.10.0.12, dns_local tms.acme.local",
			Message:  "the IPv4 address is tms02's own: a TMS upgrade on tms02 rewrote it", Fixable: true},
		pass("addresses.public-dns", "", h),
		{Rule: "services.standby-inactive", Node: "tms02", Status: checks.Fail, Severity: c,
			Expected: "TMS* services and W3SVC Stopped, Manual",
			Observed: "TMSSchedulerService Running, Automatic\nW3SVC Running, Automatic", Fixable: true},
		pass("services.standby-inactive", "tms03", c),
		pass("services.active-running", "tms01", c),
		pass("version.same", "", h),
		pass("nodes.unique-address", "", h),
		pass("db.single-live", "tms01", c), pass("db.single-live", "tms02", c), pass("db.single-live", "tms03", c),
		pass("db.separate-server", "", h),
		pass("db.latency", "", h), pass("db.latency", "tms01", h), pass("db.latency", "tms02", h),
		{Rule: "db.latency", Node: "tms03", Status: checks.Fail, Severity: h,
			Expected: "median < 10 ms", Observed: "median 23.4 ms (21.9, 23.4, 30.1)",
			Message: "tms03 reaches sql01.acme.local\\TMS over the site link"},
		pass("db.edition", "", h),
		pass("db.mixed-auth", "", m),
		pass("db.online", "", c),
		{Rule: "db.backup-recent", Status: checks.Fail, Severity: h,
			Expected: "a full backup of tmsng younger than 26 h",
			Observed: "last full backup 2026-11-22T23:00:00Z (51 h old)"},
		{Rule: "data.synced", Node: "tms02", Status: checks.Fail, Severity: m,
			Expected: "the files of tms01", Observed: "missing: wwwTMS\\Data\\EmailTemplate\\Bestätigung.htm", Fixable: true},
		{Rule: "data.synced", Node: "tms03", Status: checks.Fail, Severity: m,
			Expected: "the files of tms01",
			Observed: "different: wwwTMS\\Data\\CompanyLogo\\R&D_logo.png, wwwTMS\\Data\\Software\\s52000ce9_4_0.pkg; extra: wwwTMS\\Data\\Sound\\ring*2.wav",
			Fixable:  true},
	}
	return New("acme-tms", "manual-cutover", fixtureStart, fixtureEnd, results)
}

// allPassReport is a healthy single-server deployment.
func allPassReport() *Report {
	h, c := checks.High, checks.Critical
	return New("branch-office", "single", fixtureStart, fixtureEnd, []checks.Result{
		pass("time.synced", "tms01", h),
		pass("addresses.match", "", c),
		pass("addresses.public-dns", "", h),
		pass("services.active-running", "tms01", c),
		pass("db.single-live", "tms01", c),
		pass("db.latency", "", h), pass("db.latency", "tms01", h),
		pass("db.online", "", c),
		pass("db.backup-recent", "", h),
	})
}

// erroredReport failed nothing but could not check the database: exit 3.
func erroredReport() *Report {
	h, c := checks.High, checks.Critical
	return New("lab", "single-separate-db", fixtureStart, fixtureEnd, []checks.Result{
		pass("time.synced", "tms01", h),
		{Rule: "db.latency", Node: "tms01", Status: checks.Waived, Severity: h, Message: "lab on a VPN, ticket 12"},
		pass("services.active-running", "tms01", c),
		{Rule: "db.online", Status: checks.Error, Severity: c, Message: "db.json: missing \"database\" block"},
		{Rule: "db.backup-recent", Status: checks.Error, Severity: h, Message: "db.json: missing \"last_full_backup\" key"},
	})
}

// previousMixedReport is the night before mixedReport: the upgrade on
// tms02 had not happened yet, tms03's clock was off, the database could not
// be read for db.online, and the backup was already stale.
func previousMixedReport() *Report {
	before := fixtureStart.Add(-24 * time.Hour)
	var results []checks.Result
	for _, res := range mixedReport().Results {
		switch {
		case res.Rule == "machinekey.match" && res.Node == "tms02",
			res.Rule == "addresses.match",
			res.Rule == "services.standby-inactive" && res.Node == "tms02":
			res.Status, res.Observed, res.Message = checks.Pass, res.Expected, ""
		case res.Rule == "time.synced" && res.Node == "tms03":
			res.Status, res.Observed = checks.Fail, "synced to dc01.acme.local, offset 5100 ms"
		case res.Rule == "db.online":
			res.Status, res.Message = checks.Error, "login failed for tmsaudit"
		}
		results = append(results, res)
	}
	return New("acme-tms", "manual-cutover", before, before.Add(time.Second), results)
}

// mixedChanges is what changed from previousMixedReport to mixedReport,
// with one first-seen date filled in from an older run as history does.
func mixedChanges() *Changes {
	ch := Compare(previousMixedReport(), mixedReport())
	for i, c := range ch.StillFailing {
		if c.Rule == "db.backup-recent" {
			ch.StillFailing[i].FirstSeen = time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)
		}
	}
	return &ch
}

// mixedNotes are what the nightly service adds above the results.
var mixedNotes = []string{"Upgrade detected on tms02: TMS 15.13.1 → 15.14.0.", "Run `tmsdrift post-upgrade -i 'inventories/acme tms.yaml' --apply` to restore the machineKey and the addresses."}
