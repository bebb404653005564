package sqlserver

import (
	"database/sql"
	"fmt"
	"strings"

	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/inventory"
)

// settingRow is one row of the settings query: whatever the database
// holds, so it is outside input.
type settingRow struct {
	Name, Value sql.NullString
}

// settingKeys are the db.json settings keys, in contract order.
var settingKeys = []string{"ipv4_local", "ipv6_local", "dns_local", "dns_public"}

// settingNames returns the inventory's setting names with the reference
// schema's defaults for those left out.
func settingNames(n inventory.SettingNames) inventory.SettingNames {
	def := func(v, d string) string {
		if strings.TrimSpace(v) == "" {
			return d
		}
		return v
	}
	return inventory.SettingNames{
		IPv4Local: def(n.IPv4Local, DefaultNameIPv4Local),
		IPv6Local: def(n.IPv6Local, DefaultNameIPv6Local),
		DNSLocal:  def(n.DNSLocal, DefaultNameDNSLocal),
		DNSPublic: def(n.DNSPublic, DefaultNameDNSPublic),
	}
}

// nameOf returns the setting name of a db.json settings key.
func nameOf(n inventory.SettingNames, key string) (string, bool) {
	switch key {
	case "ipv4_local":
		return n.IPv4Local, true
	case "ipv6_local":
		return n.IPv6Local, true
	case "dns_local":
		return n.DNSLocal, true
	case "dns_public":
		return n.DNSPublic, true
	}
	return "", false
}

// decodeSettings maps the rows of the settings query onto the four
// addresses. Names compare case-insensitively, as in SQL Server's default
// collation. Every mapped name must come back exactly once — a name that
// is missing means the query or the names do not fit this TMS version,
// and guessing "" would fail addresses.match for the wrong reason. A NULL
// value is an empty address; rows with other names are ignored.
func decodeSettings(rows []settingRow, names inventory.SettingNames) (*facts.Settings, error) {
	values := map[string]string{}
	seen := map[string]int{}
	for _, key := range settingKeys {
		name, _ := nameOf(names, key)
		seen[strings.ToLower(name)] = 0
	}
	for _, r := range rows {
		if !r.Name.Valid {
			continue
		}
		k := strings.ToLower(r.Name.String)
		n, wanted := seen[k]
		if !wanted {
			continue
		}
		seen[k] = n + 1
		values[k] = r.Value.String
	}
	var missing, twice []string
	for _, key := range settingKeys {
		name, _ := nameOf(names, key)
		switch seen[strings.ToLower(name)] {
		case 0:
			missing = append(missing, fmt.Sprintf("%s (%s)", name, key))
		case 1:
		default:
			twice = append(twice, fmt.Sprintf("%s (%s)", name, key))
		}
	}
	switch {
	case len(missing) > 0:
		return nil, fmt.Errorf("the settings query returned no row named %s: check database.settings against your TMS version", strings.Join(missing, ", "))
	case len(twice) > 0:
		return nil, fmt.Errorf("the settings query returned several rows named %s: the names must be unique", strings.Join(twice, ", "))
	}
	get := func(key string) string {
		name, _ := nameOf(names, key)
		return values[strings.ToLower(name)]
	}
	return &facts.Settings{
		IPv4Local: get("ipv4_local"),
		IPv6Local: get("ipv6_local"),
		DNSLocal:  get("dns_local"),
		DNSPublic: get("dns_public"),
	}, nil
}
