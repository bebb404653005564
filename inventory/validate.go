package inventory

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf16"

	"github.com/tmsdrift/tmsdrift/internal/addrcheck"
	"github.com/tmsdrift/tmsdrift/tmsversion"
)

// TransportKinds lists the transports a node may use: "dir" reads a
// recorded snapshot folder; the others reach the server live.
var TransportKinds = []string{"dir", "local", "winrm", "ssh"}

// allowedRoles are the node roles each redundancy model admits (contract
// §1 and §4, Bad inventory).
var allowedRoles = map[Model][]Role{
	Single:            {Primary},
	SingleSeparateDB:  {Primary},
	SingleClusteredDB: {Primary},
	ManualCutover:     {Primary, Standby},
	NLB:               {Pool},
	// A standby in model offsite is a warm spare at the primary site, the
	// manual-cutover model within that site (promote makes it the
	// primary; tmsdrift assumption, docs/runbooks.md).
	Offsite: {Primary, Standby, Pool, OffsiteStandby},
}

// AllowedRoles returns the roles model m admits, in the order of Roles; nil
// for an unknown model. Starters and documentation use it so they cannot
// disagree with the loader.
func (m Model) AllowedRoles() []Role { return slices.Clone(allowedRoles[m]) }

// envName is what an environment variable name looks like; anything else in
// a *_env key is probably the secret itself and must not be echoed.
var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Validate checks an inventory that is already decoded (or built in code)
// against the rules Load applies: required keys, known model, roles the
// model admits, unique node names, references to nodes, one database
// source, sane limits, well-formed waivers. Problems carry no line numbers
// since there is no YAML to point into; relative paths resolve against
// inv.File.
func (inv *Inventory) Validate(opts Options) error {
	ps := &problems{file: inv.File}
	validate(inv, opts, ps)
	return ps.err()
}

// validate adds every semantic problem of inv to ps.
func validate(inv *Inventory, opts Options, ps *problems) {
	if inv.Deployment == "" {
		ps.add("deployment", "required: a name for this deployment, shown in reports")
	}
	switch {
	case inv.Model == "":
		ps.add("model", "required: one of %s", joinModels(Models))
	case !inv.Model.Known():
		ps.add("model", "unknown model %q (known: %s)", inv.Model, joinModels(Models))
	case inv.Model.MultiServer() && inv.Domain == "":
		ps.add("domain", "required for model %q: every TMS node must be in this Active Directory domain (e.g. ACME.LOCAL)", inv.Model)
	}
	if inv.TMSVersion != "" {
		validateTMSVersion(inv.TMSVersion, ps)
	}
	validateWebConfigs(inv, ps)
	validateRegistry(inv.Registry, ps)
	if inv.PublicSystems && inv.Addresses.DNSPublic == "" {
		ps.add("addresses.dns_public", "required when public_systems is true: the DNS name systems outside the firewall use to reach TMS")
	}
	validateAddresses(inv.Addresses, ps)
	validateNodes(inv, ps)
	validateRoles(inv, ps)
	if inv.MachineKey.Node != "" {
		if inv.MachineKey.File != "" {
			ps.add("machine_key.node", "set either machine_key.file or machine_key.node, not both")
		}
		nodeRef(inv, ps, "machine_key.node", inv.MachineKey.Node)
	}
	if opts.RequireFiles {
		existingFile(inv, ps, "machine_key.file", inv.MachineKey.File)
		existingFile(inv, ps, "database.snapshot", inv.Database.Snapshot)
		existingFile(inv, ps, "database.offsite_snapshot", inv.Database.OffsiteSnapshot)
	}
	if inv.DataSync.Master != "" {
		nodeRef(inv, ps, "data_sync.master", inv.DataSync.Master)
	}
	validateDatabase(inv, ps)
	limit(ps, "time.max_offset_ms", inv.Time.MaxOffsetMS)
	validateWaivers(inv, opts, ps)
	validateNotify(inv, ps)
	validateSchedule(inv, ps)
}

// validateAddresses checks the TMS server addresses the database must
// hold: a value TMS could not use (999.10.0.300, "not an ip") would pass
// addresses.match and be written by a fixer.
func validateAddresses(a Addresses, ps *problems) {
	address(ps, "addresses.ipv4_local", a.IPv4Local, addrcheck.IPv4)
	address(ps, "addresses.ipv6_local", a.IPv6Local, addrcheck.IPv6)
	address(ps, "addresses.dns_local", a.DNSLocal, addrcheck.Host)
	address(ps, "addresses.dns_public", a.DNSPublic, addrcheck.Host)
}

// address reports a non-empty value that check refuses.
func address(ps *problems, at, v string, check func(string) error) {
	if v == "" {
		return
	}
	if err := check(v); err != nil {
		ps.add(at, "%v", err)
	}
}

// validateTMSVersion checks that tms_version names a release tmsdrift has
// a profile for: an override nobody can resolve would silently judge the
// deployment by the nodes' versions instead.
func validateTMSVersion(v string, ps *problems) {
	if _, err := tmsversion.Lookup(v); err != nil {
		ps.add("tms_version", "%v (known releases: docs/tms-versions.md)", err)
	}
}

// validateWebConfigs checks paths.web_configs and machine_key.required_in:
// web.config files, relative to the web root or absolute, never above it.
func validateWebConfigs(inv *Inventory, ps *problems) {
	for _, f := range []struct {
		field string
		list  []string
	}{{"paths.web_configs", inv.Paths.WebConfigs}, {"machine_key.required_in", inv.MachineKey.RequiredIn}} {
		field := f.field
		for i, p := range f.list {
			at := fmt.Sprintf("%s[%d]", field, i)
			clean := strings.ReplaceAll(strings.TrimSpace(p), "/", `\`)
			switch {
			case clean == "":
				ps.add(at, "empty: a web.config file, relative to paths.web_root (e.g. Public\\web.config) or absolute")
			case !strings.EqualFold(clean[strings.LastIndex(clean, `\`)+1:], "web.config"):
				ps.add(at, "%q is not a web.config file", p)
			case slices.Contains(strings.Split(clean, `\`), ".."):
				ps.add(at, "%q: .. is not allowed (give the file below the web root, or its absolute path)", p)
			case strings.HasPrefix(clean, `\`) || len(clean) >= 2 && clean[1] == ':' && (len(clean) < 3 || clean[2] != '\\'):
				ps.add(at, "%q: an absolute path needs its drive (C:\\...), a relative one none", p)
			}
		}
	}
}

// validateRegistry checks the registry key and value names.
func validateRegistry(r Registry, ps *problems) {
	key := strings.TrimSpace(r.Key)
	if key != "" {
		up := strings.ToUpper(key)
		switch {
		case strings.HasPrefix(up, `HKEY_`) && !strings.HasPrefix(up, `HKEY_LOCAL_MACHINE\`), strings.HasPrefix(up, `HKCU\`), strings.HasPrefix(up, `HKU\`):
			ps.add("registry.key", "%q: TMS keeps its settings under HKEY_LOCAL_MACHINE; give the key below it (SOFTWARE\\...)", r.Key)
		case strings.Contains(key, `\\`) || strings.HasSuffix(key, `\`):
			ps.add("registry.key", "%q has an empty part", r.Key)
		}
	}
	for _, f := range [][2]string{{"registry.db_server", r.DBServer}, {"registry.db_name", r.DBName}, {"registry.install_path", r.InstallPath}, {"registry.version", r.Version}} {
		if strings.ContainsAny(f[1], "\\\x00") {
			ps.add(f[0], "%q: a value name has no backslash (the key goes in registry.key)", f[1])
		}
	}
}

// nodeNameProblem says why name cannot name a node, or "". A node's name
// becomes a folder name (collect writes nodes/<name>/, run journals back
// up files under it) and is shown in every report, so it must be one path
// element, and hold nothing that acts on a terminal or hides in text: a
// name such as "../../x" made collect write outside its output folder.
// The characters refused are those a Windows computer name cannot hold
// (Microsoft, "Naming conventions in Active Directory for computers,
// domains, sites, and OUs": \ / : * ? " < > |), control characters and
// Unicode format characters (bidirectional overrides, zero-width
// characters: tmsdrift assumption, no host name holds one).
func nodeNameProblem(name string) string {
	switch {
	case strings.TrimSpace(name) != name:
		return fmt.Sprintf("%q starts or ends with a space: give the server's host name, e.g. tms01", name)
	case name == "." || name == "..":
		return fmt.Sprintf("%q is not a host name: give the server's host name, e.g. tms01", name)
	}
	for _, r := range name {
		switch {
		case strings.ContainsRune(`\/:*?"<>|`, r):
			return fmt.Sprintf("%q holds %q, which no host name can (it would also be a path in snapshot folders): give the server's host name, e.g. tms01", name, r)
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == 0x2028 || r == 0x2029:
			return fmt.Sprintf("%q holds the invisible or control character U+%04X: give the server's host name, e.g. tms01", name, r)
		}
	}
	return ""
}

// validateNodes checks each node on its own and the names across nodes.
func validateNodes(inv *Inventory, ps *problems) {
	if len(inv.Nodes) == 0 {
		ps.add("nodes", "at least one node is required")
		return
	}
	byName := map[string]int{}
	for i, n := range inv.Nodes {
		at := fmt.Sprintf("nodes[%d]", i)
		switch key := strings.ToLower(n.Name); {
		case n.Name == "":
			ps.add(at+".name", "required: the server's host name, e.g. tms01")
		default:
			if msg := nodeNameProblem(n.Name); msg != "" {
				ps.add(at+".name", "%s", msg)
			}
			if first, dup := byName[key]; dup {
				ps.add(at+".name", "duplicate node name %q (also nodes[%d]); names compare case-insensitively, like Windows host names", n.Name, first)
			} else {
				byName[key] = i
			}
		}
		switch {
		case n.Role == "":
			ps.add(at+".role", "required: one of %s", joinRoles(Roles))
		case !slices.Contains(Roles, n.Role):
			ps.add(at+".role", "unknown role %q (known: %s)", n.Role, joinRoles(Roles))
		}
		address(ps, at+".address", n.Address, addrcheck.IP)
		address(ps, at+".hostname", n.Hostname, addrcheck.DNSName)
		address(ps, at+".transport.host", n.Transport.Host, addrcheck.Host)
		validateTransport(inv, ps, at+".transport", n.Transport)
	}
}

// validateTransport checks how a node is reached.
func validateTransport(inv *Inventory, ps *problems, at string, t Transport) {
	switch {
	case t.Kind == "":
		ps.add(at+".kind", "required: one of %s", strings.Join(TransportKinds, ", "))
	case !slices.Contains(TransportKinds, t.Kind):
		ps.add(at+".kind", "unknown transport kind %q (known: %s)", t.Kind, strings.Join(TransportKinds, ", "))
	case t.Kind == "dir" && t.Path == "":
		ps.add(at+".path", `required for transport kind "dir": the node's snapshot folder, e.g. nodes/tms01`)
	case t.Kind == "dir":
		snapshotFolder(ps, at+".path", inv.Resolve(t.Path))
	}
	limit(ps, at+".port", float64(t.Port))
	envRef(ps, at+".user_env", t.UserEnv, "TMS_USER")
	envRef(ps, at+".password_env", t.PasswordEnv, "TMS_PASSWORD")
	validateLiveTransport(inv, ps, at, t)
}

// snapshotFolder reports a dir transport whose folder is not there: the
// audit could not read a single fact of that node.
func snapshotFolder(ps *problems, at, dir string) {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		ps.add(at, "missing snapshot folder %s: record it with `tmsdrift collect` (from an inventory that reaches the node live, or `collect --local` on the node itself), or read the node live here: transport kind winrm, ssh or local (docs/transports.md)", dir)
	case err != nil:
		ps.add(at, "cannot read snapshot folder: %s", ioReason(err))
	case !st.IsDir():
		ps.add(at, "snapshot folder %s is a file, not a folder", dir)
	}
}

// validateRoles checks the roles against the model: the roles it admits and
// how many of each it needs.
func validateRoles(inv *Inventory, ps *problems) {
	allowed, known := allowedRoles[inv.Model]
	if !known || len(inv.Nodes) == 0 {
		return
	}
	count := map[Role]int{}
	firstPrimary := -1
	for i, n := range inv.Nodes {
		if !slices.Contains(Roles, n.Role) {
			return // reported as missing or unknown; counting would only add noise
		}
		at := fmt.Sprintf("nodes[%d].role", i)
		if !slices.Contains(allowed, n.Role) {
			ps.add(at, "%q is not allowed in model %q (allowed: %s)", n.Role, inv.Model, joinRoles(allowed))
			continue
		}
		count[n.Role]++
		if n.Role != Primary || inv.Model == Offsite {
			continue
		}
		if firstPrimary >= 0 {
			ps.add(at, "a second primary (nodes[%d] is the primary); model %q has exactly one", firstPrimary, inv.Model)
		} else {
			firstPrimary = i
		}
	}
	switch inv.Model {
	case Single, SingleSeparateDB, SingleClusteredDB:
		if count[Primary] == 0 {
			ps.add("nodes", "model %q needs exactly one primary node, found none", inv.Model)
		}
	case ManualCutover:
		if count[Primary] == 0 {
			ps.add("nodes", "model %q needs exactly one primary node, found none", inv.Model)
		}
		if count[Standby] == 0 {
			ps.add("nodes", "model %q needs at least one standby node (the warm spare)", inv.Model)
		}
	case NLB:
		if count[Pool] == 0 {
			ps.add("nodes", "model %q needs at least one pool node", inv.Model)
		}
	case Offsite:
		if count[Primary]+count[Pool] == 0 {
			ps.add("nodes", "model %q needs at least one active node at the primary site (role primary or pool)", inv.Model)
		}
		if count[OffsiteStandby] == 0 {
			ps.add("nodes", "model %q needs at least one offsite-standby node", inv.Model)
		}
	}
}

// serverName refuses a SQL Server name that carries credentials (a DSN
// pasted where a host\instance belongs) without repeating it: the
// inventory must never hold secrets, and the value would be echoed in
// every report.
func serverName(ps *problems, field, v string) {
	l := strings.ToLower(v)
	if strings.Contains(l, "://") || strings.Contains(l, "@") || strings.Contains(l, "password=") || strings.Contains(l, "pwd=") || strings.Contains(l, ";") {
		ps.add(field, `must be a SQL Server name like 'sql01.acme.local\TMS' or 'sql01,1433', not a connection string (the value is not shown: it may hold a password; put a DSN in the environment variable database.dsn_env names)`)
	}
}

// maxDatabaseName is the length of a SQL Server name (sysname), in UTF-16
// code units.
const maxDatabaseName = 128

// databaseName refuses a database name SQL Server cannot have: blank,
// longer than a sysname's 128 characters, or holding control characters.
// The live settings statements pass it to QUOTENAME, which gives NULL for
// a longer name (docs/database.md); the value is not echoed.
func databaseName(ps *problems, field, v string) {
	switch {
	case v == "":
	case strings.TrimSpace(v) == "":
		ps.add(field, "must be the TMS database's name (omit it for %q)", DefaultDatabaseName)
	case len(utf16.Encode([]rune(v))) > maxDatabaseName:
		ps.add(field, "is %d characters long: a SQL Server database name has at most %d", len(utf16.Encode([]rune(v))), maxDatabaseName)
	case strings.ContainsFunc(v, unicode.IsControl):
		ps.add(field, "holds a control character: a SQL Server database name cannot")
	}
}

// validateDatabase checks where the database facts come from.
func validateDatabase(inv *Inventory, ps *problems) {
	db := inv.Database
	if db.Server == "" {
		ps.add("database.server", `required: the one live SQL Server every active node must point at, e.g. 'sql01.acme.local\TMS'`)
	}
	switch {
	case db.DSNEnv != "" && db.Snapshot != "":
		ps.add("database.snapshot", "set either database.dsn_env (live) or database.snapshot (recorded db.json), not both")
	case db.DSNEnv == "" && db.Snapshot == "":
		ps.add("database", "set one of dsn_env (live: the environment variable holding a sqlserver:// URL) or snapshot (offline: a recorded db.json)")
	}
	envRef(ps, "database.dsn_env", db.DSNEnv, "TMSDRIFT_DSN")
	serverName(ps, "database.server", db.Server)
	serverName(ps, "database.offsite_server", db.OffsiteServer)
	databaseName(ps, "database.name", db.Name)
	limit(ps, "database.max_latency_ms", db.MaxLatencyMS)
	limit(ps, "database.max_backup_age_hours", db.MaxBackupAgeHours)
	limit(ps, "database.max_log_shipping_lag_minutes", db.MaxLogShippingLagMinutes)
	validateLiveDatabase(inv, ps)
}

// validateLiveDatabase checks the keys of live database access: the
// secondary's DSN variable, the time bounds, the settings statements.
func validateLiveDatabase(inv *Inventory, ps *problems) {
	db := inv.Database
	envRef(ps, "database.offsite_dsn_env", db.OffsiteDSNEnv, "TMSDRIFT_DR_DSN")
	if db.OffsiteDSNEnv != "" && inv.Model.Known() && inv.Model != Offsite {
		ps.add("database.offsite_dsn_env", "only model %q has a log-shipping secondary; remove this key", Offsite)
	}
	if db.OffsiteSnapshot != "" {
		switch {
		case inv.Model.Known() && inv.Model != Offsite:
			ps.add("database.offsite_snapshot", "only model %q has a log-shipping secondary; remove this key", Offsite)
		case db.DSNEnv != "":
			ps.add("database.offsite_snapshot", "goes with database.snapshot (recorded); a live inventory names the secondary with offsite_dsn_env")
		}
	}
	limit(ps, "database.connect_timeout_seconds", db.ConnectTimeoutSeconds)
	limit(ps, "database.query_timeout_seconds", db.QueryTimeoutSeconds)
	limit(ps, "database.latency_samples", float64(db.LatencySamples))
	if q := db.Settings.Query; q != "" && strings.TrimSpace(q) == "" {
		ps.add("database.settings.query", "must be a SELECT returning rows of (name, value), or omitted for the default")
	}
	if u := db.Settings.Update; u != "" {
		lower := strings.ToLower(u)
		if !strings.Contains(lower, "@name") || !strings.Contains(lower, "@value") {
			ps.add("database.settings.update", "must use the parameters @name and @value (values are never pasted into the statement), e.g. UPDATE dbo.NetworkSettings SET Value = @value WHERE Name = @name")
		}
	}
	validateEncryption(inv, ps)
}

// validateEncryption checks how the live connection is encrypted: a known
// mode, a CA file that holds certificates, and no combination that would
// be silently ignored (a CA or trust without TLS, trust with strict,
// which always verifies, trust beside a CA).
func validateEncryption(inv *Inventory, ps *problems) {
	db := inv.Database
	if db.Encrypt != "" && !slices.Contains(EncryptModes, db.Encrypt) {
		ps.add("database.encrypt", "unknown mode %q (known: %s; default %s)", db.Encrypt, strings.Join(EncryptModes, ", "), EncryptMandatory)
		return
	}
	switch {
	case db.Encrypt == EncryptDisable && (db.CAFile != "" || db.TrustServerCertificate || db.HostNameInCertificate != ""):
		for _, k := range []struct {
			key string
			set bool
		}{{"ca_file", db.CAFile != ""}, {"trust_server_certificate", db.TrustServerCertificate}, {"host_name_in_certificate", db.HostNameInCertificate != ""}} {
			if k.set {
				ps.add("database."+k.key, "has no effect with encrypt: disable (no TLS, no certificate to check); remove it or choose another mode")
			}
		}
		return
	case db.TrustServerCertificate && db.Encrypt == EncryptStrict:
		ps.add("database.trust_server_certificate", "cannot be used with encrypt: strict, which always verifies the certificate (as Microsoft's drivers do); set ca_file to the CA that issued SQL Server's certificate instead")
	case db.TrustServerCertificate && db.CAFile != "":
		ps.add("database.trust_server_certificate", "set either ca_file (verify the certificate with this CA) or trust_server_certificate (do not verify it), not both")
	}
	if h := db.HostNameInCertificate; strings.ContainsAny(h, " \t/\\@:;") {
		ps.add("database.host_name_in_certificate", "must be a host name as the certificate carries it, e.g. sql01.acme.local")
	}
	caFile(inv, ps, "database.ca_file", db.CAFile)
}

// caFile reports a CA file that is missing or holds no PEM certificate:
// the TLS error it would cause later names neither.
func caFile(inv *Inventory, ps *problems, at, p string) {
	if p == "" {
		return
	}
	path := inv.Resolve(p)
	if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() {
		ps.add(at, "%s is not a regular file", p)
		return
	}
	data, err := os.ReadFile(path)
	switch {
	case err != nil:
		ps.add(at, "cannot read %s: %s", p, ioReason(err))
	case !x509.NewCertPool().AppendCertsFromPEM(data):
		ps.add(at, "%s holds no PEM certificate (-----BEGIN CERTIFICATE-----): export the CA that issued SQL Server's certificate as Base-64 (PEM)", p)
	}
}

// validateWaivers checks each waiver; an expired waiver is not bad input
// (the audit reports it), an unknown rule or node is.
func validateWaivers(inv *Inventory, opts Options, ps *problems) {
	for i, w := range inv.Waivers {
		at := fmt.Sprintf("waivers[%d]", i)
		switch {
		case w.Rule == "":
			ps.add(at+".rule", "required: the rule id to waive, e.g. time.synced")
		case opts.KnownRules != nil && !slices.Contains(opts.KnownRules, w.Rule):
			ps.add(at+".rule", "%s", unknownRule(w.Rule, opts.KnownRules))
		}
		if strings.TrimSpace(w.Reason) == "" {
			ps.add(at+".reason", "required: why the failure is accepted (ticket, change, owner)")
		}
		if w.Expires.IsZero() {
			ps.add(at+".expires", "required: the last day the waiver holds, YYYY-MM-DD")
		}
		if w.Node != "" {
			nodeRef(inv, ps, at+".node", w.Node)
		}
	}
}

// nodeRef reports a reference to a node that the inventory does not list.
func nodeRef(inv *Inventory, ps *problems, at, name string) {
	if inv.NodeByName(name) != nil {
		return
	}
	names := make([]string, 0, len(inv.Nodes))
	for _, n := range inv.Nodes {
		if n.Name != "" {
			names = append(names, n.Name)
		}
	}
	if len(names) == 0 {
		ps.add(at, "%q names no node (no nodes are listed)", name)
		return
	}
	ps.add(at, "%q names no node (nodes: %s)", name, strings.Join(names, ", "))
}

// envRef checks that a *_env key holds the name of an environment variable.
// The value is not echoed: when it is not a name it is likely the secret.
func envRef(ps *problems, at, value, example string) {
	if value != "" && !envName.MatchString(value) {
		ps.add(at, "must be the name of an environment variable (e.g. %s), never the secret itself", example)
	}
}

// limit checks a numeric threshold or timeout against its range
// (numberRanges). Load's structural pass has already refused a value
// out of range where the file gives it; this holds for an inventory
// built otherwise.
func limit(ps *problems, at string, v float64) {
	if why := outOfRange(at, v); why != "" {
		ps.add(at, "%s", why)
	}
}

// unknownRule explains a waiver rule id that the catalogue lacks.
func unknownRule(id string, known []string) string {
	if guess := closest(id, known); guess != "" {
		return fmt.Sprintf("unknown rule %q; did you mean %q?", id, guess)
	}
	sorted := slices.Sorted(slices.Values(known))
	return fmt.Sprintf("unknown rule %q (known: %s)", id, strings.Join(sorted, ", "))
}

func joinModels(ms []Model) string {
	s := make([]string, len(ms))
	for i, m := range ms {
		s[i] = string(m)
	}
	return strings.Join(s, ", ")
}

func joinRoles(rs []Role) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	return strings.Join(s, ", ")
}
