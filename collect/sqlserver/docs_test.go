package sqlserver_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/collect/sqlserver"
)

// TestDocsShowTheStatementsSent: docs/database.md quotes every statement
// verbatim, so what an administrator reviews (and grants permissions for)
// is what tmsdrift sends.
func TestDocsShowTheStatementsSent(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "database.md"))
	require.NoError(t, err)
	doc := string(b)
	for name, stmt := range map[string]string{
		"PingStatement":               sqlserver.PingStatement,
		"ServerQuery":                 sqlserver.ServerQuery,
		"BackupQuery":                 sqlserver.BackupQuery,
		"LogShippingSecondariesQuery": sqlserver.LogShippingSecondariesQuery,
		"LogShippingRestoreQuery":     sqlserver.LogShippingRestoreQuery,
		"DefaultSettingsQuery":        sqlserver.DefaultSettingsQuery,
		"DefaultSettingsUpdate":       sqlserver.DefaultSettingsUpdate,
		"InDatabaseQuery":             sqlserver.InDatabaseQuery,
		"InDatabaseUpdate":            sqlserver.InDatabaseUpdate,
		"DefaultNameIPv4Local":        sqlserver.DefaultNameIPv4Local,
		"DefaultNameIPv6Local":        sqlserver.DefaultNameIPv6Local,
		"DefaultNameDNSLocal":         sqlserver.DefaultNameDNSLocal,
		"DefaultNameDNSPublic":        sqlserver.DefaultNameDNSPublic,
	} {
		assert.Containsf(t, doc, stmt, "docs/database.md does not quote %s as sent", name)
	}
}
