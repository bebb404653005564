package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/fixers"
	"github.com/tmsdrift/tmsdrift/runbooks"
)

func newActivateOffsiteCmd() *cobra.Command {
	var f runbookFlags
	var node string
	cmd := &cobra.Command{
		Use:   "activate-offsite -i INVENTORY [--node NODE] [--apply]",
		Short: "Fail over to the off-site node (primary site failure)",
		Long: `activate-offsite is the guide's "Primary Site Failure" recovery method of the
off-site model: the primary site is disabled first (every TMS service and
IIS stopped and set to Manual on its nodes; listed as manual steps where a
node cannot be reached), the off-site node's services set to Automatic and
started, the inventory rewritten in place so that the off-site node is the
primary and the off-site database the live one, the TMS server addresses
written to that database, the deployment audited again; then what only a
person can do is listed (disable the primary site's SQL Server, DNS,
Enforce Now, external integrations, configuration backups).

The off-site database must be online: a log-shipping secondary is restoring
until a DBA recovers it (RESTORE DATABASE tmsng WITH RECOVERY); tmsdrift
does not. It is read from database.offsite_snapshot (recorded) or
database.offsite_dsn_env (live). --node names the off-site node when there
are several. Without --apply nothing is changed; see "tmsdrift promote
--help" for --apply, --yes, --force, carrying on and rolling back, and
docs/runbooks.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var args []string
			if node != "" {
				args = []string{node}
			}
			return runRunbook(cmd, "activate-offsite", args, f, func(ctx context.Context, d *facts.Deployment, results []checks.Result, runs string) (*runbooks.Runbook, error) {
				activation, err := fixers.LastRunbook(runs, "activate-offsite")
				if err != nil {
					return nil, err
				}
				return runbooks.ActivateOffsite(d, results, runbooks.OffsiteOptions{Node: node, Other: otherDatabase(ctx, d.Inventory), Activation: activation})
			})
		},
	}
	addRunbookFlags(cmd, &f)
	cmd.Flags().StringVar(&node, "node", "", "the off-site node to activate (default: the only offsite-standby)")
	return cmd
}
