// Command tmsdrift keeps redundant Cisco TMS deployments in the shape the
// TMS Server Redundancy Configuration Guide demands: it audits every node
// and the database against the rule catalogue and reports (docs/).
//
// This package is wiring only: flags, calls into the packages, exit codes.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/tmsdrift/tmsdrift/inventory"
	"github.com/tmsdrift/tmsdrift/report"
)

func main() {
	// SIGTERM is how service managers (systemd, docker) stop `serve`.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one command line and returns the process exit code; it is
// the only place where errors become exit codes (contract §6).
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	var ex *exitError
	switch {
	case err == nil:
		return report.ExitOK
	case errors.As(err, &ex):
		if ex.err != nil {
			printError(stderr, ex.err)
		}
		return ex.code
	default:
		// Flag and argument errors from cobra, and bad input.
		printError(stderr, err)
		return report.ExitUsage
	}
}

// printError writes err for a person. Inventory problems are printed as
// they are, one `file:line:col: field: message` per line, so editors and
// CI logs can jump to each; other errors get the program's name in front.
// Messages quote what they could not read, so they are Sanitized first.
func printError(w io.Writer, err error) {
	msg := report.Sanitize(err.Error())
	var inv *inventory.Error
	if errors.As(err, &inv) {
		fmt.Fprintln(w, msg)
		return
	}
	fmt.Fprintln(w, "tmsdrift:", msg)
}

// exitError carries a specific exit code up to run; err (if any) is
// printed to stderr.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

// withCode ends the command with code after the output was written.
func withCode(code int) error {
	if code == report.ExitOK {
		return nil
	}
	return &exitError{code: code}
}
