package facts

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The optional db.json keys the live probe writes (docs/contract.md §3):
// they read back as written, and files without them stay valid.
func TestDBExtensionsRoundTrip(t *testing.T) {
	in := `{"schema": "tmsdrift/db/v1", "rtt_ms": [0.4, 0.5], "connect_ms": 2.25,
		"unknown": {"last_full_backup": "SQL Server refused the backup history (error 229)"}}`
	f, err := ParseDB([]byte(in))
	require.NoError(t, err)
	require.NotNil(t, f.ConnectMS)
	assert.Equal(t, 2.25, *f.ConnectMS)
	assert.False(t, f.LastFullBackup.Set, "a key the probe could not fill stays absent")
	assert.Equal(t, "database facts lack last_full_backup: SQL Server refused the backup history (error 229)", f.Lacks("last_full_backup"))
	assert.Equal(t, "database facts lack settings", f.Lacks("settings"))

	out, err := json.Marshal(f)
	require.NoError(t, err)
	back, err := ParseDB(out)
	require.NoError(t, err)
	assert.Equal(t, f, back)

	plain, err := ParseDB([]byte(`{"schema": "tmsdrift/db/v1"}`))
	require.NoError(t, err)
	assert.Nil(t, plain.ConnectMS)
	assert.Nil(t, plain.Unknown)
	out, err = json.Marshal(plain)
	require.NoError(t, err)
	assert.JSONEq(t, `{"schema": "tmsdrift/db/v1"}`, string(out), "absent extensions are not written")
}
