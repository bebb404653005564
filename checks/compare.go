package checks

import (
	"math"
	"sort"
	"strconv"
	"strings"
)

// samePath compares Windows paths: case-insensitively, a trailing `\`
// ignored, `/` taken as `\`.
func samePath(a, b string) bool {
	return strings.EqualFold(normPath(a), normPath(b))
}

func normPath(p string) string {
	p = strings.ReplaceAll(strings.TrimSpace(p), "/", `\`)
	return strings.TrimRight(p, `\`)
}

// sameSQLServer compares SQL Server names (host\instance, optional tcp:
// prefix) case-insensitively.
func sameSQLServer(a, b string) bool {
	return strings.EqualFold(trimTCP(a), trimTCP(b))
}

func trimTCP(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 4 && strings.EqualFold(s[:4], "tcp:") {
		s = s[4:]
	}
	return s
}

// sqlHost is the host part of a SQL Server name: without a tcp: prefix,
// before `\` (instance) or `,` (port), lower-cased.
func sqlHost(server string) string {
	s := trimTCP(server)
	if i := strings.IndexAny(s, `\,`); i >= 0 {
		s = s[:i]
	}
	return strings.ToLower(strings.TrimSpace(s))
}

// firstLabel is the first DNS label of a host name; IP addresses stay
// whole.
func firstLabel(host string) string {
	host = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(host), "."))
	if isIP(host) {
		return host
	}
	if i := strings.IndexByte(host, '.'); i >= 0 {
		return host[:i]
	}
	return host
}

func isIP(s string) bool {
	if strings.Contains(s, ":") {
		return true
	}
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return false
	}
	for _, p := range parts {
		if _, err := strconv.Atoi(p); err != nil {
			return false
		}
	}
	return true
}

// median of samples; callers ensure len > 0.
func median(samples []float64) float64 {
	s := append([]float64(nil), samples...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// p95 is the nearest-rank 95th percentile: the sample below which 95 % of
// the round trips fall. It shows spikes the median hides; rules judge the
// median.
func p95(samples []float64) float64 {
	s := append([]float64(nil), samples...)
	sort.Float64s(s)
	return s[int(math.Ceil(0.95*float64(len(s))))-1]
}

// ms formats a duration in milliseconds without float noise.
func ms(v float64) string {
	return num(math.Round(v*1000)/1000) + " ms"
}

// num formats a limit from the inventory. Negative zero — a facts.json
// "offset_ms": -0, or an offset that rounds to zero from below — is shown
// as 0: "offset -0 ms" reads as a clock behind when it is on time.
func num(v float64) string {
	if v == 0 {
		v = 0 // -0 == 0: drops the sign
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}
