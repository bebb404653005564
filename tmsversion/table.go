package tmsversion

import "slices"

// The documents the table cites. Each passage a note quotes was read in a
// stored copy of the document (docs/tms-versions.md, "Sources, as read",
// lists the copies and what could not be found). A section that could not
// be read there is named as the project's earlier reading and says so;
// what no passage read supports is a tmsdrift assumption.
var (
	guide117  = "D14570.02 Cisco TMS redundancy configuration and overview (TMS 11.7, 2010)"
	guide132  = "D14570.04 Cisco TMS Redundancy Deployment Guide (TMS 13.2, 2012)"
	install15 = "Cisco TMS Installation and Upgrade Guide 15.x"
	tac212319 = "Cisco TAC document 212319, TMS SQL Database Migration from one SQL Server to another SQL server"
	pa14      = "Preferred Architecture for Cisco Collaboration 14 Enterprise On-Premises Deployments, CVD, chapter Conferencing"
	tac215223 = "Cisco TAC document 215223, TMS Phone Books Troubleshoot Guide"
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

// notRead marks a D14570.02 section the project has cited since its first
// release but that the stored copies read for the table do not include.
const notRead = "section as the project has cited it since v1; it was not in the copies of the guide read for this table"

// Facts of the 11.7 guide, which says of itself (Introduction: "Unless
// stated otherwise, information in this document should apply to all
// versions of Cisco TMS v11.5 or newer") that it covers the 11.x and 12.x
// families and 13.0 and 13.1.
var (
	dirsFrom117 = Fact[[]string]{Value: dirs117, Source: Source{Doc: guide117, Section: "TMS Customer file synchronization",
		Note: "the nine folders tmsdrift has used since its first release; " + notRead + " (its Introduction lists a part \"Customer Specific Cisco TMS Files\")"}}
	softwareFrom117   = Fact[string]{Value: `wwwTMS\Data\Software`, Source: Source{Doc: guide117, Section: "TMS Customer file synchronization", Note: notRead}}
	webConfigsFrom117 = Fact[[]WebConfig]{Value: []WebConfig{mainWebConfig}, Source: Source{Doc: guide117, Section: "Set web validation key on web servers",
		Note: notRead + "; its revision notes read: \"Added Validation Key requirements.\""}}
	servicesBefore15 = Fact[[]string]{Value: services15, Source: Source{Assumption: true, Doc: tac212319,
		Note: "the names TAC 212319 lists for TMS 15.3; the 11.7 guide names the services only as \"all services whose name starts with Cisco TMS and the WWWPublishingService service\" (Recovery Methods, Primary Site Failure), and tmsdrift governs every service whose name starts with TMS whatever the release"}}
	unlimitedFrom117 = Fact[int]{Value: 0, Source: Source{Doc: guide117, Section: "Multiple TMS Servers, Load Balancing, and Clustered Database",
		Note: "sets no largest number: the load balancer forwards connections \"to a particular Cisco TMS server from a pool of Cisco TMS servers\""}}
	passiveFrom117 = Fact[ServiceState]{Value: stoppedManual, Source: Source{Assumption: true, Doc: guide117, Section: "Installing secondary TMS application",
		Note: notRead + "; what was read says only that the off-site model's secondary \"must be kept offline and disabled\" and is started \"by activating all services whose name starts with Cisco TMS and the WWWPublishingService service\" (Recovery Methods, Primary Site Failure): Stopped is read there, Manual is tmsdrift's"}}
)

// Facts from 13.2 on: two TMS servers at most (confirmed in both guides),
// a passive node's services unsettled.
var (
	twoFrom132 = Fact[int]{Value: 2, Source: Source{Doc: guide132, Section: "Introduction",
		Note: `"Regardless of which of the two redundancy models you choose to deploy, no more than two Cisco T[MS servers]" (the stored copy breaks off there; the 15.x Installation Guide has the whole sentence); the two models are the load balancer and the hot standby, so the sentence counts a hot standby too, which nodes.count does not yet (docs/tms-versions.md)`}}
	twoIn15 = Fact[int]{Value: 2, Source: Source{Doc: install15, Section: "Setting up a Redundant Deployment > Preliminary Information > Supported Configurations",
		Note: `"Regardless of which of the two redundancy models you choose to deploy, no more than two Cisco TMS servers can be used. Deploying more than two Cisco TMS servers in a redundant setup is neither tested nor supported by Cisco."; the two models are the load balancer and the hot standby, so the sentence counts a hot standby too, which nodes.count does not yet (docs/tms-versions.md)`}}
	passiveFrom132 = Fact[ServiceState]{Value: stoppedManual, Unsettled: true, Source: Source{Assumption: true, Doc: guide117, Section: "Installing secondary TMS application",
		Note: "D14570.04's \"Setting up the secondary Cisco TMS server\" (hot standby) was not in the stored copies; " + pa14 + " says of the passive node of an active/passive pair behind a load balancer that it \"runs in standby mode with its web pages and services locked down and refusing all incoming traffic\", which names no start type: whether a standby's services must be Stopped and Manual is unsettled, so the 11.7 guide's values as tmsdrift has read them stay"}}
	// 13.2 to 14.x: D14570.04 lists the folders in its Appendix 2, which
	// was not in the stored copies; comparing both known lists misses
	// neither (a folder absent on every node passes).
	dirsFrom132 = Fact[[]string]{Value: union(dirs117, dirs15), Source: Source{Assumption: true, Doc: guide132, Section: "Appendix 2. Local files for synchronization",
		Note: "the appendix (page 25) was not in the stored copies, so both known lists are compared: the 11.7 guide's nine folders and the six of the Preferred Architecture; a folder absent on every node passes"}}
	softwareFrom132 = Fact[string]{Value: `wwwTMS\Data\Software`, Source: Source{Assumption: true, Doc: guide117, Section: "TMS Customer file synchronization",
		Note: "where 13.2 to 14.x keep software packages was not found in any document read; set paths.software if yours differs"}}
)

// Facts of TMS 15. The Preferred Architecture (12.x of 2017 and 14 of
// 2021, both written while TMS 15 was current) names no TMS release:
// applying its folder list to 15.x is tmsdrift's reading of its date.
var (
	dirsIn15 = Fact[[]string]{Value: dirs15, Source: Source{Doc: pa14, Section: "5. Deploy Cisco TelePresence Management Suite > Configure File Sharing Between Active and Passive Node Servers",
		Note: "\"In a default installation, the files are located at:\" these six folders under C:\\Program Files\\TANDBERG\\TMS (the same list in the 12.x edition); the document names no TMS release, tmsdrift applies it to 15.x"}}
	softwareIn15 = Fact[string]{Value: `wwwTMS\Public\Data\SystemSoftware`, Source: Source{Assumption: true, Doc: pa14, Section: "5. Deploy Cisco TelePresence Management Suite > Configure File Sharing Between Active and Passive Node Servers",
		Note: "the folder is in the document's list, whose files \"include software and images that can be uploaded to Cisco TMS\"; that it is where TMS 15 keeps system software packages is read from its name"}}
	servicesIn15 = Fact[[]string]{Value: services15, Source: Source{Doc: tac212319, Section: "Step 1. Stop the TMS Application Services, including IIS and WWW",
		Note: "the six TMS services it lists (Components Used: TMS 15.3) and World Wide Web Publishing Service (W3SVC); IISADMIN, listed as \"(optional)\", is not governed"}}
	webConfigsFrom158 = Fact[[]WebConfig]{Value: []WebConfig{mainWebConfig, publicWebConfig}, Unsettled: true, Source: Source{Doc: tac215223, Section: "Phone Book Request/Response Logging in TMS",
		Note: `"TMS 15.8 introduced the capability to log all phone book requests" ... "By modifying the web.config file located, by default at "C:\Program Files (x86)\TANDBERG\TMS\wwwTMS\Public\web.config""; the document does not say the file is new in 15.8 (listing it from 15.8 on is tmsdrift's reading) and says nothing of a machineKey: whether it needs its own fixed key is unsettled, so it is compared wherever it carries one and required only where the inventory says so`}}
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
