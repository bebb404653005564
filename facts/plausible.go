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
// facts were observed passed db.backup-recent at "-27190 h". Times are
// held to [Earliest, now+MaxAhead] as well: an observed_at in year 9999
// made db.backup-recent fail at "2562047.8 h", time.Sub's saturated 292
// years, instead of naming the impossible fact.

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
	// MaxAhead is how far observed_at may lie after this machine's clock
	// when the facts are read: a recorded snapshot was observed in the
	// past, and a live server's clock a day ahead of the auditor's is
	// broken, not skewed (Kerberos, which TMS's domain log-in needs,
	// tolerates 5 minutes by default).
	MaxAhead = 24 * time.Hour
)

// Earliest is the earliest time a fact may carry: no TMS server and no
// tmsng database existed before 2000, so a time before it is a clock
// that was reset (1970, SQL Server's 1753, Go's and .NET's year 1), not a
// very old backup. A tmsdrift assumption.
var Earliest = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// now is this machine's clock; tests move it.
var now = time.Now

// Elapsed returns to minus from. ok is false when the span does not fit
// a time.Duration (about 292 years): time.Sub then saturates, and an age
// computed from it would be a wrong number, not a judgement. Facts that
// reach a rule lie within [Earliest, now+MaxAhead], so !ok means facts
// that were never checked.
func Elapsed(from, to time.Time) (d time.Duration, ok bool) {
	d = to.Sub(from)
	return d, from.Add(d).Equal(to)
}

// hoursBetween is to minus from in hours, for messages: exact for any
// two times, where time.Sub saturates at 292 years.
func hoursBetween(from, to time.Time) float64 {
	return (float64(to.Unix()-from.Unix()) + float64(to.Nanosecond()-from.Nanosecond())/1e9) / 3600
}

// impossible starts every reason a value was dropped for.
const impossible = "impossible value: "

// checkRTT returns why a list of round-trip samples is impossible, or "".
func checkRTT(key string, samples []float64) string {
	for i, v := range samples {
		at := key + "[" + strconv.Itoa(i) + "]"
		switch {
		case math.IsNaN(v) || math.IsInf(v, 0):
			return fmt.Sprintf(impossible+"%s is not a finite number", at)
		case math.Signbit(v): // also -0, which no timer gives: a sign flipped by a broken gatherer or by hand
			return fmt.Sprintf(impossible+"%s is %s ms, and a round trip cannot take negative time", at, num(v))
		case v > MaxRTTMS:
			return fmt.Sprintf(impossible+"%s is %s ms, more than an hour (no probe waits that long)", at, num(v))
		}
	}
	return ""
}

// checkDuration returns why a single duration in milliseconds is
// impossible, or "".
func checkDuration(key string, v float64) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return fmt.Sprintf(impossible+"%s is not a finite number", key)
	case math.Signbit(v): // also -0, as for checkRTT
		return fmt.Sprintf(impossible+"%s is %s ms, and a duration cannot be negative", key, num(v))
	case v > MaxRTTMS:
		return fmt.Sprintf(impossible+"%s is %s ms, more than an hour (no probe waits that long)", key, num(v))
	}
	return ""
}

// checkOffset returns why a clock offset in milliseconds is impossible, or
// "". Offsets may be negative (the clock is behind).
func checkOffset(key string, v float64) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return fmt.Sprintf(impossible+"%s is not a finite number", key)
	case math.Abs(v) > MaxOffsetMS:
		return fmt.Sprintf(impossible+"%s is %s ms, more than 100 years", key, num(v))
	}
	return ""
}

// checkTime returns why t, a time the facts carry, cannot be true, or "":
// before Earliest, or more than MaxAhead after this machine's clock now.
func checkTime(key string, t, now time.Time) string {
	switch {
	case t.Before(Earliest):
		return fmt.Sprintf(impossible+"%s %s is before %d; no TMS deployment is that old (a clock that was reset?)",
			key, stamp(t), Earliest.Year())
	case hoursBetween(now, t) > MaxAhead.Hours():
		return fmt.Sprintf(impossible+"%s %s is %s after this machine's clock (%s); facts cannot be observed in the future (more than %s)",
			key, stamp(t), spanHours(hoursBetween(now, t)), stamp(now), span(MaxAhead))
	}
	return ""
}

// checkNotAfter returns why t, a time the database recorded, cannot be
// true given that the facts were observed at observed, or "".
func checkNotAfter(key string, t, observed time.Time) string {
	if ahead := hoursBetween(observed, t); ahead > MaxSkew.Hours() {
		return fmt.Sprintf(impossible+"%s %s is %s after observed_at %s; a recorded time cannot lie in the future of its own server's clock (more than %s)",
			key, stamp(t), spanHours(ahead), stamp(observed), span(MaxSkew))
	}
	return ""
}

// stamp formats a time for a message as db.json writes it.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

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
			mark("tms.version", impossible+err.Error())
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
	clock := now()
	if f.ObservedAt != nil {
		if why := checkTime("observed_at", f.ObservedAt.Time, clock); why != "" {
			f.ObservedAt = nil
			mark("observed_at", why)
		}
	}
	// A time the server recorded is judged against the server's clock
	// when it was read (observed_at); without a usable observed_at, against
	// this machine's.
	recorded := func(key string, t time.Time) string {
		if f.ObservedAt != nil && !t.Before(Earliest) {
			return checkNotAfter(key, t, f.ObservedAt.Time)
		}
		return checkTime(key, t, clock)
	}
	if f.LastFullBackup.Valid() {
		if why := recorded("last_full_backup", f.LastFullBackup.Value.Time); why != "" {
			f.LastFullBackup = Optional[Timestamp]{}
			mark("last_full_backup", why)
		}
	}
	if f.LogShipping.Valid() && f.LogShipping.Value.LastRestored.Valid() {
		if why := recorded("log_shipping.last_restored", f.LogShipping.Value.LastRestored.Value.Time); why != "" {
			f.LogShipping.Value.LastRestored = Optional[Timestamp]{}
			mark("log_shipping.last_restored", why)
		}
	}
}

// num formats a number for a message without exponent noise for the
// values people write (-30, 1.5), and with one for absurd ones (1e+308).
func num(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// span formats a duration in the largest unit that fits, for messages.
func span(d time.Duration) string { return spanHours(d.Hours()) }

// spanHours formats a span of h hours as span does.
func spanHours(h float64) string {
	switch {
	case h >= 24*365:
		y := math.Round(h/(24*365.25)*10) / 10
		if y == 1 {
			return "1 year"
		}
		return fmt.Sprintf("%s years", num(y))
	case h >= 48:
		return fmt.Sprintf("%s days", num(math.Round(h/24*10)/10))
	case h >= 1:
		return fmt.Sprintf("%s h", num(math.Round(h*10)/10))
	}
	return fmt.Sprintf("%s min", num(math.Round(h*60*10)/10))
}
