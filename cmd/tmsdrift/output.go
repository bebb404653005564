package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tmsdrift/tmsdrift/checks"
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

// writeReport renders rep in format to stdout, or atomically to a file.
func writeReport(cmd *cobra.Command, format, output string, opts report.Options, rep *report.Report) error {
	if output == "" {
		if f, ok := cmd.OutOrStdout().(*os.File); ok {
			opts.Color = report.ColorWanted(f)
		}
	}
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
	return writeFileAtomic(output, buf.Bytes(), 0o644)
}

// writeFileAtomic writes data to a temporary file beside path, syncs it
// and renames it over path, so readers never see half a file.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
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
