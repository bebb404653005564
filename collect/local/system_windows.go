//go:build windows

package local

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"

	"github.com/tmsdrift/tmsdrift/collect/psscript"
)

// ComputerName returns a GetComputerNameEx name of this machine.
func ComputerName(format uint32) (string, error) {
	n := uint32(256)
	for {
		buf := make([]uint16, n)
		err := windows.GetComputerNameEx(format, &buf[0], &n)
		if err == nil {
			return windows.UTF16ToString(buf[:n]), nil
		}
		if !errors.Is(err, windows.ERROR_MORE_DATA) || int(n) <= len(buf) {
			return "", fmt.Errorf("computer name: %w", err)
		}
	}
}

// Membership says whether the machine is joined to a domain (NetSetup-
// DomainName) and names it: the DNS domain when joined (what
// Win32_ComputerSystem.Domain shows), else the workgroup.
func Membership() (domain string, joined bool, err error) {
	var name *uint16
	var status uint32
	if err := windows.NetGetJoinInformation(nil, &name, &status); err != nil {
		return "", false, fmt.Errorf("domain membership: %w", err)
	}
	netbios := windows.UTF16PtrToString(name)
	_ = windows.NetApiBufferFree((*byte)(unsafe.Pointer(name)))
	if status != windows.NetSetupDomainName {
		return netbios, false, nil
	}
	if dns, err := ComputerName(windows.ComputerNameDnsDomain); err == nil && dns != "" {
		return dns, true, nil
	}
	return netbios, true, nil
}

// Addresses lists the machine's IPv4 and IPv6 unicast addresses on
// interfaces that are up, without loopback and link-local ones.
func Addresses() (v4, v6 []string, err error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, nil, fmt.Errorf("network interfaces: %w", err)
	}
	v4, v6 = []string{}, []string{}
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			ipn, ok := a.(*net.IPNet)
			if !ok || ipn.IP.IsLoopback() || ipn.IP.IsLinkLocalUnicast() {
				continue
			}
			if ipn.IP.To4() != nil {
				v4 = append(v4, ipn.IP.String())
			} else {
				v6 = append(v6, ipn.IP.String())
			}
		}
	}
	return v4, v6, nil
}

// RegString reads a string value under HKEY_LOCAL_MACHINE; "" when the key
// or value is absent.
func RegString(path, value string) string {
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, path, registry.QUERY_VALUE)
	if err != nil {
		return ""
	}
	defer k.Close()
	s, _, err := k.GetStringValue(value)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(s)
}

// regFirst returns the first of values set under any of keys.
func regFirst(keys, values []string) string {
	for _, k := range keys {
		for _, v := range values {
			if s := RegString(k, v); s != "" {
				return s
			}
		}
	}
	return ""
}

// uninstallEntry finds TMS's own uninstall entry.
func uninstallEntry() (version, location string) {
	for _, root := range UninstallKeys {
		k, err := registry.OpenKey(registry.LOCAL_MACHINE, root, registry.ENUMERATE_SUB_KEYS)
		if err != nil {
			continue
		}
		names, err := k.ReadSubKeyNames(-1)
		k.Close()
		if err != nil {
			continue
		}
		for _, n := range names {
			sub := root + `\` + n
			if IsTMSProduct(RegString(sub, "DisplayName")) {
				return RegString(sub, "DisplayVersion"), RegString(sub, "InstallLocation")
			}
		}
	}
	return "", ""
}

// installInfo gathers what each source says about TMS.
func installInfo(fallbackInstall string, reg psscript.Registry) InstallInfo {
	i := InstallInfo{IsDir: func(p string) bool {
		st, err := os.Stat(p)
		return err == nil && st.IsDir()
	}}
	config := filepath.Join(os.Getenv("windir"), `System32\inetsrv\config\applicationHost.config`)
	if data, err := os.ReadFile(config); err == nil {
		i.IISWebRoot, _ = WebRootFromAppHost(data, func(s string) string { return ExpandPercent(s, os.LookupEnv) })
	}
	i.UninstallVersion, i.UninstallLocation = uninstallEntry()
	i.RegInstall = regFirst(reg.Keys, reg.Install)
	i.RegVersion = regFirst(reg.Keys, reg.Version)
	i.RegDBServer = regFirst(reg.Keys, reg.DBServer)
	i.RegDBName = regFirst(reg.Keys, reg.DBName)
	fb := strings.TrimRight(fallbackInstall, `\`)
	if st, err := os.Stat(fb + `\wwwTMS\web.config`); err == nil && st.Mode().IsRegular() {
		i.FallbackInstall = fb
	}
	return i
}

// timeConfig reads the Windows Time service's configuration.
func timeConfig() TimeConfig {
	const key = `SYSTEM\CurrentControlSet\Services\W32Time\Parameters`
	return TimeConfig{Type: RegString(key, "Type"), NtpServer: RegString(key, "NtpServer")}
}

// w32tmSource asks w32tm for the source it follows (a domain controller's
// name, for instance); "" when w32tm is not there or fails (Wine).
func w32tmSource(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "w32tm.exe", "/query", "/source").Output()
	if err != nil {
		return ""
	}
	for _, l := range strings.Split(string(out), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			return l
		}
	}
	return ""
}
