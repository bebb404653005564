package serve

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/collect"
	"github.com/tmsdrift/tmsdrift/collect/transports"
	"github.com/tmsdrift/tmsdrift/fixtures"
	"github.com/tmsdrift/tmsdrift/history"
	"github.com/tmsdrift/tmsdrift/inventory"
	"github.com/tmsdrift/tmsdrift/pipeline"
)

var t0 = time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC)

// labWith copies a lab and appends a schedule block to its inventory.
func labWith(t testing.TB, name, schedule string) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.CopyFS(dir, os.DirFS(filepath.Join(fixtures.LabsDir(), name))))
	inv := filepath.Join(dir, "inventory.yaml")
	raw, err := os.ReadFile(inv)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(inv, append(raw, []byte(schedule)...), 0o644))
	return inv
}

// syncBuffer is a log sink tests read while the service writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestNonLoopbackNeedsAToken(t *testing.T) {
	inv := labWith(t, "single", "schedule:\n  listen: '0.0.0.0:0'\n  listen_token_env: TMSDRIFT_TEST_TOKEN\n")
	_, err := New(Options{InventoryPath: inv, Getenv: func(string) string { return "" }})
	var ue *UsageError
	require.ErrorAs(t, err, &ue)
	assert.Contains(t, err.Error(), "refusing to listen on 0.0.0.0:0")
	assert.Contains(t, err.Error(), "TMSDRIFT_TEST_TOKEN (schedule.listen_token_env) is empty")

	// --listen cannot sneak past the check either.
	plain := labWith(t, "single", "")
	_, err = New(Options{InventoryPath: plain, Listen: ":0", Getenv: func(string) string { return "" }})
	require.ErrorAs(t, err, &ue)
	assert.Contains(t, err.Error(), "schedule.listen_token_env is not set")

	// An invalid inventory is the inventory's error (exit 2).
	bad := labWith(t, "single", "schedule:\n  audit: 'tonight'\n")
	_, err = New(Options{InventoryPath: bad})
	var ie *inventory.Error
	require.ErrorAs(t, err, &ie)
}

func TestBearerToken(t *testing.T) {
	const token = "correct horse battery staple"
	inv := labWith(t, "single", "schedule:\n  listen: '127.0.0.1:0'\n  listen_token_env: TMSDRIFT_TEST_TOKEN\n")
	svc, err := New(Options{InventoryPath: inv, Clock: clockwork.NewFakeClockAt(t0),
		Getenv: func(k string) string { return map[string]string{"TMSDRIFT_TEST_TOKEN": token}[k] }})
	require.NoError(t, err)
	svc.running.Store(true)
	svc.started = t0
	svc.next = func(t time.Time) time.Time { return t.Add(24 * time.Hour) }
	srv := &http.Server{Handler: svc.handler()}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	get := func(path, auth string) int {
		req, err := http.NewRequest(http.MethodGet, "http://"+ln.Addr().String()+path, nil)
		require.NoError(t, err)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		assert.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"), "every answer: %s", path)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, path := range []string{"/metrics", "/", "/reports/latest.json", "/reports/20261125T020000Z/report.html"} {
		assert.Equal(t, http.StatusUnauthorized, get(path, ""), path)
		assert.Equal(t, http.StatusUnauthorized, get(path, "Bearer wrong"), path)
		assert.Equal(t, http.StatusUnauthorized, get(path, token), path+": the scheme is required")
		assert.Equal(t, http.StatusUnauthorized, get(path, "Bearer "+token+"x"), path)
		assert.Equal(t, http.StatusUnauthorized, get(path, "Bearer "+token[:len(token)-1]), path)
		assert.Equal(t, http.StatusUnauthorized, get(path, "Basic "+token), path)
		assert.NotEqual(t, http.StatusUnauthorized, get(path, "Bearer "+token), path)
		assert.NotEqual(t, http.StatusUnauthorized, get(path, "bearer "+token), path+": the scheme's name is case-insensitive (RFC 9110 §11.1)")
	}
	// Every path and method but /healthz, also spelled otherwise.
	for _, path := range []string{"/healthz/", "/healthz%2f", "//metrics", "/./metrics", "/reports/", "/reports/%2e%2e/run.json", "/nothing"} {
		assert.Equal(t, http.StatusUnauthorized, get(path, ""), path)
	}
	for _, method := range []string{http.MethodHead, http.MethodPost, http.MethodOptions} {
		resp, err := http.DefaultClient.Do(must(http.NewRequest(method, "http://"+ln.Addr().String()+"/metrics", nil)))
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, method)
	}
	assert.Equal(t, http.StatusOK, get("/healthz", ""), "/healthz needs no token")
}

func TestHealth(t *testing.T) {
	fc := clockwork.NewFakeClockAt(t0)
	_, _, next, err := jobDefinition(inventory.Schedule{Audit: "0 1 * * *", TimeZone: "UTC"}, t0)
	require.NoError(t, err)
	s := &Service{opts: Options{Clock: fc}, runner: &Runner{}, next: next, started: t0}
	h := s.Health()
	assert.False(t, h.OK)
	assert.Equal(t, "the scheduler is not running", h.Reason)

	s.running.Store(true)
	assert.True(t, s.Health().OK, "waiting for the first run")
	fc.Advance(48 * time.Hour)
	assert.True(t, s.Health().OK, "at the second run due: it may be starting")
	fc.Advance(time.Hour)
	h = s.Health()
	assert.False(t, h.OK)
	assert.Equal(t, "no run has finished since the service started 49h0m0s ago (runs were due at 2026-11-26T01:00:00Z and 2026-11-27T01:00:00Z)", h.Reason)

	s.runner.last = &history.Run{ID: "20261127T010000Z", FinishedAt: fc.Now().Add(-time.Hour), Verdict: "fail"}
	h = s.Health()
	assert.True(t, h.OK, "a failing verdict is still a healthy service")
	assert.Equal(t, "last run 20261127T010000Z: fail", h.Reason)
	fc.Advance(47 * time.Hour)
	assert.True(t, s.Health().OK, "48 hours after the last run")
	fc.Advance(time.Hour)
	h = s.Health()
	assert.False(t, h.OK)
	assert.Equal(t, "the last run (20261127T010000Z) finished 49h0m0s ago; runs were due since at 2026-11-28T01:00:00Z and 2026-11-29T01:00:00Z, more than twice the schedule's interval", h.Reason)
}

// TestPanicIsRecordedAndTheServiceGoesOn: a panic inside a run is a
// recorded run with exit 3; the next run works.
func TestPanicIsRecordedAndTheServiceGoesOn(t *testing.T) {
	inv := labWith(t, "single", "")
	var log syncBuffer
	calls := 0
	svc, err := New(Options{InventoryPath: inv, Clock: clockwork.NewFakeClockAt(t0), Log: slog.New(slog.NewTextHandler(&log, nil)),
		Notify: func(context.Context, Notice) []history.Notification {
			calls++
			if calls == 1 {
				panic("notifier exploded")
			}
			return []history.Notification{{Channel: "test", OK: true}}
		}})
	require.NoError(t, err)
	r := svc.Runner().Run(context.Background(), history.Once)
	require.NotNil(t, r)
	assert.Equal(t, 3, r.ExitCode)
	assert.Equal(t, "the run panicked: notifier exploded", r.Error)
	assert.Contains(t, log.String(), "run panicked")
	got, err := svc.Runner().Store.Get(r.ID)
	require.NoError(t, err)
	assert.Equal(t, "error", got.Verdict)
	assert.Equal(t, 0, svc.Once(context.Background()), "the next run is fine")
}

// TestRunTimeoutIsRecorded: a run past schedule.run_timeout is stopped
// and recorded as exit 3.
func TestRunTimeoutIsRecorded(t *testing.T) {
	inv := labWith(t, "single", "schedule:\n  run_timeout: 50ms\n")
	svc, err := New(Options{InventoryPath: inv, Clock: clockwork.NewFakeClockAt(t0),
		Audit: pipeline.AuditOptions{Open: func(ctx context.Context, _ *inventory.Inventory, _ *inventory.Node) (collect.Source, error) {
			<-ctx.Done() // a node that never answers
			return nil, ctx.Err()
		}}})
	require.NoError(t, err)
	r := svc.Runner().Run(context.Background(), history.Scheduled)
	require.NotNil(t, r)
	assert.Equal(t, 3, r.ExitCode)
	assert.Contains(t, r.Error, "longer than schedule.run_timeout (50ms)")
}

// TestTickDuringARunIsSkippedAndLogged: a tick while the run is going is
// refused by the run lock and logged, and leaves nothing.
func TestTickDuringARunIsSkippedAndLogged(t *testing.T) {
	inv := labWith(t, "single", "schedule:\n  audit: '@every 1m'\n  listen: '127.0.0.1:0'\n")
	var log syncBuffer
	fc := clockwork.NewFakeClockAt(t0)
	entered, release := make(chan struct{}, 4), make(chan struct{})
	runs := make(chan *history.Run, 4)
	svc, err := New(Options{InventoryPath: inv, Clock: fc, Log: slog.New(slog.NewTextHandler(&log, nil)),
		OnRun: func(r *history.Run) { runs <- r },
		Audit: pipeline.AuditOptions{Open: func(ctx context.Context, inv *inventory.Inventory, n *inventory.Node) (collect.Source, error) {
			entered <- struct{}{}
			<-release
			return transports.Open(ctx, inv, n)
		}}})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	svc.opts.Ready = func(net.Addr) { close(ready) }
	done := make(chan error, 1)
	go func() { done <- svc.Serve(ctx) }()
	<-ready
	require.NoError(t, fc.BlockUntilContext(ctx, 1))
	fc.Advance(time.Minute)
	<-entered // the first run is going
	require.NoError(t, fc.BlockUntilContext(ctx, 1))
	fc.Advance(time.Minute) // the next tick comes while it runs
	require.Eventually(t, func() bool { return strings.Contains(log.String(), "run skipped: the previous run is still going") }, 10*time.Second, 5*time.Millisecond)
	close(release)
	r := <-runs
	assert.Equal(t, "20261125T010100Z", r.ID)
	cancel()
	require.NoError(t, <-done)
	ids, err := svc.Runner().Store.IDs()
	require.NoError(t, err)
	assert.Equal(t, []string{"20261125T010100Z"}, ids, "the skipped tick left nothing")
}

// TestServeRestoresTheLastRun: a restarted service describes the last
// recorded run at once (metrics, health), not only after its own first.
func TestServeRestoresTheLastRun(t *testing.T) {
	inv := labWith(t, "post-upgrade", "schedule:\n  listen: '127.0.0.1:0'\n")
	fc := clockwork.NewFakeClockAt(t0)
	once, err := New(Options{InventoryPath: inv, Clock: fc})
	require.NoError(t, err)
	require.Equal(t, 1, once.Once(context.Background()))

	svc, err := New(Options{InventoryPath: inv, Clock: fc})
	require.NoError(t, err)
	addr := make(chan net.Addr, 1)
	svc.opts.Ready = func(a net.Addr) { addr <- a }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Serve(ctx) }()
	base := "http://" + (<-addr).String()
	resp, err := http.Get(base + "/metrics")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Contains(t, string(body), `tmsdrift_last_run_exit_code{deployment="acme-post-upgrade"} 1`)
	assert.Contains(t, string(body), `tmsdrift_results{deployment="acme-post-upgrade",status="fail"} 3`)
	h := svc.Health()
	assert.True(t, h.OK)
	assert.Equal(t, "last run 20261125T010000Z: fail", h.Reason)
	cancel()
	require.NoError(t, <-done)
}

// TestStopAbandonsARunThatIgnoresCancellation: a transport that goes on
// after the service is told to stop (a call that ignores its context)
// does not hold the service: Serve returns once its grace has passed
// (stopTimeout, then drainTimeout), the run's folder is removed, and
// nothing of the run is recorded, also once the transport does return.
func TestStopAbandonsARunThatIgnoresCancellation(t *testing.T) {
	inv := labWith(t, "single", "schedule:\n  audit: '@every 1m'\n  listen: '127.0.0.1:0'\n")
	var log syncBuffer
	fc := clockwork.NewFakeClockAt(t0)
	entered, release := make(chan struct{}, 1), make(chan struct{})
	svc, err := New(Options{InventoryPath: inv, Clock: fc, Log: slog.New(slog.NewTextHandler(&log, nil)),
		Audit: pipeline.AuditOptions{Open: func(context.Context, *inventory.Inventory, *inventory.Node) (collect.Source, error) {
			select {
			case entered <- struct{}{}:
			default:
			}
			<-release // deaf to its context
			return nil, io.ErrUnexpectedEOF
		}}})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan struct{})
	svc.opts.Ready = func(net.Addr) { close(ready) }
	done := make(chan error, 1)
	go func() { done <- svc.Serve(ctx) }()
	<-ready
	require.NoError(t, fc.BlockUntilContext(ctx, 1))
	fc.Advance(time.Minute)
	<-entered
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(60 * time.Second):
		close(release)
		t.Fatal("Serve still waits for the run 60 s after it was stopped")
	}
	assert.Contains(t, log.String(), "its folder was removed")

	close(release) // the transport returns at last; its run stays unrecorded
	svc.Runner().mu.Lock()
	svc.Runner().mu.Unlock() //nolint:staticcheck // waits for the run to end
	ids, err := svc.Runner().Store.IDs()
	require.NoError(t, err)
	assert.Empty(t, ids)
	entries, err := os.ReadDir(svc.Runner().Store.Dir())
	require.NoError(t, err, "the run had begun its folder there")
	for _, e := range entries {
		assert.Equal(t, history.IndexFile, e.Name(), "nothing of the abandoned run is left")
	}
}

// TestHealthOverTheWeekendOfAWeekdaySchedule: "twice the schedule's
// interval" follows the schedule's own runs. A weekday schedule (no run
// on Saturday and Sunday) stays healthy over the weekend, also when the
// service was started on a Friday, when the next two runs are a day apart.
func TestHealthOverTheWeekendOfAWeekdaySchedule(t *testing.T) {
	inv := labWith(t, "single", "schedule:\n  audit: '0 2 * * 1-5'\n  time_zone: UTC\n  listen: '127.0.0.1:0'\n")
	fri := time.Date(2026, 11, 27, 2, 0, 0, 0, time.UTC)
	require.Equal(t, time.Friday, fri.Weekday())
	fc := clockwork.NewFakeClockAt(fri)
	once, err := New(Options{InventoryPath: inv, Clock: fc})
	require.NoError(t, err)
	require.Equal(t, 0, once.Once(context.Background()), "Friday's run")

	fc.Advance(time.Hour) // Friday 03:00: the service starts
	svc, err := New(Options{InventoryPath: inv, Clock: fc})
	require.NoError(t, err)
	ready := make(chan struct{})
	svc.opts.Ready = func(net.Addr) { close(ready) }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Serve(ctx) }()
	<-ready
	require.NoError(t, fc.BlockUntilContext(ctx, 1))
	fc.Advance(70 * time.Hour) // Monday 01:00, before Monday's run
	h := svc.Health()
	assert.True(t, h.OK, "no run was due over the weekend: %s", h.Reason)
	assert.Equal(t, "last run 20261127T020000Z: pass", h.Reason)
	cancel()
	require.NoError(t, <-done)
}

// TestEditedScheduleAppliesAfterTheNextRun: the inventory is read again
// at every run, the schedule included. A run on the old schedule reads
// the edited one (a cron expression in another zone instead of @every),
// the job is rescheduled after it (logged), and the run after that comes
// at the new time, read in the new zone.
func TestEditedScheduleAppliesAfterTheNextRun(t *testing.T) {
	inv := labWith(t, "single", "schedule:\n  audit: '@every 1h'\n  listen: '127.0.0.1:0'\n")
	var log syncBuffer
	fc := clockwork.NewFakeClockAt(t0)
	runs := make(chan *history.Run, 4)
	ready := make(chan struct{})
	svc, err := New(Options{InventoryPath: inv, Clock: fc, Log: slog.New(slog.NewTextHandler(&log, nil)),
		OnRun: func(r *history.Run) { runs <- r }, Ready: func(net.Addr) { close(ready) }})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Serve(ctx) }()
	<-ready
	// step advances the fake clock to the job's next run and waits for it.
	step := func() *history.Run {
		t.Helper()
		require.NoError(t, fc.BlockUntilContext(ctx, 1))
		var next time.Time
		require.Eventually(t, func() bool { // gocron moves its next run on as it hands a run out
			n, err := svc.NextRun()
			next = n
			return err == nil && n.After(fc.Now())
		}, 10*time.Second, time.Millisecond)
		fc.Advance(next.Sub(fc.Now()))
		select {
		case r := <-runs:
			return r
		case <-time.After(time.Minute):
			t.Fatal("the run did not come")
			return nil
		}
	}
	assert.Equal(t, "20261125T020000Z", step().ID, "@every 1h from 01:00")

	raw, err := os.ReadFile(inv)
	require.NoError(t, err)
	edited := strings.Replace(string(raw), "  audit: '@every 1h'\n", "  audit: '30 4 * * *'\n  time_zone: Asia/Kolkata\n", 1)
	require.NotEqual(t, string(raw), edited)
	require.NoError(t, os.WriteFile(inv, []byte(edited), 0o644))

	assert.Equal(t, "20261125T030000Z", step().ID, "the run already due comes on the old schedule")
	require.Eventually(t, func() bool { return strings.Contains(log.String(), "schedule changed") }, 10*time.Second, 5*time.Millisecond)
	assert.Contains(t, log.String(), `schedule="CRON_TZ=Asia/Kolkata 30 4 * * *"`)
	// 04:30 in Kolkata (UTC+05:30) after 03:00 UTC (08:30 there) is the
	// next day's, 23:00 UTC.
	var next time.Time
	require.Eventually(t, func() bool {
		next, err = svc.NextRun()
		return err == nil && next.After(fc.Now())
	}, 10*time.Second, time.Millisecond)
	assert.Equal(t, time.Date(2026, 11, 25, 23, 0, 0, 0, time.UTC), next.UTC())
	assert.Equal(t, "20261125T230000Z", step().ID, "the next run at the new time")
	cancel()
	require.NoError(t, <-done)
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
