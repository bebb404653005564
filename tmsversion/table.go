package tmsversion

import "slices"

// The documents the table cites. Where a note says "as read for issue 10",
// the citation is that reading of the document: the public copies
// reachable while this table was written did not include the passage, so
// it was not re-read here (docs/tms-versions.md, Sources).
var (
	guide117  = "D14570.02 TMS Server Redundancy Configuration Guide (TMS 11.7, 2010)"
	guide132  = "D14570.04 Cisco TMS Redundancy Deployment Guide (TMS 13.2, 2012)"
	install15 = "Cisco TMS Installation and Upgrade Guide 15.x"
	tac212319 = "Cisco TAC document 212319, TMS SQL database migration from one SQL server to another"
	pa14      = "Preferred Architecture for Cisco Collaboration 14"
	tac215223 = "Cisco TAC document 215223, TMS phone books troubleshoot guide"
)

// GuideDataDirs returns the nine customer folders of the 11.7 guide,
// relative to the install folder: inventory's default data_sync.dirs.
func GuideDataDirs() []string { return slices.Clone(dirs117) }

// Values shared by several entries.
var (
	// The nine folders of the 11.7 guide; tmsdrift's default since v1.
	dirs117 = []string{
		`wwwTMS\Data\CiscoSettings`,
		`wwwTMS\Data\CompanyLogo`,
		`wwwTMS\Data\EmailTemplate`,
		`wwwTMS\Data\Image`,
		`wwwTMS\Data\Logo`,
		`wwwTMS\Data\Map`,
		`wwwTMS\Data\MGCSettings`,
		`wwwTMS\Data\Software`,
		`wwwTMS\Data\Sound`,
	}
	// The six folders of TMS 15.
	dirs15 = []string{
		`Config\System`,
		`Data\GenericEndpoint`,
		`Data\SystemTemplate`,
		`wwwTMS\Data\CompanyLogo`,
		`wwwTMS\Data\ExternalSourceFiles`,
		`wwwTMS\Public\Data\SystemSoftware`,
	}
	// The services TAC 212319 lists for TMS 15.3, and IIS.
	services15 = []string{
		"TMSDatabaseScannerService",
		"TMSLiveService",
		"TMSPLCMDirectoryService",
		"TMSSchedulerService",
		"TMSServerDiagnosticsService",
		"TMSSnmpService",
		"W3SVC",
	}
	mainWebConfig   = WebConfig{Path: "web.config", KeyRequired: true}
	publicWebConfig = WebConfig{Path: `Public\web.config`}
	stoppedManual   = ServiceState{StartType: "Manual", State: "Stopped"}
)

// Facts of the 11.7 guide, which says of itself (Introduction) that it
// applies to TMS 11.5 and newer until revised: the 11.x and 12.x families
// and 13.0 and 13.1.
var (
	dirsFrom117 = Fact[[]string]{Value: dirs117, Source: Source{Doc: guide117, Section: "TMS Customer file synchronization",
		Note: "the nine folders tmsdrift has used since its first release"}}
	softwareFrom117   = Fact[string]{Value: `wwwTMS\Data\Software`, Source: Source{Doc: guide117, Section: "TMS Customer file synchronization"}}
	webConfigsFrom117 = Fact[[]WebConfig]{Value: []WebConfig{mainWebConfig}, Source: Source{Doc: guide117, Section: "Set web validation key on web servers"}}
	servicesBefore15  = Fact[[]string]{Value: services15, Source: Source{Assumption: true, Doc: tac212319,
		Note: "the names TAC 212319 lists for TMS 15.3; the 11.7 guide names the services only as those whose name starts with TMS, and tmsdrift governs every such service whatever the release"}}
	unlimitedFrom117 = Fact[int]{Value: 0, Source: Source{Doc: guide117, Section: "Multiple TMS Servers, Load Balancing, and Clustered Database",
		Note: "sets no largest number of load-balanced servers"}}
	passiveFrom117 = Fact[ServiceState]{Value: stoppedManual, Source: Source{Doc: guide117, Section: "Installing secondary TMS application"}}
)

// Facts from 13.2 on: two TMS servers at most (confirmed in both guides),
// a passive node's services unsettled.
var (
	twoFrom132 = Fact[int]{Value: 2, Source: Source{Doc: guide132, Section: "Introduction",
		Note: `"Regardless of which of the two redundancy models you choose to deploy, no more than two Cisco TMS servers" (the same words in the 15.x Installation Guide); the sentence covers the hot standby model too, tmsdrift counts active servers only (docs/tms-versions.md)`}}
	twoIn15 = Fact[int]{Value: 2, Source: Source{Doc: install15, Section: "Setting up a Redundant Deployment: Supported Configurations",
		Note: `"no more than two Cisco TMS servers can be used. Deploying more than two Cisco TMS servers in a redundant setup is neither tested nor supported by Cisco"; the sentence covers the hot standby model too, tmsdrift counts active servers only (docs/tms-versions.md)`}}
	passiveFrom132 = Fact[ServiceState]{Value: stoppedManual, Unsettled: true, Source: Source{Assumption: true, Doc: guide117, Section: "Installing secondary TMS application",
		Note: "Cisco's architecture guides (" + pa14 + ", conferencing chapter, as read for issue 10) describe the passive node as running in standby mode with its web pages and services locked down, and D14570.04's \"Setting up the secondary Cisco TMS server\" could not be read here; whether that means Stopped and Manual, as the 11.7 guide says, is unsettled, so the 11.7 guide's values stay"}}
	// 13.2 to 14.x: D14570.04 lists the folders in its Appendix 2, which
	// could not be read here; comparing both known lists misses neither
	// (a folder absent on every node passes).
	dirsFrom132 = Fact[[]string]{Value: union(dirs117, dirs15), Source: Source{Assumption: true, Doc: guide132, Section: "Appendix 2. Local files for synchronization",
		Note: "the appendix could not be read here, so both known lists are compared: the 11.7 guide's nine folders and TMS 15's six; a folder absent on every node passes"}}
	softwareFrom132 = Fact[string]{Value: `wwwTMS\Data\Software`, Source: Source{Assumption: true, Doc: guide117, Section: "TMS Customer file synchronization",
		Note: "where 13.2 to 14.x keep software packages was not confirmed; set paths.software if yours differs"}}
)

// Facts of TMS 15.
var (
	dirsIn15 = Fact[[]string]{Value: dirs15, Source: Source{Doc: pa14, Section: "Conferencing",
		Note: "together with " + tac215223 + ", as read for issue 10"}}
	softwareIn15 = Fact[string]{Value: `wwwTMS\Public\Data\SystemSoftware`, Source: Source{Doc: pa14, Section: "Conferencing",
		Note: "together with " + tac215223 + ", as read for issue 10"}}
	servicesIn15 = Fact[[]string]{Value: services15, Source: Source{Doc: tac212319,
		Note: "the services it lists for TMS 15.3, plus W3SVC; IISADMIN, listed as optional, is not governed; as read for issue 10"}}
	webConfigsFrom158 = Fact[[]WebConfig]{Value: []WebConfig{mainWebConfig, publicWebConfig}, Unsettled: true, Source: Source{Doc: pa14, Section: "Conferencing",
		Note: "together with " + tac215223 + `, as read for issue 10: TMS 15.8 and later has a second application configuration, wwwTMS\Public\web.config; whether it needs its own fixed machineKey is unsettled, so it is compared wherever it carries one and required only where the inventory says so`}}
)

// table is every release family tmsdrift knows, oldest first. An entry's
// Base holds from its first release; each Change from its release on,
// applied in order. Lookup resolves a version against it.
var table = []entry{
	{
		Family: "11.x", From: MustParse("11.5"), Major: 11,
		Base: Profile{
			DataDirs: dirsFrom117, SoftwareDir: softwareFrom117, WebConfigs: webConfigsFrom117,
			Services: servicesBefore15, MaxActive: unlimitedFrom117, Passive: passiveFrom117,
		},
	},
	{
		Family: "12.x", From: MustParse("12.0"), Major: 12,
		Base: Profile{
			DataDirs: dirsFrom117, SoftwareDir: softwareFrom117, WebConfigs: webConfigsFrom117,
			Services: servicesBefore15, MaxActive: unlimitedFrom117, Passive: passiveFrom117,
		},
	},
	{
		Family: "13.x", From: MustParse("13.0"), Major: 13,
		Base: Profile{
			DataDirs: dirsFrom117, SoftwareDir: softwareFrom117, WebConfigs: webConfigsFrom117,
			Services: servicesBefore15, MaxActive: unlimitedFrom117, Passive: passiveFrom117,
		},
		Changes: []change{
			{Release: MustParse("13.2"), DataDirs: &dirsFrom132, SoftwareDir: &softwareFrom132, MaxActive: &twoFrom132, Passive: &passiveFrom132},
		},
	},
	{
		Family: "14.x", From: MustParse("14.0"), Major: 14,
		Base: Profile{
			DataDirs: dirsFrom132, SoftwareDir: softwareFrom132, WebConfigs: webConfigsFrom117,
			Services: servicesBefore15, MaxActive: twoFrom132, Passive: passiveFrom132,
		},
	},
	{
		Family: "15.x", From: MustParse("15.0"), Major: 15,
		Base: Profile{
			DataDirs: dirsIn15, SoftwareDir: softwareIn15, WebConfigs: webConfigsFrom117,
			Services: servicesIn15, MaxActive: twoIn15, Passive: passiveFrom132,
		},
		Changes: []change{
			{Release: MustParse("15.8"), WebConfigs: &webConfigsFrom158},
		},
	},
}

// union is a's folders, then b's not already in a (case-insensitively, as
// Windows compares them).
func union(a, b []string) []string {
	out := append([]string(nil), a...)
	for _, x := range b {
		if !containsFold(out, x) {
			out = append(out, x)
		}
	}
	return out
}
