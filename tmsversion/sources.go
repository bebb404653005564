package tmsversion

import "fmt"

// ReadStatus says how far a rule's cited guide section was checked against
// the stored copies of Cisco's documents read for docs/tms-versions.md
// ("Sources, as read"). It is data: `tmsdrift explain`, `tmsdrift rules`
// (its `source_status`), docs/rules.md and the HTML report show it, and a
// test holds the table of docs/tms-versions.md to it.
type ReadStatus string

// The read statuses.
const (
	// Confirmed: a passage read in a stored copy of a Cisco document
	// states it; Citation.Read quotes it, with document and section.
	Confirmed ReadStatus = "confirmed"
	// NotReread: the section as tmsdrift has cited it since v1 (the
	// contract); its text was not among the pages read, so it is neither
	// confirmed nor contradicted. Citation.Read says whether the heading
	// was at least seen (in a contents list, or referred to).
	NotReread ReadStatus = "not-reread"
	// Assumption: no Cisco document states it; tmsdrift chose it, and
	// Citation.Read says why.
	Assumption ReadStatus = "assumption"
)

// ReadStatuses are every status, in the order of their strength.
var ReadStatuses = []ReadStatus{Confirmed, NotReread, Assumption}

// Label is the status as the docs' tables write it: "confirmed", "not
// re-read" or "tmsdrift assumption".
func (s ReadStatus) Label() string {
	switch s {
	case Confirmed:
		return "confirmed"
	case NotReread:
		return "not re-read"
	case Assumption:
		return "tmsdrift assumption"
	}
	return string(s)
}

// Meaning is the status in a few words, for `tmsdrift explain`.
func (s ReadStatus) Meaning() string {
	switch s {
	case Confirmed:
		return "confirmed in the pages read"
	case NotReread:
		return "not re-read, so neither confirmed nor contradicted"
	case Assumption:
		return "tmsdrift assumption, in no Cisco document read"
	}
	return string(s)
}

// Citation is a guide section a rule cites, as checked against the pages
// read: docs/tms-versions.md, "Sources, as read", lists the same sections
// with the same status (cmd/tmsdrift's TestDocsRuleSourcesAreAsRead).
type Citation struct {
	// Section is the section as the rule cites it (contract §4).
	Section string
	// Status is how far the pages read bear it out.
	Status ReadStatus
	// Read is what was read: the passage and where (Confirmed), what of
	// the section was seen and what was not (NotReread), or why tmsdrift
	// assumes it (Assumption).
	Read string
}

// nodesIdentitySource is the citation of nodes.identity, which no guide
// section states.
const nodesIdentitySource = "tmsdrift assumption (no guide section): every verdict about a node rests on that node's own facts"

// The 11.7 guide's copies read stop after these parts; the sections the
// rules cite from the rest were not in them (see docs/tms-versions.md).
const notInCopies = "the section's text was not in the stored copies of the 11.7 guide read (docs/tms-versions.md, Sources, as read)"

// citations are the rules' guide sections against the pages read. A rule
// whose section is not here fails checks' TestEveryRuleCitesASectionAsRead.
var citations = []Citation{
	{Section: "Architecture Requirements: same domain", Status: Confirmed,
		Read: guide117 + ", Cisco TMS Architecture Requirements for Redundancy: \"Multiple Cisco TMS servers must all be members of the same domain.\""},
	{Section: "Architecture Requirements: local file paths", Status: Confirmed,
		Read: guide117 + ", Cisco TMS Architecture Requirements for Redundancy: \"Local File paths used on the Cisco TMS Servers must be the same across all Cisco TMS Servers.\""},
	{Section: "Only one live database", Status: Confirmed,
		Read: guide117 + ", Cisco TMS Architecture Requirements for Redundancy: \"Only one live database per Cisco TMS 'installation'.\""},
	{Section: "MSDE SQL Server cannot be used", Status: Confirmed,
		Read: guide117 + ", Cisco TMS Architecture Requirements for Redundancy: \"MSDE SQL Server cannot be used.\""},
	{Section: "Architecture Requirements: addressable by devices", Status: Confirmed,
		Read: guide117 + ", Multiple TMS Servers, Load Balancing, and Clustered Database (the part of the requirements list read stops after the domain): \"it is required that the individual Cisco TMS servers be directly addressable by their own IP address from the managed systems, not just through the NLB\""},
	{Section: "Recovery Methods", Status: Confirmed,
		Read: guide117 + ", the off-site model's Recovery Methods > Primary Site Failure: \"The secondary Cisco TMS server must be started by activating all services whose name starts with Cisco TMS and the WWWPublishingService service.\""},
	{Section: "Upgrading TMS", Status: Confirmed,
		Read: guide132 + ", Deploying with a load balancer > Upgrading Cisco TMS: \"they must run the same software version at all times\" (the 11.7 guide's Upgrading Cisco TMS read is the single-server one, which asks for nothing)"},
	{Section: "Maintenance; Backing up the database", Status: Confirmed,
		Read: guide117 + ", Single Server, Separate Database > Maintenance: \"Users should regularly backup the SQL database.\" ... \"Typical installations would perform full nightly backups of the database.\" (Backing up the database itself was not read)"},
	{Section: "Introduction (D14570.04); Setting up a Redundant Deployment > Preliminary Information > Supported Configurations (15.x)", Status: Confirmed,
		Read: install15 + ", Setting up a Redundant Deployment > Preliminary Information > Supported Configurations: \"no more than two Cisco TMS servers can be used\"; " + guide132 + ", Introduction, has the same sentence (its stored copy breaks off after \"no more than two Cisco T\")"},
	{Section: "Clustered SQL Server", Status: NotReread,
		Read: "the 11.7 guide has a part \"Single Server, Clustered Database\" (its page 14 refers to it); its text was not read"},
	{Section: "Backup and Recovery: a database named tmsng must exist", Status: NotReread,
		Read: "the 11.7 guide's page 14 refers to its section \"Backup and Recovery of the TMS database\"; that section's text was not read"},
	{Section: "Architecture Requirements: time synchronized", Status: NotReread,
		Read: notInCopies + " (the part of the requirements list read stops after the domain). A TMS 15 manual read (its copy is titled \"Version 15 Installation Guide\", page 14) says \"the date and time on the Cisco TMS and SQL Server must be identical, if the servers are separate\" and recommends one NTP server for both; it speaks of TMS and SQL Server, not of the TMS servers with each other"},
	{Section: "Architecture Requirements: latency", Status: NotReread,
		Read: notInCopies + " (the part of the requirements list read stops after the domain). The 10 ms limit (max_latency_ms) is the contract's: no page read states a latency between a TMS server and its SQL Server; the only figure found, \"Latency < 50ms\" in a TMS 15 manual's Database redundancy > Database mirroring > Asynchronous transfer, is for SQL Server mirroring between two SQL Servers"},
	{Section: "Set web validation key on web servers", Status: NotReread,
		Read: notInCopies + "; its revision notes read \"Added Validation Key requirements.\""},
	{Section: "Set primary TMS address", Status: NotReread,
		Read: notInCopies + "; that a TMS upgrade writes the upgraded node's own address into Network Settings is the project's reading of it since v1, not confirmed"},
	{Section: "IP Addresses vs. DNS hostnames", Status: NotReread,
		Read: "the heading is in the guide's contents (D14570.02, December 2010, under Communication with Cisco TMS, page 6); its text was not read"},
	{Section: "Installing secondary TMS application", Status: NotReread,
		Read: notInCopies + "; what was read says only that the off-site model's secondary \"must be kept offline and disabled\" (docs/tms-versions.md)"},
	{Section: "Multiple Servers: separate SQL server", Status: NotReread, Read: notInCopies},
	{Section: "Installation: mixed mode authentication", Status: NotReread, Read: notInCopies},
	{Section: "Manual Off-Site Fail-Over: Log Shipping", Status: NotReread, Read: notInCopies},
	{Section: "Manual Off-Site Fail-Over", Status: NotReread, Read: notInCopies},
	{Section: "TMS Customer file synchronization", Status: NotReread,
		Read: notInCopies + "; its Introduction lists a part \"Customer Specific Cisco TMS Files\""},
	{Section: nodesIdentitySource, Status: Assumption,
		Read: "no Cisco document speaks of facts gathered about a server; a verdict on one server made from another's facts would be a false pass"},
}

// CitationOf returns the citation of a rule's guide section, as the rule
// names it, and whether "Sources, as read" lists it.
func CitationOf(section string) (Citation, bool) {
	for _, c := range citations {
		if c.Section == section {
			return c, true
		}
	}
	return Citation{}, false
}

// Citations returns every cited section, in table order. A new slice.
func Citations() []Citation { return append([]Citation(nil), citations...) }

// String is the citation in one line: "confirmed: <what was read>".
func (c Citation) String() string { return fmt.Sprintf("%s: %s", c.Status.Label(), c.Read) }
