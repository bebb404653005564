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

