// Command genhistory writes a history of N runs for bench/history.sh: a
// copy of the lab fixtures/labs/single with N run folders under its
// .tmsdrift/history, each with run.json and a report.json as
// `tmsdrift serve` leaves them (written directly, without serve's fsyncs,
// so 10,000 runs take seconds), and the history's index. It prints the
// inventory's path.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tmsdrift/tmsdrift/fixtures"
	"github.com/tmsdrift/tmsdrift/history"
	"github.com/tmsdrift/tmsdrift/report"
)

func main() {
	n := flag.Int("n", 10000, "runs")
	out := flag.String("o", "", "folder to create (required)")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "genhistory: -o FOLDER is required")
		os.Exit(2)
	}
	if err := generate(*out, *n); err != nil {
		fmt.Fprintln(os.Stderr, "genhistory:", err)
		os.Exit(1)
	}
	fmt.Println(filepath.Join(*out, "inventory.yaml"))
}

func generate(dir string, n int) error {
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(fixtures.LabsDir(), "single"))); err != nil {
		return err
	}
	hist := filepath.Join(dir, ".tmsdrift", "history")
	rep, err := os.ReadFile(filepath.Join(fixtures.LabsDir(), "..", "..", "report", "testdata", "mixed.1.json"))
	if err != nil {
		return err
	}
	t0 := time.Date(2026, 1, 1, 2, 0, 0, 0, time.UTC)
	for i := range n {
		start := t0.Add(time.Duration(i) * time.Hour)
		id := history.NewID(start)
		if err := os.MkdirAll(filepath.Join(hist, id), 0o700); err != nil {
			return err
		}
		r := history.Run{Schema: history.RunSchema, ID: id, Deployment: "acme-single", Trigger: history.Scheduled,
			StartedAt: start, FinishedAt: start.Add(40 * time.Second), ExitCode: i % 2, Verdict: history.Verdict(i % 2),
			Summary:  &report.Summary{Pass: 33, Fail: 5 * (i % 2), Waived: 1}, // counts that give the exit code
			Changes:  &history.Changes{Summary: "+2 failing, -1 resolved", NewFailures: 2, Resolved: 1},
			Versions: map[string]string{"tms01": "15.13.2"},
			Files:    []string{history.ReportHTML, history.ReportJSON, history.ReportMarkdown}}
		data, err := json.Marshal(r)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(hist, id, history.RunFile), data, 0o600); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(hist, id, history.ReportJSON), rep, 0o600); err != nil {
			return err
		}
	}
	return history.Open(hist).Reindex() // as the commits would have left it
}
