package winservice

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRunServeLogsWhatStopsIt: a service has no console, so what keeps
// it from starting or stops it is in its log. Here (not under a service
// manager) Run itself fails, which is logged too.
func TestRunServeLogsWhatStopsIt(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	bad := errors.New("inventory.yaml:12:1: colour: unknown key")
	err := RunServe("tmsdrift-test-none", log, func() (func(context.Context) error, error) { return nil, bad })
	require.ErrorIs(t, err, bad, "the setup error decides the exit code")
	assert.Contains(t, buf.String(), `msg="service not started" error="inventory.yaml:12:1: colour: unknown key"`)

	buf.Reset()
	ran := false
	err = RunServe("tmsdrift-test-none", log, func() (func(context.Context) error, error) {
		return func(context.Context) error { ran = true; return nil }, nil
	})
	require.Error(t, err, "not started by a service manager")
	assert.False(t, ran)
	assert.Contains(t, buf.String(), `msg="service failed"`)
}
