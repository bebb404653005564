package serve

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
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
			return []history.Notification{{Channel: "webhook", OK: len(notices) > 1, Retry: len(n.Retry) > 0}}
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
	require.Len(t, notices, 1, "an invalid inventory notifies nobody")

	require.NoError(t, os.WriteFile(inv, good, 0o644))
	fc.Advance(time.Hour)
	require.Equal(t, 0, svc.Once(context.Background()))
	require.Len(t, notices, 2)
	assert.Equal(t, []string{"webhook"}, notices[1].Retry, "the webhook that failed two runs ago is sent again")
	rec, err := svc.Runner().Store.Get("20261125T030000Z")
	require.NoError(t, err)
	assert.Equal(t, []history.Notification{{Channel: "webhook", OK: true, Retry: true}}, rec.Notifications, "run.json says it was a retry")

	fc.Advance(time.Hour)
	require.Equal(t, 0, svc.Once(context.Background()))
	require.Len(t, notices, 3)
	assert.Empty(t, notices[2].Retry, "delivered: nothing left to retry")
}
