// Package inventory is the typed form of a tmsdrift inventory file: the
// deployment's redundancy model, its nodes and how to reach them, the values
// every node and the database must agree on, and the waivers in force.
//
// The YAML keys are the contract (docs/contract.md §2); the same Go types
// produce the JSON Schema shipped for editors, so the schema cannot drift
// from what the loader accepts.
package inventory

import (
	"strings"
	"time"

	"github.com/tmsdrift/tmsdrift/tmsversion"
)

// Model is a redundancy model of Cisco's TMS Server Redundancy Configuration
// Guide (D14570.02).
type Model string

// The six redundancy models, by their inventory spelling.
const (
	Single            Model = "single"
	SingleSeparateDB  Model = "single-separate-db"
	SingleClusteredDB Model = "single-clustered-db"
	ManualCutover     Model = "manual-cutover"
	NLB               Model = "nlb"
	Offsite           Model = "offsite"
)

// Models lists every model in the order the guide presents them.
var Models = []Model{Single, SingleSeparateDB, SingleClusteredDB, ManualCutover, NLB, Offsite}

// Known reports whether m is one of Models.
func (m Model) Known() bool {
	for _, k := range Models {
		if k == m {
			return true
		}
	}
	return false
}

// MultiServer reports whether the model runs more than one TMS node; the
// invariants between nodes (same domain, identical paths, one machineKey,
// synced customer files) only exist there.
func (m Model) MultiServer() bool {
	return m == ManualCutover || m == NLB || m == Offsite
}

// Role is what a node does in its deployment.
type Role string

// Node roles.
const (
	Primary        Role = "primary"         // the active TMS server
	Standby        Role = "standby"         // warm spare: services stopped and Manual
	Pool           Role = "pool"            // NLB member, active
	OffsiteStandby Role = "offsite-standby" // spare at the disaster-recovery site
)

// Roles lists every role.
var Roles = []Role{Primary, Standby, Pool, OffsiteStandby}

// Active reports whether a node in this role serves users: its TMS services
// and IIS must run.
func (r Role) Active() bool { return r == Primary || r == Pool }

// Inventory is one TMS deployment as the administrator describes it.
type Inventory struct {
	Deployment    string           `yaml:"deployment" json:"deployment" jsonschema:"description=Name of the deployment; shown in reports"`
	Model         Model            `yaml:"model" json:"model" jsonschema:"enum=single,enum=single-separate-db,enum=single-clustered-db,enum=manual-cutover,enum=nlb,enum=offsite,description=Redundancy model (guide section)"`
	Domain        string           `yaml:"domain,omitempty" json:"domain,omitempty" jsonschema:"description=Expected Active Directory domain (FQDN); required for multi-server models"`
	PublicSystems bool             `yaml:"public_systems,omitempty" json:"public_systems,omitempty" jsonschema:"description=True when managed systems are behind a firewall or on the internet; then addresses.dns_public is required"`
	TMSVersion    string           `yaml:"tms_version,omitempty" json:"tms_version,omitempty" jsonschema:"description=TMS release whose profile (docs/tms-versions.md) judges the deployment, e.g. 15.9; default: the version the nodes report"`
	Addresses     Addresses        `yaml:"addresses,omitempty" json:"addresses,omitempty" jsonschema:"description=Server addresses the tmsng database must hold"`
	Paths         Paths            `yaml:"paths,omitempty" json:"paths,omitempty" jsonschema:"description=Install paths that must be identical on every node"`
	MachineKey    MachineKeySource `yaml:"machine_key,omitempty" json:"machine_key,omitempty" jsonschema:"description=Where the approved <machineKey> comes from"`
	DataSync      DataSync         `yaml:"data_sync,omitempty" json:"data_sync,omitempty" jsonschema:"description=Customer data folders kept in sync between nodes"`
	Time          TimeLimits       `yaml:"time,omitempty" json:"time,omitempty"`
	Database      Database         `yaml:"database" json:"database"`
	Registry      Registry         `yaml:"registry,omitempty" json:"registry,omitempty" jsonschema:"description=Where TMS keeps its settings in each node's registry (tmsdrift discover node prints it)"`
	Nodes         []Node           `yaml:"nodes" json:"nodes" jsonschema:"minItems=1"`
	Waivers       []Waiver         `yaml:"waivers,omitempty" json:"waivers,omitempty"`
	Notify        Notify           `yaml:"notify,omitempty" json:"notify,omitempty" jsonschema:"description=tmsdrift serve: when and where to report a run"`
	Schedule      Schedule         `yaml:"schedule,omitempty" json:"schedule,omitempty"`

	// File is the inventory's own path; relative paths resolve against its
	// folder (see Resolve).
	File string `yaml:"-" json:"-"`
	// Defaulted says which keys ApplyDefaults filled in because the
	// inventory left them out, so a TMS version profile may fill them
	// differently: what the administrator wrote always wins.
	Defaulted Defaulted `yaml:"-" json:"-"`
}

// Defaulted lists the inventory keys that hold a default, not a value
// the administrator wrote.
type Defaulted struct {
	DataDirs bool // data_sync.dirs
	Software bool // paths.software
	// Install (paths.install) is only said, never replaced by a profile:
	// paths.identical names the default when a node is elsewhere.
	Install bool
}

// Addresses are the TMS server addresses stored in the database
// (Administrative Tools > Configuration > Network Settings).
type Addresses struct {
	IPv4Local string `yaml:"ipv4_local,omitempty" json:"ipv4_local,omitempty" jsonschema:"description=The primary's IPv4 address (manual-cutover, offsite) or the NLB VIP (nlb)"`
	IPv6Local string `yaml:"ipv6_local,omitempty" json:"ipv6_local,omitempty"`
	DNSLocal  string `yaml:"dns_local,omitempty" json:"dns_local,omitempty"`
	DNSPublic string `yaml:"dns_public,omitempty" json:"dns_public,omitempty" jsonschema:"description=Required when public_systems is true"`
}

// Paths are the install locations; the guide requires them identical on
// every node.
type Paths struct {
	Install  string `yaml:"install,omitempty" json:"install,omitempty"`
	WebRoot  string `yaml:"web_root,omitempty" json:"web_root,omitempty"`
	Software string `yaml:"software,omitempty" json:"software,omitempty"`
	// WebConfigs are more web.config files whose <machineKey> must match
	// the approved key, besides <web_root>\web.config and those of the
	// TMS version profile: relative to the web root, or absolute.
	WebConfigs []string `yaml:"web_configs,omitempty" json:"web_configs,omitempty"`
}

// MachineKeySource names where the approved machineKey is read: a file
// holding one <machineKey/> element, or a node's web.config. With neither,
// the first primary or pool node in inventory order is the source.
type MachineKeySource struct {
	File string `yaml:"file,omitempty" json:"file,omitempty" jsonschema:"description=File holding one <machineKey .../> element (relative to the inventory)"`
	Node string `yaml:"node,omitempty" json:"node,omitempty" jsonschema:"description=Take the key from this node's web.config"`
	// RequiredIn are web.config files, besides the main one, that must
	// carry a fixed machineKey (machinekey.present): as paths.web_configs
	// spells them.
	RequiredIn []string `yaml:"required_in,omitempty" json:"required_in,omitempty"`
}

// Registry says where TMS keeps its settings in a node's registry, as
// tmsdrift discover node found it: the key under HKEY_LOCAL_MACHINE and
// the value names. Each name is tried before tmsdrift's own guesses
// (docs/transports.md, Where TMS keeps what); omitted ones keep the
// guesses.
type Registry struct {
	Key         string `yaml:"key,omitempty" json:"key,omitempty"`
	DBServer    string `yaml:"db_server,omitempty" json:"db_server,omitempty"`
	DBName      string `yaml:"db_name,omitempty" json:"db_name,omitempty"`
	InstallPath string `yaml:"install_path,omitempty" json:"install_path,omitempty"`
	Version     string `yaml:"version,omitempty" json:"version,omitempty"`
}

// DataSync describes the customer data folders.
type DataSync struct {
	Master string   `yaml:"master,omitempty" json:"master,omitempty" jsonschema:"description=Node whose customer files win (default: first primary/pool node)"`
	Dirs   []string `yaml:"dirs,omitempty" json:"dirs,omitempty" jsonschema:"description=Folders relative to paths.install (default: the TMS release's customer folders; docs/tms-versions.md)"`
}

// TimeLimits bound the clock offset of a node.
type TimeLimits struct {
	MaxOffsetMS float64 `yaml:"max_offset_ms,omitempty" json:"max_offset_ms,omitempty" jsonschema:"minimum=0,maximum=86400000,default=1000"`
}

// Database says how to reach the tmsng database (live or a recorded
// snapshot) and the limits it is judged against.
type Database struct {
	DSNEnv                   string  `yaml:"dsn_env,omitempty" json:"dsn_env,omitempty" jsonschema:"description=Environment variable holding a sqlserver:// DSN (live); exclusive with snapshot"`
	Snapshot                 string  `yaml:"snapshot,omitempty" json:"snapshot,omitempty" jsonschema:"description=Recorded database facts (db.json), relative to the inventory; exclusive with dsn_env"`
	Server                   string  `yaml:"server" json:"server" jsonschema:"description=The one live SQL server every active node must point at"`
	OffsiteServer            string  `yaml:"offsite_server,omitempty" json:"offsite_server,omitempty" jsonschema:"description=offsite only: the log-shipping secondary the off-site node points at"`
	Name                     string  `yaml:"name,omitempty" json:"name,omitempty" jsonschema:"default=tmsng"`
	MaxLatencyMS             float64 `yaml:"max_latency_ms,omitempty" json:"max_latency_ms,omitempty" jsonschema:"minimum=0,maximum=3600000,default=10"`
	MaxBackupAgeHours        float64 `yaml:"max_backup_age_hours,omitempty" json:"max_backup_age_hours,omitempty" jsonschema:"minimum=0,maximum=87600,default=26"`
	MaxLogShippingLagMinutes float64 `yaml:"max_log_shipping_lag_minutes,omitempty" json:"max_log_shipping_lag_minutes,omitempty" jsonschema:"minimum=0,maximum=5256000,default=60"`
	// The keys below only matter for live access (dsn_env).
	OffsiteDSNEnv         string   `yaml:"offsite_dsn_env,omitempty" json:"offsite_dsn_env,omitempty"`
	ConnectTimeoutSeconds float64  `yaml:"connect_timeout_seconds,omitempty" json:"connect_timeout_seconds,omitempty" jsonschema:"minimum=0,maximum=86400,default=5"`
	QueryTimeoutSeconds   float64  `yaml:"query_timeout_seconds,omitempty" json:"query_timeout_seconds,omitempty" jsonschema:"minimum=0,maximum=86400,default=15"`
	LatencySamples        int      `yaml:"latency_samples,omitempty" json:"latency_samples,omitempty" jsonschema:"minimum=0,maximum=1000,default=20"`
	Settings              Settings `yaml:"settings,omitempty" json:"settings,omitempty"`
	// Encryption of the live connection (docs/database.md): Encrypt is
	// one of the Encrypt* modes, mandatory when omitted (and the DSN says
	// nothing), as in Microsoft's drivers since Microsoft.Data.SqlClient
	// 4.0 and ODBC Driver 18.
	Encrypt                string `yaml:"encrypt,omitempty" json:"encrypt,omitempty" jsonschema:"enum=strict,enum=mandatory,enum=optional,enum=disable,default=mandatory"`
	CAFile                 string `yaml:"ca_file,omitempty" json:"ca_file,omitempty"`
	TrustServerCertificate bool   `yaml:"trust_server_certificate,omitempty" json:"trust_server_certificate,omitempty"`
	HostNameInCertificate  string `yaml:"host_name_in_certificate,omitempty" json:"host_name_in_certificate,omitempty"`

	// OffsiteSnapshot is the recorded facts (db.json) of the log-shipping
	// secondary: what activate-offsite writes the addresses to when the
	// inventory reads snapshots, as offsite_dsn_env names the live one.
	OffsiteSnapshot string `yaml:"offsite_snapshot,omitempty" json:"offsite_snapshot,omitempty" jsonschema:"description=offsite only: recorded facts (db.json) of the log-shipping secondary, relative to the inventory"`
}

// Encryption modes of database.encrypt, named as Microsoft's drivers and
// go-mssqldb name them.
const (
	// EncryptStrict is TDS 8.0: TLS before anything else, the
	// certificate always verified (SQL Server 2022 and later).
	EncryptStrict = "strict"
	// EncryptMandatory is TLS for the whole TDS 7.x connection with a
	// verified certificate: the default.
	EncryptMandatory = "mandatory"
	// EncryptOptional encrypts the login only, or everything when the
	// server forces encryption.
	EncryptOptional = "optional"
	// EncryptDisable sends everything, the login included, in clear.
	EncryptDisable = "disable"
)

// EncryptModes lists database.encrypt's values, strongest first.
var EncryptModes = []string{EncryptStrict, EncryptMandatory, EncryptOptional, EncryptDisable}

// Settings say how the live probe reads, and a fixer writes, the TMS
// server addresses in the tmsng database. The tmsng schema is not public
// and differs between TMS versions, so the statements are the operator's
// to set; omitted ones take the defaults of collect/sqlserver, which match
// the reference schema of tmsdrift's test server, not a verified TMS
// release (docs/database.md).
type Settings struct {
	// Query returns rows of (name, value); it runs in the DSN's database.
	Query string `yaml:"query,omitempty" json:"query,omitempty"`
	// Update changes one setting; it must use the parameters @name and
	// @value, never values pasted into its text.
	Update string `yaml:"update,omitempty" json:"update,omitempty"`
	// Names maps each address key to the setting name Query returns.
	Names SettingNames `yaml:"names,omitempty" json:"names,omitempty"`
}

// SettingNames are the names under which the database stores each TMS
// server address (the rows Settings.Query returns).
type SettingNames struct {
	IPv4Local string `yaml:"ipv4_local,omitempty" json:"ipv4_local,omitempty"`
	IPv6Local string `yaml:"ipv6_local,omitempty" json:"ipv6_local,omitempty"`
	DNSLocal  string `yaml:"dns_local,omitempty" json:"dns_local,omitempty"`
	DNSPublic string `yaml:"dns_public,omitempty" json:"dns_public,omitempty"`
}

// Field returns a pointer to the name of the setting that holds the
// address called key (a db.json settings key), or nil for any other key.
func (n *SettingNames) Field(key string) *string {
	switch key {
	case "ipv4_local":
		return &n.IPv4Local
	case "ipv6_local":
		return &n.IPv6Local
	case "dns_local":
		return &n.DNSLocal
	case "dns_public":
		return &n.DNSPublic
	}
	return nil
}

// Get returns the name of the setting that holds the address called key
// ("" when unset or for a key that is not one).
func (n SettingNames) Get(key string) string {
	if p := n.Field(key); p != nil {
		return *p
	}
	return ""
}

// Node is one TMS server.
type Node struct {
	Name    string `yaml:"name" json:"name"`
	Role    Role   `yaml:"role" json:"role" jsonschema:"enum=primary,enum=standby,enum=pool,enum=offsite-standby"`
	Address string `yaml:"address,omitempty" json:"address,omitempty" jsonschema:"description=The node's own IP address"`
	// Hostname is the server's host name as Windows reports it, when it
	// differs from what transport.host says (or there is none): the
	// nodes.identity rule compares it with the facts.
	Hostname  string    `yaml:"hostname,omitempty" json:"hostname,omitempty"`
	Transport Transport `yaml:"transport" json:"transport"`
}

// Transport says how facts are gathered from a node. Kind "dir" reads a
// snapshot folder; live kinds (local, winrm, ssh) reach the server itself.
type Transport struct {
	Kind string `yaml:"kind" json:"kind" jsonschema:"enum=dir,enum=local,enum=winrm,enum=ssh"`
	Path string `yaml:"path,omitempty" json:"path,omitempty" jsonschema:"description=dir: the node's snapshot folder, relative to the inventory"`
	Host string `yaml:"host,omitempty" json:"host,omitempty"`
	Port int    `yaml:"port,omitempty" json:"port,omitempty" jsonschema:"minimum=0,maximum=65535"`
	// UserEnv and PasswordEnv name environment variables; credentials are
	// never written in the inventory.
	UserEnv     string `yaml:"user_env,omitempty" json:"user_env,omitempty"`
	PasswordEnv string `yaml:"password_env,omitempty" json:"password_env,omitempty"`
	// The keys below are for the live transports (inventory/transport.go,
	// docs/transports.md).
	Auth               string  `yaml:"auth,omitempty" json:"auth,omitempty" jsonschema:"enum=ntlm,enum=basic,enum=ntlm-encrypted,enum=kerberos,enum=key,enum=password"`
	CAFile             string  `yaml:"ca_file,omitempty" json:"ca_file,omitempty"`
	InsecureSkipVerify bool    `yaml:"insecure_skip_verify,omitempty" json:"insecure_skip_verify,omitempty"`
	KnownHosts         string  `yaml:"known_hosts,omitempty" json:"known_hosts,omitempty"`
	KeyFile            string  `yaml:"key_file,omitempty" json:"key_file,omitempty"`
	PassphraseEnv      string  `yaml:"passphrase_env,omitempty" json:"passphrase_env,omitempty"`
	TimeoutSeconds     float64 `yaml:"timeout_seconds,omitempty" json:"timeout_seconds,omitempty" jsonschema:"minimum=0,maximum=86400,default=300"`
	// Kerberos (winrm auth kerberos): where tickets come from.
	Realm    string `yaml:"realm,omitempty" json:"realm,omitempty"`
	KDC      string `yaml:"kdc,omitempty" json:"kdc,omitempty"`
	Krb5Conf string `yaml:"krb5_conf,omitempty" json:"krb5_conf,omitempty"`
	Keytab   string `yaml:"keytab,omitempty" json:"keytab,omitempty"`
	SPN      string `yaml:"spn,omitempty" json:"spn,omitempty"`
}

// Waiver accepts a known failure until a date.
type Waiver struct {
	Rule    string `yaml:"rule" json:"rule"`
	Node    string `yaml:"node,omitempty" json:"node,omitempty" jsonschema:"description=Omitted: every node and the deployment result"`
	Reason  string `yaml:"reason" json:"reason"`
	Expires Date   `yaml:"expires" json:"expires" jsonschema:"type=string,format=date"`
}

// Date is a calendar day (YYYY-MM-DD), as waivers expire.
type Date struct{ time.Time }

// EndUTC is the first instant after the day, UTC: a waiver expiring on this
// date holds while now is before EndUTC.
func (d Date) EndUTC() time.Time {
	y, m, dd := d.Date()
	return time.Date(y, m, dd+1, 0, 0, 0, 0, time.UTC)
}

// String formats the date as YYYY-MM-DD.
func (d Date) String() string { return d.Format(time.DateOnly) }

// Default data_sync.dirs: the customer folders of the 11.7 guide as the
// project has read it since v1, relative to paths.install (D14570.02,
// "TMS Customer file synchronization", a section not in the copies read
// for docs/tms-versions.md; the table in package tmsversion keeps the one
// list).
var DefaultDataDirs = tmsversion.GuideDataDirs()

// Default limits and paths (contract §4, Defaults). DefaultInstall is
// the install folder the Preferred Architecture for Cisco Collaboration 14
// shows "In a default installation" (Conferencing, Configure File Sharing
// Between Active and Passive Node Servers); Cisco TAC document 215223
// (Phone Book Request/Response Logging in TMS) gives
// `C:\Program Files (x86)\TANDBERG\TMS` as the default instead. The two
// documents disagree (docs/tms-versions.md, Install path), so no profile
// can know it: the administrator sets paths.install, which `tmsdrift
// discover node` suggests.
const (
	DefaultInstall                  = `C:\Program Files\TANDBERG\TMS`
	DefaultMaxOffsetMS              = 1000
	DefaultMaxLatencyMS             = 10
	DefaultMaxBackupAgeHours        = 26
	DefaultMaxLogShippingLagMinutes = 60
	DefaultDatabaseName             = "tmsng"
	DefaultConnectTimeoutSeconds    = 5
	DefaultQueryTimeoutSeconds      = 15
	DefaultLatencySamples           = 20
	MaxLatencySamples               = 1000
)

// NodeByName returns the node called name (case-insensitively, as Windows
// host names compare), or nil.
func (inv *Inventory) NodeByName(name string) *Node {
	for i := range inv.Nodes {
		if strings.EqualFold(inv.Nodes[i].Name, name) {
			return &inv.Nodes[i]
		}
	}
	return nil
}

// FirstActive returns the first primary or pool node in inventory order, or
// nil: the default source of the machineKey and master of the data folders.
func (inv *Inventory) FirstActive() *Node {
	for i := range inv.Nodes {
		if inv.Nodes[i].Role.Active() {
			return &inv.Nodes[i]
		}
	}
	return nil
}

// DataMaster is the node whose customer files win.
func (inv *Inventory) DataMaster() *Node {
	if inv.DataSync.Master != "" {
		return inv.NodeByName(inv.DataSync.Master)
	}
	return inv.FirstActive()
}
