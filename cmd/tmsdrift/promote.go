package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/runbooks"
)

func newPromoteCmd() *cobra.Command {
	var f runbookFlags
	cmd := &cobra.Command{
		Use:   "promote NODE -i INVENTORY [--apply]",
		Short: "Make a warm standby the primary, step by step",
		Long: `promote makes the standby NODE the primary of a manual-cutover deployment,
or of the primary site of an offsite deployment (NODE has role standby
there; an offsite-standby is activated with activate-offsite), as the
guide's "Multiple Servers, Manual Cutover" recovery method does by hand:
stop the old primary's TMS services and IIS and set them to Manual
(listed as a manual step when the old primary cannot be reached), set
NODE's to Automatic and start them, set the TMS server addresses in the
database to NODE's, rewrite the inventory in place (roles swapped, the
addresses that followed the old primary moved; every comment kept), audit
again, and list what only a person can do (DNS, Enforce Now, external
integrations, configuration backups).

The preflight refuses (exit 1, nothing changed) unless NODE is a standby
that passes version.same, machinekey.present, machinekey.match,
paths.identical, data.synced and db.single-live; --force runs anyway.
Without --apply the plan is printed and nothing is changed. With --apply it
asks for confirmation on a terminal (--yes: do not ask; required without a
terminal). A run that is interrupted is carried on by running the same
command again; "tmsdrift rollback" puts it back. See docs/runbooks.md.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRunbook(cmd, "promote", args, f, func(_ context.Context, d *facts.Deployment, results []checks.Result, _ string) (*runbooks.Runbook, error) {
				return runbooks.Promote(d, results, args[0])
			})
		},
	}
	addRunbookFlags(cmd, &f)
	return cmd
}
