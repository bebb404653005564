package serve

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/history"
)

// TestRunRecordedWhenTheIndexCannotBeWritten: the history's index is a
// cache. A run whose folder is in place but whose index update failed is
// a recorded run: its exit code (not 3), the last run of /metrics and
// /healthz, and a warning rather than "run not recorded".
func TestRunRecordedWhenTheIndexCannotBeWritten(t *testing.T) {
	inv := labWith(t, "single", "")
	fc := clockwork.NewFakeClockAt(t0)
	var log syncBuffer
	svc, err := New(Options{InventoryPath: inv, Clock: fc, Log: slog.New(slog.NewTextHandler(&log, nil))})
	require.NoError(t, err)
	require.Equal(t, 0, svc.Once(context.Background()))
	ix := filepath.Join(svc.Runner().Store.Dir(), history.IndexFile)
	require.NoError(t, os.Remove(ix))
	require.NoError(t, os.Mkdir(ix, 0o700)) // index.json cannot be replaced

	fc.Advance(time.Hour)
	assert.Equal(t, 0, svc.Once(context.Background()), "the audit's exit code, not 3")
	last := svc.Runner().Last()
	require.NotNil(t, last, "the run is the service's last run")
	assert.Equal(t, "20261125T020000Z", last.ID)
	ids, err := svc.Runner().Store.IDs()
	require.NoError(t, err)
	assert.Equal(t, []string{"20261125T010000Z", "20261125T020000Z"}, ids)
	assert.Contains(t, log.String(), "run recorded, history index not updated")
	assert.NotContains(t, log.String(), "run not recorded")
	assert.Contains(t, log.String(), "msg=run id=20261125T020000Z", "the run's log line")
}

// TestFailedNotificationIsRetriedAfterAnInvalidRun: a notification that
// failed is sent again at the next run that can notify, also when the run
// in between had an invalid inventory (which notifies nobody).
func TestFailedNotificationIsRetriedAfterAnInvalidRun(t *testing.T) {
	inv := labWith(t, "single", "")
	fc := clockwork.NewFakeClockAt(t0)
	var notices []Notice
	svc, err := New(Options{InventoryPath: inv, Clock: fc,
		Notify: func(_ context.Context, n Notice) []history.Notification {
			notices = append(notices, n)
			if n.Headline != "" {
				return nil // the invalid run: sent nothing (as notify.on: change does from its second night on)
			}
			return []history.Notification{{Channel: "webhook", OK: len(notices) > 2, Retry: len(n.Retry) > 0}}
		}})
	require.NoError(t, err)
	require.Equal(t, 0, svc.Once(context.Background()))
	require.Len(t, notices, 1)
	assert.Empty(t, notices[0].Retry)

	good, err := os.ReadFile(inv)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(inv, append(append([]byte{}, good...), "colour: blue\n"...), 0o644))
	fc.Advance(time.Hour)
	require.Equal(t, 2, svc.Once(context.Background()))
	require.Len(t, notices, 2, "the invalid inventory is told through the last valid one's notify block")
	assert.Equal(t, "inventory invalid, nothing audited", notices[1].Headline)
	assert.Equal(t, []string{"webhook"}, notices[1].Retry)
	invalid, err := svc.Runner().Store.Get("20261125T020000Z")
	require.NoError(t, err)
	require.Empty(t, invalid.Notifications, "it sent nothing")

	require.NoError(t, os.WriteFile(inv, good, 0o644))
	fc.Advance(time.Hour)
	require.Equal(t, 0, svc.Once(context.Background()))
	require.Len(t, notices, 3)
	assert.Equal(t, []string{"webhook"}, notices[2].Retry, "the webhook that failed two runs ago is sent again")
	rec, err := svc.Runner().Store.Get("20261125T030000Z")
	require.NoError(t, err)
	assert.Equal(t, []history.Notification{{Channel: "webhook", OK: true, Retry: true}}, rec.Notifications, "run.json says it was a retry")

	fc.Advance(time.Hour)
	require.Equal(t, 0, svc.Once(context.Background()))
	require.Len(t, notices, 4)
	assert.Empty(t, notices[3].Retry, "delivered: nothing left to retry")
}

// TestRunsArePrunedToScheduleKeep: after each run the history keeps the
// newest schedule.keep runs, as the inventory says at that run.
func TestRunsArePrunedToScheduleKeep(t *testing.T) {
	inv := labWith(t, "single", "schedule:\n  keep: 2\n")
	fc := clockwork.NewFakeClockAt(t0)
	svc, err := New(Options{InventoryPath: inv, Clock: fc})
	require.NoError(t, err)
	for range 3 {
		require.Equal(t, 0, svc.Once(context.Background()))
		fc.Advance(time.Hour)
	}
	ids, err := svc.Runner().Store.IDs()
	require.NoError(t, err)
	assert.Equal(t, []string{"20261125T020000Z", "20261125T030000Z"}, ids, "the oldest run is pruned")

	raw, err := os.ReadFile(inv)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(inv, []byte(strings.Replace(string(raw), "keep: 2", "keep: 1", 1)), 0o644))
	require.Equal(t, 0, svc.Once(context.Background()))
	ids, err = svc.Runner().Store.IDs()
	require.NoError(t, err)
	assert.Equal(t, []string{"20261125T040000Z"}, ids, "an edited keep applies at the next run")
	runs, err := svc.Runner().Store.List(0)
	require.NoError(t, err)
	require.Len(t, runs, 1, "the listing agrees")
}

// TestOneLogLinePerRun: each run leaves one line (text or JSON) with its
// id, verdict, counts and duration; a failed notification is logged
// without its secrets (the webhook URL's token, the HMAC secret).
func TestOneLogLinePerRun(t *testing.T) {
	const token, secret = "tok3n-in-the-path", "hmac-s3cret"
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "no", http.StatusBadRequest)
	}))
	t.Cleanup(hook.Close)
	inv := labWith(t, "single", "notify:\n  on: always\n  webhook: {url: '"+hook.URL+"/hook/"+token+"', secret_env: TMSDRIFT_TEST_SECRET}\n")
	env := func(k string) string { return map[string]string{"TMSDRIFT_TEST_SECRET": secret}[k] }

	var text, js syncBuffer
	fc := clockwork.NewFakeClockAt(t0)
	for _, log := range []*slog.Logger{slog.New(slog.NewTextHandler(&text, nil)), slog.New(slog.NewJSONHandler(&js, nil))} {
		svc, err := New(Options{InventoryPath: inv, Clock: fc, Log: log, Notify: Notifications(env)})
		require.NoError(t, err)
		require.Equal(t, 0, svc.Once(context.Background()))
		fc.Advance(time.Hour)
	}

	var runLines []string
	for _, l := range strings.Split(text.String(), "\n") {
		if strings.Contains(l, " msg=run ") {
			runLines = append(runLines, l)
		}
	}
	require.Len(t, runLines, 1, text.String())
	for _, want := range []string{"id=20261125T010000Z", "verdict=pass", "exit=0", "duration=", "pass=", "fail=0", "waived=0", "error=0", "changes="} {
		assert.Contains(t, runLines[0], want)
	}
	assert.Contains(t, text.String(), "notification failed")

	var got []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(js.String()), "\n") {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m), l)
		if m["msg"] == "run" {
			got = append(got, m)
		}
	}
	require.Len(t, got, 1)
	assert.Equal(t, "20261125T020000Z", got[0]["id"])
	assert.Equal(t, "pass", got[0]["verdict"])
	for _, k := range []string{"duration", "pass", "fail", "waived", "error", "exit"} {
		assert.Contains(t, got[0], k)
	}
	for _, out := range []string{text.String(), js.String()} {
		assert.NotContains(t, out, token, "the webhook URL's path stays out of the log")
		assert.NotContains(t, out, secret)
	}
}

// TestInvalidInventoryIsNotified: an inventory broken by an edit has no
// notify block to read, so the service tells its runs through the last
// valid inventory's: the night it becomes invalid whatever notify.on
// says (the subject says so, the notes carry the problems), the nights
// after as notify.on says of a run that is not a pass — nothing with
// change, every night with failure. Before, every invalid night was
// silent and only /metrics showed the nightly check had stopped.
func TestInvalidInventoryIsNotified(t *testing.T) {
	for _, on := range []string{"change", "failure"} {
		t.Run(on, func(t *testing.T) {
			var mu sync.Mutex
			var got []map[string]any
			hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var body map[string]any
				assert.NoError(t, json.NewDecoder(r.Body).Decode(&body))
				mu.Lock()
				got = append(got, body)
				mu.Unlock()
			}))
			defer hook.Close()
			deliveries := func() []map[string]any {
				mu.Lock()
				defer mu.Unlock()
				out := got
				got = nil
				return out
			}
			inv := labWith(t, "single", "notify:\n  on: "+on+"\n  webhook: {url: '"+hook.URL+"/hook'}\n")
			fc := clockwork.NewFakeClockAt(t0)
			svc, err := New(Options{InventoryPath: inv, Clock: fc, Notify: Notifications(os.Getenv)})
			require.NoError(t, err)
			once := func(want int) *history.Run {
				t.Helper()
				fc.Advance(time.Hour)
				require.Equal(t, want, svc.Once(context.Background()))
				last, err := svc.Runner().Store.Latest()
				require.NoError(t, err)
				return last
			}
			once(0)
			first := map[string]int{"change": 1, "failure": 0}[on]
			require.Len(t, deliveries(), first, "the first run (a pass)")

			good, err := os.ReadFile(inv)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(inv, append(append([]byte{}, good...), "colour: blue\n"...), 0o644))
			r2 := once(2)
			d := deliveries()
			require.Len(t, d, 1, "the night the inventory became invalid is told")
			assert.Equal(t, "tmsdrift acme-single: inventory invalid, nothing audited", d[0]["title"])
			assert.Equal(t, "error", d[0]["verdict"])
			assert.Empty(t, d[0]["report_url"], "no report to link")
			notes, _ := json.Marshal(d[0]["notes"])
			assert.Contains(t, string(notes), "is invalid, so nothing was audited")
			assert.Contains(t, string(notes), "colour: unknown key")
			require.Len(t, r2.Notifications, 1)
			assert.True(t, r2.Notifications[0].OK, "run.json records it")

			r3 := once(2)
			if on == "change" {
				assert.Empty(t, deliveries(), "still invalid: no news")
				assert.Empty(t, r3.Notifications)
			} else {
				assert.Len(t, deliveries(), 1, "on: failure: every run that is not a pass")
				assert.Len(t, r3.Notifications, 1)
			}

			require.NoError(t, os.WriteFile(inv, good, 0o644))
			once(0)
			if on == "change" {
				assert.Empty(t, deliveries(), "the same results as the last report: no change")
			} else {
				assert.Empty(t, deliveries(), "on: failure: a pass is not sent")
			}
		})
	}
}

// TestForeignFolderWarnedOnce: a folder schedule.keep leaves alone is
// warned of once per process, not after every run; a new one is warned of
// in its turn. Before, the same warning came every night.
func TestForeignFolderWarnedOnce(t *testing.T) {
	inv := labWith(t, "single", "schedule:\n  keep: 1\n")
	fc := clockwork.NewFakeClockAt(t0)
	var log syncBuffer
	svc, err := New(Options{InventoryPath: inv, Clock: fc, Log: slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	require.NoError(t, err)
	hist := svc.Runner().Store.Dir()
	require.NoError(t, os.MkdirAll(filepath.Join(hist, "20200101T000000Z"), 0o755))
	warn := "level=WARN msg=\"history: folders left alone by schedule.keep"
	for range 3 {
		require.Equal(t, 0, svc.Once(context.Background()))
		fc.Advance(time.Hour)
	}
	assert.Equal(t, 1, strings.Count(log.String(), warn), log.String())
	assert.Equal(t, 2, strings.Count(log.String(), "level=DEBUG msg=\"history: folders left alone by schedule.keep, already warned of\""), log.String())

	require.NoError(t, os.MkdirAll(filepath.Join(hist, "20200102T000000Z"), 0o755))
	require.Equal(t, 0, svc.Once(context.Background()))
	assert.Equal(t, 2, strings.Count(log.String(), warn), "a new folder is warned of")
	assert.Contains(t, log.String(), "left=20200102T000000Z\n", "naming only the new one")
}
