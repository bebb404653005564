package main

import (
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/fixtures"
	"github.com/tmsdrift/tmsdrift/fixtures/tdsserver"
	"github.com/tmsdrift/tmsdrift/report"
)

// The audit with the database read live over TLS, as SQL Server is set up
// with encryption on: the TDS stand-in has a certificate from a CA made
// for the test; tmsdrift verifies it against database.ca_file or the
// system's roots, runs TDS 8 strict, or trusts it when told to. Each gives
// the verdict the lab gives without TLS; a wrong CA is an error naming the
// certificate problem.

// tlsLab serves lab's db.yaml with a certificate and points $TMSDRIFT_DSN
// at it with no encrypt parameter (the inventory decides); it returns the
// server and the CA's PEM file.
func tlsLab(t *testing.T, lab fixtures.Lab, ca *tdsserver.TestCA) (*tdsserver.Server, string) {
	t.Helper()
	cat, err := tdsserver.LoadCatalogue(lab.DBYAML)
	require.NoError(t, err)
	cert, err := ca.Issue("localhost", "127.0.0.1")
	require.NoError(t, err)
	s, err := tdsserver.Start(tdsserver.Config{Catalogue: cat, User: dbUser, Password: dbPassword, TLS: &tdsserver.TLS{Certificate: cert}})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	t.Setenv(dbEnv, s.DSNWith(dbUser, dbPassword, "tmsng", url.Values{}))
	if lab.DRDBYAML != "" {
		// The log-shipping secondary, over TLS with the same settings.
		dr, err := tdsserver.LoadCatalogue(lab.DRDBYAML)
		require.NoError(t, err)
		drs, err := tdsserver.Start(tdsserver.Config{Catalogue: dr, User: dbUser, Password: dbPassword, TLS: &tdsserver.TLS{Certificate: cert}})
		require.NoError(t, err)
		t.Cleanup(func() { assert.NoError(t, drs.Close()) })
		t.Setenv(dbDREnv, drs.DSNWith(dbUser, dbPassword, "msdb", url.Values{}))
	}
	caFile := filepath.Join(t.TempDir(), "sql-ca.pem")
	require.NoError(t, os.WriteFile(caFile, ca.PEM(), 0o600))
	return s, caFile
}

func newCA(t *testing.T, name string) *tdsserver.TestCA {
	t.Helper()
	ca, err := tdsserver.NewTestCA(name)
	require.NoError(t, err)
	return ca
}

// latencyNote is the connection note of the auditor's db.latency result.
func latencyNote(results []checks.Result) string {
	for _, r := range results {
		if r.Rule == "db.latency" && r.Node == "" {
			if _, note, ok := strings.Cut(r.Observed, "ms; "); ok {
				return note
			}
		}
	}
	return ""
}

func TestLabsLiveOverTLS(t *testing.T) {
	dbNoLeaks(t)
	labs, err := fixtures.Labs()
	require.NoError(t, err)
	ca := newCA(t, "tmsdrift CLI test CA")
	for _, lab := range labs {
		t.Run(lab.Name, func(t *testing.T) {
			s, caFile := tlsLab(t, lab, ca)
			quoted := "'" + strings.ReplaceAll(caFile, "'", "''") + "'"
			for _, mode := range []struct {
				name  string
				extra []string
				note  string
				seen  tdsserver.Encryption
			}{
				{"encrypt=true, verified against ca_file", []string{"encrypt: mandatory", "ca_file: " + quoted},
					"encrypted (TLS 1.2), certificate verified against the CA file", tdsserver.EncryptFull},
				{"TDS 8 strict", []string{"encrypt: strict", "ca_file: " + quoted},
					"encrypted (TLS 1.3, TDS 8 strict), certificate verified against the CA file", tdsserver.EncryptStrict},
				{"TrustServerCertificate", []string{"trust_server_certificate: true"},
					"encrypted (TLS 1.2), certificate NOT verified (trust_server_certificate)", tdsserver.EncryptFull},
			} {
				inv := dbInventoryCopy(t, lab, true, "dsn_env: "+dbEnv, mode.extra...)
				n := len(s.Sessions())
				code, out, errOut := dbRun(t, "audit", "-i", inv, "--format", "json")
				require.Equalf(t, lab.Expected.Exit, code, "%s: exit code; stderr: %s", mode.name, errOut)
				rep := dbReport(t, out)
				CheckExpected(t, dbLiveExpected(lab), rep.Results)
				sessions := s.Sessions()[n:]
				if lab.Name == "db-missing" { // the login is refused: no facts, no note
					continue
				}
				require.NotEmpty(t, sessions, mode.name)
				assert.Equal(t, mode.seen, sessions[0].Encryption, mode.name)
				assert.Equal(t, mode.note+")", latencyNote(rep.Results), "%s: the report says how the connection was protected", mode.name)
			}
		})
	}
}

// TestLiveOverTLSWithTheSystemRoots: with no ca_file the certificate is
// verified against the system's trusted roots. Go reads them once per
// process, from SSL_CERT_FILE when set, so the audit runs as its own
// process.
func TestLiveOverTLSWithTheSystemRoots(t *testing.T) {
	dbNoLeaks(t)
	if testing.Short() {
		t.Skip("builds the tmsdrift binary")
	}
	labs, err := fixtures.Labs()
	require.NoError(t, err)
	var lab fixtures.Lab
	for _, l := range labs {
		if l.Name == "post-upgrade" {
			lab = l
		}
	}
	require.NotEmpty(t, lab.Name)
	_, caFile := tlsLab(t, lab, newCA(t, "tmsdrift system roots test CA"))
	bin := filepath.Join(t.TempDir(), "tmsdrift")
	build := exec.Command("go", "build", "-o", bin, ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)

	inv := dbInventoryCopy(t, lab, true, "dsn_env: "+dbEnv)
	run := func(sslCertFile string) (int, string, string) {
		cmd := exec.Command(bin, "audit", "-i", inv, "--format", "json")
		cmd.Env = append(os.Environ(), "SSL_CERT_FILE="+sslCertFile, "SSL_CERT_DIR="+t.TempDir())
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else {
			require.NoError(t, err)
		}
		for _, secret := range dbSecrets() {
			assert.NotContains(t, stdout.String()+stderr.String(), secret)
		}
		return code, stdout.String(), stderr.String()
	}
	code, stdout, stderr := run(caFile)
	require.Equal(t, lab.Expected.Exit, code, stderr)
	rep := dbReport(t, stdout)
	CheckExpected(t, dbLiveExpected(lab), rep.Results)
	assert.Equal(t, "encrypted (TLS 1.2), certificate verified against the system's trusted roots)", latencyNote(rep.Results))

	// The same audit on a machine that does not trust the CA.
	other := filepath.Join(t.TempDir(), "other.pem")
	require.NoError(t, os.WriteFile(other, newCA(t, "unrelated CA").PEM(), 0o600))
	code, stdout, _ = run(other)
	assert.Contains(t, []int{report.ExitFail, report.ExitErrored}, code)
	assertCertificateErrors(t, dbReport(t, stdout), "does not chain to the system's trusted roots")
}

// assertCertificateErrors: the rules that judge the database facts give
// `error` naming the certificate problem, never `fail` or `pass`; and
// nothing else is an error.
func assertCertificateErrors(t *testing.T, rep report.Report, why string) {
	t.Helper()
	needFacts := map[string]bool{"db.online": true, "db.backup-recent": true, "db.latency": true, "db.edition": true, "addresses.match": true}
	seen := 0
	for _, r := range rep.Results {
		if needFacts[r.Rule] && r.Node == "" {
			seen++
			assert.Equal(t, checks.Error, r.Status, r.Rule)
		}
		if r.Status != checks.Error {
			continue
		}
		text := r.Observed + " " + r.Message
		assert.Contains(t, text, "presented a certificate signed by an unknown authority", r.Rule)
		assert.Contains(t, text, why, r.Rule)
	}
	assert.GreaterOrEqual(t, seen, 3, "the database rules were evaluated")
}

func TestLiveOverTLSWithTheWrongCA(t *testing.T) {
	dbNoLeaks(t)
	labs, err := fixtures.Labs()
	require.NoError(t, err)
	for _, lab := range labs {
		if lab.Name != "post-upgrade" && lab.Name != "offsite" {
			continue
		}
		t.Run(lab.Name, func(t *testing.T) {
			s, _ := tlsLab(t, lab, newCA(t, "the CA that issued the certificate"))
			wrong := filepath.Join(t.TempDir(), "wrong-ca.pem")
			require.NoError(t, os.WriteFile(wrong, newCA(t, "another CA").PEM(), 0o600))
			for _, mode := range []string{"mandatory", "strict"} {
				inv := dbInventoryCopy(t, lab, true, "dsn_env: "+dbEnv, "encrypt: "+mode, "ca_file: '"+wrong+"'")
				code, out, errOut := dbRun(t, "audit", "-i", inv, "--format", "json")
				assert.Contains(t, []int{report.ExitFail, report.ExitErrored}, code, "%s: %s", mode, errOut)
				assertCertificateErrors(t, dbReport(t, out), "does not chain to the CA file "+wrong)
			}
			assert.Empty(t, s.Executed(), "no statement reached a server whose certificate failed")
		})
	}
}
