package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/tmsdrift/tmsdrift/internal/atomicfile"
	"github.com/tmsdrift/tmsdrift/inventory"
	"github.com/tmsdrift/tmsdrift/report"
	"github.com/tmsdrift/tmsdrift/serve"
	"github.com/tmsdrift/tmsdrift/serve/winservice"
)

type serveFlags struct {
	inventory   string
	listen      string
	once        bool
	logFormat   string
	logFile     string
	serviceName string
}

func newServeCmd() *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve -i INVENTORY",
		Short: "Audit on a schedule, keep the history, serve reports, notify",
		Long: `serve is the nightly compliance service. It audits the deployment on the
inventory's schedule (schedule.audit, default 02:00 every night), keeps
every run in the history (schedule.history_dir), serves the last report,
each run's report and Prometheus metrics on schedule.listen (default
127.0.0.1:9417: open http://127.0.0.1:9417/ in a browser), watches for TMS
upgrades and notifies (the inventory's notify block).

The inventory is read again at every run. SIGTERM or Ctrl-C stops the
service (exit 0) and the run in flight, which leaves nothing behind.

--once does one run through the same path and exits with the audit's code
(0 pass, 1 drift, 2 bad inventory, 3 not everything checked), for cron or
Task Scheduler. See docs/service.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServe(cmd, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.inventory, "inventory", "i", "", "inventory file (YAML)")
	fl.StringVar(&f.listen, "listen", "", "host:port of the web interface (default: schedule.listen, 127.0.0.1:9417)")
	fl.BoolVar(&f.once, "once", false, "do one run now, record it and exit with its code")
	fl.StringVar(&f.logFormat, "log-format", "text", "log lines as text or json")
	fl.StringVar(&f.logFile, "log-file", "", "append the log to FILE as well as standard error")
	fl.StringVar(&f.serviceName, "service-name", winservice.DefaultName, "run under the service manager as this Windows service (set by tmsdrift service install)")
	_ = fl.MarkHidden("service-name")
	_ = cmd.MarkFlagRequired("inventory")
	return cmd
}

func runServe(cmd *cobra.Command, f serveFlags) error {
	// Under the service manager: as svc.IsWindowsService detects it (its
	// parent is services.exe in session 0), or as the command line that
	// `service install` wrote declares it with --service-name. The
	// declaration is what the service manager runs, so it is the sure
	// sign: under Wine services.exe runs in session 1, where the detection
	// says no and tmsdrift.exe would never answer the service manager.
	asService := !f.once && (winservice.IsService() || cmd.Flags().Changed("service-name"))
	stderr := cmd.ErrOrStderr()
	if asService {
		stderr = io.Discard // a service has no console: the log file and the Event Log
	}
	log, closeLog, err := newLogger(stderr, f.logFormat, f.logFile)
	if err != nil {
		return usage(err)
	}
	defer closeLog()
	if asService {
		events, closeEvents, err := winservice.EventLog(f.serviceName)
		if err != nil {
			log.Error("no Event Log; logging to the file only", "error", err)
		} else {
			defer func() { _ = closeEvents() }()
			log = slog.New(slog.NewMultiHandler(log.Handler(), events))
		}
	}
	opts := serve.Options{InventoryPath: f.inventory, Listen: f.listen, Log: log, Notify: serve.Notifications(os.Getenv)}
	if asService {
		err := winservice.RunServe(f.serviceName, log, func() (func(context.Context) error, error) {
			svc, err := serve.New(opts)
			if err != nil {
				return nil, err
			}
			return svc.Serve, nil
		})
		return serveError(err)
	}
	svc, err := serve.New(opts)
	if err != nil {
		return serveError(err)
	}
	if f.once {
		return withCode(svc.Once(cmd.Context()))
	}
	return svc.Serve(cmd.Context())
}

// serveError gives a bad inventory or listen address exit code 2.
func serveError(err error) error {
	var ie *inventory.Error
	var ue *serve.UsageError
	if errors.As(err, &ie) || errors.As(err, &ue) {
		return usage(err)
	}
	return err
}

// newLogger builds the service's logger: text (default) or JSON lines on
// w, and appended to file when one is named.
func newLogger(w io.Writer, format, file string) (*slog.Logger, func(), error) {
	closeFn := func() {}
	if file != "" {
		// The one write implementation's rules: a dangling link or a block
		// device is refused, /dev/stdout and a FIFO are written through.
		lf, err := atomicfile.OpenAppend(file, 0o600)
		if err != nil {
			return nil, nil, fmt.Errorf("--log-file: %w", err)
		}
		w = io.MultiWriter(w, lf)
		closeFn = func() { _ = lf.Close() }
	}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, nil)), closeFn, nil
	case "json":
		return slog.New(slog.NewJSONHandler(jsonLogEscaper{w}, nil)), closeFn, nil
	}
	closeFn()
	return nil, nil, fmt.Errorf("--log-format: unknown format %q (want text or json)", format)
}

// jsonLogEscaper rewrites, in JSON log lines, every character Sanitize
// escapes and JSON may carry raw — C1 controls (U+009B is a one-character
// CSI), bidirectional overrides, invisible format characters — as a JSON
// \u escape. The line means the same to a JSON reader, and a deployment
// name or a node's answer quoted in it cannot act on the terminal serve
// runs in (slog's JSON handler escapes only C0 controls and U+2028/9; its
// text handler quotes all of these itself).
type jsonLogEscaper struct{ w io.Writer }

func (e jsonLogEscaper) Write(p []byte) (int, error) {
	if !bytes.ContainsFunc(p, func(r rune) bool { return r >= 0x80 && report.UnsafeRune(r) }) {
		return e.w.Write(p)
	}
	var b bytes.Buffer
	for i := 0; i < len(p); {
		r, size := utf8.DecodeRune(p[i:])
		switch {
		case r >= 0x80 && size > 1 && report.UnsafeRune(r) && r > 0xffff:
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&b, `\u%04x\u%04x`, r1, r2)
		case r >= 0x80 && size > 1 && report.UnsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.Write(p[i : i+size])
		}
		i += size
	}
	if _, err := e.w.Write(b.Bytes()); err != nil {
		return 0, err
	}
	return len(p), nil
}
