package main

import (
	"github.com/spf13/cobra"

	"github.com/tmsdrift/tmsdrift/checks"
)

func newPostUpgradeCmd() *cobra.Command {
	var f fixFlags
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "post-upgrade -i INVENTORY",
		Short: "Restore the machineKey and addresses after a TMS upgrade",
		Long: `post-upgrade is what to run after upgrading TMS on a node. The installer
erases the shared <machineKey> from web.config and writes the upgraded
node's own address into the database; post-upgrade audits the deployment,
puts the approved machineKey back into every web.config that lost it (only
those bytes change) and the inventory's addresses into the database, then
audits again and reports. It is "tmsdrift fix --apply --only" for
machinekey.present, machinekey.match, addresses.match and
addresses.public-dns; running it again changes nothing.

--dry-run shows the plan without changing anything. Exit codes are those
of audit, from the audit after the restore. See docs/fixing.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f.apply = !dryRun
			f.only = checks.UpgradeRules()
			return runFix(cmd, "post-upgrade", f)
		},
	}
	addFixFlags(cmd, &f)
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "show the plan, change nothing")
	return cmd
}
