package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/fixers"
	"github.com/tmsdrift/tmsdrift/runbooks"
)

func newReturnToPrimaryCmd() *cobra.Command {
	var f runbookFlags
	var node string
	var resynced bool
	cmd := &cobra.Command{
		Use:   "return-to-primary -i INVENTORY --database-resynced [--apply]",
		Short: "Move an off-site deployment back to its primary site",
		Long: `return-to-primary undoes activate-offsite once the primary site is back: the
off-site node is disabled (services stopped and Manual), the primary site's
nodes get the roles they had and their services started, the inventory
switched back, the TMS server addresses written to the primary database,
the deployment audited again.

Cutting back needs the primary database re-synchronized from the off-site
one (the guide's "Primary Site Failure"): it refuses until you confirm that
with --database-resynced, and it checks that the primary database is
online and not restoring. The roles come from the last activate-offsite
run in the runs folder; without one, --node names the primary site's node
to make primary. See "tmsdrift promote --help" and docs/runbooks.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var args []string
			if node != "" {
				args = []string{node}
			}
			return runRunbook(cmd, "return-to-primary", args, f, func(ctx context.Context, d *facts.Deployment, results []checks.Result, runs string) (*runbooks.Runbook, error) {
				activation, err := fixers.LastRunbook(runs, "activate-offsite")
				if err != nil {
					return nil, err
				}
				return runbooks.ReturnToPrimary(d, results, runbooks.OffsiteOptions{Node: node, Other: otherDatabase(ctx, d.Inventory),
					Activation: activation, Resynced: resynced})
			})
		},
	}
	addRunbookFlags(cmd, &f)
	fl := cmd.Flags()
	fl.StringVar(&node, "node", "", "the primary site's node to make primary (default: as the last activate-offsite run recorded)")
	fl.BoolVar(&resynced, "database-resynced", false, "confirm that the primary database was re-synchronized from the off-site one")
	return cmd
}
