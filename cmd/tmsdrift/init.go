package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/tmsdrift/tmsdrift/internal/atomicfile"
	"github.com/tmsdrift/tmsdrift/inventory"
)

func newInitCmd() *cobra.Command {
	var model, output string
	var force bool
	cmd := &cobra.Command{
		Use:   "init --model MODEL [-o inventory.yaml]",
		Short: "Write a commented starter inventory for a redundancy model",
		Long: `init writes a commented starter inventory for MODEL (single,
single-separate-db, single-clustered-db, manual-cutover, nlb, offsite) to
FILE, or to stdout without -o; an existing FILE is kept unless --force.
Its nodes read snapshot folders (transport dir): edit it, then run
"tmsdrift validate -i FILE". docs/inventory.md has every key.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m := inventory.Model(model)
			if !m.Known() {
				return usage(fmt.Errorf("--model: unknown model %q (want one of %s)", model, modelNames()))
			}
			// -o /dev/stdout, /dev/null, a FIFO or >(cmd) is written
			// through: nothing there to overwrite, so no --force, and the
			// comments name inventory.yaml rather than the device. A
			// folder or a dangling link is refused before anything else.
			through := false
			if output != "" {
				var err error
				if through, err = atomicfile.Through(output); err != nil {
					return usage(fmt.Errorf("-o %w", err))
				}
			}
			// The comments name the file the starter is written to.
			named := output
			if named == "" || through {
				named = "inventory.yaml"
			}
			data, err := inventory.StarterFor(m, named)
			if err != nil {
				return err
			}
			if output == "" {
				_, err := cmd.OutOrStdout().Write(data)
				return err
			}
			if _, err := os.Stat(output); err == nil && !force && !through {
				return usage(fmt.Errorf("%s exists; use --force to overwrite it", output))
			}
			if err := atomicfile.WriteFile(output, data, 0o644); err != nil {
				return err
			}
			if through {
				fmt.Fprintf(cmd.ErrOrStderr(), "wrote the starter inventory to %s\n", output)
				return nil
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s; edit it, render the node snapshots, then run: tmsdrift validate -i %s\n", output, output)
			return nil
		},
	}
	cmd.Flags().StringVar(&model, "model", "", "redundancy model: "+modelNames())
	cmd.Flags().StringVarP(&output, "output", "o", "", "write to FILE instead of stdout")
	cmd.Flags().BoolVar(&force, "force", false, "overwrite an existing file")
	_ = cmd.MarkFlagRequired("model")
	return cmd
}
