package checks

import (
	"slices"
	"sort"

	"github.com/tmsdrift/tmsdrift/inventory"
)

// Model sets the catalogue refers to.
var (
	allModels   = inventory.Models
	multiServer = []inventory.Model{inventory.ManualCutover, inventory.NLB, inventory.Offsite}
	notSingle   = []inventory.Model{inventory.SingleSeparateDB, inventory.SingleClusteredDB, inventory.ManualCutover, inventory.NLB, inventory.Offsite}
	withStandby = []inventory.Model{inventory.ManualCutover, inventory.Offsite}
	clusteredDB = []inventory.Model{inventory.SingleClusteredDB, inventory.NLB}
	offsiteOnly = []inventory.Model{inventory.Offsite}
	// pooled are the models whose active servers may be a load-balanced
	// pool sharing the live database.
	pooled = []inventory.Model{inventory.NLB, inventory.Offsite}
)

// catalogue is the one table of every rule, in the order reports list them.
// IDs are part of the contract: never rename one.
var catalogue = []*Rule{
	{
		ID: "domain.joined", Title: "Node is joined to a domain", Severity: High, Scope: NodeScope, Models: multiServer,
		Source:      "Architecture Requirements: same domain",
		Why:         "Every TMS server of a redundant deployment must be a member of the same Active Directory domain; a server in a workgroup cannot share the deployment's accounts, Kerberos tickets or the SQL Server's Windows logins.",
		Remediation: "Join the server to the deployment's domain (System Properties > Computer Name > Change), reboot, and collect its facts again.",
		eval:        evalDomainJoined,
	},
	{
		ID: "domain.same", Title: "Node is in the deployment's domain", Severity: High, Scope: NodeScope, Models: multiServer,
		Source:      "Architecture Requirements: same domain",
		Why:         "All nodes must be in one domain so that users, service accounts and the database logins are the same on each of them.",
		Remediation: "Move the server into the domain named by `domain:` in the inventory (or correct the inventory if the deployment's domain changed).",
		eval:        evalDomainSame,
	},
	{
		ID: "time.synced", Title: "Clock is synchronised", Severity: High, Scope: NodeScope, Models: allModels,
		Source:      "Architecture Requirements: time synchronized",
		Why:         "TMS nodes schedule conferences and hand work to each other through the shared database; their clocks must agree with each other and with the SQL Server, or bookings start at the wrong time and events are ordered wrongly. A TMS 15 manual read says \"the date and time on the Cisco TMS and SQL Server must be identical, if the servers are separate\"; the guide section cited was not re-read.",
		Remediation: "Point the Windows Time service at the domain hierarchy or a reliable NTP source (`w32tm /config /syncfromflags:domhier /update`, then `w32tm /resync`), and check the offset with `w32tm /stripchart`.",
		eval:        evalTimeSynced,
	},
	{
		ID: "paths.identical", Title: "Install paths are identical", Severity: Medium, Scope: NodeScope, Models: multiServer,
		Source:      "Architecture Requirements: local file paths",
		Why:         "Local file paths stored in the shared database (software packages, logos, templates) must resolve on every node, so TMS must be installed at the same path on each server.",
		Remediation: "Reinstall TMS on the node at the deployment's paths (inventory `paths:`), then restore its customer files.",
		eval:        evalPathsIdentical,
	},
	{
		ID: "machinekey.present", Title: "web.config has a fixed machineKey", Severity: Critical, Scope: NodeScope, Models: multiServer,
		Source:      "Set web validation key on web servers",
		Why:         "ASP.NET signs and encrypts session and authentication data with the machineKey. With auto-generated keys each node signs differently, so users moved between nodes (NLB, failover) get errors. TMS upgrades erase the key from web.config.",
		Remediation: "Restore the approved <machineKey> under <system.web> in the node's web.config (`tmsdrift fix --only machinekey.present --apply`), or copy it from another node with IIS Manager > Machine Key.",
		Fixable:     true,
		eval:        evalMachineKeyPresent,
	},
	{
		ID: "machinekey.match", Title: "machineKey equals the approved key", Severity: Critical, Scope: NodeScope, Models: multiServer,
		Source:      "Set web validation key on web servers",
		Why:         "Every web server of the deployment must carry the same validation and decryption keys and algorithms; a node with a different key rejects what the others issued.",
		Remediation: "Write the approved key (inventory `machine_key:`) into the node's web.config (`tmsdrift fix --only machinekey.match --apply`) and recycle the TMS application pool.",
		Fixable:     true,
		eval:        evalMachineKeyMatch,
	},
	{
		ID: "addresses.match", Title: "Database holds the deployment's TMS addresses", Severity: Critical, Scope: DeploymentScope, Models: allModels,
		Source:      "Set primary TMS address",
		Why:         "Managed systems send feedback and phone-book requests to the TMS address stored in the database. It must name the primary server (or the NLB virtual address); a TMS upgrade overwrites the IPv4 address with the upgraded server's own.",
		Remediation: "In TMS: Administrative Tools > Configuration > Network Settings, set the TMS server addresses to the inventory's `addresses:` (`tmsdrift fix --only addresses.match --apply`).",
		Fixable:     true,
		eval:        evalAddressesMatch,
	},
	{
		ID: "addresses.public-dns", Title: "Public DNS address is set", Severity: High, Scope: DeploymentScope, Models: allModels,
		Source:      "IP Addresses vs. DNS hostnames",
		Why:         "Systems behind a firewall or on the internet reach TMS by its public host name; without one in the database they cannot reach it after a failover.",
		Remediation: "Set 'TMS Server Fully Qualified Host Name or IP Address' for public systems in Network Settings to `addresses.dns_public` (`tmsdrift fix --only addresses.public-dns --apply`).",
		Fixable:     true,
		eval:        evalAddressesPublicDNS,
	},
	{
		ID: "services.standby-inactive", Title: "Standby services are stopped and Manual", Severity: Critical, Scope: NodeScope, Models: withStandby,
		Source:      "Installing secondary TMS application",
		Why:         "Only one TMS server may work on the database at a time. A warm standby keeps its TMS services and IIS stopped and set to Manual, or it schedules, polls and writes alongside the primary.",
		Remediation: "On the standby: set every TMS* service and W3SVC to Manual and stop them (`tmsdrift fix --only services.standby-inactive --apply`, or services.msc).",
		Fixable:     true,
		eval:        evalServicesStandbyInactive,
	},
	{
		ID: "services.active-running", Title: "Active node's services run automatically", Severity: Critical, Scope: NodeScope, Models: allModels,
		Source:      "Recovery Methods",
		Why:         "A primary or pool member serves users only while its TMS services and IIS run; after a cutover they must be set to Automatic so a reboot does not take the deployment down.",
		Remediation: "On the node: set every TMS* service and W3SVC to Automatic and start them (`tmsdrift fix --only services.active-running --apply`).",
		Fixable:     true,
		eval:        evalServicesActiveRunning,
	},
	{
		ID: "version.same", Title: "One TMS version everywhere", Severity: High, Scope: DeploymentScope, Models: multiServer,
		Source:      "Upgrading TMS",
		Why:         "All TMS servers share one database whose schema belongs to one TMS version; every node must be upgraded to the same version.",
		Remediation: "Upgrade (or reinstall) the nodes that lag so every node reports the same TMS version; then restore machineKey and addresses (`tmsdrift post-upgrade`).",
		eval:        evalVersionSame,
	},
	{
		ID: "nodes.count", Title: "No more TMS servers than the release supports", Severity: High, Scope: DeploymentScope, Models: pooled,
		Doc:         "D14570.04 Cisco TMS Redundancy Deployment Guide 13.2; Cisco TMS Installation and Upgrade Guide 15.x",
		Source:      "Introduction (D14570.04); Setting up a Redundant Deployment > Preliminary Information > Supported Configurations (15.x)",
		Why:         "From TMS 13.2 on, Cisco supports no more than two TMS servers in a redundant deployment: more are neither tested nor supported, and they add no capacity, only availability. The sentence covers both of Cisco's models, the hot standby too, but tmsdrift counts only the active servers (primary, pool members) so far: a primary with two standbys is not failed for it (docs/tms-versions.md). The 11.7 guide, which covers 11.5 to 13.1, sets no limit. The limit comes from the TMS version profile of the release the nodes run (docs/tms-versions.md).",
		Remediation: "Take pool members out of the deployment until at most two TMS servers share the database (keep the others as cold spares, TMS services stopped, pointing at no live database), or, if the nodes run an older release than their facts say, set `tms_version` in the inventory.",
		eval:        evalNodesCount,
	},
	{
		ID: "nodes.unique-address", Title: "Node addresses are distinct", Severity: High, Scope: DeploymentScope, Models: multiServer,
		Source:      "Architecture Requirements: addressable by devices",
		Why:         "Each TMS server must be addressable on its own, and no node may own the NLB virtual address that devices use for the pool.",
		Remediation: "Give every node its own address and keep the virtual address (`addresses.ipv4_local` in `nlb`) off every node.",
		eval:        evalNodesUniqueAddress,
	},
	{
		ID: "nodes.identity", Title: "Facts come from the node they describe", Severity: Critical, Scope: NodeScope, Models: allModels,
		Source:      "tmsdrift assumption (no guide section): every verdict about a node rests on that node's own facts",
		Why:         "Every other rule judges a node by the facts gathered for it. A snapshot folder copied from another server, or a transport pointed at the wrong host, would have the audit judge one server under another's name and pass it; the inventory's address and host name must be the ones the node itself reports.",
		Remediation: "Record the node's snapshot again from the right server (`tmsdrift collect`), or point its transport at the right host; if the server's address or name changed, correct `address:`, `hostname:` or `transport.host` in the inventory.",
		eval:        evalNodesIdentity,
	},
	{
		ID: "db.single-live", Title: "Node points at the one live database", Severity: Critical, Scope: NodeScope, Models: allModels,
		Source:      "Only one live database",
		Why:         "A redundant TMS deployment has exactly one live tmsng database; a node pointing elsewhere runs its own deployment and its changes are lost at the next cutover.",
		Remediation: "Run TMS Tools > Configuration > Change Database Connection Settings on the node and point it at `database.server` / `database.name` (off-site standby: `database.offsite_server`).",
		eval:        evalDBSingleLive,
	},
	{
		ID: "db.separate-server", Title: "SQL Server runs apart from TMS", Severity: High, Scope: DeploymentScope, Models: notSingle,
		Source:      "Multiple Servers: separate SQL server",
		Why:         "When TMS servers share a database, the database must live on its own server, so losing a TMS server does not take the database with it.",
		Remediation: "Move the tmsng database to a dedicated SQL Server (backup and restore), then change every node's database connection settings.",
		eval:        evalDBSeparateServer,
	},
	{
		ID: "db.latency", Title: "Database round trip is below the limit", Severity: High, Scope: BothScopes, Models: allModels,
		Source:      "Architecture Requirements: latency",
		Why:         "TMS talks to its database constantly, so each TMS server and the SQL Server must be close. The limit, 10 ms unless the inventory sets max_latency_ms, is the contract's: the guide section it cites was not among the pages read, and no page read gives a figure between a TMS server and its SQL Server (docs/tms-versions.md).",
		Remediation: "Place the TMS servers and the SQL Server in the same site and network segment; check the path for congested links, VPNs or firewalls inspecting SQL traffic.",
		eval:        evalDBLatency,
	},
	{
		ID: "db.edition", Title: "SQL Server is not MSDE or Express", Severity: High, Scope: DeploymentScope, Models: multiServer,
		Source:      "MSDE SQL Server cannot be used",
		Why:         "The bundled MSDE / Express engine only accepts local connections by default and is limited in size and memory; it cannot serve several TMS servers.",
		Remediation: "Migrate tmsng to a Standard or Enterprise edition of SQL Server.",
		eval:        evalDBEdition,
	},
	{
		ID: "db.mixed-auth", Title: "SQL Server uses mixed-mode authentication", Severity: Medium, Scope: DeploymentScope, Models: notSingle,
		Source:      "Installation: mixed mode authentication",
		Why:         "The TMS installer and TMS Tools connect with a SQL login; with Windows authentication only, a remote database cannot be set up or changed from the TMS servers.",
		Remediation: "In SQL Server Management Studio: server Properties > Security > SQL Server and Windows Authentication mode, then restart the SQL Server service.",
		eval:        evalDBMixedAuth,
	},
	{
		ID: "db.clustered", Title: "SQL Server is clustered", Severity: High, Scope: DeploymentScope, Models: clusteredDB,
		Source:      "Clustered SQL Server",
		Why:         "These models rely on the database surviving a server failure: SQL Server must be a failover cluster instance or an availability group member.",
		Remediation: "Host tmsng on a SQL Server failover cluster instance or in an Always On availability group, and point the nodes at the cluster or listener name.",
		eval:        evalDBClustered,
	},
	{
		ID: "db.online", Title: "tmsng exists and is online", Severity: Critical, Scope: DeploymentScope, Models: allModels,
		Source:      "Backup and Recovery: a database named tmsng must exist",
		Why:         "TMS needs its database to exist and be ONLINE; a database restoring, recovering, suspect or offline takes every node down.",
		Remediation: "Bring the database online (`ALTER DATABASE tmsng SET ONLINE`) or restore it from the latest backup.",
		eval:        evalDBOnline,
	},
	{
		ID: "db.recovery-full", Title: "Recovery model keeps the log", Severity: High, Scope: DeploymentScope, Models: offsiteOnly,
		Source:      "Manual Off-Site Fail-Over: Log Shipping",
		Why:         "Log shipping to the off-site SQL Server needs the transaction log: the database must use the FULL (or BULK_LOGGED) recovery model.",
		Remediation: "`ALTER DATABASE tmsng SET RECOVERY FULL`, take a full backup, and re-initialise log shipping.",
		eval:        evalDBRecoveryFull,
	},
	{
		ID: "db.backup-recent", Title: "Full backup is recent", Severity: High, Scope: DeploymentScope, Models: allModels,
		Source:      "Maintenance; Backing up the database",
		Why:         "Every recovery method in the guide starts from a backup of tmsng; the guide asks for regular full backups.",
		Remediation: "Schedule a full backup of tmsng at least daily (SQL Server Agent maintenance plan) and check the job history.",
		eval:        evalDBBackupRecent,
	},
	{
		ID: "db.log-shipping-lag", Title: "Log shipping is current", Severity: High, Scope: DeploymentScope, Models: offsiteOnly,
		Source:      "Manual Off-Site Fail-Over",
		Why:         "An off-site failover starts from the secondary database; if log shipping lags, the off-site TMS comes up with stale bookings.",
		Remediation: "Check the log shipping backup, copy and restore jobs on both SQL Servers (Log Shipping Status report) and fix the failing one.",
		eval:        evalDBLogShippingLag,
	},
	{
		ID: "data.synced", Title: "Customer files are synchronised", Severity: Medium, Scope: NodeScope, Models: multiServer,
		Source:      "TMS Customer file synchronization",
		Why:         "Customer files (software packages, logos, templates, sounds) are kept on each server's disk, not in the database; they must be copied between nodes so a failover serves the same files (the Preferred Architecture 14 keeps them in sync with DFS; the 11.7 guide's section cited was not re-read).",
		Remediation: "Copy the master's customer folders to the node (robocopy /MIR from the master, or `tmsdrift fix --only data.synced --apply`, adding `--prune` to delete files that exist only on the node), and keep a scheduled synchronisation running.",
		Fixable:     true,
		eval:        evalDataSynced,
	},
}

// Catalogue returns every rule, in report order. The rules are copies:
// a caller that changes one (a test, a filter) cannot change what the
// engine evaluates or what another caller sees.
func Catalogue() []*Rule {
	out := make([]*Rule, len(catalogue))
	for i, r := range catalogue {
		out[i] = r.clone()
	}
	return out
}

// Lookup returns a copy of the rule with id, or nil.
func Lookup(id string) *Rule {
	for _, r := range catalogue {
		if r.ID == id {
			return r.clone()
		}
	}
	return nil
}

// clone copies a rule, its model list included.
func (r *Rule) clone() *Rule {
	c := *r
	c.Models = slices.Clone(r.Models)
	return &c
}

// UpgradeRules are the rules a TMS upgrade breaks on the node it runs on,
// which "tmsdrift post-upgrade" repairs: the installer erases the
// <machineKey> from web.config and writes the node's own address into the
// database. That is the project's reading since v1 of the 11.7 guide's
// "Set web validation key on web servers" and "Set primary TMS address",
// neither among the pages read (their citations say "not re-read";
// docs/tms-versions.md). A new slice each call.
func UpgradeRules() []string {
	return []string{"machinekey.present", "machinekey.match", "addresses.match", "addresses.public-dns"}
}

// IDs returns every rule ID, sorted.
func IDs() []string {
	ids := make([]string, len(catalogue))
	for i, r := range catalogue {
		ids[i] = r.ID
	}
	sort.Strings(ids)
	return ids
}
