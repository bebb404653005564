package inventory

import (
	"slices"
	"strings"
)

// Default web root and software folder of a standard install (contract §4,
// Defaults).
const (
	DefaultWebRoot  = DefaultInstall + `\wwwTMS`
	DefaultSoftware = DefaultWebRoot + `\Data\Software`
)

// ApplyDefaults fills every setting the administrator may omit (contract
// §4, Defaults). A limit of 0 counts as omitted: no limit of 0 is useful
// (every node would fail), and inventories built in Go get the same values
// as loaded ones. An omitted web root lies below the install folder and an
// omitted software folder below the web root, so an install on another
// drive needs only paths.install. Load calls it; call it yourself on an
// Inventory built in code before handing it to the checks. Defaulted
// records what it filled in: the software folder and the data folders are
// then the TMS version profile's to choose (package facts).
func (inv *Inventory) ApplyDefaults() {
	if inv.Time.MaxOffsetMS == 0 {
		inv.Time.MaxOffsetMS = DefaultMaxOffsetMS
	}
	db := &inv.Database
	if db.Name == "" {
		db.Name = DefaultDatabaseName
	}
	if db.MaxLatencyMS == 0 {
		db.MaxLatencyMS = DefaultMaxLatencyMS
	}
	if db.MaxBackupAgeHours == 0 {
		db.MaxBackupAgeHours = DefaultMaxBackupAgeHours
	}
	if db.MaxLogShippingLagMinutes == 0 {
		db.MaxLogShippingLagMinutes = DefaultMaxLogShippingLagMinutes
	}
	if db.ConnectTimeoutSeconds == 0 {
		db.ConnectTimeoutSeconds = DefaultConnectTimeoutSeconds
	}
	if db.QueryTimeoutSeconds == 0 {
		db.QueryTimeoutSeconds = DefaultQueryTimeoutSeconds
	}
	if db.LatencySamples == 0 {
		db.LatencySamples = DefaultLatencySamples
	}
	p := &inv.Paths
	if p.Install == "" {
		p.Install = DefaultInstall
		inv.Defaulted.Install = true
	}
	if p.WebRoot == "" {
		p.WebRoot = windowsJoin(p.Install, "wwwTMS")
	}
	if p.Software == "" {
		p.Software = windowsJoin(p.WebRoot, `Data\Software`)
		inv.Defaulted.Software = true
	}
	if len(inv.DataSync.Dirs) == 0 {
		inv.DataSync.Dirs = slices.Clone(DefaultDataDirs)
		inv.Defaulted.DataDirs = true
	}
	inv.Notify.applyDefaults()
}

// windowsJoin appends a relative Windows path to a folder.
func windowsJoin(dir, rel string) string {
	return strings.TrimRight(dir, `\`) + `\` + rel
}

// AsWritten returns a copy of inv without the values ApplyDefaults filled
// in where a TMS version profile decides instead (Defaulted): what to
// marshal when writing an inventory back out, so the copy is judged by
// the nodes' release as the original is, not by the fixed defaults.
func (inv *Inventory) AsWritten() *Inventory {
	out := *inv
	if out.Defaulted.DataDirs {
		out.DataSync.Dirs = nil
	}
	if out.Defaulted.Software {
		out.Paths.Software = ""
	}
	out.Defaulted = Defaulted{}
	return &out
}
