package inventory

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/invopop/jsonschema"
)

// SchemaID is the $id of the inventory schema; editors only need it to be
// stable.
const SchemaID = "https://github.com/tmsdrift/tmsdrift/schema/inventory.json"

// Schema returns the JSON Schema (draft 2020-12) of the inventory, for
// editors: with it a YAML language server completes keys, shows what each
// means and flags unknown keys while the administrator types. It is
// generated from the Go types the loader decodes into, so the two cannot
// drift. The loader still has the last word: roles per model, references
// to nodes and snapshot folders are beyond a schema.
func Schema() ([]byte, error) {
	r := &jsonschema.Reflector{
		FieldNameTag:   "yaml",
		DoNotReference: true, // one self-contained tree: easier to read in an editor
		ExpandedStruct: true,
	}
	s := r.Reflect(&Inventory{})
	s.ID = SchemaID
	s.Title = "tmsdrift inventory"
	s.Description = "A TMS deployment as tmsdrift audits it against Cisco's TMS Server Redundancy Configuration Guide (docs/inventory.md)."
	if err := describe(s, ""); err != nil {
		return nil, err
	}
	addConditions(s)
	addNotifyConditions(s)
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // keep <machineKey> readable
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		return nil, fmt.Errorf("encode inventory schema: %w", err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// JSONSchema describes a Date as the string form waivers use.
func (Date) JSONSchema() *jsonschema.Schema {
	return &jsonschema.Schema{Type: "string", Format: "date"}
}

// describe sets the description of every property from schemaDescriptions,
// by path (nodes[].transport.kind). The struct tags' descriptions are
// replaced: the reflector cuts them at the first comma.
func describe(s *jsonschema.Schema, path string) error {
	if s.Items != nil {
		return describe(s.Items, path+"[]")
	}
	if s.Properties == nil {
		return nil
	}
	for p := s.Properties.Oldest(); p != nil; p = p.Next() {
		at := childPath(path, p.Key)
		d, ok := schemaDescriptions[at]
		if !ok {
			d, ok = notifySchemaDescriptions[at]
		}
		if !ok {
			return fmt.Errorf("inventory schema: no description for %s", at)
		}
		p.Value.Description = d
		if err := describe(p.Value, at); err != nil {
			return err
		}
	}
	return nil
}

// addConditions adds the requirements that depend on other values, so an
// editor flags them too: domain for multi-server models, dns_public with
// public_systems, exactly one database source, a path for dir transports.
func addConditions(s *jsonschema.Schema) {
	var multi []any
	for _, m := range Models {
		if m.MultiServer() {
			multi = append(multi, string(m))
		}
	}
	s.AllOf = []*jsonschema.Schema{
		{If: having("model", &jsonschema.Schema{Enum: multi}), Then: &jsonschema.Schema{Required: []string{"domain"}}},
		{If: having("public_systems", &jsonschema.Schema{Const: true}), Then: having("addresses", &jsonschema.Schema{Required: []string{"dns_public"}})},
	}
	if db, ok := s.Properties.Get("database"); ok {
		db.OneOf = []*jsonschema.Schema{{Required: []string{"dsn_env"}}, {Required: []string{"snapshot"}}}
	}
	if nodes, ok := s.Properties.Get("nodes"); ok && nodes.Items != nil {
		if tr, ok := nodes.Items.Properties.Get("transport"); ok {
			tr.If = having("kind", &jsonschema.Schema{Const: "dir"})
			tr.Then = &jsonschema.Schema{Required: []string{"path"}}
		}
	}
}

// having is the condition "key is present and its value matches s".
func having(key string, s *jsonschema.Schema) *jsonschema.Schema {
	p := jsonschema.NewProperties()
	p.Set(key, s)
	return &jsonschema.Schema{Required: []string{key}, Properties: p}
}

// schemaDescriptions explain every key for the editor, in an
// administrator's words. A test keeps it in step with the types.
var schemaDescriptions = map[string]string{
	"deployment":     "Name of this TMS deployment, shown in reports (e.g. acme-tms).",
	"model":          "Redundancy model, as in Cisco's TMS Server Redundancy Configuration Guide: " + joinModels(Models) + ".",
	"domain":         "Active Directory domain (FQDN) every TMS node must be joined to, e.g. ACME.LOCAL. Required for manual-cutover, nlb and offsite.",
	"public_systems": "True when managed systems sit behind a firewall or on the internet; addresses.dns_public is then required.",
	"tms_version":    "TMS release (major.minor, e.g. 15.9) whose profile of folders, web.configs and limits judges the deployment (docs/tms-versions.md). Default: the version the nodes report; set it when their facts lack one.",

	"addresses":            "The server addresses the tmsng database must hold (Administrative Tools > Configuration > Network Settings).",
	"addresses.ipv4_local": "TMS Server IPv4 Address (Local): the primary's IP (manual-cutover, offsite) or the NLB virtual IP (nlb). Omitted: empty.",
	"addresses.ipv6_local": "TMS Server IPv6 Address (Local). Omitted: empty.",
	"addresses.dns_local":  "TMS Server Fully Qualified Host Name or IP Address (Local), e.g. tms.acme.local. Omitted: empty.",
	"addresses.dns_public": "TMS Server Address (Fully Qualified Host Name or IPv4 Address) for systems outside the firewall. Required when public_systems is true.",

	"paths":             "Install folders; the guide requires them identical on every node.",
	"paths.install":     `TMS install folder. Default: C:\Program Files\TANDBERG\TMS.`,
	"paths.web_root":    `TMS web root. Default: the install folder's wwwTMS.`,
	"paths.software":    `Software folder for system upgrades. Default: the TMS release's (docs/tms-versions.md), below the web root.`,
	"paths.web_configs": `More web.config files whose <machineKey> must match the approved key, besides the web root's web.config and the TMS release's (TMS 15.8+: Public\web.config): relative to the web root, or absolute.`,

	"machine_key":             "Where the approved <machineKey> comes from. Omitted: the first primary or pool node's web.config.",
	"machine_key.file":        "File holding one <machineKey .../> element, relative to the inventory. Exclusive with node.",
	"machine_key.node":        "Take the approved key from this node's web.config. Exclusive with file.",
	"machine_key.required_in": `web.config files besides the main one that must carry a fixed machineKey (machinekey.present), spelled as in paths.web_configs, e.g. Public\web.config.`,

	"registry":              "Where TMS keeps its settings in each node's registry, as tmsdrift discover node prints it. Each name is tried before tmsdrift's guesses.",
	"registry.key":          `The key under HKEY_LOCAL_MACHINE, e.g. SOFTWARE\WOW6432Node\Tandberg\TANDBERG Management Suite. Default: that key in both registry views.`,
	"registry.db_server":    "Name of the value holding the SQL Server TMS uses (tms.db_server, db.single-live).",
	"registry.db_name":      "Name of the value holding the TMS database name (tms.db_name, db.single-live).",
	"registry.install_path": "Name of the value holding the TMS install folder.",
	"registry.version":      "Name of the value holding the TMS version.",

	"data_sync":        "Customer data folders that must be the same on every node.",
	"data_sync.master": "Node whose customer files win. Default: the first primary or pool node.",
	"data_sync.dirs":   `Folders relative to paths.install, e.g. wwwTMS\Data\CompanyLogo. Default: the customer folders of the TMS release (docs/tms-versions.md); a list given here replaces them.`,

	"time":               "Clock limits.",
	"time.max_offset_ms": "Largest clock offset from the time source, in milliseconds. Default 1000.",

	"schedule":                  "How `tmsdrift serve` runs the audit on its own: when, where it keeps the history, where it serves reports and metrics (docs/inventory.md).",
	"schedule.audit":            "When to audit: a cron expression of 5 fields (minute hour day month weekday) or 6 (seconds first), or @every DURATION (e.g. @every 6h). Default 0 2 * * * (02:00 every night).",
	"schedule.time_zone":        "IANA time zone the cron expression is read in, e.g. Europe/Oslo. Default: this machine's zone.",
	"schedule.run_timeout":      "Longest a run may take before it is cancelled and recorded as failed, e.g. 30m. Default 30m.",
	"schedule.history_dir":      "Folder of the run history (one folder per run), relative to the inventory. Default .tmsdrift/history.",
	"schedule.keep":             "How many runs the history keeps; the oldest are removed. Default 90.",
	"schedule.listen":           "host:port of the web page, reports and /metrics. Default 127.0.0.1:9417. Any other than a loopback address needs listen_token_env.",
	"schedule.listen_token_env": "Name of the environment variable holding the bearer token every request but /healthz must carry. Required when listen is not a loopback address.",
	"schedule.auto_fix":         "Repairs the service may make on its own. post-upgrade: after it detects a TMS upgrade, restore the machineKey and the server addresses as `tmsdrift post-upgrade` does. Default: none (the notification says what to run).",

	"database":                              "The tmsng database: how tmsdrift reads it (dsn_env or snapshot, exactly one) and the limits it is judged against.",
	"database.dsn_env":                      "Live audit: name of the environment variable holding a sqlserver:// URL (never the URL itself), e.g. TMSDRIFT_DSN.",
	"database.snapshot":                     "Offline audit: recorded database facts (db.json), relative to the inventory.",
	"database.server":                       `The one live SQL Server every active node must point at, e.g. sql01.acme.local\TMS.`,
	"database.offsite_server":               "offsite only: the log-shipping secondary the off-site standby points at.",
	"database.offsite_snapshot":             "offsite, offline: recorded facts (db.json) of the log-shipping secondary, relative to the inventory; activate-offsite and return-to-primary switch it with snapshot.",
	"database.name":                         "Database name. Default tmsng.",
	"database.max_latency_ms":               "Median round trip to the SQL Server must stay below this, in milliseconds. Default 10.",
	"database.max_backup_age_hours":         "The last full backup must be younger than this, in hours. Default 26.",
	"database.max_log_shipping_lag_minutes": "offsite only: log shipping must have restored within this many minutes. Default 60.",
	"database.offsite_dsn_env":              "offsite, live: name of the environment variable holding a sqlserver:// URL of the log-shipping secondary, whose msdb records the last restore. Omitted: read the log-shipping monitor tables on the primary.",
	"database.connect_timeout_seconds":      "Live: seconds to resolve, connect and log in before the database counts as unreachable. Default 5.",
	"database.query_timeout_seconds":        "Live: seconds each query may take before the database counts as stalled. Default 15.",
	"database.latency_samples":              "Live: round trips of a trivial statement timed on the open connection; db.latency judges their median. Default 20.",
	"database.encrypt":                      "Live: encryption of the SQL Server connection: strict (TDS 8), mandatory (TLS, the default), optional (the login only, unless the server forces more) or disable. Overrides the DSN's encrypt, which must then agree.",
	"database.ca_file":                      "Live: PEM file of the CA (or certificate) SQL Server's certificate is verified against, relative to the inventory. Default: the system's trusted roots.",
	"database.trust_server_certificate":     "Live: accept SQL Server's certificate without verifying it (a self-signed certificate). The connection is encrypted but anyone in the path can read it; reports say so. Not with strict or ca_file.",
	"database.host_name_in_certificate":     "Live: the name the certificate must carry when it differs from the host in the DSN (an alias, a listener). The primary's connection only.",
	"database.settings":                     "Live: how the TMS server addresses are read from (and written to) tmsng. Check the defaults against your TMS version (docs/database.md).",
	"database.settings.query":               "SELECT returning rows of (name, value) in the DSN's database. Default: SELECT Name, Value FROM dbo.NetworkSettings (tmsdrift's reference schema).",
	"database.settings.update":              "Parameterized statement a fixer runs per address, with @name and @value. Default: UPDATE dbo.NetworkSettings SET Value = @value WHERE Name = @name.",
	"database.settings.names":               "The setting name under which each address is stored (the name column of the query).",
	"database.settings.names.ipv4_local":    "Setting name of the TMS Server IPv4 Address. Default TMSServerIPv4Address.",
	"database.settings.names.ipv6_local":    "Setting name of the TMS Server IPv6 Address. Default TMSServerIPv6Address.",
	"database.settings.names.dns_local":     "Setting name of the TMS Server Fully Qualified Host Name or IP Address. Default TMSServerFQDN.",
	"database.settings.names.dns_public":    "Setting name of the public TMS Server Address. Default TMSServerPublicAddress.",

	"nodes":                                  "The TMS servers, at least one.",
	"nodes[].name":                           "The server's host name, e.g. tms01. Unique; compared case-insensitively.",
	"nodes[].role":                           "primary (active), standby (warm spare, services stopped), pool (NLB member) or offsite-standby (disaster-recovery site).",
	"nodes[].address":                        "The node's own IP address (IPv4 or IPv6); nodes.identity checks that the node reports it.",
	"nodes[].hostname":                       "The server's host name (tms01 or tms01.acme.local); nodes.identity checks that the node reports it. Default: transport.host when that is a name.",
	"nodes[].transport":                      "How tmsdrift reads the node: kind dir (a recorded snapshot folder) or live (local, winrm, ssh).",
	"nodes[].transport.kind":                 "dir, local, winrm or ssh.",
	"nodes[].transport.path":                 "dir: the node's snapshot folder, relative to the inventory, e.g. nodes/tms01.",
	"nodes[].transport.host":                 "winrm, ssh: host name or address to connect to. Default: the node's address, else its name.",
	"nodes[].transport.port":                 "winrm, ssh: port. Default 5985 (WinRM over HTTP with message encryption: ntlm-encrypted, kerberos), 5986 with auth ntlm or basic (HTTPS), 22 for ssh.",
	"nodes[].transport.user_env":             "winrm, ssh: name of the environment variable holding the user name.",
	"nodes[].transport.password_env":         "winrm, ssh: name of the environment variable holding the password (never the password itself).",
	"nodes[].transport.auth":                 "winrm: ntlm-encrypted (default: HTTP 5985 with message encryption, as Windows ships), kerberos (HTTP 5985, sealed; default when a Kerberos key is set), ntlm (HTTPS; default when ca_file, insecure_skip_verify or port 5986 is set) or basic (HTTPS); ssh: key (default with key_file) or password.",
	"nodes[].transport.realm":                "winrm with auth kerberos: the Kerberos realm (the AD domain's DNS name in capitals). Default: from user@REALM, else krb5.conf's default_realm.",
	"nodes[].transport.kdc":                  "winrm with auth kerberos: host[:port] of a KDC (domain controller) for the realm. Default: krb5.conf's.",
	"nodes[].transport.krb5_conf":            "winrm with auth kerberos: the krb5.conf to read, relative to the inventory. Default: $KRB5_CONFIG, else /etc/krb5.conf.",
	"nodes[].transport.keytab":               "winrm with auth kerberos: a keytab holding the user's key, relative to the inventory; without it the password from password_env.",
	"nodes[].transport.spn":                  "winrm with auth kerberos: the node's service principal. Default HTTP/<host>.",
	"nodes[].transport.ca_file":              "winrm over HTTPS: PEM file of the certificate (or its CA) the node presents, relative to the inventory. Default: the system's trusted roots.",
	"nodes[].transport.insecure_skip_verify": "winrm over HTTPS: accept any certificate. Test labs only: anyone in the path can then read the password.",
	"nodes[].transport.known_hosts":          "ssh, required: known_hosts file holding the node's host key, relative to the inventory.",
	"nodes[].transport.key_file":             "ssh with auth key: the private key file, relative to the inventory.",
	"nodes[].transport.passphrase_env":       "ssh with auth key: name of the environment variable holding the key's passphrase, if it has one.",
	"nodes[].transport.timeout_seconds":      "local, winrm, ssh: seconds each command on the node may take (collecting hashes every customer file). Default 300.",

	"waivers":           "Known failures accepted until a date.",
	"waivers[].rule":    "Rule id to waive, e.g. time.synced.",
	"waivers[].node":    "Node the waiver covers. Omitted: every node and the deployment-wide result.",
	"waivers[].reason":  "Why the failure is accepted: ticket, change, owner.",
	"waivers[].expires": "Last day the waiver holds (YYYY-MM-DD, until midnight UTC).",
}
