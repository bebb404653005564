package inventory

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The encryption keys of the live database connection.

// writeCA writes a freshly made CA certificate, in PEM as an operator
// exports it, to path (its key is thrown away).
func writeCA(t *testing.T, path string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "inventory test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
}

func TestEncryptionKeysLoad(t *testing.T) {
	dir := t.TempDir()
	writeCA(t, filepath.Join(dir, "sql-ca.pem"))
	inv, err := LoadBytes(filepath.Join(dir, "inv.yaml"), liveInv("single", `  encrypt: strict
  ca_file: sql-ca.pem
  host_name_in_certificate: sql01.acme.local
`), Options{})
	require.NoError(t, err)
	assert.Equal(t, EncryptStrict, inv.Database.Encrypt)
	assert.Equal(t, "sql-ca.pem", inv.Database.CAFile)
	assert.Equal(t, "sql01.acme.local", inv.Database.HostNameInCertificate)

	inv, err = LoadBytes("inv.yaml", liveInv("single", "  trust_server_certificate: true\n"), Options{})
	require.NoError(t, err)
	assert.True(t, inv.Database.TrustServerCertificate)
	assert.Empty(t, inv.Database.Encrypt, "omitted: mandatory, unless the DSN says otherwise (collect/sqlserver decides)")
}

func TestEncryptionKeysValidate(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notpem.pem"), []byte("not a certificate\n"), 0o600))
	writeCA(t, filepath.Join(dir, "ca.pem"))
	for _, tc := range []struct {
		name, database, field, fragment string
	}{
		{"unknown mode", "  encrypt: yes\n", "database.encrypt", `unknown mode "yes" (known: strict, mandatory, optional, disable; default mandatory)`},
		{"trust with strict", "  encrypt: strict\n  trust_server_certificate: true\n", "database.trust_server_certificate", "always verifies the certificate"},
		{"trust beside a CA", "  ca_file: ca.pem\n  trust_server_certificate: true\n", "database.trust_server_certificate", "not both"},
		{"CA without TLS", "  encrypt: disable\n  ca_file: ca.pem\n", "database.ca_file", "no effect with encrypt: disable"},
		{"trust without TLS", "  encrypt: disable\n  trust_server_certificate: true\n", "database.trust_server_certificate", "no effect with encrypt: disable"},
		{"missing CA file", "  ca_file: nosuch.pem\n", "database.ca_file", "cannot read nosuch.pem: no such file"},
		{"CA file without a certificate", "  ca_file: notpem.pem\n", "database.ca_file", "holds no PEM certificate"},
		{"CA file is a folder", "  ca_file: .\n", "database.ca_file", "not a regular file"},
		{"host name with a scheme", "  host_name_in_certificate: 'tcp://sql01'\n", "database.host_name_in_certificate", "must be a host name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadBytes(filepath.Join(dir, "inv.yaml"), liveInv("single", tc.database), Options{})
			require.Error(t, err)
			var ie *Error
			require.True(t, errors.As(err, &ie))
			require.Len(t, ie.Problems, 1, err.Error())
			p := ie.Problems[0]
			assert.Equal(t, tc.field, p.Field)
			assert.Contains(t, p.Message, tc.fragment)
			assert.Positive(t, p.Line, "placed in the file")
			assert.Positive(t, p.Column)
			assert.Equal(t, filepath.Join(dir, "inv.yaml"), p.File)
		})
	}
}
