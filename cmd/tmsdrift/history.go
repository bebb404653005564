package main

import (
	"bytes"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tmsdrift/tmsdrift/history"
)

func newHistoryCmd() *cobra.Command {
	var inv, format string
	var limit int
	cmd := &cobra.Command{
		Use:   "history -i INVENTORY",
		Short: "List the service's runs, newest first, and what changed",
		Long: `history lists the runs tmsdrift serve (or serve --once) recorded in the
inventory's schedule.history_dir, newest first: when, the verdict, the
counts of pass/fail/waived/error and what changed since the run before
("+2 failing, -1 resolved"), upgrades detected and notifications that
failed. It reads the history's index, and the run.json of a run the index
lacks, never a report. --format json prints the records themselves.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !contains(history.ListFormats(), format) {
				return usage(fmt.Errorf("--format: unknown format %q (want one of %s)", format, joinNames(history.ListFormats())))
			}
			loaded, err := loadInventory(inv)
			if err != nil {
				return err
			}
			runs, listErr := history.Open(loaded.HistoryPath()).List(limit)
			var buf bytes.Buffer
			if err := history.WriteList(&buf, format, runs, humanOptions(cmd, "").Width); err != nil {
				return err
			}
			if _, err := cmd.OutOrStdout().Write(buf.Bytes()); err != nil {
				return err
			}
			if listErr != nil {
				return &exitError{code: 3, err: fmt.Errorf("some runs could not be read: %w", listErr)}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&inv, "inventory", "i", "", "inventory file (YAML)")
	fl.StringVarP(&format, "format", "f", "table", "output format: "+joinNames(history.ListFormats()))
	fl.IntVarP(&limit, "limit", "n", 0, "list only the newest N runs (0: all)")
	_ = cmd.MarkFlagRequired("inventory")
	return cmd
}
