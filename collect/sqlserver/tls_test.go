package sqlserver_test

import (
	"crypto/tls"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/fixtures/tdsserver"
	"github.com/tmsdrift/tmsdrift/inventory"
)

// The probe over TLS, as SQL Server is set up in real deployments:
// encryption on, the certificate verified against a CA file; TDS 8
// strict; TrustServerCertificate only when asked, and said so; a wrong
// CA, a wrong name, an expired certificate, a server without TLS.

// pki is a CA made for the test with its PEM file, and a server
// certificate it issued.
type pki struct {
	ca     *tdsserver.TestCA
	caFile string
	cert   tls.Certificate
}

func newPKI(t *testing.T, hosts ...string) pki {
	t.Helper()
	ca, err := tdsserver.NewTestCA("collect/sqlserver test CA")
	require.NoError(t, err)
	if len(hosts) == 0 {
		hosts = []string{"localhost", "127.0.0.1"}
	}
	cert, err := ca.Issue(hosts...)
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "sql-ca.pem")
	require.NoError(t, os.WriteFile(file, ca.PEM(), 0o600))
	return pki{ca: ca, caFile: file, cert: cert}
}

func serveTLS(t *testing.T, lab string, cfg *tdsserver.TLS) *tdsserver.Server {
	t.Helper()
	s, err := tdsserver.Start(tdsserver.Config{Catalogue: labCatalogue(t, lab), User: user, Password: password, TLS: cfg})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	return s
}

// tlsInventory is liveInventory with the encryption keys set; the
// inventory file sits beside the CA file, which it names relatively.
func tlsInventory(caFile string, set func(db *inventory.Database)) *inventory.Inventory {
	inv := liveInventory(inventory.ManualCutover)
	if caFile != "" {
		inv.File = filepath.Join(filepath.Dir(caFile), "inventory.yaml")
	}
	set(&inv.Database)
	return inv
}

// sameFacts compares what the probe read, leaving out what depends on the
// connection itself.
func sameFacts(t *testing.T, want, got *facts.DBFacts, msg string) {
	t.Helper()
	require.NotNil(t, got, msg)
	w, g := *want, *got
	for _, f := range []*facts.DBFacts{&w, &g} {
		f.RTTMS, f.ConnectMS, f.Connection = nil, nil, nil
	}
	assert.Equal(t, w, g, msg)
}

func TestGatherOverTLSReadsWhatItReadsInClear(t *testing.T) {
	noLeaks(t)
	p := newPKI(t)
	s := serveTLS(t, "post-upgrade", &tdsserver.TLS{Certificate: p.cert})
	t.Setenv(env, s.DSN(user, password, "tmsng"))
	plain := gather(t, liveInventory(inventory.ManualCutover))
	require.NoError(t, plain.Err)
	assert.Equal(t, &facts.DBConnection{Encryption: "disable", Protected: "none"}, plain.Facts.Connection)
	assert.Contains(t, plain.From, "not encrypted (encrypt: disable)")

	noEncryptParam := s.DSNWith(user, password, "tmsng", url.Values{})
	for _, tc := range []struct {
		name    string
		dsn     string
		set     func(db *inventory.Database)
		want    facts.DBConnection
		session tdsserver.Encryption
	}{
		{"the default: mandatory, verified against ca_file", noEncryptParam, func(db *inventory.Database) { db.CAFile = "sql-ca.pem" },
			facts.DBConnection{Encryption: "mandatory", Protected: "all", TLS: "TLS 1.2", Certificate: "verified against the CA file"}, tdsserver.EncryptFull},
		{"strict", noEncryptParam, func(db *inventory.Database) { db.Encrypt, db.CAFile = "strict", "sql-ca.pem" },
			facts.DBConnection{Encryption: "strict", Protected: "all", TLS: "TLS 1.3", Certificate: "verified against the CA file"}, tdsserver.EncryptStrict},
		{"trust_server_certificate", noEncryptParam, func(db *inventory.Database) { db.TrustServerCertificate = true },
			facts.DBConnection{Encryption: "mandatory", Protected: "all", TLS: "TLS 1.2", Certificate: "NOT verified (trust_server_certificate)"}, tdsserver.EncryptFull},
		{"TrustServerCertificate in the DSN", s.DSNWith(user, password, "tmsng", url.Values{"encrypt": {"true"}, "trustservercertificate": {"true"}}), func(*inventory.Database) {},
			facts.DBConnection{Encryption: "mandatory", Protected: "all", TLS: "TLS 1.2", Certificate: "NOT verified (trust_server_certificate)"}, tdsserver.EncryptFull},
		{"the DSN's own CA and mode", s.DSNWith(user, password, "tmsng", url.Values{"encrypt": {"strict"}, "certificate": {p.caFile}}), func(*inventory.Database) {},
			facts.DBConnection{Encryption: "strict", Protected: "all", TLS: "TLS 1.3", Certificate: "verified against the CA file"}, tdsserver.EncryptStrict},
		{"optional: the login only, not verified", noEncryptParam, func(db *inventory.Database) { db.Encrypt = "optional" },
			facts.DBConnection{Encryption: "optional", Protected: "login", TLS: "TLS 1.2", Certificate: "not verified (login-only encryption, as SQL Server's drivers do)"}, tdsserver.EncryptLogin},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(env, tc.dsn)
			n := len(s.Sessions())
			db := gather(t, tlsInventory(p.caFile, tc.set))
			require.NoError(t, db.Err)
			sameFacts(t, plain.Facts, db.Facts, "the same facts as without TLS")
			assert.Equal(t, &tc.want, db.Facts.Connection)
			assert.Contains(t, db.From, tc.want.Summary(), "the source line says how the connection was protected")
			assert.Equal(t, tc.session, s.Sessions()[n].Encryption, "what the server saw")
		})
	}
}

// With SQL Server's Force Encryption, optional gets everything encrypted —
// and then the certificate is verified, as Microsoft's drivers do.
func TestOptionalAgainstAServerThatForcesEncryption(t *testing.T) {
	noLeaks(t)
	p := newPKI(t)
	s := serveTLS(t, "post-upgrade", &tdsserver.TLS{Certificate: p.cert, Force: true})
	t.Setenv(env, s.DSNWith(user, password, "tmsng", url.Values{}))
	db := gather(t, tlsInventory(p.caFile, func(db *inventory.Database) { db.Encrypt, db.CAFile = "optional", "sql-ca.pem" }))
	require.NoError(t, db.Err)
	assert.Equal(t, &facts.DBConnection{Encryption: "optional", Protected: "all", TLS: "TLS 1.2", Certificate: "verified against the CA file"}, db.Facts.Connection)

	other := newPKI(t)
	db = gather(t, tlsInventory(other.caFile, func(db *inventory.Database) { db.Encrypt, db.CAFile = "optional", "sql-ca.pem" }))
	require.Error(t, db.Err, "a forced connection with a certificate from another CA")
	assert.Contains(t, db.Err.Error(), "signed by an unknown authority")
}

func TestCertificateProblemsAreClearErrors(t *testing.T) {
	noLeaks(t)
	right := newPKI(t)
	wrong := newPKI(t)
	named := newPKI(t, "sql01.acme.local")
	expired, err := right.ca.IssueExpired("localhost", "127.0.0.1")
	require.NoError(t, err)

	for _, tc := range []struct {
		name   string
		cert   tls.Certificate
		caFile string
		set    func(db *inventory.Database)
		want   []string
	}{
		{"a CA file that did not issue it", right.cert, wrong.caFile, func(db *inventory.Database) { db.CAFile = "sql-ca.pem" },
			[]string{"SQL Server at 127.0.0.1:", "presented a certificate signed by an unknown authority", `issued by "CN=collect/sqlserver test CA`, "does not chain to the CA file " + wrong.caFile, "set database.ca_file"}},
		{"not in the system's roots", right.cert, "", func(*inventory.Database) {},
			[]string{"signed by an unknown authority", "does not chain to the system's trusted roots"}},
		{"strict with a CA file that did not issue it", right.cert, wrong.caFile, func(db *inventory.Database) { db.Encrypt, db.CAFile = "strict", "sql-ca.pem" },
			[]string{"signed by an unknown authority"}},
		{"another host's certificate", named.cert, named.caFile, func(db *inventory.Database) { db.CAFile = "sql-ca.pem" },
			[]string{`presented a certificate for "sql01.acme.local", not for "127.0.0.1"`, "database.host_name_in_certificate"}},
		{"an expired certificate", expired, right.caFile, func(db *inventory.Database) { db.CAFile = "sql-ca.pem" },
			[]string{"has expired or is not yet valid", "renew SQL Server's certificate"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := serveTLS(t, "post-upgrade", &tdsserver.TLS{Certificate: tc.cert})
			t.Setenv(env, s.DSNWith(user, password, "tmsng", url.Values{}))
			db := gather(t, tlsInventory(cmpOr(tc.caFile, right.caFile), tc.set))
			require.Error(t, db.Err)
			t.Log(db.Err) // what the administrator reads
			for _, w := range tc.want {
				assert.Contains(t, db.Err.Error(), w)
			}
			assert.Nil(t, db.Facts)
			assert.Empty(t, s.Executed(), "nothing was sent to a server that could not be verified")
		})
	}

	// The name in the certificate when the DSN uses another (an alias).
	s := serveTLS(t, "post-upgrade", &tdsserver.TLS{Certificate: named.cert})
	t.Setenv(env, s.DSNWith(user, password, "tmsng", url.Values{}))
	db := gather(t, tlsInventory(named.caFile, func(db *inventory.Database) {
		db.CAFile, db.HostNameInCertificate = "sql-ca.pem", "sql01.acme.local"
	}))
	require.NoError(t, db.Err)
	assert.Equal(t, "verified against the CA file", db.Facts.Connection.Certificate)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func TestServersWithoutTLS(t *testing.T) {
	noLeaks(t)
	s := serve(t, labCatalogue(t, "post-upgrade"), tdsserver.Faults{})
	t.Setenv(env, s.DSNWith(user, password, "tmsng", url.Values{}))
	db := gather(t, liveInventory(inventory.ManualCutover))
	require.Error(t, db.Err, "the default, mandatory, refuses a server that cannot encrypt")
	assert.Contains(t, db.Err.Error(), "does not offer encryption (it has no certificate, or its TLS is off), and database.encrypt is mandatory")

	db = gather(t, tlsInventory("", func(db *inventory.Database) { db.Encrypt = "strict" }))
	require.Error(t, db.Err)
	assert.Contains(t, db.Err.Error(), "did not complete TDS 8 (strict) TLS")
	assert.Contains(t, db.Err.Error(), "older servers need database.encrypt: mandatory")

	db = gather(t, tlsInventory("", func(db *inventory.Database) { db.Encrypt = "optional" }))
	require.NoError(t, db.Err, "optional connects in clear when the server cannot encrypt")
	assert.Equal(t, &facts.DBConnection{Encryption: "optional", Protected: "none"}, db.Facts.Connection)
	assert.Equal(t, "not encrypted (encrypt: optional)", db.Facts.Connection.Summary())
}

func TestInventoryAndDSNMustAgree(t *testing.T) {
	noLeaks(t)
	p := newPKI(t)
	s := serveTLS(t, "post-upgrade", &tdsserver.TLS{Certificate: p.cert})
	for _, tc := range []struct {
		name   string
		params url.Values
		set    func(db *inventory.Database)
		want   string
	}{
		{"modes differ", url.Values{"encrypt": {"disable"}}, func(db *inventory.Database) { db.Encrypt = "strict" },
			"database.encrypt is strict, but the connection string in $" + env + " says encrypt=disable: remove one of them"},
		{"two CA files", url.Values{"certificate": {p.caFile}}, func(db *inventory.Database) { db.CAFile = "sql-ca.pem" },
			"both database.ca_file and the certificate parameter"},
		{"trust in the DSN beside a CA file", url.Values{"trustservercertificate": {"true"}}, func(db *inventory.Database) { db.CAFile = "sql-ca.pem" },
			"both a CA file and TrustServerCertificate"},
		{"trust with strict in the DSN", url.Values{"encrypt": {"strict"}, "trustservercertificate": {"true"}}, func(*inventory.Database) {},
			"encrypt is strict, which always verifies the certificate"},
		{"a pinned certificate", url.Values{"servercertificate": {p.caFile}}, func(*inventory.Database) {},
			"pins a certificate (servercertificate)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(env, s.DSNWith(user, password, "tmsng", tc.params))
			db := gather(t, tlsInventory(p.caFile, tc.set))
			require.Error(t, db.Err)
			assert.Contains(t, db.Err.Error(), tc.want)
			assert.NotContains(t, db.Err.Error(), "sqlserver://", "the DSN's text is not repeated")
		})
	}
	assert.Empty(t, s.Sessions(), "no connection was even tried")
}
