package facts

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/tmsdrift/tmsdrift/tmsversion"
)

// Facts that cannot be true are removed where they enter — when
// facts.json or db.json is parsed, and when the live probe fills db.json's
// facts — and the reason is kept under the key's name. A rule that needs
// the key then finds it absent and gives `error` with that reason, the way
// it does for any fact that could not be read; no rule can judge an
// impossible value, because none ever sees one. A negative round trip
// passed db.latency as "median -30 ms", and a backup taken years after the
// facts were observed passed db.backup-recent at "-27190 h".

// Limits of what a fact can be. They are tmsdrift assumptions, chosen far
// beyond anything a working deployment reports, so that only a broken
// gatherer, a broken clock or a hand-edited file reaches them.
const (
	// MaxSkew is how far a time recorded by the database server may lie
	// after observed_at, the same server's clock when the facts were read:
	// timestamps of one clock can only differ by rounding and by the time
	// zone arithmetic of msdb's local times.
	MaxSkew = 5 * time.Minute
	// MaxRTTMS is the longest round trip a sample may record: an hour, far
	// beyond any connection or command timeout that would have given up.
	MaxRTTMS = 3_600_000.0
	// MaxOffsetMS is the largest clock offset Windows Time can report
	// meaningfully: 100 years (a clock reset to 1601 or 1980 stays below).
	MaxOffsetMS = 100 * 365.25 * 24 * 3600 * 1000
)

// checkRTT returns why a list of round-trip samples is impossible, or "".
func checkRTT(key string, samples []float64) string {
	for i, v := range samples {
		at := key + "[" + strconv.Itoa(i) + "]"
		switch {
		case math.IsNaN(v) || math.IsInf(v, 0):
			return fmt.Sprintf("impossible value: %s is not a finite number", at)
		case v < 0:
			return fmt.Sprintf("impossible value: %s is %s ms, and a round trip cannot take negative time", at, num(v))
		case v > MaxRTTMS:
			return fmt.Sprintf("impossible value: %s is %s ms, more than an hour (no probe waits that long)", at, num(v))
		}
	}
	return ""
}

// checkDuration returns why a single duration in milliseconds is
// impossible, or "".
func checkDuration(key string, v float64) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return fmt.Sprintf("impossible value: %s is not a finite number", key)
	case v < 0:
		return fmt.Sprintf("impossible value: %s is %s ms, and a duration cannot be negative", key, num(v))
	case v > MaxRTTMS:
		return fmt.Sprintf("impossible value: %s is %s ms, more than an hour (no probe waits that long)", key, num(v))
	}
	return ""
}

// checkOffset returns why a clock offset in milliseconds is impossible, or
// "". Offsets may be negative (the clock is behind).
func checkOffset(key string, v float64) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return fmt.Sprintf("impossible value: %s is not a finite number", key)
	case math.Abs(v) > MaxOffsetMS:
		return fmt.Sprintf("impossible value: %s is %s ms, more than 100 years", key, num(v))
	}
	return ""
}

// checkNotAfter returns why t, a time the database recorded, cannot be
// true given that the facts were observed at observed, or "".
func checkNotAfter(key string, t, observed time.Time) string {
	if ahead := t.Sub(observed); ahead > MaxSkew {
		return fmt.Sprintf("impossible value: %s %s is %s after observed_at %s; a recorded time cannot lie in the future of its own server's clock (more than %s)",
			key, t.UTC().Format(time.RFC3339), span(ahead), observed.UTC().Format(time.RFC3339), span(MaxSkew))
	}
	return ""
}

// dropImpossible removes the node facts that cannot be true, keeping why
// in Impossible (see the comment at the top of this file).
func (f *NodeFacts) dropImpossible() {
	mark := func(key, why string) {
		if f.Impossible == nil {
			f.Impossible = map[string]string{}
		}
		f.Impossible[key] = why
	}
	if why := checkRTT("db_rtt_ms", f.DBRTTMS); why != "" {
		f.DBRTTMS = nil
		mark("db_rtt_ms", why)
	}
	if f.TMS != nil && strings.TrimSpace(f.TMS.Version) != "" {
		// "-1.2.3", "99999999999999999999.1.1", a version with a
		// zero-width space: equal on every node, they passed version.same.
		if _, err := tmsversion.Parse(f.TMS.Version); err != nil {
			f.TMS.Version = ""
			mark("tms.version", "impossible value: "+err.Error())
		}
	}
	if f.Time != nil && f.Time.OffsetMS != nil {
		if why := checkOffset("time.offset_ms", *f.Time.OffsetMS); why != "" {
			f.Time.OffsetMS = nil
			mark("time.offset_ms", why)
		}
	}
}

// Lacks explains an absent facts.json key for an `error` result: "facts.json
// lacks KEY", or why its value was impossible and dropped.
func (f *NodeFacts) Lacks(key string) string {
	if why := f.Impossible[key]; why != "" {
		return "facts.json " + key + ": " + why
	}
	return "facts.json lacks " + key
}

// DropImpossible removes the database facts that cannot be true and
// records why under Unknown, by key, as for a question the server refused:
// the rules needing the key give `error` with the reason, and `tmsdrift
// snapshot db` writes the reason into db.json. ParseDB calls it; the live
// probe calls it on what it read. It is idempotent.
func (f *DBFacts) DropImpossible() {
	mark := func(key, why string) {
		if f.Unknown == nil {
			f.Unknown = map[string]string{}
		}
		f.Unknown[key] = why
	}
	if why := checkRTT("rtt_ms", f.RTTMS); why != "" {
		f.RTTMS = nil
		mark("rtt_ms", why)
	}
	if f.ConnectMS != nil {
		if why := checkDuration("connect_ms", *f.ConnectMS); why != "" {
			f.ConnectMS = nil
			mark("connect_ms", why)
		}
	}
	if f.ObservedAt == nil {
		return
	}
	observed := f.ObservedAt.Time
	if f.LastFullBackup.Valid() {
		if why := checkNotAfter("last_full_backup", f.LastFullBackup.Value.Time, observed); why != "" {
			f.LastFullBackup = Optional[Timestamp]{}
			mark("last_full_backup", why)
		}
	}
	if f.LogShipping.Valid() && f.LogShipping.Value.LastRestored.Valid() {
		if why := checkNotAfter("log_shipping.last_restored", f.LogShipping.Value.LastRestored.Value.Time, observed); why != "" {
			f.LogShipping.Value.LastRestored = Optional[Timestamp]{}
			mark("log_shipping.last_restored", why)
		}
	}
}

// num formats a number for a message without exponent noise for the
// values people write (-30, 1.5), and with one for absurd ones (1e+308).
func num(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// span formats a duration in the largest unit that fits, for messages.
func span(d time.Duration) string {
	switch h := d.Hours(); {
	case h >= 24*365:
		return fmt.Sprintf("%s years", num(math.Round(h/(24*365.25)*10)/10))
	case h >= 48:
		return fmt.Sprintf("%s days", num(math.Round(h/24*10)/10))
	case d >= time.Hour:
		return fmt.Sprintf("%s h", num(math.Round(h*10)/10))
	}
	return fmt.Sprintf("%s min", num(math.Round(d.Minutes()*10)/10))
}
