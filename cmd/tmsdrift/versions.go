package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/tmsdrift/tmsdrift/tmsversion"
)

func newVersionsCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "versions [TMS-VERSION]",
		Short: "List the TMS version profiles and their Cisco sources",
		Long: `versions prints the TMS version profiles: per release, the customer data folders,
the software folder, the web.config files whose <machineKey> must match,
the TMS services, the most active servers one database may have and a
passive node's services, each with the Cisco document and section it
comes from or marked as a tmsdrift assumption. With TMS-VERSION (e.g.
15.9), the profile that release is judged by. The inventory's values
always win over a profile.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			w := cmd.OutOrStdout()
			switch format {
			case "text":
			case "markdown":
				if len(args) > 0 {
					return usage(fmt.Errorf("--format markdown prints the whole table; leave out %s", args[0]))
				}
				if err := tmsversion.WriteMarkdown(w); err != nil {
					return err
				}
				_, err := io.WriteString(w, "\n")
				return err
			default:
				return usage(fmt.Errorf("--format: unknown format %q (want text or markdown)", format))
			}
			if len(args) == 0 {
				return tmsversion.WriteText(w, tmsversion.FactNames, nil)
			}
			p, err := tmsversion.Lookup(args[0])
			if err != nil {
				return usage(err)
			}
			fmt.Fprintf(w, "TMS %s is judged by the %s.\n\n", p.Version, p.Name())
			return tmsversion.WriteText(w, tmsversion.FactNames, p)
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "text", "output format: text or markdown (docs/tms-versions.md embeds the markdown)")
	return cmd
}
