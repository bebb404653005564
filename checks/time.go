package checks

import (
	"fmt"
	"math"
	"strings"

	"github.com/tmsdrift/tmsdrift/facts"
)

// Time rule: every node's clock is synchronised to a time source and close
// to it (guide: Architecture Requirements: time synchronized).

// freeRunning are the sources Windows Time reports when it is not
// synchronised to anything.
var freeRunning = []string{"Local CMOS Clock", "Free-running System Clock"}

func evalTimeSynced(d *facts.Deployment) []Result {
	max := d.Inventory.Time.MaxOffsetMS
	want := fmt.Sprintf("synced to a time source, |offset| <= %s", ms(max))
	return perNode(d, func(d *facts.Deployment, n *facts.Node) (Result, bool) {
		f, err := nodeFacts(n)
		if err != nil {
			return errored(want, "%v", err), true
		}
		t := f.Time
		if t == nil {
			return errored(want, "facts.json lacks the time block"), true
		}
		for _, fr := range freeRunning {
			if strings.EqualFold(strings.TrimSpace(t.Source), fr) {
				return failed(want, "source "+t.Source, "the clock is not synchronised to any time source"), true
			}
		}
		if t.Synced == nil {
			return errored(want, "facts.json lacks time.synced"), true
		}
		if !*t.Synced {
			return failed(want, "not synced (source "+quoted(t.Source)+")", "Windows Time reports the clock as not synchronised"), true
		}
		if t.OffsetMS == nil {
			return errored(want, "%s", f.Lacks("time.offset_ms")), true
		}
		obs := fmt.Sprintf("source %s, offset %s", quoted(t.Source), ms(*t.OffsetMS))
		if math.Abs(*t.OffsetMS) > max {
			return failed(want, obs, fmt.Sprintf("the clock is %s off, more than %s", ms(math.Abs(*t.OffsetMS)), ms(max))), true
		}
		return passed(want, obs), true
	})
}
