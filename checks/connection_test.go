package checks

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/inventory"
)

// The auditor's db.latency result says how its connection was protected,
// so a report shows a connection in clear or a certificate that was not
// verified.
func TestLatencySaysHowTheConnectionWasProtected(t *testing.T) {
	for _, tc := range []struct {
		conn *facts.DBConnection
		want string
	}{
		{&facts.DBConnection{Encryption: "strict", Protected: facts.ProtectedAll, TLS: "TLS 1.3", Certificate: "verified against the CA file"},
			"; encrypted (TLS 1.3, TDS 8 strict), certificate verified against the CA file)"},
		{&facts.DBConnection{Encryption: "mandatory", Protected: facts.ProtectedAll, TLS: "TLS 1.2", Certificate: "NOT verified (trust_server_certificate)"},
			"; encrypted (TLS 1.2), certificate NOT verified (trust_server_certificate))"},
		{&facts.DBConnection{Encryption: "optional", Protected: facts.ProtectedLogin, TLS: "TLS 1.2", Certificate: "not verified (login-only encryption, as SQL Server's drivers do)"},
			"; only the login encrypted (TLS 1.2), certificate not verified (login-only encryption, as SQL Server's drivers do))"},
		{&facts.DBConnection{Encryption: "disable", Protected: facts.ProtectedNone}, "; not encrypted (encrypt: disable))"},
		{nil, ")"}, // a recorded db.json from before the extension
	} {
		d := testDeployment(inventory.ManualCutover, inventory.Primary, inventory.Standby)
		d.DB.Facts.RTTMS = []float64{1, 2, 3}
		d.DB.Facts.ConnectMS = ptr(3.25)
		d.DB.Facts.Connection = tc.conn
		r := result(t, d, "db.latency", "")
		assert.Equal(t, Pass, r.Status)
		assert.Equal(t, "median 2 ms, p95 3 ms (3 samples; connection set-up 3.25 ms"+tc.want, r.Observed)
	}
}
