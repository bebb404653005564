package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/tmsdrift/tmsdrift/serve/winservice"
)

func newServiceCmd() *cobra.Command {
	var serviceName string
	cmd := &cobra.Command{
		Use:   "service install|uninstall|start|stop",
		Short: "Run tmsdrift serve as a Windows service",
		Long: `service installs tmsdrift serve as a Windows service (automatic, delayed
start), which logs to the Windows Event Log (source "tmsdrift") and to its
log file; uninstall, start and stop manage it. Run them as an
administrator. On Linux, run serve from a systemd unit (docs/service.md).`,
	}
	cmd.PersistentFlags().StringVar(&serviceName, "name", winservice.DefaultName, "the service's name")

	var inv, logFile, listen string
	install := &cobra.Command{
		Use:   "install -i INVENTORY",
		Short: "Register tmsdrift serve with the service manager",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := loadInventory(inv); err != nil {
				return err
			}
			absInv, err := filepath.Abs(inv)
			if err != nil {
				return usage(err)
			}
			if logFile == "" {
				logFile = filepath.Join(filepath.Dir(absInv), ".tmsdrift", "serve.log")
			}
			if logFile, err = filepath.Abs(logFile); err != nil {
				return usage(err)
			}
			exe, err := os.Executable()
			if err != nil {
				return fmt.Errorf("find tmsdrift.exe: %w", err)
			}
			args := []string{"serve", "-i", absInv, "--log-file", logFile, "--service-name", serviceName}
			if listen != "" {
				args = append(args, "--listen", listen)
			}
			if err := os.MkdirAll(filepath.Dir(logFile), 0o700); err != nil {
				return fmt.Errorf("log folder: %w", err)
			}
			line, err := winservice.Install(winservice.Config{Name: serviceName, Exe: exe, Args: args})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Installed service %s: %s\nStart it with: tmsdrift service start\n", serviceName, line)
			return nil
		},
	}
	install.Flags().StringVarP(&inv, "inventory", "i", "", "inventory file (YAML)")
	install.Flags().StringVar(&logFile, "log-file", "", "the service's log file (default: .tmsdrift/serve.log beside the inventory)")
	install.Flags().StringVar(&listen, "listen", "", "host:port of the web interface (default: schedule.listen)")
	_ = install.MarkFlagRequired("inventory")

	simple := func(use, short string, do func(string) error, done string) *cobra.Command {
		return &cobra.Command{Use: use, Short: short, Args: cobra.NoArgs, RunE: func(cmd *cobra.Command, _ []string) error {
			if err := do(serviceName); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), done+"\n", serviceName)
			return nil
		}}
	}
	cmd.AddCommand(install,
		simple("uninstall", "Stop and remove the service", winservice.Uninstall, "Removed service %s."),
		simple("start", "Start the service", winservice.Start, "Started service %s."),
		simple("stop", "Stop the service (the run in flight is cancelled)", winservice.Stop, "Stopped service %s."))
	return cmd
}
