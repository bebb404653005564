//go:build windows

package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"

	"github.com/tmsdrift/tmsdrift/facts"
)

// The service control manager is opened with the rights each task needs:
// reading asks for enumeration and configuration queries only, which a
// non-elevated account has; changing a service asks for the change and
// start/stop rights, which need an administrator.
const (
	readSCM     = windows.SC_MANAGER_CONNECT | windows.SC_MANAGER_ENUMERATE_SERVICE
	readService = windows.SERVICE_QUERY_CONFIG | windows.SERVICE_QUERY_STATUS
	editService = readService | windows.SERVICE_CHANGE_CONFIG | windows.SERVICE_START | windows.SERVICE_STOP
)

// IsAuditedService tells the services facts.json lists: TMS* and W3SVC.
func IsAuditedService(name string) bool {
	return len(name) >= 3 && strings.EqualFold(name[:3], "TMS") || strings.EqualFold(name, "W3SVC")
}

// Services lists the Win32 services whose name match accepts, with their
// start type and state.
func Services(match func(string) bool) ([]facts.Service, error) {
	scm, err := windows.OpenSCManager(nil, nil, readSCM)
	if err != nil {
		return nil, fmt.Errorf("open the service control manager: %w", err)
	}
	defer windows.CloseServiceHandle(scm)
	var buf []byte
	var needed, count uint32
	for {
		var p *byte
		if len(buf) > 0 {
			p = &buf[0]
		}
		err = windows.EnumServicesStatusEx(scm, windows.SC_ENUM_PROCESS_INFO, windows.SERVICE_WIN32,
			windows.SERVICE_STATE_ALL, p, uint32(len(buf)), &needed, &count, nil, nil)
		if err == nil {
			break
		}
		if err != syscall.ERROR_MORE_DATA || needed <= uint32(len(buf)) {
			return nil, fmt.Errorf("list services: %w", err)
		}
		buf = make([]byte, needed)
	}
	if count == 0 {
		return nil, nil
	}
	entries := unsafe.Slice((*windows.ENUM_SERVICE_STATUS_PROCESS)(unsafe.Pointer(&buf[0])), int(count))
	var out []facts.Service
	for _, e := range entries {
		name := windows.UTF16PtrToString(e.ServiceName)
		if !match(name) {
			continue
		}
		start, err := startType(scm, name)
		if err != nil {
			return nil, err
		}
		out = append(out, facts.Service{Name: name, StartType: start, State: stateName(e.ServiceStatusProcess.CurrentState)})
	}
	return out, nil
}

// startType reads a service's start type; AutomaticDelayed from the
// delayed-start flag (QueryServiceConfig2, which Wine lacks) or else the
// DelayedAutostart registry value.
func startType(scm windows.Handle, name string) (string, error) {
	h, err := openService(scm, name, readService)
	if err != nil {
		return "", err
	}
	defer windows.CloseServiceHandle(h)
	cfg, err := queryConfig(h)
	if err != nil {
		return "", fmt.Errorf("service %s: %w", name, err)
	}
	switch cfg.StartType {
	case windows.SERVICE_AUTO_START:
		if delayed(h, name) {
			return facts.StartAutomaticDelayed, nil
		}
		return facts.StartAutomatic, nil
	case windows.SERVICE_DEMAND_START:
		return facts.StartManual, nil
	case windows.SERVICE_DISABLED:
		return facts.StartDisabled, nil
	}
	return "", fmt.Errorf("service %s: start type %d is not a service start type", name, cfg.StartType)
}

func delayed(h windows.Handle, name string) bool {
	var info windows.SERVICE_DELAYED_AUTO_START_INFO
	var needed uint32
	err := windows.QueryServiceConfig2(h, windows.SERVICE_CONFIG_DELAYED_AUTO_START_INFO,
		(*byte)(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info)), &needed)
	if err == nil {
		return info.IsDelayedAutoStartUp != 0
	}
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, `SYSTEM\CurrentControlSet\Services\`+name, registry.QUERY_VALUE)
	if err != nil {
		return false
	}
	defer k.Close()
	v, _, err := k.GetIntegerValue("DelayedAutostart")
	return err == nil && v == 1
}

func queryConfig(h windows.Handle) (*windows.QUERY_SERVICE_CONFIG, error) {
	n := uint32(1024)
	for {
		b := make([]byte, n)
		p := (*windows.QUERY_SERVICE_CONFIG)(unsafe.Pointer(&b[0]))
		err := windows.QueryServiceConfig(h, p, n, &n)
		if err == nil {
			return p, nil
		}
		if err != syscall.ERROR_INSUFFICIENT_BUFFER || n <= uint32(len(b)) {
			return nil, err
		}
	}
}

func openService(scm windows.Handle, name string, access uint32) (windows.Handle, error) {
	p, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return 0, err
	}
	h, err := windows.OpenService(scm, p, access)
	if errors.Is(err, windows.ERROR_SERVICE_DOES_NOT_EXIST) {
		return 0, fmt.Errorf("service %s: %w", name, fs.ErrNotExist)
	}
	if err != nil {
		return 0, fmt.Errorf("open service %s: %w", name, err)
	}
	return h, nil
}

func stateName(s uint32) string {
	switch s {
	case windows.SERVICE_RUNNING:
		return facts.StateRunning
	case windows.SERVICE_STOPPED:
		return facts.StateStopped
	case windows.SERVICE_START_PENDING, windows.SERVICE_CONTINUE_PENDING:
		return facts.StateStartPending
	case windows.SERVICE_STOP_PENDING:
		return facts.StateStopPending
	}
	return facts.StatePaused // PAUSED, PAUSE_PENDING
}

// SetService sets a service's start type (empty: keep) and brings it to
// state (empty: keep), waiting for the state until ctx ends.
func SetService(ctx context.Context, name, start, state string) error {
	scm, err := windows.OpenSCManager(nil, nil, windows.SC_MANAGER_CONNECT)
	if err != nil {
		return fmt.Errorf("open the service control manager: %w", err)
	}
	defer windows.CloseServiceHandle(scm)
	h, err := openService(scm, name, editService)
	if err != nil {
		return err
	}
	defer windows.CloseServiceHandle(h)
	if start != "" {
		if err := setStartType(h, start); err != nil {
			return fmt.Errorf("service %s: %w", name, err)
		}
	}
	if state != "" {
		if err := setState(ctx, h, state); err != nil {
			return fmt.Errorf("service %s: %w", name, err)
		}
	}
	return nil
}

// setStartType changes only the start type (SERVICE_NO_CHANGE for the
// rest) and the delayed-start flag where it matters.
func setStartType(h windows.Handle, start string) error {
	var code uint32
	switch start {
	case facts.StartAutomatic, facts.StartAutomaticDelayed:
		code = windows.SERVICE_AUTO_START
	case facts.StartManual:
		code = windows.SERVICE_DEMAND_START
	case facts.StartDisabled:
		code = windows.SERVICE_DISABLED
	default:
		return fmt.Errorf("unknown start type %q", start)
	}
	no := uint32(windows.SERVICE_NO_CHANGE)
	if err := windows.ChangeServiceConfig(h, no, code, no, nil, nil, nil, nil, nil, nil, nil); err != nil {
		return fmt.Errorf("change start type: %w", err)
	}
	if code != windows.SERVICE_AUTO_START {
		return nil
	}
	want := start == facts.StartAutomaticDelayed
	var info windows.SERVICE_DELAYED_AUTO_START_INFO
	if want {
		info.IsDelayedAutoStartUp = 1
	}
	err := windows.ChangeServiceConfig2(h, windows.SERVICE_CONFIG_DELAYED_AUTO_START_INFO, (*byte)(unsafe.Pointer(&info)))
	if err != nil && want {
		return fmt.Errorf("set delayed start: %w", err)
	}
	return nil // clearing a flag the system does not know about is moot
}

func setState(ctx context.Context, h windows.Handle, state string) error {
	var want uint32
	switch state {
	case facts.StateRunning:
		want = windows.SERVICE_RUNNING
	case facts.StateStopped:
		want = windows.SERVICE_STOPPED
	default:
		return fmt.Errorf("cannot bring a service to state %q", state)
	}
	var st windows.SERVICE_STATUS
	if err := windows.QueryServiceStatus(h, &st); err != nil {
		return fmt.Errorf("query state: %w", err)
	}
	started := false // a start this call asked for and the manager took
	if st.CurrentState != want {
		var err error
		if want == windows.SERVICE_STOPPED {
			err = windows.ControlService(h, windows.SERVICE_CONTROL_STOP, &st)
		} else {
			err = windows.StartService(h, 0, nil)
			started = err == nil
		}
		if err != nil && !errors.Is(err, windows.ERROR_SERVICE_NOT_ACTIVE) && !errors.Is(err, windows.ERROR_SERVICE_ALREADY_RUNNING) {
			return fmt.Errorf("%s: %w%s", strings.ToLower(state), err, howStopped(h, want))
		}
	}
	for {
		if err := windows.QueryServiceStatus(h, &st); err != nil {
			return fmt.Errorf("query state: %w", err)
		}
		if st.CurrentState == want {
			return nil
		}
		if want == windows.SERVICE_RUNNING && st.CurrentState == windows.SERVICE_STOPPED {
			// A service that stops while starting has failed: its process
			// ended (a TMS service that cannot reach its database may).
			// Waiting on would only run out the node's time.
			if started {
				return fmt.Errorf("started, then stopped (%s)", exitCodes(st))
			}
			// It was stopping when asked to run (ALREADY_RUNNING): start it
			// now that it has stopped.
			err := windows.StartService(h, 0, nil)
			if err != nil && !errors.Is(err, windows.ERROR_SERVICE_ALREADY_RUNNING) {
				return fmt.Errorf("%s: %w", strings.ToLower(state), err)
			}
			started = err == nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("still %s when the time ran out: %w", stateName(st.CurrentState), ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// howStopped is ", stopped with <its exit code>" when a start failed and
// the service manager recorded how the service ended: Wine's services.exe
// fails StartService (ERROR_SERVICE_REQUEST_TIMEOUT) for a service that
// stops while it starts, where Windows' returns and the service stops
// afterwards (the wait in setState).
func howStopped(h windows.Handle, want uint32) string {
	var st windows.SERVICE_STATUS
	if want != windows.SERVICE_RUNNING || windows.QueryServiceStatus(h, &st) != nil ||
		st.CurrentState != windows.SERVICE_STOPPED || st.Win32ExitCode == 0 {
		return ""
	}
	return "; the service stopped (" + exitCodes(st) + ")"
}

// exitCodes says how a stopped service ended, as the service control
// manager records it: its Win32 exit code, or its own code when it sets
// ERROR_SERVICE_SPECIFIC_ERROR.
func exitCodes(st windows.SERVICE_STATUS) string {
	if windows.Errno(st.Win32ExitCode) == windows.ERROR_SERVICE_SPECIFIC_ERROR {
		return fmt.Sprintf("service-specific exit code %d", st.ServiceSpecificExitCode)
	}
	return fmt.Sprintf("exit code %d: %v", st.Win32ExitCode, windows.Errno(st.Win32ExitCode))
}
