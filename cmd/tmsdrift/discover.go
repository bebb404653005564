package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tmsdrift/tmsdrift/collect"
	"github.com/tmsdrift/tmsdrift/collect/psscript"
	"github.com/tmsdrift/tmsdrift/collect/sqlserver"
	"github.com/tmsdrift/tmsdrift/collect/transports"
	"github.com/tmsdrift/tmsdrift/discover"
	"github.com/tmsdrift/tmsdrift/inventory"
	"github.com/tmsdrift/tmsdrift/report"
)

// newDiscoverCmd is the parent of the read-only probes that settle, on a
// real deployment, what no public document says: where TMS keeps its
// settings in the registry and in tmsng.
func newDiscoverCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "discover",
		Short: "Find where your TMS keeps its settings (read-only probes)",
		Long: `discover settles what no public Cisco document says, on your own servers, in
minutes, and changes nothing:

  tmsdrift discover database -i inventory.yaml --value 10.10.0.11
      where tmsng keeps the Network Settings addresses: prints a
      database.settings block for the inventory
  tmsdrift discover node NODE -i inventory.yaml
      the TMS registry values, services, IIS applications, web.config
      files and folders of a node: prints the inventory values that fit

Each ends with a short "facts to report" block without secrets: send it to
the tmsdrift project, so the defaults can follow your TMS version.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usage(errors.New("discover: say what to probe (tmsdrift discover database ... or tmsdrift discover node NODE ...)"))
		},
	}
	cmd.AddCommand(newDiscoverDatabaseCmd(), newDiscoverNodeCmd())
	return cmd
}

type discoverDatabaseFlags struct {
	inventory string
	values    []string
	top       int
	budget    time.Duration
}

func newDiscoverDatabaseCmd() *cobra.Command {
	var f discoverDatabaseFlags
	cmd := &cobra.Command{
		Use:   "database -i INVENTORY --value [KEY=]VALUE ...",
		Short: "Find the table of tmsng that holds the Network Settings addresses",
		Long: `discover database searches the character columns of the TMS database's user
tables for values you can read on TMS's Administrative Tools > Configuration
> Network Settings page, and prints where they are and a database.settings
block (query, update, names) to paste into the inventory.

--value takes an address as the page shows it: an IPv4 address is taken
for the TMS Server IPv4 Address, an IPv6 one for the IPv6 address, a name
for the local host name; say which with KEY=VALUE (ipv4_local, ipv6_local,
dns_local, dns_public). Give several to settle the names of all four.

It is read-only and bounded: one connection (database.dsn_env), a 2 s lock
timeout, at most --top rows per column, only columns long enough for the
value, a --budget for the whole search; identifiers are quoted by SQL
Server (QUOTENAME) and values travel as parameters. The login needs to read
the tables (db_datareader on tmsng).

Exit codes: 0 a complete database.settings block was found; 2 bad input;
3 the search could not finish, or found no table to suggest.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDiscoverDatabase(cmd, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.inventory, "inventory", "i", "", "inventory file (YAML) with database.dsn_env")
	fl.StringArrayVar(&f.values, "value", nil, "a value the Network Settings page shows (repeatable; KEY=VALUE names the address)")
	fl.IntVar(&f.top, "top", 5, "rows read per column and value")
	fl.DurationVar(&f.budget, "budget", time.Minute, "time for the whole search")
	_ = cmd.MarkFlagRequired("inventory")
	_ = cmd.MarkFlagRequired("value")
	return cmd
}

func runDiscoverDatabase(cmd *cobra.Command, f discoverDatabaseFlags) error {
	inv, err := loadInventory(f.inventory)
	if err != nil {
		return err
	}
	if inv.Database.DSNEnv == "" {
		return usage(fmt.Errorf("%s: database.dsn_env: required, discover reads the live database (this inventory reads the recorded %s)", f.inventory, inv.Database.Snapshot))
	}
	if f.top < 1 || f.top > 1000 {
		return usage(fmt.Errorf("--top: %d is not between 1 and 1000", f.top))
	}
	if f.budget <= 0 {
		return usage(fmt.Errorf("--budget: %s is not a positive duration", f.budget))
	}
	var values []discover.Value
	var texts []string
	for _, s := range f.values {
		v, err := discover.ParseValue(s)
		if err != nil {
			return usage(err)
		}
		values = append(values, v)
		texts = append(texts, v.Value)
	}
	opts := sqlserver.DiscoverOptions{Values: texts, Top: f.top, Budget: f.budget}
	d, err := sqlserver.Discover(cmd.Context(), inv, opts)
	if err != nil {
		return &exitError{code: report.ExitErrored, err: fmt.Errorf("discover database: %w", err)}
	}
	rep := &discover.DatabaseReport{Discovery: d, Values: values, Candidates: discover.Candidates(d, values, inv), TMSVersion: inv.TMSVersion, Options: opts,
		Width: humanOptions(cmd, "").Width}
	if err := rep.Write(cmd.OutOrStdout()); err != nil {
		return err
	}
	if d.Incomplete != "" || len(rep.Candidates) == 0 || !rep.Candidates[0].Complete() {
		return withCode(report.ExitErrored)
	}
	return nil
}

type discoverNodeFlags struct {
	inventory string
}

func newDiscoverNodeCmd() *cobra.Command {
	var f discoverNodeFlags
	cmd := &cobra.Command{
		Use:   "node NODE -i INVENTORY",
		Short: "List a node's TMS registry values, services, IIS and folders",
		Long: `discover node runs a read-only probe on one node through its transport
(winrm, ssh or local; not a snapshot folder) and lists:

  - the registry values under HKLM\SOFTWARE[\WOW6432Node]\Tandberg and
    ...\Cisco, names and data; a value whose name suggests a secret (or a
    binary one) is hashed on the node and shown only as a fingerprint;
  - the installed Cisco and TANDBERG products;
  - the TMS services with display names, start types and binary paths;
  - IIS's sites and applications with their folders and web.config files;
  - the folders under the TMS install folder.

It then prints the inventory values they point to (tms_version, paths,
paths.web_configs, the registry block that lets tmsdrift read the node's
database connection) and a short "facts to report" block without values.

Exit codes: 0 the probe ran; 2 bad input; 3 the node could not be probed.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDiscoverNode(cmd, args[0], f)
		},
	}
	cmd.Flags().StringVarP(&f.inventory, "inventory", "i", "", "inventory file (YAML) naming the node and its transport")
	_ = cmd.MarkFlagRequired("inventory")
	return cmd
}

func runDiscoverNode(cmd *cobra.Command, name string, f discoverNodeFlags) error {
	inv, err := loadInventory(f.inventory)
	if err != nil {
		return err
	}
	n := inv.NodeByName(name)
	if n == nil {
		return usage(fmt.Errorf("%s: no node %q (nodes: %s)", f.inventory, name, nodeNames(inv)))
	}
	if n.Transport.Kind == "dir" {
		return usage(fmt.Errorf("%s: node %s reads a snapshot folder; discover node needs the live server (transport winrm, ssh or local, docs/transports.md)", f.inventory, n.Name))
	}
	ctx := cmd.Context()
	t, err := transports.OpenTarget(ctx, inv, n)
	if err != nil {
		return &exitError{code: report.ExitErrored, err: fmt.Errorf("discover node %s: %w", n.Name, err)}
	}
	defer t.Close()
	d, ok := t.(collect.Discoverer)
	if !ok {
		return usage(fmt.Errorf("discover node %s: transport %s cannot run the probe", n.Name, n.Transport.Kind))
	}
	raw, err := d.Discover(ctx, psscript.DefaultDiscoverParams(inv.Paths.Install, inv.Paths.WebRoot))
	if err != nil {
		return &exitError{code: report.ExitErrored, err: fmt.Errorf("discover node %s: %w", n.Name, err)}
	}
	doc, err := discover.ParseNode(raw)
	if err != nil {
		return &exitError{code: report.ExitErrored, err: fmt.Errorf("discover node %s: %w", n.Name, err)}
	}
	rep := &discover.NodeReport{Node: n.Name, Transport: n.Transport.Kind, Doc: doc, Suggestion: discover.Suggest(doc, inv),
		Width: humanOptions(cmd, "").Width}
	return rep.Write(cmd.OutOrStdout())
}

// nodeNames lists an inventory's node names.
func nodeNames(inv *inventory.Inventory) string {
	names := make([]string, len(inv.Nodes))
	for i, n := range inv.Nodes {
		names[i] = n.Name
	}
	return strings.Join(names, ", ")
}
