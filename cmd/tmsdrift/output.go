package main

import (
	"bytes"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/internal/atomicfile"
	"github.com/tmsdrift/tmsdrift/inventory"
	"github.com/tmsdrift/tmsdrift/report"
)

// usage marks err as bad usage or bad input: exit 2, nothing changed.
func usage(err error) error { return &exitError{code: report.ExitUsage, err: err} }

// loadInventory loads and validates an inventory; problems are bad input.
func loadInventory(path string) (*inventory.Inventory, error) {
	inv, err := inventory.Load(path, inventory.Options{KnownRules: checks.IDs()})
	if err != nil {
		return nil, usage(err)
	}
	return inv, nil
}

// humanOptions fills in what the human formats take from where they are
// going: colour and the terminal's width when output (the -o file, "" for
// stdout) is the command's stdout and a terminal, else COLUMNS or the
// default width.
func humanOptions(cmd *cobra.Command, output string) report.Options {
	var opts report.Options
	var f *os.File
	if output == "" {
		f, _ = cmd.OutOrStdout().(*os.File)
		opts.Color = report.ColorWanted(f)
	}
	opts.Width = report.Width(f)
	return opts
}

// writeReport renders rep in format to stdout, or to the file -o names
// (replaced atomically; a device, a FIFO or /dev/stdout written through).
func writeReport(cmd *cobra.Command, format, output string, opts report.Options, rep *report.Report) error {
	human := humanOptions(cmd, output)
	opts.Color, opts.Width = human.Color, human.Width
	w, err := report.NewWriter(format, opts)
	if err != nil {
		return usage(err)
	}
	var buf bytes.Buffer
	if err := w.Write(&buf, rep); err != nil {
		return fmt.Errorf("render %s report: %w", format, err)
	}
	if output == "" {
		_, err := cmd.OutOrStdout().Write(buf.Bytes())
		return err
	}
	return atomicfile.WriteFile(output, buf.Bytes(), 0o644)
}

// warn prints a line to stderr, Sanitized: warnings quote what was read
// from nodes and files.
func warn(cmd *cobra.Command, a ...any) {
	fmt.Fprint(cmd.ErrOrStderr(), report.Sanitize(fmt.Sprintln(a...)))
}

// say prints a formatted line to stdout, Sanitized: confirmations quote
// names and paths from the inventory, the command line and the database,
// which may hold terminal escapes.
func say(cmd *cobra.Command, format string, a ...any) {
	fmt.Fprint(cmd.OutOrStdout(), report.Sanitize(fmt.Sprintf(format, a...)))
}

func joinNames(names []string) string { return strings.Join(names, ", ") }

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
