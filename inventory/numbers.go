package inventory

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// numberRange is what a numeric inventory key may hold: from min to max
// (0 means the default, def, where there is one). The upper limits are
// tmsdrift assumptions, far beyond what a working deployment sets, and
// small enough that a threshold or timeout stays exact as a float and as
// a time.Duration (a float of seconds past 292 years overflows one).
type numberRange struct {
	min, max float64
	// shownMin is the lowest value the message names ("between 1 and
	// 65535" for a port, where 0 only means the default).
	shownMin float64
	def      float64
	unit     string // after the default: "runs"
}

const secondsPerDay = 24 * 60 * 60

// numberRanges are every numeric key of the inventory, by path with
// list indexes written "[]" (nodes[].transport.port). A test walks the
// Inventory type and fails for a numeric key missing here.
var numberRanges = map[string]numberRange{
	"time.max_offset_ms":                    {max: secondsPerDay * 1000, def: DefaultMaxOffsetMS},
	"database.max_latency_ms":               {max: 3600 * 1000, def: DefaultMaxLatencyMS},
	"database.max_backup_age_hours":         {max: 10 * 365 * 24, def: DefaultMaxBackupAgeHours},
	"database.max_log_shipping_lag_minutes": {max: 10 * 365 * 24 * 60, def: DefaultMaxLogShippingLagMinutes},
	"database.connect_timeout_seconds":      {max: secondsPerDay, def: DefaultConnectTimeoutSeconds},
	"database.query_timeout_seconds":        {max: secondsPerDay, def: DefaultQueryTimeoutSeconds},
	"database.latency_samples":              {max: MaxLatencySamples, shownMin: 1, def: DefaultLatencySamples},
	"nodes[].transport.port":                {max: 65535, shownMin: 1},
	"nodes[].transport.timeout_seconds":     {max: secondsPerDay, def: 300},
	"notify.email.port":                     {max: 65535, shownMin: 1, def: DefaultSMTPPort},
	"notify.email.timeout_seconds":          {max: secondsPerDay, def: DefaultEmailTimeoutSeconds},
	"notify.webhook.timeout_seconds":        {max: secondsPerDay, def: DefaultWebhookTimeoutSeconds},
	"schedule.keep":                         {max: 1_000_000, def: DefaultKeep, unit: "runs"},
}

var listIndex = regexp.MustCompile(`\[\d+\]`)

// rangeOf is the range of the numeric key at path (nodes[2].transport.port
// included).
func rangeOf(path string) (numberRange, bool) {
	r, ok := numberRanges[listIndex.ReplaceAllString(path, "[]")]
	return r, ok
}

// outOfRange is the problem with v at path, "" when it is within the
// key's range (or the key has none).
func outOfRange(path string, v float64) string {
	r, ok := rangeOf(path)
	if !ok {
		return ""
	}
	between := fmt.Sprintf("must be between %s and %s", strconv.FormatFloat(r.shownMin, 'f', -1, 64), strconv.FormatFloat(r.max, 'f', -1, 64))
	if r.def != 0 {
		between += " (omit it for the default, " + strconv.FormatFloat(r.def, 'f', -1, 64)
		if r.unit != "" {
			between += " " + r.unit
		}
		between += ")"
	}
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return "is not a finite number; it " + between
	case v < r.min || v > r.max:
		return between
	}
	return ""
}

// yamlNumber matches the numbers of YAML 1.2's core schema that goccy's
// lexer reads as plain text (1e308, 1E+3, 99999999999999999999: past
// int64) and would otherwise be reported as "expected a number, found
// text".
var yamlNumber = regexp.MustCompile(`^[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`)

// numberValue is the value of a scalar YAML reads as a number: ok false
// for anything else (quoted text, a mapping). A number too large for a
// float64 is ±Inf.
func numberValue(n ast.Node) (float64, bool) {
	switch v := n.(type) {
	case *ast.IntegerNode:
		switch i := v.Value.(type) {
		case int64:
			return float64(i), true
		case uint64:
			return float64(i), true
		}
		return parseNumber(v.GetToken().Value)
	case *ast.FloatNode:
		return v.Value, true
	case *ast.InfinityNode:
		return v.Value, true
	case *ast.NanNode:
		return math.NaN(), true
	case *ast.StringNode:
		if tk := v.GetToken(); tk != nil && tk.Type == token.StringType && yamlNumber.MatchString(v.Value) {
			return parseNumber(v.Value)
		}
	}
	return 0, false
}

func parseNumber(s string) (float64, bool) {
	f, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
	if err != nil && f == 0 { // not a number; a range error gives ±Inf or 0 for underflow
		if ne, ok := err.(*strconv.NumError); !ok || ne.Err != strconv.ErrRange {
			return 0, false
		}
	}
	return f, true
}
