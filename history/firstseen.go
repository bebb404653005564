package history

import (
	"errors"
	"slices"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/report"
)

// WalkFirstSeen dates each still-failing change back to the start of the
// earliest run of its unbroken streak of failures: it reads the reports of
// the runs before run from (which the changes were compared with), newest
// first, and stops for a change at the first run where it did not fail.
// Runs without a report (an invalid inventory) neither break nor extend a
// streak. It reads only as far back as the longest streak needs.
func WalkFirstSeen(s *Store, from string, still []report.Change) error {
	if len(still) == 0 {
		return nil
	}
	ids, err := s.IDs()
	if err != nil {
		return err
	}
	i := slices.Index(ids, from)
	if i < 0 {
		return nil
	}
	open := make([]int, len(still))
	for k := range still {
		open[k] = k
	}
	var errs []error
	for j := i - 1; j >= 0 && len(open) > 0; j-- {
		run, err := s.Get(ids[j])
		if err != nil {
			errs = append(errs, err)
			break // a gap in the history: what is before it says nothing certain
		}
		if !slices.Contains(run.Files, ReportJSON) {
			continue
		}
		rep, err := s.Report(ids[j])
		if err != nil {
			errs = append(errs, err)
			break
		}
		index := report.IndexResults(rep.Results)
		var still2 []int
		for _, k := range open {
			if res, ok := index[still[k].Key()]; ok && res.Status == checks.Fail {
				still[k].FirstSeen = rep.StartedAt
				still2 = append(still2, k)
			}
		}
		open = still2
	}
	return errors.Join(errs...)
}
