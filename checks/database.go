package checks

import (
	"fmt"
	"strings"

	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/inventory"
)

// Database rules about the SQL Server and the tmsng database itself (guide:
// Only one live database; Multiple Servers: separate SQL server; MSDE SQL
// Server cannot be used; mixed mode authentication; Clustered SQL Server;
// Backup and Recovery).

func evalDBSingleLive(d *facts.Deployment) []Result {
	db := d.Inventory.Database
	return perNode(d, func(d *facts.Deployment, n *facts.Node) (Result, bool) {
		server := db.Server
		if n.Spec.Role == inventory.OffsiteStandby {
			server = db.OffsiteServer
		}
		want := server + " / " + db.Name
		if server == "" {
			return errored(`database.offsite_server / `+db.Name, "the inventory does not name database.offsite_server for the off-site standby"), true
		}
		f, err := nodeFacts(n)
		if err != nil {
			return errored(want, "%v", err), true
		}
		if f.TMS == nil || f.TMS.DBServer == "" || f.TMS.DBName == "" {
			return errored(want, "facts.json lacks tms.db_server or tms.db_name"), true
		}
		got := f.TMS.DBServer + " / " + f.TMS.DBName
		if !sameSQLServer(f.TMS.DBServer, server) || !strings.EqualFold(f.TMS.DBName, db.Name) {
			return failed(want, got, "the node uses another database than the deployment's one live database"), true
		}
		return passed(want, got), true
	})
}

// localNames are server names that mean "this machine".
var localNames = []string{".", "(local)", "localhost", "127.0.0.1", "::1"}

func evalDBSeparateServer(d *facts.Deployment) []Result {
	const want = "SQL Server on a host that is none of the TMS nodes"
	servers := []string{d.Inventory.Database.Server}
	f, dbErr := dbFacts(d)
	if dbErr == nil && f.Server != nil && f.Server.Name != "" {
		servers = append(servers, f.Server.Name)
	}
	var unknown []string // nodes whose host name is not known
	for _, n := range d.Nodes {
		if n.Facts == nil || n.Facts.Hostname == "" {
			unknown = append(unknown, n.Spec.Name)
		}
	}
	for _, server := range servers {
		host := sqlHost(server)
		for _, l := range localNames {
			if host == l {
				return deployment(failed(want, server, "the database runs on the TMS server itself ("+server+")"))
			}
		}
		label := firstLabel(host)
		for _, n := range d.Nodes {
			names := []string{n.Spec.Name, n.Spec.Address}
			if n.Facts != nil {
				names = append(names, n.Facts.Hostname)
				names = append(names, n.Facts.IPv4...)
				names = append(names, n.Facts.IPv6...)
			}
			for _, name := range names {
				if name != "" && firstLabel(name) == label {
					return deployment(failed(want, server, fmt.Sprintf("the database runs on TMS node %s", n.Spec.Name)))
				}
			}
		}
	}
	if len(unknown) > 0 {
		return deployment(errored(want, "host name unknown for %s (facts unavailable)", listLimited(unknown, 5)))
	}
	if dbErr != nil {
		return deployment(errored(want, "%v", dbErr))
	}
	if f.Server == nil || f.Server.Name == "" {
		return deployment(errored(want, "%s", f.Lacks("server.name")))
	}
	return deployment(passed(want, strings.Join(servers, ", ")))
}

func evalDBEdition(d *facts.Deployment) []Result {
	const want = "not MSDE / Express"
	f, err := dbFacts(d)
	if err != nil {
		return deployment(errored(want, "%v", err))
	}
	if f.Server == nil || f.Server.Edition == "" {
		return deployment(errored(want, "%s", f.Lacks("server.edition")))
	}
	e := strings.ToLower(f.Server.Edition)
	for _, bad := range []string{"express", "msde", "desktop engine"} {
		if strings.Contains(e, bad) {
			return deployment(failed(want, f.Server.Edition, "this edition cannot serve several TMS servers"))
		}
	}
	return deployment(passed(want, f.Server.Edition))
}

func evalDBMixedAuth(d *facts.Deployment) []Result {
	const want = "SQL Server and Windows authentication (mixed mode)"
	f, err := dbFacts(d)
	if err != nil {
		return deployment(errored(want, "%v", err))
	}
	if f.Server == nil || f.Server.IntegratedSecurityOnly == nil {
		return deployment(errored(want, "%s", f.Lacks("server.integrated_security_only")))
	}
	if *f.Server.IntegratedSecurityOnly {
		return deployment(failed(want, "Windows authentication only", "SQL logins are refused"))
	}
	return deployment(passed(want, "mixed mode"))
}

func evalDBClustered(d *facts.Deployment) []Result {
	const want = "failover cluster instance or HADR (availability groups) enabled"
	f, err := dbFacts(d)
	if err != nil {
		return deployment(errored(want, "%v", err))
	}
	s := f.Server
	if s == nil {
		return deployment(errored(want, "%s", f.Lacks("server")))
	}
	known := func(b *bool) string {
		if b == nil {
			return "unknown"
		}
		return fmt.Sprint(*b)
	}
	obs := "is_clustered=" + known(s.IsClustered) + " is_hadr_enabled=" + known(s.IsHADREnabled)
	switch {
	case (s.IsClustered != nil && *s.IsClustered) || (s.IsHADREnabled != nil && *s.IsHADREnabled):
		return deployment(passed(want, obs))
	case s.IsClustered == nil || s.IsHADREnabled == nil:
		return deployment(errored(want, "database facts lack %s", obs))
	}
	return deployment(failed(want, obs, "the database does not survive the loss of its server"))
}

// tmsDatabase returns the tmsng row: (nil, result) when the rule's verdict
// is already decided by its absence.
func tmsDatabase(d *facts.Deployment, want string) (*facts.DatabaseFacts, []Result) {
	f, err := dbFacts(d)
	if err != nil {
		return nil, deployment(errored(want, "%v", err))
	}
	name := d.Inventory.Database.Name
	switch {
	case !f.Database.Set:
		return nil, deployment(errored(want, "%s", f.Lacks("database")))
	case f.Database.Null:
		return nil, deployment(failed(want, "no database "+name, "database "+name+" does not exist"))
	case !strings.EqualFold(f.Database.Value.Name, name):
		return nil, deployment(failed(want, "database "+quoted(f.Database.Value.Name), "the facts describe database "+quoted(f.Database.Value.Name)+", not "+name))
	}
	return &f.Database.Value, nil
}

func evalDBOnline(d *facts.Deployment) []Result {
	want := "database " + d.Inventory.Database.Name + " ONLINE"
	db, res := tmsDatabase(d, want)
	if db == nil {
		return res
	}
	obs := "database " + db.Name + " " + quoted(db.State)
	if !strings.EqualFold(db.State, "ONLINE") {
		return deployment(failed(want, obs, "the database is not online"))
	}
	return deployment(passed(want, obs))
}

func evalDBRecoveryFull(d *facts.Deployment) []Result {
	const want = "recovery model FULL or BULK_LOGGED"
	db, res := tmsDatabase(d, want)
	if db == nil {
		return res
	}
	obs := "recovery model " + quoted(db.RecoveryModel)
	switch strings.ToUpper(db.RecoveryModel) {
	case "FULL", "BULK_LOGGED":
		return deployment(passed(want, obs))
	case "":
		return deployment(errored(want, "database facts lack database.recovery_model"))
	}
	return deployment(failed(want, obs, "log shipping needs the transaction log"))
}
