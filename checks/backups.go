package checks

import (
	"fmt"
	"math"
	"time"

	"github.com/tmsdrift/tmsdrift/facts"
)

// Backup rules: a recent full backup of tmsng (guide: Maintenance; Backing
// up the database) and, off-site, a current log-shipping secondary (guide:
// Manual Off-Site Fail-Over). Ages count from the database facts'
// observed_at — the server's clock — never from the auditor's wall clock,
// so a recorded snapshot judges the same tomorrow.

func evalDBBackupRecent(d *facts.Deployment) []Result {
	max := d.Inventory.Database.MaxBackupAgeHours
	want := fmt.Sprintf("last full backup younger than %s h", num(max))
	f, err := dbFacts(d)
	if err != nil {
		return deployment(errored(want, "%v", err))
	}
	switch {
	case !f.LastFullBackup.Set:
		return deployment(errored(want, "%s", d.DB.Lacks("last_full_backup")))
	case f.LastFullBackup.Null:
		return deployment(failed(want, "never backed up", "no full backup of "+d.Inventory.Database.Name+" was ever taken"))
	case f.ObservedAt == nil:
		return deployment(errored(want, "%s", d.DB.Lacks("observed_at")))
	}
	age, ok := facts.Elapsed(f.LastFullBackup.Value.Time, f.ObservedAt.Time)
	if !ok {
		return deployment(errored(want, "%s", apart("last_full_backup", f.LastFullBackup.Value.Time, f.ObservedAt.Time)))
	}
	obs := fmt.Sprintf("last full backup %s (%s before observation)", f.LastFullBackup.Value.UTC().Format(time.RFC3339), hours(age))
	if age.Hours() >= max {
		return deployment(failed(want, obs, "the last full backup is too old"))
	}
	return deployment(passed(want, obs))
}

func evalDBLogShippingLag(d *facts.Deployment) []Result {
	max := d.Inventory.Database.MaxLogShippingLagMinutes
	want := fmt.Sprintf("log shipping restored within %s min", num(max))
	f, err := dbFacts(d)
	if err != nil {
		return deployment(errored(want, "%v", err))
	}
	ls := f.LogShipping
	switch {
	case !ls.Set:
		return deployment(errored(want, "%s", f.Lacks("log_shipping")))
	case ls.Null:
		return deployment(failed(want, "log shipping not configured", "there is no off-site copy of the database"))
	case !ls.Value.LastRestored.Set:
		return deployment(errored(want, "%s", d.DB.Lacks("log_shipping.last_restored")))
	case ls.Value.LastRestored.Null:
		return deployment(failed(want, "never restored on "+quoted(ls.Value.SecondaryServer), "the secondary has not restored any log backup"))
	case f.ObservedAt == nil:
		return deployment(errored(want, "%s", d.DB.Lacks("observed_at")))
	}
	lag, ok := facts.Elapsed(ls.Value.LastRestored.Value.Time, f.ObservedAt.Time)
	if !ok {
		return deployment(errored(want, "%s", apart("log_shipping.last_restored", ls.Value.LastRestored.Value.Time, f.ObservedAt.Time)))
	}
	obs := fmt.Sprintf("last restore on %s %s (%s before observation)", quoted(ls.Value.SecondaryServer),
		ls.Value.LastRestored.Value.UTC().Format(time.RFC3339), minutes(lag))
	if lag.Minutes() > max {
		return deployment(failed(want, obs, "log shipping lags"))
	}
	return deployment(passed(want, obs))
}

// apart explains an age that does not fit a time.Duration (292 years):
// time.Sub would saturate and the rule would judge a wrong number. The
// facts' reader never lets such times through (facts.Earliest,
// facts.MaxAhead); this guards facts that bypassed it.
func apart(key string, t, observed time.Time) string {
	return fmt.Sprintf("impossible value: %s %s and observed_at %s are more than 292 years apart",
		key, t.UTC().Format(time.RFC3339), observed.UTC().Format(time.RFC3339))
}

func hours(d time.Duration) string {
	return fmt.Sprintf("%s h", num(math.Round(d.Hours()*10)/10))
}

func minutes(d time.Duration) string {
	return fmt.Sprintf("%s min", num(math.Round(d.Minutes()*10)/10))
}
