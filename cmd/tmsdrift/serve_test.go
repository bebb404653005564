package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/history"
	"github.com/tmsdrift/tmsdrift/notify"
	"github.com/tmsdrift/tmsdrift/report"
	"github.com/tmsdrift/tmsdrift/serve"
)

// svcLab is a copy of the post-upgrade lab that a test swaps between
// states: clean (the pre-upgrade web.config and the primary's address),
// the post-upgrade drift as shipped, and other drifts.
type svcLab struct {
	dir, inventory string
	original       string // the lab as shipped
}

func newSvcLab(t *testing.T, schedule string) *svcLab {
	t.Helper()
	dir, inv := labCopy(t, "post-upgrade")
	raw, err := os.ReadFile(inv)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(inv, append(raw, []byte(schedule)...), 0o644))
	return &svcLab{dir: dir, inventory: inv, original: filepath.Join(filepath.Dir(lab("post-upgrade")))}
}

func (l *svcLab) webConfig(node string) string {
	return filepath.Join(l.dir, "nodes", node, "fs", "C", "Program Files", "TANDBERG", "TMS", "wwwTMS", "web.config")
}

func (l *svcLab) copyFrom(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(to, data, 0o644))
}

// replace edits a file of the lab in place.
func (l *svcLab) replace(t *testing.T, rel, old, new string) {
	t.Helper()
	p := filepath.Join(l.dir, rel)
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	require.Contains(t, string(data), old, rel)
	require.NoError(t, os.WriteFile(p, []byte(strings.Replace(string(data), old, new, 1)), 0o644))
}

// ipv4 sets the TMS server IPv4 address the database holds.
func (l *svcLab) ipv4(t *testing.T, addr string) {
	t.Helper()
	p := filepath.Join(l.dir, "db.json")
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	var cur struct {
		Settings struct {
			IPv4 string `json:"ipv4_local"`
		} `json:"settings"`
	}
	require.NoError(t, json.Unmarshal(data, &cur))
	l.replace(t, "db.json", `"ipv4_local": "`+cur.Settings.IPv4+`"`, `"ipv4_local": "`+addr+`"`)
}

func (l *svcLab) clean(t *testing.T) {
	l.copyFrom(t, filepath.Join(l.original, "pre-upgrade", "web.config"), l.webConfig("tms02"))
	l.ipv4(t, "10.10.0.11")
}

func (l *svcLab) postUpgradeDrift(t *testing.T) {
	l.copyFrom(t, filepath.Join(l.original, "nodes", "tms02", "fs", "C", "Program Files", "TANDBERG", "TMS", "wwwTMS", "web.config"), l.webConfig("tms02"))
	l.ipv4(t, "10.10.0.12")
}

// versions sets every node's TMS version.
func (l *svcLab) versions(t *testing.T, from, to string) {
	for _, n := range []string{"tms01", "tms02", "tms03"} {
		l.replace(t, filepath.Join("nodes", n, "facts.json"), `"version": "`+from+`"`, `"version": "`+to+`"`)
	}
}

// harness runs a service on a fake clock and steps it run by run.
type harness struct {
	t       *testing.T
	ctx     context.Context
	clock   *clockwork.FakeClock
	svc     *serve.Service
	base    string
	runs    chan *history.Run
	stopped chan error

	inventory string
	recorded  int // runs recorded so far
	reports   int // of them, runs with a report

	mu      sync.Mutex
	notices []serve.Notice
}

// hookReceiver is a local webhook endpoint: it keeps every delivery whose
// signature verifies, and answers 400 (a final failure) while fail is set.
type hookReceiver struct {
	srv  *httptest.Server
	mu   sync.Mutex
	got  []hookDelivery
	bad  int // deliveries with a wrong signature
	fail bool
}

type hookDelivery struct {
	Schema     string   `json:"schema"`
	Deployment string   `json:"deployment"`
	Verdict    string   `json:"verdict"`
	Summary    string   `json:"summary"`
	ReportURL  string   `json:"report_url"`
	Notes      []string `json:"notes"`
}

const hookSecret = "webhook-test-secret"

func newHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		defer h.mu.Unlock()
		if r.Header.Get(notify.SignatureHeader) != notify.Sign([]byte(hookSecret), body) {
			h.bad++
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		if h.fail {
			http.Error(w, "not today", http.StatusBadRequest)
			return
		}
		var d hookDelivery
		if err := json.Unmarshal(body, &d); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		h.got = append(h.got, d)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// notifyBlock is the inventory's notify block for this receiver.
func (h *hookReceiver) notifyBlock() string {
	return "notify:\n  on: change\n  webhook: {url: '" + h.srv.URL + "/hook', secret_env: TMSDRIFT_TEST_HOOK_SECRET}\n"
}

func (h *hookReceiver) setFail(fail bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.fail = fail
}

// deliveries returns what arrived since the last call.
func (h *hookReceiver) deliveries() []hookDelivery {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.got
	h.got = nil
	return out
}

func startService(t *testing.T, inventory string, hook *hookReceiver) *harness {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	h := &harness{t: t, ctx: ctx, clock: clockwork.NewFakeClockAt(time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC)),
		runs: make(chan *history.Run, 16), stopped: make(chan error, 1), inventory: inventory}
	// The service's own notifier, watched: every notice is kept, and
	// goes out through package notify to the webhook receiver.
	send := serve.Notifications(func(k string) string { return map[string]string{"TMSDRIFT_TEST_HOOK_SECRET": hookSecret}[k] })
	notifier := func(ctx context.Context, n serve.Notice) []history.Notification {
		h.mu.Lock()
		h.notices = append(h.notices, n)
		h.mu.Unlock()
		return send(ctx, n)
	}
	ready := make(chan net.Addr, 1)
	svc, err := serve.New(serve.Options{InventoryPath: inventory, Clock: h.clock, Notify: notifier,
		Ready: func(a net.Addr) { ready <- a }, OnRun: func(r *history.Run) { h.runs <- r }})
	require.NoError(t, err)
	h.svc = svc
	go func() { h.stopped <- svc.Serve(ctx) }()
	select {
	case a := <-ready:
		h.base = "http://" + a.String()
	case err := <-h.stopped:
		t.Fatalf("service did not start: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-h.stopped:
			assert.NoError(t, err, "a stop is clean")
		case <-time.After(15 * time.Second):
			t.Error("the service did not stop")
		}
	})
	return h
}

// step advances the fake clock to the next scheduled run and waits for
// that run to be recorded.
func (h *harness) step() *history.Run {
	h.t.Helper()
	// gocron moves the job's next run forward when it hands the run
	// out; wait (briefly, in real time) until it has, and until its timer
	// waits on the fake clock.
	var next time.Time
	require.Eventually(h.t, func() bool {
		n, err := h.svc.NextRun()
		next = n
		return err == nil && n.After(h.clock.Now())
	}, 10*time.Second, time.Millisecond, "the scheduler has a next run")
	require.NoError(h.t, h.clock.BlockUntilContext(h.ctx, 1), "the scheduler waits for its next run")
	h.clock.Advance(next.Sub(h.clock.Now()))
	select {
	case r := <-h.runs:
		require.Equal(h.t, next.UTC(), r.StartedAt.UTC(), "the run of this tick, not another")
		h.checkRecorded(r)
		return r
	case <-time.After(60 * time.Second):
		h.t.Fatal("the run did not finish")
		return nil
	}
}

// checkRecorded holds /healthz, `tmsdrift history`, /metrics and
// `tmsdrift diff` against the run just recorded: healthy whatever its verdict, the newest
// run of a history that grew by one, and what changed as diff says it.
func (h *harness) checkRecorded(r *history.Run) {
	h.t.Helper()
	h.recorded++
	code, body := h.get("/healthz")
	assert.Equal(h.t, http.StatusOK, code, body)
	assert.Equal(h.t, "ok: last run "+r.ID+": "+r.Verdict+"\n", body)
	var runs []history.Run
	if r.ExitCode == report.ExitUsage {
		// The inventory is invalid: `history` refuses it (exit 2) like
		// every command; the folder is read directly.
		code, _, _ := tmsdrift(h.t, "history", "-i", h.inventory)
		assert.Equal(h.t, report.ExitUsage, code)
		list, err := history.Open(filepath.Join(filepath.Dir(h.inventory), ".tmsdrift", "history")).List(0)
		require.NoError(h.t, err)
		for _, r := range list {
			runs = append(runs, *r)
		}
	} else {
		runs = historyList(h.t, h.inventory)
	}
	require.Len(h.t, runs, h.recorded, "one more run in the history")
	assert.Equal(h.t, r.ID, runs[0].ID, "newest first")
	assert.Equal(h.t, r.ExitCode, runs[0].ExitCode)
	assert.Equal(h.t, r.Notifications, runs[0].Notifications, "run.json records the notifications")
	h.checkMetrics(r, h.inventory)
	if r.ExitCode == report.ExitUsage {
		return
	}
	// `diff` of the last two runs with a report says what the run says.
	if h.reports++; h.reports >= 2 {
		assert.Equal(h.t, r.Changes.Summary, diffLast(h.t, h.inventory).Summary, "diff of the last two runs")
	}
}

func (h *harness) lastNotice() serve.Notice {
	h.mu.Lock()
	defer h.mu.Unlock()
	require.NotEmpty(h.t, h.notices)
	return h.notices[len(h.notices)-1]
}

// got0Target is the webhook target as notify describes it (no path).
func got0Target(r *history.Run) string {
	if len(r.Notifications) == 0 {
		return ""
	}
	return r.Notifications[0].Target
}

func (h *harness) get(path string) (int, string) {
	h.t.Helper()
	resp, err := http.Get(h.base + path)
	require.NoError(h.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(h.t, err)
	return resp.StatusCode, string(body)
}

// checkMetrics parses /metrics with the Prometheus text parser and holds
// it against the run and its report.json.
func (h *harness) checkMetrics(run *history.Run, inventory string) {
	t := h.t
	t.Helper()
	code, body := h.get("/metrics")
	require.Equal(t, http.StatusOK, code)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(body))
	require.NoError(t, err)
	require.Contains(t, families, "go_goroutines", "the Go collector is there")
	// The tmsdrift families are these six, gauges all (nothing counts
	// across runs), with exactly these labels (no other, so no DSN or
	// secret can ride along).
	labelsOf := map[string][]string{
		"tmsdrift_result":                        {"deployment", "node", "rule", "severity", "status"},
		"tmsdrift_results":                       {"deployment", "status"},
		"tmsdrift_last_report_timestamp_seconds": {"deployment"},
		"tmsdrift_last_run_timestamp_seconds":    {"deployment"},
		"tmsdrift_last_run_duration_seconds":     {"deployment"},
		"tmsdrift_last_run_exit_code":            {"deployment"},
	}
	for name, fam := range families {
		if !strings.HasPrefix(name, "tmsdrift_") {
			continue
		}
		want, ok := labelsOf[name]
		require.True(t, ok, "unexpected metric %s", name)
		assert.Equal(t, dto.MetricType_GAUGE, fam.GetType(), name)
		for _, m := range fam.Metric {
			var names []string
			for _, l := range m.GetLabel() {
				names = append(names, l.GetName())
			}
			slices.Sort(names)
			assert.Equal(t, want, names, name)
		}
	}
	for name := range labelsOf {
		assert.Contains(t, families, name)
	}

	gauge := func(name string, labels map[string]string) float64 {
		t.Helper()
		fam := families[name]
		require.NotNil(t, fam, name)
		for _, m := range fam.Metric {
			if hasLabels(m, labels) {
				return m.GetGauge().GetValue()
			}
		}
		t.Fatalf("%s%v not found", name, labels)
		return 0
	}
	dep := map[string]string{"deployment": report.Sanitize(run.Deployment)}
	assert.Equal(t, float64(run.ExitCode), gauge("tmsdrift_last_run_exit_code", dep))
	assert.InDelta(t, float64(run.FinishedAt.UnixMilli())/1000, gauge("tmsdrift_last_run_timestamp_seconds", dep), 0.001)
	assert.InDelta(t, run.Duration().Seconds(), gauge("tmsdrift_last_run_duration_seconds", dep), 0.001)

	// The results: exactly one series per result of the last report.json.
	rep := latestReport(t, inventory)
	want := map[string]bool{}
	for _, r := range rep.Results {
		want[fmt.Sprintf("%s|%s|%s|%s|%s", report.Sanitize(rep.Deployment), r.Rule, r.Node, r.Severity, r.Status)] = true
	}
	got := map[string]bool{}
	for _, m := range families["tmsdrift_result"].GetMetric() {
		l := labelMap(m)
		assert.Equal(t, 1.0, m.GetGauge().GetValue())
		got[fmt.Sprintf("%s|%s|%s|%s|%s", l["deployment"], l["rule"], l["node"], l["severity"], l["status"])] = true
	}
	assert.Equal(t, want, got, "tmsdrift_result is the last report, one series per result")
	// How old the results are: the report's end, the run's own when the
	// run audited (before, a night that audited nothing showed the
	// last report's results with nothing to tell they were stale).
	reportAt := gauge("tmsdrift_last_report_timestamp_seconds", map[string]string{"deployment": report.Sanitize(rep.Deployment)})
	assert.InDelta(t, float64(rep.FinishedAt.UnixMilli())/1000, reportAt, 0.001)
	if slices.Contains(run.Files, history.ReportJSON) {
		assert.InDelta(t, float64(run.FinishedAt.UnixMilli())/1000, reportAt, 1, "the run's own report")
	} else {
		assert.Less(t, reportAt, float64(run.FinishedAt.UnixMilli())/1000, "a run without a report: the results are older than the run")
	}
	for status, n := range map[string]int{"pass": rep.Summary.Pass, "fail": rep.Summary.Fail, "waived": rep.Summary.Waived, "error": rep.Summary.Error} {
		assert.Equal(t, float64(n), gauge("tmsdrift_results", map[string]string{"deployment": report.Sanitize(rep.Deployment), "status": status}), status)
	}
}

func hasLabels(m *dto.Metric, want map[string]string) bool {
	l := labelMap(m)
	for k, v := range want {
		if l[k] != v {
			return false
		}
	}
	return true
}

func labelMap(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, lp := range m.GetLabel() {
		out[lp.GetName()] = lp.GetValue()
	}
	return out
}

// latestReport reads the newest report.json of the history.
func latestReport(t *testing.T, inventory string) *report.Report {
	t.Helper()
	store := history.Open(filepath.Join(filepath.Dir(inventory), ".tmsdrift", "history"))
	runs, err := store.List(0)
	require.NoError(t, err)
	for _, r := range runs {
		if strings.Contains(strings.Join(r.Files, " "), history.ReportJSON) {
			rep, err := store.Report(r.ID)
			require.NoError(t, err)
			return rep
		}
	}
	t.Fatal("no report in the history")
	return nil
}

// historyList is `tmsdrift history --format json`.
func historyList(t *testing.T, inventory string) []history.Run {
	t.Helper()
	code, stdout, stderr := tmsdrift(t, "history", "-i", inventory, "--format", "json")
	require.Equal(t, 0, code, stderr)
	var doc struct {
		Schema string        `json:"schema"`
		Runs   []history.Run `json:"runs"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &doc))
	assert.Equal(t, history.ListSchema, doc.Schema)
	return doc.Runs
}

// diffJSON is `tmsdrift diff` of the last two runs, as JSON.
type diffDoc struct {
	Summary string `json:"summary"`
	Changes map[string][]struct {
		Rule, Node string
		FirstSeen  string `json:"first_seen"`
	} `json:"changes"`
}

func diffLast(t *testing.T, inventory string) diffDoc {
	t.Helper()
	code, stdout, stderr := tmsdrift(t, "diff", "-i", inventory, "--format", "json")
	require.Equal(t, 0, code, stderr)
	var d diffDoc
	require.NoError(t, json.Unmarshal([]byte(stdout), &d))
	return d
}

func keys(d diffDoc, list string) []string {
	var out []string
	for _, c := range d.Changes[list] {
		out = append(out, strings.TrimSpace(c.Rule+" "+c.Node))
	}
	return out
}

const nightly = "schedule:\n  audit: '0 2 * * *'\n  time_zone: UTC\n  listen: '127.0.0.1:0'\n"

// TestServeDriftRecoverDrift drives the service on gocron's fake clock
// through seven nightly runs over a lab that drifts, recovers, drifts
// again, loses its inventory for a night and gets it back; after each run
// it checks the history, diff, /metrics, /healthz, the web pages and the
// notifications.
func TestServeDriftRecoverDrift(t *testing.T) {
	t.Setenv("COLUMNS", "1000") // the history rows are matched whole below
	hook := newHookReceiver(t)
	l := newSvcLab(t, nightly+hook.notifyBlock())
	l.clean(t)
	h := startService(t, l.inventory, hook)

	code, body := h.get("/healthz")
	assert.Equal(t, http.StatusOK, code, "healthy while waiting for the first run")
	assert.Contains(t, body, "waiting for the first run")
	code, _ = h.get("/reports/latest.json")
	assert.Equal(t, http.StatusNotFound, code)

	// Night 1: clean.
	r1 := h.step()
	assert.Equal(t, "20261125T020000Z", r1.ID, "the run is named by its scheduled UTC start")
	assert.Equal(t, 0, r1.ExitCode)
	assert.Equal(t, "first run: nothing failing", r1.Changes.Summary)
	h.checkMetrics(r1, l.inventory)
	assert.Len(t, historyList(t, l.inventory), 1)
	n := h.lastNotice()
	assert.Equal(t, h.base+"/reports/20261125T020000Z/report.html", n.ReportURL)
	assert.Contains(t, string(n.HTML), "<html")
	assert.Contains(t, string(n.Markdown), "No drift")
	got := hook.deliveries()
	require.Len(t, got, 1, "the first run is news")
	assert.Equal(t, "tmsdrift/notify/v1", got[0].Schema)
	assert.Equal(t, "pass", got[0].Verdict)
	assert.Equal(t, n.ReportURL, got[0].ReportURL)
	assert.Equal(t, []history.Notification{{Channel: "webhook", Target: got0Target(r1), OK: true, Attempts: 1}}, r1.Notifications)

	// Night 2: tms02 upgraded by hand without the version changing; the
	// machineKey is gone and the database holds tms02's address. The
	// webhook refuses the news.
	l.postUpgradeDrift(t)
	hook.setFail(true)
	r2 := h.step()
	hook.setFail(false)
	require.Len(t, r2.Notifications, 1)
	assert.False(t, r2.Notifications[0].OK)
	assert.Contains(t, r2.Notifications[0].Error, "400")
	assert.Empty(t, hook.deliveries())
	assert.Equal(t, "20261126T020000Z", r2.ID)
	assert.Equal(t, 1, r2.ExitCode)
	assert.Equal(t, "+3 failing", r2.Changes.Summary)
	assert.Nil(t, r2.Upgrade, "same versions: no upgrade")
	h.checkMetrics(r2, l.inventory)
	d := diffLast(t, l.inventory)
	assert.Equal(t, "+3 failing", d.Summary)
	assert.ElementsMatch(t, []string{"machinekey.present tms02", "machinekey.match tms02", "addresses.match"}, keys(d, "new_failures"))
	assert.Equal(t, report.VerdictFail, h.lastNotice().Changes.NewVerdict)

	// Night 3: still drifted: still failing since night 2. "No change"
	// is no news under on: change, but the failed notification is sent
	// again.
	r3 := h.step()
	assert.Equal(t, "no change", r3.Changes.Summary)
	require.Len(t, r3.Notifications, 1)
	assert.True(t, r3.Notifications[0].OK)
	assert.True(t, r3.Notifications[0].Retry)
	got = hook.deliveries()
	require.Len(t, got, 1)
	assert.Equal(t, "fail", got[0].Verdict)
	d = diffLast(t, l.inventory)
	require.Len(t, d.Changes["still_failing"], 3)
	for _, c := range d.Changes["still_failing"] {
		assert.Equal(t, "2026-11-26T02:00:00Z", c.FirstSeen, "first seen walks back to night 2")
	}

	// Night 4: recovered.
	l.clean(t)
	r4 := h.step()
	assert.Equal(t, 0, r4.ExitCode)
	assert.Equal(t, "-3 resolved", r4.Changes.Summary)
	got = hook.deliveries()
	require.Len(t, got, 1)
	assert.Equal(t, "-3 resolved", got[0].Summary)
	h.checkMetrics(r4, l.inventory)
	assert.ElementsMatch(t, []string{"machinekey.present tms02", "machinekey.match tms02", "addresses.match"}, keys(diffLast(t, l.inventory), "resolved"))

	// Night 5: drifts again, differently: tms03's address in the database.
	l.ipv4(t, "10.10.0.13")
	r5 := h.step()
	assert.Equal(t, 1, r5.ExitCode)
	assert.Equal(t, "+1 failing", r5.Changes.Summary)
	h.checkMetrics(r5, l.inventory)

	// Night 6: the inventory was broken by an edit: a recorded exit-2 run,
	// and the service goes on.
	good, err := os.ReadFile(l.inventory)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(l.inventory, append(good, []byte("colour: blue\n")...), 0o644))
	r6 := h.step()
	assert.Equal(t, 2, r6.ExitCode)
	assert.Equal(t, "invalid", r6.Verdict)
	require.NotEmpty(t, r6.Problems)
	assert.Contains(t, r6.Problems[0], "colour: unknown key")
	code, body = h.get("/")
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "the inventory is invalid")
	assert.Contains(t, body, "/reports/"+r5.ID+"/report.html", "the page links the last report")
	h.checkMetrics(r6, l.inventory) // exit code 2; results still those of night 5
	got = hook.deliveries()
	require.Len(t, got, 2, "night 5's drift, and night 6's broken inventory through the last valid notify block")
	assert.Equal(t, "+1 failing", got[0].Summary)
	assert.Equal(t, "error", got[1].Verdict)
	assert.Contains(t, strings.Join(got[1].Notes, "\n"), "colour: unknown key")

	// Night 7: fixed again; compared with night 5, the last report.
	require.NoError(t, os.WriteFile(l.inventory, good, 0o644))
	r7 := h.step()
	assert.Equal(t, 1, r7.ExitCode)
	assert.Equal(t, "no change", r7.Changes.Summary)
	assert.Equal(t, r5.ID, r7.Changes.Since)
	assert.Empty(t, r7.Notifications, "no news, nothing to retry")
	got = hook.deliveries()
	assert.Empty(t, got, "night 7 had nothing to send")
	hook.mu.Lock()
	assert.Zero(t, hook.bad, "every delivery was signed with the secret")
	hook.mu.Unlock()

	runs := historyList(t, l.inventory)
	require.Len(t, runs, 7)
	var ids []string
	for _, r := range runs {
		ids = append(ids, r.ID)
	}
	assert.Equal(t, []string{r7.ID, r6.ID, r5.ID, r4.ID, r3.ID, r2.ID, r1.ID}, ids, "newest first")
	code, stdout, _ := tmsdrift(t, "history", "-i", l.inventory)
	assert.Equal(t, 0, code)
	assert.Contains(t, stdout, "+3 failing")
	assert.Contains(t, stdout, "inventory invalid (1 problem)")

	code, body = h.get("/healthz")
	assert.Equal(t, http.StatusOK, code, body)
	code, body = h.get("/reports/latest.json")
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, `"schema": "tmsdrift/report/v1"`)
	code, body = h.get("/reports/" + r2.ID + "/report.html")
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "machinekey.present")
	for _, bad := range []string{"/reports/../inventory.yaml", "/reports/..%2f..%2finventory.yaml/report.json", "/reports/" + r2.ID + "/run.json", "/reports/" + r2.ID + "/..%2f..%2fdb.json", "/reports/20990101T000000Z/report.json"} {
		code, _ = h.get(bad)
		assert.Contains(t, []int{http.StatusNotFound, http.StatusBadRequest, http.StatusMovedPermanently}, code, bad)
	}
	h.mu.Lock()
	assert.Len(t, h.notices, 7, "one notice per run, the invalid night's through the last valid inventory")
	h.mu.Unlock()
}

// TestServeUpgradeWatch: the post-upgrade lab swapped in between two runs
// (every node from 15.12.0 to 15.13.2, tms02's machineKey gone, its
// address in the database) is an upgrade. With auto_fix the service
// restores as post-upgrade does and the next audit is clean; without, no
// byte changes and the notice says what to run.
func TestServeUpgradeWatch(t *testing.T) {
	for _, auto := range []bool{true, false} {
		t.Run(fmt.Sprintf("auto_fix=%v", auto), func(t *testing.T) {
			hook := newHookReceiver(t)
			schedule := nightly
			if auto {
				schedule += "  auto_fix: [post-upgrade]\n"
			}
			schedule += hook.notifyBlock()
			l := newSvcLab(t, schedule)
			l.clean(t)
			l.versions(t, "15.13.2", "15.12.0")
			h := startService(t, l.inventory, hook)
			r1 := h.step()
			require.Equal(t, 0, r1.ExitCode)
			hook.deliveries()
			assert.Equal(t, map[string]string{"tms01": "15.12.0", "tms02": "15.12.0", "tms03": "15.12.0"}, r1.Versions)
			assert.Nil(t, r1.Upgrade)

			l.versions(t, "15.12.0", "15.13.2")
			l.postUpgradeDrift(t)
			before := files(t, l.dir)
			r2 := h.step()
			require.NotNil(t, r2.Upgrade, "upgrade detected")
			assert.Equal(t, []string{"tms01: 15.12.0 → 15.13.2", "tms02: 15.12.0 → 15.13.2", "tms03: 15.12.0 → 15.13.2"}, r2.Upgrade.Nodes)
			notes := strings.Join(h.lastNotice().Notes, "\n")
			assert.Contains(t, notes, "TMS upgrade detected")
			got := hook.deliveries()
			require.Len(t, got, 1, "an upgrade is always news")
			assert.Equal(t, h.lastNotice().Notes, got[0].Notes, "the webhook carries the notes")
			if !auto {
				assert.Equal(t, 1, r2.ExitCode)
				assert.Equal(t, "tmsdrift post-upgrade -i "+l.inventory, r2.Upgrade.Command)
				assert.Contains(t, notes, "Nothing was changed: run `tmsdrift post-upgrade -i "+l.inventory+"`")
				assert.Equal(t, before, files(t, l.dir), "without auto_fix not a byte changes")
				assert.NoDirExists(t, filepath.Join(l.dir, ".tmsdrift", "runs"))
				return
			}
			assert.Equal(t, 0, r2.ExitCode, "the audit after the restore is clean")
			assert.Equal(t, "no change", r2.Changes.Summary, "clean before the upgrade, clean after the restore")
			assert.True(t, r2.Upgrade.AutoFix)
			assert.ElementsMatch(t, []string{"machinekey.present tms02: pass", "machinekey.match tms02: pass", "addresses.match: pass"}, r2.Upgrade.Restored)
			require.NotEmpty(t, r2.Upgrade.FixRun)
			assert.DirExists(t, filepath.Join(l.dir, ".tmsdrift", "runs", r2.Upgrade.FixRun), "a fix run folder with backups, as post-upgrade keeps")
			assert.Contains(t, notes, "Restored automatically (fix run "+r2.Upgrade.FixRun)
			assert.Contains(t, notes, "machinekey.present tms02: pass")
			pre, err := os.ReadFile(filepath.Join(l.original, "pre-upgrade", "web.config"))
			require.NoError(t, err)
			restored, err := os.ReadFile(l.webConfig("tms02"))
			require.NoError(t, err)
			assert.Equal(t, string(pre), string(restored), "tms02's web.config is the pre-upgrade file, byte for byte")
			rep := latestReport(t, l.inventory)
			assert.Equal(t, 0, rep.Summary.Fail)
			h.checkMetrics(r2, l.inventory)

			// The next night: versions unchanged, nothing to restore.
			r3 := h.step()
			assert.Nil(t, r3.Upgrade)
			assert.Equal(t, 0, r3.ExitCode)
		})
	}
}
