//go:build windows

package local

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"

	"github.com/tmsdrift/tmsdrift/collect/psscript"
)

// Discover is discover.ps1 done with Windows APIs on this machine, read
// only: the registry opened for reading, the service control manager
// with enumerate and query rights, files read.
func (n *node) Discover(ctx context.Context, p psscript.DiscoverParams) ([]byte, error) {
	doc := &psscript.DiscoverDocument{Schema: psscript.DiscoverSchema, Registry: []psscript.RegistryValue{},
		Uninstall: []psscript.UninstallEntry{}, Services: []psscript.ServiceEntry{}, IIS: []psscript.IISApplication{}, Warnings: []string{}}
	warn := func(format string, a ...any) { doc.Warnings = append(doc.Warnings, fmt.Sprintf(format, a...)) }
	if h, err := os.Hostname(); err == nil {
		doc.Hostname = h
	}

	keys := 0
	for _, root := range []string{`SOFTWARE\Tandberg`, `SOFTWARE\WOW6432Node\Tandberg`, `SOFTWARE\Cisco`, `SOFTWARE\WOW6432Node\Cisco`} {
		if !registryValues(root, doc, &keys, p.MaxKeys) {
			warn("registry: more than %d keys, the rest not listed", p.MaxKeys)
			break
		}
	}
	for _, root := range UninstallKeys {
		k, err := registry.OpenKey(registry.LOCAL_MACHINE, root, registry.ENUMERATE_SUB_KEYS)
		if err != nil {
			continue
		}
		names, _ := k.ReadSubKeyNames(-1)
		k.Close()
		for _, name := range names {
			sub := root + `\` + name
			if dn := RegString(sub, "DisplayName"); IsDiscoveredProduct(dn) {
				doc.Uninstall = append(doc.Uninstall, psscript.UninstallEntry{DisplayName: dn, DisplayVersion: RegString(sub, "DisplayVersion"), InstallLocation: RegString(sub, "InstallLocation")})
			}
		}
	}
	if err := discoverServices(doc); err != nil {
		warn("services: %v", err)
	}
	config := filepath.Join(os.Getenv("windir"), `System32\inetsrv\config\applicationHost.config`)
	if data, err := os.ReadFile(config); err == nil {
		apps, err := AppsFromAppHost(data, func(s string) string { return ExpandPercent(s, os.LookupEnv) })
		if err != nil {
			warn("IIS: %v", err)
		}
		for _, a := range apps {
			wc := a.PhysicalPath + `\web.config`
			if st, err := os.Stat(wc); err == nil && st.Mode().IsRegular() {
				a.WebConfigs = []string{wc}
			}
			doc.IIS = append(doc.IIS, a)
		}
	} else {
		warn("IIS: no applicationHost.config")
	}
	doc.InstallPath = DiscoverInstall(doc, p.Install)
	doc.Folders, doc.WebConfigs = []string{}, []string{}
	if st, err := os.Stat(doc.InstallPath); err == nil && st.IsDir() {
		folders, configs, truncated, err := ListFolders(os.DirFS(doc.InstallPath), ".", p.FolderDepth, p.MaxFolders)
		if err != nil {
			warn("folders: %v", err)
		}
		if truncated {
			warn("folders: more than %d, the rest not listed", p.MaxFolders)
		}
		doc.Folders, doc.WebConfigs = folders, configs
	} else {
		warn("install folder %s not found", doc.InstallPath)
	}
	return json.Marshal(doc)
}

// registryValues adds the values of key and its subkeys; false when the
// key limit was reached.
func registryValues(path string, doc *psscript.DiscoverDocument, keys *int, max int) bool {
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, path, registry.QUERY_VALUE|registry.ENUMERATE_SUB_KEYS)
	if err != nil {
		return true // absent: nothing to list
	}
	defer k.Close()
	if *keys++; *keys > max {
		return false
	}
	names, _ := k.ReadValueNames(-1)
	for _, name := range names {
		typ, text := valueText(k, name)
		doc.Registry = append(doc.Registry, RegistryEntry(`HKLM\`+path, name, typ, text))
	}
	subs, _ := k.ReadSubKeyNames(-1)
	for _, s := range subs {
		if !registryValues(path+`\`+s, doc, keys, max) {
			return false
		}
	}
	return true
}

// valueText reads one value as the script prints it.
func valueText(k registry.Key, name string) (string, string) {
	_, typ, err := k.GetValue(name, nil)
	if err != nil {
		return "REG_UNKNOWN", ""
	}
	switch typ {
	case registry.SZ, registry.EXPAND_SZ:
		s, _, _ := k.GetStringValue(name)
		if typ == registry.EXPAND_SZ {
			return "REG_EXPAND_SZ", s
		}
		return "REG_SZ", s
	case registry.MULTI_SZ:
		s, _, _ := k.GetStringsValue(name)
		return "REG_MULTI_SZ", strings.Join(s, "; ")
	case registry.DWORD, registry.QWORD:
		v, _, _ := k.GetIntegerValue(name)
		if typ == registry.DWORD {
			return "REG_DWORD", strconv.FormatUint(v, 10)
		}
		return "REG_QWORD", strconv.FormatUint(v, 10)
	case registry.BINARY:
		b, _, _ := k.GetBinaryValue(name)
		return "REG_BINARY", hex.EncodeToString(b)
	}
	return fmt.Sprintf("REG_%d", typ), ""
}

// discoverServices lists the services named TMS* or W3SVC, or whose
// display name says TelePresence, with display name, start type, state
// and binary path.
func discoverServices(doc *psscript.DiscoverDocument) error {
	scm, err := windows.OpenSCManager(nil, nil, readSCM)
	if err != nil {
		return fmt.Errorf("open the service control manager: %w", err)
	}
	defer windows.CloseServiceHandle(scm)
	config := func(name string) (display, binary string, ok bool) {
		h, err := openService(scm, name, readService)
		if err != nil {
			return "", "", false
		}
		defer windows.CloseServiceHandle(h)
		cfg, err := queryConfig(h)
		if err != nil {
			return "", "", false
		}
		return windows.UTF16PtrToString(cfg.DisplayName), windows.UTF16PtrToString(cfg.BinaryPathName), true
	}
	list, err := Services(func(name string) bool {
		if IsAuditedService(name) {
			return true
		}
		display, _, ok := config(name)
		return ok && strings.Contains(strings.ToLower(display), "telepresence")
	})
	if err != nil {
		return err
	}
	for _, s := range list {
		display, binary, _ := config(s.Name)
		doc.Services = append(doc.Services, psscript.ServiceEntry{Name: s.Name, DisplayName: display, StartType: s.StartType, State: s.State, BinaryPath: binary})
	}
	return nil
}
