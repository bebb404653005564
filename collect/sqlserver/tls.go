package sqlserver

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/microsoft/go-mssqldb/msdsn"

	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/inventory"
)

// Encryption of the connection, the way Microsoft's own drivers do it
// since Microsoft.Data.SqlClient 4.0 and ODBC Driver 18 ("Encryption and
// certificate validation in Microsoft.Data.SqlClient", learn.microsoft.com
// /sql/connect/ado-net/encryption-and-certificate-validation):
//
//   - mandatory (the default): TLS for the whole connection, the
//     certificate verified against the system's roots or database.ca_file,
//     for the host of the DSN or database.host_name_in_certificate;
//   - strict: TDS 8.0, TLS before anything else, always verified;
//   - optional: the login only — not verified, as Microsoft's drivers do —
//     unless the server forces encryption, then everything, verified;
//   - disable: nothing encrypted.
//
// trust_server_certificate skips the verification (mandatory, optional);
// the database facts say so (facts.DBConnection).
//
// The inventory's keys win over the DSN's encrypt, trustservercertificate,
// certificate and hostnameincertificate; when both give one, they must
// agree. Whatever the DSN leaves out takes tmsdrift's default, not the
// driver's (go-mssqldb alone would encrypt only the login and trust any
// certificate).

// tlsWanted is the inventory's side of a connection's encryption.
type tlsWanted struct {
	encrypt  string // inventory.Encrypt*; "" for the default
	caFile   string // resolved against the inventory's folder
	trust    bool
	hostName string
}

// wantedTLS reads the encryption keys of the inventory. host_name_in_
// certificate names the primary's certificate, so the log-shipping
// secondary (primary false) does without it.
func wantedTLS(inv *inventory.Inventory, primary bool) tlsWanted {
	db := inv.Database
	w := tlsWanted{encrypt: db.Encrypt, caFile: inv.Resolve(db.CAFile), trust: db.TrustServerCertificate}
	if primary {
		w.hostName = db.HostNameInCertificate
	}
	return w
}

// tlsState is the encryption of one target: what was asked, and what the
// pre-login and the handshake showed.
type tlsState struct {
	mode     string // inventory.Encrypt*
	trust    bool
	caFile   string // "" for the system's roots
	roots    *x509.CertPool
	hostName string

	mu sync.Mutex
	// serverEncrypt is the ENCRYPTION value of the server's PRELOGIN
	// answer; -1 until seen (and in TDS 8, where TLS comes first).
	serverEncrypt int
	version       uint16 // the negotiated TLS version; 0: no handshake
	verified      bool
	refused       error // why the certificate was refused
}

// encryptOff is the server's PRELOGIN ENCRYPTION value for "the login
// only" (MS-TDS 2.2.6.5).
const encryptOff = 0x00

// dsnEncrypt reads the DSN's encrypt parameter as a mode.
func dsnEncrypt(v string) (string, bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "strict":
		return inventory.EncryptStrict, true
	case "mandatory", "yes", "1", "t", "true":
		return inventory.EncryptMandatory, true
	case "optional", "no", "0", "f", "false":
		return inventory.EncryptOptional, true
	case "disable":
		return inventory.EncryptDisable, true
	}
	return "", false
}

// configureTLS settles the connection's encryption from the inventory and
// the DSN and sets it on cfg. Errors name the keys, never the DSN's text.
func configureTLS(cfg *msdsn.Config, env string, want tlsWanted) (*tlsState, error) {
	p := cfg.Parameters
	conflict := func(key, param, inv, dsn string) error {
		return fmt.Errorf("database.%s is %s, but the connection string in $%s says %s=%s: remove one of them", key, inv, env, param, dsn)
	}
	s := &tlsState{mode: want.encrypt, trust: want.trust, caFile: want.caFile, hostName: want.hostName, serverEncrypt: -1}
	if v, ok := p[msdsn.Encrypt]; ok {
		mode, known := dsnEncrypt(v)
		switch {
		case !known:
			return nil, fmt.Errorf("the connection string in $%s has an unknown encrypt value (use strict, mandatory, optional or disable, or database.encrypt)", env)
		case s.mode == "":
			s.mode = mode
		case s.mode != mode:
			return nil, conflict("encrypt", "encrypt", s.mode, mode)
		}
	}
	if s.mode == "" {
		s.mode = inventory.EncryptMandatory
	}
	if v, ok := p[msdsn.TrustServerCertificate]; ok {
		trust, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			trust = strings.EqualFold(strings.TrimSpace(v), "yes")
		}
		if want.trust && !trust {
			return nil, conflict("trust_server_certificate", "trustservercertificate", "true", v)
		}
		s.trust = s.trust || trust
	}
	if v := p[msdsn.Certificate]; v != "" {
		if s.caFile != "" {
			return nil, fmt.Errorf("both database.ca_file and the certificate parameter of the connection string in $%s name a CA file: remove one of them", env)
		}
		s.caFile = v
	}
	if p[msdsn.ServerCertificate] != "" {
		return nil, fmt.Errorf("the connection string in $%s pins a certificate (servercertificate); tmsdrift verifies certificates against a CA instead: use database.ca_file", env)
	}
	if v := p[msdsn.HostNameInCertificate]; v != "" {
		if s.hostName != "" && !strings.EqualFold(s.hostName, v) {
			return nil, conflict("host_name_in_certificate", "hostnameincertificate", s.hostName, v)
		}
		s.hostName = v
	}
	if s.hostName == "" {
		s.hostName = cfg.Host
	}
	switch {
	case s.mode == inventory.EncryptDisable && (s.trust || s.caFile != ""):
		return nil, errors.New("encrypt is disable, yet a CA file or TrustServerCertificate is given (database keys or the connection string): without TLS there is no certificate to check")
	case s.mode == inventory.EncryptStrict && s.trust:
		return nil, errors.New("encrypt is strict, which always verifies the certificate; TrustServerCertificate cannot be used with it (database keys or the connection string)")
	case s.trust && s.caFile != "":
		return nil, errors.New("both a CA file and TrustServerCertificate are given (database keys or the connection string): verify with the CA, or do not verify, not both")
	}
	if s.caFile != "" {
		data, err := os.ReadFile(s.caFile)
		if err != nil {
			return nil, fmt.Errorf("read the CA file (database.ca_file): %w", err)
		}
		s.roots = x509.NewCertPool()
		if !s.roots.AppendCertsFromPEM(data) {
			return nil, fmt.Errorf("the CA file %s holds no PEM certificate", s.caFile)
		}
	}

	switch s.mode {
	case inventory.EncryptDisable:
		cfg.Encryption, cfg.TLSConfig = msdsn.EncryptionDisabled, nil
		return s, nil
	case inventory.EncryptStrict:
		cfg.Encryption = msdsn.EncryptionStrict
	case inventory.EncryptMandatory:
		cfg.Encryption = msdsn.EncryptionRequired
	case inventory.EncryptOptional:
		cfg.Encryption = msdsn.EncryptionOff
	}
	cfg.TrustServerCertificate = s.trust
	cfg.TLSConfig = &tls.Config{
		ServerName: s.hostName,
		MinVersion: tls.VersionTLS12,
		// SQL Server expects one TDS packet per TLS record (go-mssqldb
		// sets the same for its own configurations).
		DynamicRecordSizingDisabled: true,
		// Verification happens in verify, which keeps the reason of a
		// refusal for the message and skips it where Microsoft's drivers
		// do (the crypto/tls documentation's VerifyConnection pattern).
		InsecureSkipVerify: true,
		VerifyConnection:   s.verify,
	}
	return s, nil
}

// loginOnly reports whether the server agreed to encrypt the login only
// (both sides OFF in the pre-login).
func (s *tlsState) loginOnly() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mode == inventory.EncryptOptional && s.serverEncrypt == encryptOff
}

// verify checks the server's certificate chain and name.
func (s *tlsState) verify(cs tls.ConnectionState) error {
	s.mu.Lock()
	s.version = cs.Version
	s.mu.Unlock()
	if s.trust || s.loginOnly() {
		return nil
	}
	if len(cs.PeerCertificates) == 0 {
		return s.refuse(errors.New("the server presented no certificate"))
	}
	opts := x509.VerifyOptions{Roots: s.roots, DNSName: s.hostName, Intermediates: x509.NewCertPool()}
	for _, c := range cs.PeerCertificates[1:] {
		opts.Intermediates.AddCert(c)
	}
	if _, err := cs.PeerCertificates[0].Verify(opts); err != nil {
		return s.refuse(err)
	}
	s.mu.Lock()
	s.verified = true
	s.mu.Unlock()
	return nil
}

func (s *tlsState) refuse(err error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refused = err
	return err
}

// certificateError explains why the server's certificate was refused, or
// returns nil when it was not.
func (s *tlsState) certificateError(server string) error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	err := s.refused
	s.mu.Unlock()
	if err == nil {
		return nil
	}
	against := "the system's trusted roots"
	fix := "install the CA that issued it in the system's trusted roots, or set database.ca_file to it"
	if s.caFile != "" {
		against = "the CA file " + s.caFile
		fix = "set database.ca_file to the CA that issued SQL Server's certificate"
	}
	var (
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
	)
	switch {
	case errors.As(err, &unknown):
		issuer := ""
		if unknown.Cert != nil {
			issuer = fmt.Sprintf(" (issued by %q)", unknown.Cert.Issuer.String())
		}
		return fmt.Errorf("SQL Server at %s presented a certificate signed by an unknown authority%s: it does not chain to %s; %s", server, issuer, against, fix)
	case errors.As(err, &hostname):
		// Names from the certificate are outside input: quoted, so no
		// control character reaches a terminal.
		var names []string
		for _, n := range hostname.Certificate.DNSNames {
			names = append(names, strconv.Quote(n))
		}
		for _, ip := range hostname.Certificate.IPAddresses {
			names = append(names, ip.String())
		}
		if len(names) == 0 {
			names = []string{strconv.Quote(hostname.Certificate.Subject.CommonName)}
		}
		return fmt.Errorf("SQL Server at %s presented a certificate for %s, not for %q: connect by one of those names, or set database.host_name_in_certificate", server, strings.Join(names, ", "), hostname.Host)
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return fmt.Errorf("SQL Server at %s presented a certificate that has expired or is not yet valid (valid %s to %s): renew SQL Server's certificate", server,
			invalid.Cert.NotBefore.UTC().Format(time.DateOnly), invalid.Cert.NotAfter.UTC().Format(time.DateOnly))
	}
	return fmt.Errorf("SQL Server at %s presented a certificate tmsdrift cannot verify: %v", server, err)
}

// watch remembers the server's pre-login answer as it passes on c.
func (s *tlsState) watch(c net.Conn) net.Conn {
	if s == nil || s.mode == inventory.EncryptStrict {
		return c // TDS 8: the pre-login travels inside TLS
	}
	return &preloginWatch{Conn: c, s: s}
}

// preloginWatch reads the ENCRYPTION option out of the first message the
// server sends (the PRELOGIN answer, in clear in TDS 7.x), then steps
// aside.
type preloginWatch struct {
	net.Conn
	s    *tlsState
	buf  []byte
	done bool
}

func (w *preloginWatch) Read(b []byte) (int, error) {
	n, err := w.Conn.Read(b)
	if !w.done && n > 0 {
		w.buf = append(w.buf, b[:n]...)
		w.look()
	}
	return n, err
}

// look parses the answer once its first packet is complete.
func (w *preloginWatch) look() {
	const header = 8
	if len(w.buf) < header {
		return
	}
	size := int(binary.BigEndian.Uint16(w.buf[2:4]))
	if w.buf[0] != 0x04 || size < header || size > 4096 {
		w.done = true
		return
	}
	if len(w.buf) < size {
		return
	}
	w.done = true
	data := w.buf[header:size]
	w.buf = nil
	for i := 0; i+5 <= len(data) && data[i] != 0xFF; i += 5 {
		off := int(binary.BigEndian.Uint16(data[i+1:]))
		if data[i] == 0x01 && off < len(data) {
			w.s.mu.Lock()
			w.s.serverEncrypt = int(data[off])
			w.s.mu.Unlock()
			return
		}
	}
}

// connection describes, after the login, how the connection is protected:
// for the database facts and the report.
func (s *tlsState) connection() *facts.DBConnection {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &facts.DBConnection{Encryption: s.mode, Protected: facts.ProtectedNone}
	if s.version == 0 {
		return c
	}
	c.TLS = tlsName(s.version)
	c.Protected = facts.ProtectedAll
	switch {
	case s.mode == inventory.EncryptOptional && s.serverEncrypt == encryptOff:
		c.Protected = facts.ProtectedLogin
		c.Certificate = "not verified (login-only encryption, as SQL Server's drivers do)"
	case s.trust:
		c.Certificate = "NOT verified (trust_server_certificate)"
	case s.verified && s.caFile != "":
		c.Certificate = "verified against the CA file"
	case s.verified:
		c.Certificate = "verified against the system's trusted roots"
	}
	return c
}

func tlsName(v uint16) string {
	switch v {
	case tls.VersionTLS12:
		return "TLS 1.2"
	case tls.VersionTLS13:
		return "TLS 1.3"
	}
	return fmt.Sprintf("TLS %#04x", v)
}
