package local

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/beevik/ntp"

	"github.com/tmsdrift/tmsdrift/facts"
)

// TimeConfig is the Windows Time service's configuration, from
// HKLM\SYSTEM\CurrentControlSet\Services\W32Time\Parameters.
type TimeConfig struct {
	Type      string // NT5DS (domain hierarchy), NTP, AllSync, NoSync
	NtpServer string // "time.windows.com,0x9 pool.ntp.org,0x1"
}

// Sources Windows reports when it follows no server.
const (
	LocalCMOSClock    = "Local CMOS Clock"
	FreeRunningClock  = "Free-running System Clock"
	DefaultNTPPort    = 123
	defaultNTPTimeout = 5 * time.Second
)

// TimeSource names the source as facts.json records it and the host to
// query: the first NtpServer entry for NTP; for the domain hierarchy the
// domain's DNS name (whose address records are its domain controllers,
// the usual time sources of a member server); none for NoSync.
func TimeSource(cfg TimeConfig, domain string, joined bool) (source, peer string) {
	first := ""
	if f := strings.Fields(cfg.NtpServer); len(f) > 0 {
		first = f[0]
	}
	host, _, _ := strings.Cut(first, ",")
	switch strings.ToUpper(cfg.Type) {
	case "NOSYNC":
		return LocalCMOSClock, ""
	case "NT5DS":
		if joined && domain != "" {
			return domain, domain
		}
		return LocalCMOSClock, ""
	case "NTP", "ALLSYNC":
		if host != "" {
			return first, host
		}
		if joined && domain != "" {
			return domain, domain
		}
	}
	return LocalCMOSClock, ""
}

// QueryTime asks peer by SNTP (port 0: 123; timeout 0: 5 s) and returns
// the time facts: synced when it answers with a usable time, offset_ms
// being this clock minus the source's (positive: this clock is ahead).
func QueryTime(source, peer string, port int, timeout time.Duration) (facts.TimeFacts, error) {
	t := facts.TimeFacts{Source: source}
	no := false
	t.Synced = &no
	if peer == "" {
		return t, nil
	}
	if port == 0 {
		port = DefaultNTPPort
	}
	if timeout <= 0 {
		timeout = defaultNTPTimeout
	}
	resp, err := ntp.QueryWithOptions(peer, ntp.QueryOptions{Port: port, Timeout: timeout})
	if err == nil {
		err = resp.Validate()
	}
	if err != nil {
		return t, fmt.Errorf("time source %s: %w", peer, err)
	}
	yes := true
	off := math.Round(float64(-resp.ClockOffset)/float64(time.Millisecond)*1000) / 1000
	t.Synced, t.OffsetMS = &yes, &off
	return t, nil
}
