package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/fixers"
	"github.com/tmsdrift/tmsdrift/runbooks"
)

func newUpgradeCmd() *cobra.Command {
	var f runbookFlags
	cmd := &cobra.Command{
		Use:   "upgrade plan|prepare|finish -i INVENTORY [--apply]",
		Short: "Run the guide's upgrade procedure: plan, prepare, finish",
		Long: `upgrade drives the guide's upgrade procedure for the deployment's model
("Upgrading Cisco TMS"), with its node names, in the guide's order.

  upgrade plan     prints the procedure: which installer to run where, in
                   what order. It changes nothing.
  upgrade prepare  before the installers: stops the TMS services and IIS on
                   every node (nlb) or on the primary (manual-cutover,
                   offsite; the standbys must be stopped already), and
                   records each node's version.
  upgrade finish   after the installers: checks that every node runs the
                   same new version (refuses otherwise, naming the
                   laggards; offsite: and that log shipping caught up),
                   stops and sets Manual the standbys' services the
                   installer started, restores the machineKey and the
                   address settings as post-upgrade does, starts the
                   active nodes' services, audits.

prepare and finish change nothing without --apply; see "tmsdrift promote
--help" for --apply, --yes, --force, carrying on and rolling back, and
docs/runbooks.md.`,
		Args:      cobra.ExactArgs(1),
		ValidArgs: []string{"plan", "prepare", "finish"},
		RunE: func(cmd *cobra.Command, args []string) error {
			var build func(ctx context.Context, d *facts.Deployment, results []checks.Result, runs string) (*runbooks.Runbook, error)
			switch args[0] {
			case "plan":
				if f.apply {
					return usage(fmt.Errorf("upgrade plan changes nothing: --apply goes with prepare or finish"))
				}
				build = func(_ context.Context, d *facts.Deployment, _ []checks.Result, _ string) (*runbooks.Runbook, error) {
					return runbooks.UpgradePlan(d)
				}
			case "prepare":
				build = func(_ context.Context, d *facts.Deployment, results []checks.Result, _ string) (*runbooks.Runbook, error) {
					return runbooks.UpgradePrepare(d, results)
				}
			case "finish":
				build = func(_ context.Context, d *facts.Deployment, results []checks.Result, runs string) (*runbooks.Runbook, error) {
					// The versions before the upgrade: the first prepare
					// since the last finish (one run again half-way
					// records versions already upgraded), else the last.
					prepared, err := fixers.FirstRunbookSince(runs, "upgrade prepare", "upgrade finish")
					if err == nil && prepared == nil {
						prepared, err = fixers.LastRunbook(runs, "upgrade prepare")
					}
					if err != nil {
						return nil, err
					}
					return runbooks.UpgradeFinish(d, results, prepared)
				}
			default:
				return usage(fmt.Errorf("unknown upgrade step %q (want plan, prepare or finish)", args[0]))
			}
			return runRunbook(cmd, "upgrade "+args[0], nil, f, build)
		},
	}
	addRunbookFlags(cmd, &f)
	return cmd
}
