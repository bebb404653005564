package history

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tmsdrift/tmsdrift/report"
)

// fakeHistory writes n run folders the way Commit leaves them (run.json
// and a report.json), without the fsyncs, so a benchmark's setup is quick.
func fakeHistory(tb testing.TB, dir string, n int) {
	tb.Helper()
	rep := []byte(`{"schema": "tmsdrift/report/v1"}` + "\n")
	for i := range n {
		start := t0.Add(time.Duration(i) * time.Hour)
		id := NewID(start)
		if err := os.MkdirAll(filepath.Join(dir, id), 0o700); err != nil {
			tb.Fatal(err)
		}
		r := Run{Schema: RunSchema, ID: id, Deployment: "acme-tms", Trigger: Scheduled, StartedAt: start,
			FinishedAt: start.Add(40 * time.Second), ExitCode: i % 2, Verdict: Verdict(i % 2),
			Summary:  &report.Summary{Pass: 60 + i%3, Fail: 3 * (i % 2)}, // counts that give the exit code
			Changes:  &Changes{Summary: "+2 failing, -1 resolved", NewFailures: 2, Resolved: 1},
			Versions: map[string]string{"tms01": "15.13.2", "tms02": "15.13.2", "tms03": "15.13.2"},
			Files:    []string{ReportHTML, ReportJSON, ReportMarkdown}}
		data, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, id, RunFile), data, 0o600); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, id, ReportJSON), rep, 0o600); err != nil {
			tb.Fatal(err)
		}
	}
	if err := Open(dir).Reindex(); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkList10000 is `tmsdrift history` over 10,000 runs: list them
// (every run.json, no report) and render the table.
func BenchmarkList10000(b *testing.B) {
	dir := b.TempDir()
	fakeHistory(b, dir, 10000)
	s := Open(dir)
	for b.Loop() {
		runs, err := s.List(0)
		if err != nil || len(runs) != 10000 {
			b.Fatalf("%d runs, %v", len(runs), err)
		}
		if err := WriteList(io.Discard, "table", runs, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLatest10000 is what the web page does per request: the newest
// run of 10,000.
func BenchmarkLatest10000(b *testing.B) {
	dir := b.TempDir()
	fakeHistory(b, dir, 10000)
	s := Open(dir)
	for b.Loop() {
		if r, err := s.Latest(); err != nil || r == nil {
			b.Fatal(err)
		}
	}
}
