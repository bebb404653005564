package inventory

import (
	"cmp"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	// The zone database goes into the binary: Windows has none that Go
	// can read, and schedule.time_zone names IANA zones.
	_ "time/tzdata"

	"github.com/go-co-op/gocron/v2"
)

// Schedule is how `tmsdrift serve` runs the nightly audit: when, where it
// keeps the history, where it serves reports and metrics, and what it may
// repair on its own. Every key may be omitted (see ApplyDefaults).
type Schedule struct {
	Audit          string   `yaml:"audit,omitempty" json:"audit,omitempty" jsonschema:"default=0 2 * * *"`
	TimeZone       string   `yaml:"time_zone,omitempty" json:"time_zone,omitempty"`
	RunTimeout     string   `yaml:"run_timeout,omitempty" json:"run_timeout,omitempty" jsonschema:"default=30m"`
	HistoryDir     string   `yaml:"history_dir,omitempty" json:"history_dir,omitempty" jsonschema:"default=.tmsdrift/history"`
	Keep           int      `yaml:"keep,omitempty" json:"keep,omitempty" jsonschema:"minimum=0,maximum=1000000,default=90"`
	Listen         string   `yaml:"listen,omitempty" json:"listen,omitempty" jsonschema:"default=127.0.0.1:9417"`
	ListenTokenEnv string   `yaml:"listen_token_env,omitempty" json:"listen_token_env,omitempty"`
	AutoFix        []string `yaml:"auto_fix,omitempty" json:"auto_fix,omitempty" jsonschema:"uniqueItems=true"`
}

// Schedule defaults (docs/inventory.md, `schedule`).
const (
	DefaultAudit      = "0 2 * * *"
	DefaultRunTimeout = 30 * time.Minute
	DefaultHistoryDir = ".tmsdrift/history"
	DefaultKeep       = 90
	DefaultListen     = "127.0.0.1:9417"
)

// AutoFixPostUpgrade lets the service restore, after it detected a TMS
// upgrade, what the installer breaks (the machineKey and the server
// addresses), exactly as `tmsdrift post-upgrade` does.
const AutoFixPostUpgrade = "post-upgrade"

// AutoFixes lists the values schedule.auto_fix accepts.
var AutoFixes = []string{AutoFixPostUpgrade}

// everyPrefix starts a fixed-interval schedule: "@every 6h".
const everyPrefix = "@every "

// The schedule's defaults are not written into the Inventory (an omitted
// key stays empty, so an inventory reads back as written); these methods
// give each key's value with its default.

// AuditSpec is schedule.audit, or DefaultAudit.
func (s Schedule) AuditSpec() string { return cmp.Or(strings.TrimSpace(s.Audit), DefaultAudit) }

// KeepRuns is schedule.keep, or DefaultKeep.
func (s Schedule) KeepRuns() int { return cmp.Or(s.Keep, DefaultKeep) }

// ListenAddr is schedule.listen, or DefaultListen.
func (s Schedule) ListenAddr() string { return cmp.Or(s.Listen, DefaultListen) }

// Every returns the interval of an "@every DURATION" schedule, and false
// for a cron expression.
func (s Schedule) Every() (time.Duration, bool) {
	rest, ok := strings.CutPrefix(s.AuditSpec(), everyPrefix)
	if !ok {
		return 0, false
	}
	d, err := time.ParseDuration(strings.TrimSpace(rest))
	if err != nil {
		return 0, false
	}
	return d, true
}

// Location is the zone the cron expression is read in: time_zone, or the
// machine's own zone when it is empty.
func (s Schedule) Location() (*time.Location, error) {
	if s.TimeZone == "" {
		return time.Local, nil
	}
	loc, err := time.LoadLocation(s.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q", s.TimeZone)
	}
	return loc, nil
}

// Timeout is run_timeout as a duration, or DefaultRunTimeout when it is
// unset (or unreadable, which validation rejects).
func (s Schedule) Timeout() time.Duration {
	d, err := time.ParseDuration(s.RunTimeout)
	if err != nil || d <= 0 {
		return DefaultRunTimeout
	}
	return d
}

// HasAutoFix reports whether auto_fix lists name.
func (s Schedule) HasAutoFix(name string) bool { return slices.Contains(s.AutoFix, name) }

// HistoryPath is the history folder, resolved against the inventory.
func (inv *Inventory) HistoryPath() string {
	return inv.Resolve(filepath.FromSlash(cmp.Or(inv.Schedule.HistoryDir, DefaultHistoryDir)))
}

// IsLoopback reports whether a listen address (host:port) only accepts
// connections from this machine: a loopback IP or "localhost". An empty
// host listens on every interface.
func IsLoopback(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return err == nil && ip.IsLoopback()
}

// validateSchedule checks the schedule block.
func validateSchedule(inv *Inventory, ps *problems) {
	s := inv.Schedule
	loc, zoneErr := s.Location()
	if zoneErr != nil {
		ps.add("schedule.time_zone", "unknown time zone %q: use an IANA name such as Europe/Oslo or UTC, or omit it for this machine's zone", s.TimeZone)
		loc = time.UTC
	}
	if err := CheckAudit(s.AuditSpec(), loc); err != nil {
		ps.add("schedule.audit", "%v", err)
	}
	if d, err := time.ParseDuration(s.RunTimeout); s.RunTimeout != "" && (err != nil || d <= 0) {
		ps.add("schedule.run_timeout", "must be a positive duration such as 30m or 1h30m")
	}
	limit(ps, "schedule.keep", float64(s.Keep))
	if s.HistoryDir != "" && strings.TrimSpace(s.HistoryDir) == "" {
		ps.add("schedule.history_dir", "must name a folder (omit it for the default, %s beside the inventory)", DefaultHistoryDir)
	}
	if err := CheckListen(s.ListenAddr()); err != nil {
		ps.add("schedule.listen", "%v", err)
	} else if !IsLoopback(s.ListenAddr()) && s.ListenTokenEnv == "" {
		ps.add("schedule.listen", "%s is reachable from other machines, and the reports describe the deployment: set schedule.listen_token_env to the environment variable holding a bearer token, or listen on 127.0.0.1", s.ListenAddr())
	}
	envRef(ps, "schedule.listen_token_env", s.ListenTokenEnv, "TMSDRIFT_LISTEN_TOKEN")
	for i, f := range s.AutoFix {
		if !slices.Contains(AutoFixes, f) {
			ps.add(fmt.Sprintf("schedule.auto_fix[%d]", i), "unknown automatic fix %q (known: %s)", f, strings.Join(AutoFixes, ", "))
		}
	}
}

// CheckAudit checks a schedule.audit value: "@every DURATION" (at least a
// second), or a cron expression of 5 fields (minute hour day month
// weekday) or 6 (seconds first), read by the same parser the scheduler
// uses, in loc.
func CheckAudit(expr string, loc *time.Location) error {
	expr = strings.TrimSpace(expr)
	if rest, ok := strings.CutPrefix(expr, everyPrefix); ok {
		d, err := time.ParseDuration(strings.TrimSpace(rest))
		if err != nil || d < time.Second {
			return fmt.Errorf("%q: @every needs a duration of at least 1s, such as @every 6h", expr)
		}
		return nil
	}
	if strings.HasPrefix(expr, "TZ=") || strings.HasPrefix(expr, "CRON_TZ=") {
		return fmt.Errorf("put the zone in schedule.time_zone, not in the expression")
	}
	if !strings.HasPrefix(expr, "@") {
		if n := len(strings.Fields(expr)); n != 5 && n != 6 {
			return fmt.Errorf("%q has %d fields; a cron expression has 5 (minute hour day month weekday, e.g. \"0 2 * * *\") or 6 (seconds first), or write @every 6h", expr, n)
		}
	}
	if err := gocron.NewDefaultCron(true).IsValid(expr, loc, time.Now()); err != nil {
		return fmt.Errorf("%q is not a cron expression the scheduler accepts: %s", expr, cronReason(err))
	}
	return nil
}

// cronReason is the scheduler's complaint about a cron expression on one
// line: gocron's parser answers "gocron: CronJob: crontab parse
// failure\nend of range (61) above maximum (59): 61", and a problem is one
// `file:line:col: field: message` line (editors and CI logs jump to it).
func cronReason(err error) string {
	var parts []string
	for _, line := range strings.Split(err.Error(), "\n") {
		line = strings.TrimSpace(line)
		for _, prefix := range []string{"gocron: ", "CronJob: "} {
			line = strings.TrimPrefix(line, prefix)
		}
		if line != "" && line != "crontab parse failure" {
			parts = append(parts, line)
		}
	}
	if len(parts) == 0 {
		return "crontab parse failure"
	}
	return strings.Join(parts, ": ")
}

// CheckListen checks a host:port listen address.
func CheckListen(listen string) error {
	_, port, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("%q must be host:port, e.g. 127.0.0.1:9417", listen)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%q: the port must be a number between 0 and 65535", listen)
	}
	return nil
}
