package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tmsdrift/tmsdrift/collect/sqlserver"
	"github.com/tmsdrift/tmsdrift/internal/atomicfile"
	"github.com/tmsdrift/tmsdrift/report"
)

// newSnapshotCmd is the parent of the commands that record live facts in
// the snapshot layout (docs/contract.md §3), so an audit can run offline
// later, e.g. as a CI gate. Each thing that can be recorded is a
// subcommand: db now.
func newSnapshotCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "snapshot",
		Short: "Record live facts as snapshot files for offline audits",
		Long: `snapshot reads live what an audit reads and writes it in the snapshot layout
(docs/contract.md §3), so a later audit, a CI gate for instance, can judge
the recording offline and give the same verdict.

  tmsdrift snapshot db -i inventory.yaml -o db.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usage(errors.New("snapshot: say what to record (tmsdrift snapshot db -i INVENTORY -o db.json)"))
		},
	}
	cmd.AddCommand(newSnapshotDBCmd())
	return cmd
}

type snapshotDBFlags struct {
	inventory string
	output    string
}

func newSnapshotDBCmd() *cobra.Command {
	var f snapshotDBFlags
	cmd := &cobra.Command{
		Use:   "db -i INVENTORY -o db.json",
		Short: "Record the database's facts from the live SQL Server as db.json",
		Long: `snapshot db connects to the SQL Server whose connection string is in the
environment variable database.dsn_env names, reads the same facts a live
audit reads, and writes them as db.json (docs/contract.md §3). An inventory
with database.snapshot pointing at that file then audits to the same
verdict offline.

Exit codes: 0 recorded; 2 bad input (the inventory, or it has no
database.dsn_env); 3 the database could not be reached (no file is
written) or some facts could not be read (the file is written without
them, and says why under "unknown").`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runSnapshotDB(cmd, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.inventory, "inventory", "i", "", "inventory file (YAML) with database.dsn_env")
	fl.StringVarP(&f.output, "output", "o", "", "where to write db.json")
	_ = cmd.MarkFlagRequired("inventory")
	_ = cmd.MarkFlagRequired("output")
	return cmd
}

func runSnapshotDB(cmd *cobra.Command, f snapshotDBFlags) error {
	inv, err := loadInventory(f.inventory)
	if err != nil {
		return err
	}
	if inv.Database.DSNEnv == "" {
		return usage(fmt.Errorf("%s: database.dsn_env: required to record the live database (this inventory reads the recorded %s)", f.inventory, inv.Database.Snapshot))
	}
	// A folder or a dangling link is refused before the database is
	// asked anything.
	through, err := atomicfile.Through(f.output)
	if err != nil {
		return usage(fmt.Errorf("-o %w", err))
	}
	db := sqlserver.Gather(cmd.Context(), inv)
	if db.Err != nil {
		return &exitError{code: report.ExitErrored, err: fmt.Errorf("database not recorded, %s not written: %w", f.output, db.Err)}
	}
	data, err := json.MarshalIndent(db.Facts, "", "  ")
	if err != nil {
		return fmt.Errorf("encode db.json: %w", err)
	}
	if err := atomicfile.WriteFile(f.output, append(data, '\n'), 0o644); err != nil {
		return err
	}
	if through {
		// db.json went to stdout or a pipe: the note goes to stderr, so
		// what the reader gets is db.json and nothing else.
		fmt.Fprint(cmd.ErrOrStderr(), report.Sanitize(fmt.Sprintf("%s: recorded %s\n", f.output, db.From)))
	} else {
		say(cmd, "%s: recorded %s\n", f.output, db.From)
	}
	if len(db.Facts.Unknown) == 0 {
		return nil
	}
	var lines []string
	for _, k := range slices.Sorted(maps.Keys(db.Facts.Unknown)) {
		lines = append(lines, fmt.Sprintf("  %s: %s", k, db.Facts.Unknown[k]))
	}
	return &exitError{code: report.ExitErrored, err: fmt.Errorf("some database facts could not be read; %s records why under \"unknown\", and the rules that need them give error:\n%s", f.output, strings.Join(lines, "\n"))}
}
