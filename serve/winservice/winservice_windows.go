//go:build windows

package winservice

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/eventlog"
	"golang.org/x/sys/windows/svc/mgr"
)

// stopWait bounds how long Stop waits for the service to report Stopped;
// serve itself stops within 10 s.
const stopWait = 20 * time.Second

// Install registers the service (automatic start, delayed so the network
// and SQL Server come first) and its Event Log source. It returns the
// command line the service manager will run.
func Install(c Config) (string, error) {
	n := name(c.Name)
	m, err := mgr.Connect()
	if err != nil {
		return "", fmt.Errorf("connect to the service manager (run as administrator): %w", err)
	}
	defer m.Disconnect()
	if s, err := m.OpenService(n); err == nil {
		s.Close()
		return "", fmt.Errorf("service %s is already installed; `tmsdrift service uninstall` removes it", n)
	}
	s, err := m.CreateService(n, c.Exe, mgr.Config{
		StartType: mgr.StartAutomatic, DisplayName: displayName, Description: description,
	}, c.Args...)
	if err != nil {
		return "", fmt.Errorf("create service %s: %w", n, err)
	}
	defer s.Close()
	// Delayed start lets the network and a local SQL Server come up first.
	// Set on its own: Wine's service manager lacks this configuration
	// level, and an automatic start without the delay still works.
	delayed := windows.SERVICE_DELAYED_AUTO_START_INFO{IsDelayedAutoStartUp: 1}
	if err := windows.ChangeServiceConfig2(s.Handle, windows.SERVICE_CONFIG_DELAYED_AUTO_START_INFO,
		(*byte)(unsafe.Pointer(&delayed))); err != nil && !errors.Is(err, windows.ERROR_INVALID_LEVEL) {
		_ = s.Delete() // the install is all or nothing
		return "", fmt.Errorf("set delayed start of service %s: %w", n, err)
	}
	if err := eventlog.InstallAsEventCreate(n, eventlog.Error|eventlog.Warning|eventlog.Info); err != nil {
		// An Event Log source left from an earlier install is fine.
		if !strings.Contains(err.Error(), "exists") {
			_ = s.Delete() // the install is all or nothing
			return "", fmt.Errorf("register the Event Log source %s: %w", n, err)
		}
	}
	return commandLine(c), nil
}

// withInstalled opens the installed service called serviceName (the
// default name when empty) and hands it to do with its resolved name.
func withInstalled(serviceName string, do func(s *mgr.Service, n string) error) error {
	n := name(serviceName)
	m, err := mgr.Connect()
	if err != nil {
		return fmt.Errorf("connect to the service manager (run as administrator): %w", err)
	}
	defer m.Disconnect()
	s, err := m.OpenService(n)
	if err != nil {
		return fmt.Errorf("service %s is not installed: %w", n, err)
	}
	defer s.Close()
	return do(s, n)
}

// Uninstall stops the service if it runs, removes it and its Event Log
// source.
func Uninstall(serviceName string) error {
	return withInstalled(serviceName, func(s *mgr.Service, n string) error {
		if st, err := s.Query(); err == nil && st.State != svc.Stopped {
			if err := stop(s); err != nil {
				return err
			}
		}
		if err := s.Delete(); err != nil {
			return fmt.Errorf("delete service %s: %w", n, err)
		}
		if err := eventlog.Remove(n); err != nil {
			return fmt.Errorf("remove the Event Log source %s: %w", n, err)
		}
		return nil
	})
}

// Start starts the installed service.
func Start(serviceName string) error {
	return withInstalled(serviceName, func(s *mgr.Service, n string) error {
		if err := s.Start(); err != nil {
			return fmt.Errorf("start service %s: %w", n, err)
		}
		return nil
	})
}

// Stop asks the service to stop and waits until it has.
func Stop(serviceName string) error {
	return withInstalled(serviceName, func(s *mgr.Service, _ string) error { return stop(s) })
}

func stop(s *mgr.Service) error {
	st, err := s.Control(svc.Stop)
	if err != nil {
		return fmt.Errorf("stop service %s: %w", s.Name, err)
	}
	deadline := time.Now().Add(stopWait)
	for st.State != svc.Stopped {
		if time.Now().After(deadline) {
			return fmt.Errorf("service %s did not stop within %s", s.Name, stopWait)
		}
		time.Sleep(200 * time.Millisecond)
		if st, err = s.Query(); err != nil {
			return fmt.Errorf("query service %s: %w", s.Name, err)
		}
	}
	return nil
}

// IsService reports whether the process was started by the service
// manager.
func IsService() bool {
	ok, err := svc.IsWindowsService()
	return err == nil && ok
}

// Run runs serve under the service manager until it asks the service to
// stop (or the machine shuts down): the stop cancels serve's context,
// and the service reports Stopped when serve has returned.
func Run(serviceName string, serve func(ctx context.Context) error) error {
	h := &handler{serve: serve}
	if err := svc.Run(name(serviceName), h); err != nil {
		if errors.Is(err, windows.ERROR_FAILED_SERVICE_CONTROLLER_CONNECT) {
			// Started from a console with the service's own command line.
			return fmt.Errorf("run as service %s: --service-name is the service manager's: start the service with `tmsdrift service start`, or run `tmsdrift serve -i INVENTORY` without it: %w", name(serviceName), err)
		}
		return fmt.Errorf("run as service %s: %w", name(serviceName), err)
	}
	return h.err
}

type handler struct {
	serve func(ctx context.Context) error
	err   error
}

// Execute is the service's life: Running while serve runs, StopPending
// from a stop request until serve has returned.
func (h *handler) Execute(_ []string, requests <-chan svc.ChangeRequest, status chan<- svc.Status) (bool, uint32) {
	status <- svc.Status{State: svc.StartPending}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- h.serve(ctx) }()
	status <- svc.Status{State: svc.Running, Accepts: svc.AcceptStop | svc.AcceptShutdown}
	for {
		select {
		case err := <-done:
			h.err = err
			if err != nil {
				return true, 1 // a service-specific exit code: see the log
			}
			return false, 0
		case r := <-requests:
			switch r.Cmd {
			case svc.Interrogate:
				status <- r.CurrentStatus
			case svc.Stop, svc.Shutdown:
				status <- svc.Status{State: svc.StopPending, WaitHint: 15000}
				cancel()
			}
		}
	}
}

// EventLog is a slog handler writing to the Event Log under source name
// (Info, Warning, Error by level), and the function that closes it.
func EventLog(source string) (slog.Handler, func() error, error) {
	l, err := eventlog.Open(name(source))
	if err != nil {
		return nil, nil, fmt.Errorf("open the Event Log: %w", err)
	}
	return &eventHandler{log: l, mu: &sync.Mutex{}}, l.Close, nil
}

// eventHandler formats each record as one text line (the same key=value
// form as the log file) and reports it as one event.
type eventHandler struct {
	log   *eventlog.Log
	mu    *sync.Mutex
	attrs []slog.Attr
	group string
}

func (h *eventHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }

func (h *eventHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	text := slog.NewTextHandler(&b, &slog.HandlerOptions{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if len(groups) == 0 && (a.Key == slog.TimeKey || a.Key == slog.LevelKey) {
			return slog.Attr{} // the Event Log has its own
		}
		return a
	}})
	var th slog.Handler = text
	if len(h.attrs) > 0 {
		th = th.WithAttrs(h.attrs)
	}
	if h.group != "" {
		th = th.WithGroup(h.group)
	}
	if err := th.Handle(context.Background(), r); err != nil {
		return err
	}
	msg := strings.TrimSpace(b.String())
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case r.Level >= slog.LevelError:
		return h.log.Error(1, msg)
	case r.Level >= slog.LevelWarn:
		return h.log.Warning(1, msg)
	}
	return h.log.Info(1, msg)
}

func (h *eventHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr{}, h.attrs...), attrs...)
	return &c
}

func (h *eventHandler) WithGroup(g string) slog.Handler {
	c := *h
	c.group = g
	return &c
}
