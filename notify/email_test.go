package notify

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/inventory"
)

// The e-mail channel against a real SMTP server: Debian's python3-aiosmtpd
// on 127.0.0.1 (testdata/smtpd.py), with STARTTLS on a certificate this
// test makes, AUTH PLAIN and LOGIN only over TLS. What it received is
// parsed with net/mail and mime/multipart, as a mail client would.

const python = "/usr/bin/python3" // Debian's, where python3-aiosmtpd lives

// needAiosmtpd skips loudly when aiosmtpd is missing outside CI; under CI
// (env CI set) a missing server fails the test.
func needAiosmtpd(t *testing.T) {
	t.Helper()
	err := exec.Command(python, "-c", "import aiosmtpd.controller").Run()
	if err == nil {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("CI is set but aiosmtpd is not importable by %s (apt-get install python3-aiosmtpd; .ci/run does): %v", python, err)
	}
	t.Skipf("SKIPPED: e-mail is NOT tested against a real SMTP server: %s cannot import aiosmtpd (apt-get install python3-aiosmtpd): %v", python, err)
}

const (
	smtpUser     = "tmsdrift-notify"
	smtpPassword = "Corr3ct-H0rse-Battery"
)

// smtpd is one running aiosmtpd.
type smtpd struct {
	port int
	out  string // where it writes what it received
	ca   string // the PEM its certificate is in ("" without TLS)
}

// startSMTPD starts testdata/smtpd.py, with STARTTLS and AUTH when tls is
// set; it stops with the test.
func startSMTPD(t *testing.T, tls bool) *smtpd {
	t.Helper()
	needAiosmtpd(t)
	dir := t.TempDir()
	s := &smtpd{out: filepath.Join(dir, "received")}
	require.NoError(t, os.Mkdir(s.out, 0o755))
	args := []string{filepath.Join("testdata", "smtpd.py"), "--out", s.out}
	if tls {
		cert, key := selfSignedCert(t, dir)
		s.ca = cert
		args = append(args, "--cert", cert, "--key", key)
	}
	cmd := exec.Command(python, args...)
	cmd.Env = append(os.Environ(), "SMTPD_USER="+smtpUser, "SMTPD_PASSWORD="+smtpPassword)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	// stderr goes to a file: the process writes it while the test reads.
	errFile := filepath.Join(dir, "smtpd.stderr")
	stderrW, err := os.Create(errFile)
	require.NoError(t, err)
	defer stderrW.Close()
	cmd.Stderr = stderrW
	stderr := func() string { b, _ := os.ReadFile(errFile); return string(b) }
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		stdin.Close() // the script stops when stdin closes
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("smtpd stderr:\n%s", stderr())
		}
	})
	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		ready <- line
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case line := <-ready:
		_, err := fmt.Sscanf(line, "READY %d", &s.port)
		if err != nil {
			t.Fatalf("smtpd said %q (%v); stderr: %s", line, err, stderr())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("smtpd did not start; stderr: %s", stderr())
	}
	return s
}

// selfSignedCert makes a certificate for 127.0.0.1 that is its own CA.
func selfSignedCert(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "tmsdrift test smtpd"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	certFile, keyFile = filepath.Join(dir, "smtpd.pem"), filepath.Join(dir, "smtpd.key")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600))
	return certFile, keyFile
}

// received is one message the server accepted.
type received struct {
	raw  []byte
	meta struct {
		TLS           bool     `json:"tls"`
		Authenticated bool     `json:"authenticated"`
		Mechanism     string   `json:"mechanism"`
		User          string   `json:"user"`
		MailFrom      string   `json:"mail_from"`
		RcptTos       []string `json:"rcpt_tos"`
	}
}

// messages returns what the server has received so far.
func (s *smtpd) messages(t *testing.T) []received {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(s.out, "*.eml"))
	require.NoError(t, err)
	var out []received
	for _, f := range files {
		var r received
		r.raw, err = os.ReadFile(f)
		require.NoError(t, err)
		meta, err := os.ReadFile(strings.TrimSuffix(f, ".eml") + ".json")
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(meta, &r.meta))
		out = append(out, r)
	}
	return out
}

// emailConfig points the channel at s.
func (s *smtpd) emailConfig(auth string) inventory.Notify {
	e := inventory.NotifyEmail{
		Host: "127.0.0.1", Port: s.port, CAFile: s.ca, Auth: auth,
		From: `"TMS drift" <tmsdrift@acme.local>`, To: []string{"tms-admins@acme.local", "noc@acme.local"},
		TimeoutSeconds: 20,
	}
	if s.ca != "" {
		e.UserEnv, e.PasswordEnv = "SMTP_USER", "SMTP_PASSWORD"
	}
	return inventory.Notify{On: inventory.NotifyOnChange, Email: e}
}

var smtpEnv = envOf(map[string]string{"SMTP_USER": smtpUser, "SMTP_PASSWORD": smtpPassword})

func TestEmailSTARTTLSAndAuth(t *testing.T) {
	s := startSMTPD(t, true)
	for i, auth := range []struct{ config, mechanism string }{
		{inventory.SMTPAuthPlain, "PLAIN"},
		{inventory.SMTPAuthLogin, "LOGIN"},
		{inventory.SMTPAuthAuto, "PLAIN"}, // the strongest of what aiosmtpd offers over TLS
	} {
		t.Run(auth.config, func(t *testing.T) {
			msg := testMessage(t)
			msg.Deployment = "acme Zürich"
			results := Send(context.Background(), s.emailConfig(auth.config), msg, smtpEnv)
			require.Len(t, results, 1)
			r := results[0]
			require.NoError(t, r.Err)
			assert.True(t, r.OK)
			assert.Equal(t, ChannelEmail, r.Channel)
			assert.Equal(t, net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))+" (2 recipients)", r.Target)

			got := s.messages(t)
			require.Len(t, got, i+1, "one more message")
			m := got[i]
			assert.True(t, m.meta.TLS, "delivered over STARTTLS")
			assert.True(t, m.meta.Authenticated)
			assert.Equal(t, auth.mechanism, m.meta.Mechanism)
			assert.Equal(t, smtpUser, m.meta.User)
			assert.Equal(t, "tmsdrift@acme.local", m.meta.MailFrom)
			assert.Equal(t, []string{"tms-admins@acme.local", "noc@acme.local"}, m.meta.RcptTos)
			checkReceived(t, m.raw, msg)
		})
	}
}

// checkReceived parses a received message as a mail client would and
// compares it with what was sent.
func checkReceived(t *testing.T, raw []byte, msg Message) {
	t.Helper()
	assert.NotContains(t, string(raw), smtpPassword, "no secret in the message")
	parsed, err := mail.ReadMessage(bytes.NewReader(raw))
	require.NoError(t, err)
	h := parsed.Header
	subject, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	require.NoError(t, err)
	assert.Equal(t, "tmsdrift acme Zürich: drift found (+2 failing, -1 resolved)", subject)
	from, err := h.AddressList("From")
	require.NoError(t, err)
	assert.Equal(t, []*mail.Address{{Name: "TMS drift", Address: "tmsdrift@acme.local"}}, from)
	to, err := h.AddressList("To")
	require.NoError(t, err)
	require.Len(t, to, 2)
	assert.Equal(t, "noc@acme.local", to[1].Address)
	assert.NotEmpty(t, h.Get("Message-Id"))
	_, err = h.Date()
	assert.NoError(t, err)

	mediaType, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	require.NoError(t, err)
	require.Equal(t, "multipart/alternative", mediaType)
	parts := map[string]string{}
	var order []string
	mr := multipart.NewReader(parsed.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		ct, cp, err := mime.ParseMediaType(p.Header.Get("Content-Type"))
		require.NoError(t, err)
		assert.Equal(t, "utf-8", strings.ToLower(cp["charset"]), ct)
		body, err := io.ReadAll(p) // quoted-printable is decoded by the reader
		require.NoError(t, err)
		parts[ct] = string(body)
		order = append(order, ct)
	}
	assert.Equal(t, []string{"text/plain", "text/html"}, order, "text first, HTML as the preferred alternative")
	text := strings.ReplaceAll(parts["text/plain"], "\r\n", "\n")
	assert.Contains(t, text, "* Upgrade detected on tms02: TMS 15.13.1 → 15.14.0.")
	assert.Contains(t, text, "Full report: "+msg.ReportURL)
	assert.Contains(t, text, strings.TrimSpace(strings.SplitN(string(msg.Markdown), "\n", 2)[0]), "the Markdown report")
	assert.Contains(t, text, "`machinekey.present`")
	html := strings.ReplaceAll(parts["text/html"], "\r\n", "\n")
	assert.Equal(t, string(msg.HTML), html, "the HTML report, byte for byte")
	assert.Contains(t, html, `id="verdict"`)
}

// TestEmailRequiresSTARTTLS: a server without STARTTLS gets nothing,
// unless the inventory allows plain text (and then without a password).
func TestEmailRequiresSTARTTLS(t *testing.T) {
	s := startSMTPD(t, false)
	cfg := s.emailConfig(inventory.SMTPAuthAuto)
	r := Send(context.Background(), cfg, testMessage(t), nil)[0]
	require.Error(t, r.Err)
	assert.False(t, r.OK)
	assert.Contains(t, r.Err.Error(), "the server does not offer STARTTLS, which tmsdrift requires")
	assert.Empty(t, s.messages(t), "nothing sent in clear text")

	cfg.Email.InsecurePlaintext = true
	r = Send(context.Background(), cfg, testMessage(t), nil)[0]
	require.NoError(t, r.Err)
	got := s.messages(t)
	require.Len(t, got, 1)
	assert.False(t, got[0].meta.TLS)
	assert.False(t, got[0].meta.Authenticated)

	// A password never goes out in clear text, even from a config built
	// in code that validation never saw.
	cfg.Email.UserEnv, cfg.Email.PasswordEnv = "SMTP_USER", "SMTP_PASSWORD"
	r = Send(context.Background(), cfg, testMessage(t), smtpEnv)[0]
	require.Error(t, r.Err)
	assert.Contains(t, r.Err.Error(), "insecure_plaintext cannot be combined with a password")
	assert.Len(t, s.messages(t), 1)
}

func TestEmailWrongPassword(t *testing.T) {
	s := startSMTPD(t, true)
	wrong := "Wr0ng-Passw0rd-123"
	r := Send(context.Background(), s.emailConfig(inventory.SMTPAuthPlain), testMessage(t),
		envOf(map[string]string{"SMTP_USER": smtpUser, "SMTP_PASSWORD": wrong}))[0]
	require.Error(t, r.Err)
	assert.False(t, r.OK)
	assert.Contains(t, r.Err.Error(), "authentication failed (check the user and password in the environment variables SMTP_USER and SMTP_PASSWORD)")
	assert.NotContains(t, r.Err.Error(), wrong)
	assert.Empty(t, s.messages(t))
}

func TestEmailUntrustedCertificate(t *testing.T) {
	s := startSMTPD(t, true)
	cfg := s.emailConfig(inventory.SMTPAuthPlain)
	cfg.Email.CAFile = "" // the system roots do not know the test certificate
	r := Send(context.Background(), cfg, testMessage(t), smtpEnv)[0]
	require.Error(t, r.Err)
	assert.Contains(t, r.Err.Error(), "the server's certificate is not trusted (set notify.email.ca_file to its CA)")
	assert.Empty(t, s.messages(t))
}

// TestEmailConfigErrors are caught before any connection.
func TestEmailConfigErrors(t *testing.T) {
	base := inventory.NotifyEmail{Host: "127.0.0.1", Port: 1, From: "a@b.c", To: []string{"d@e.f"},
		UserEnv: "SMTP_USER", PasswordEnv: "SMTP_PASSWORD", TimeoutSeconds: 1}
	cases := map[string]struct {
		mutate func(*inventory.NotifyEmail)
		env    map[string]string
		want   string
	}{
		"password not set": {nil, map[string]string{"SMTP_USER": "u"}, "environment variable SMTP_PASSWORD (notify.email.password_env) is empty or not set"},
		"user not set":     {nil, map[string]string{"SMTP_PASSWORD": "p"}, "environment variable SMTP_USER (notify.email.user_env) is empty or not set"},
		"relative CA file": {func(e *inventory.NotifyEmail) { e.CAFile = "ca.pem" }, map[string]string{"SMTP_USER": "u", "SMTP_PASSWORD": "p"}, "is relative: the caller must pass inventory.ResolvedNotify()"},
		"CA file without PEM": {func(e *inventory.NotifyEmail) { e.CAFile, _ = filepath.Abs("notify.go") },
			map[string]string{"SMTP_USER": "u", "SMTP_PASSWORD": "p"}, "holds no PEM certificate"},
	}
	for name, c := range cases {
		e := base
		if c.mutate != nil {
			c.mutate(&e)
		}
		r := Send(context.Background(), inventory.Notify{Email: e}, testMessage(t), envOf(c.env))[0]
		require.Error(t, r.Err, name)
		assert.Contains(t, r.Err.Error(), c.want, name)
		assert.Zero(t, r.Attempts, name)
	}
}

// TestEmailUnreachable: nothing listens on the port.
func TestEmailUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cfg := inventory.Notify{Email: inventory.NotifyEmail{Host: "127.0.0.1", Port: port, From: "a@b.c", To: []string{"d@e.f"}, TimeoutSeconds: 5}}
	r := Send(context.Background(), cfg, testMessage(t), nil)[0]
	require.Error(t, r.Err)
	assert.Contains(t, r.Err.Error(), "cannot reach the SMTP server")
}

// TestSendBothChannels: e-mail and webhook go out at once; one failing
// does not stop the other.
func TestSendBothChannels(t *testing.T) {
	fastRetries(t)
	s := startSMTPD(t, true)
	cfg := s.emailConfig(inventory.SMTPAuthPlain)
	cfg.Webhook = inventory.NotifyWebhook{URL: "http://127.0.0.1:1/unreachable", TimeoutSeconds: 1}
	results := Send(context.Background(), cfg, testMessage(t), smtpEnv)
	require.Len(t, results, 2)
	assert.Equal(t, ChannelEmail, results[0].Channel)
	assert.True(t, results[0].OK, "%v", results[0].Err)
	assert.Equal(t, ChannelWebhook, results[1].Channel)
	assert.False(t, results[1].OK)
	assert.Len(t, s.messages(t), 1)
}

// TestEmailHeaderInjection: a deployment name, a headline and a node name
// in a note are outside text; CR/LF in them must not start a header or a
// recipient of their own. Against the real SMTP server: the envelope has
// the inventory's two recipients only, the parsed message has no header
// the text tried to add, and the subject is one line that shows the text.
func TestEmailHeaderInjection(t *testing.T) {
	s := startSMTPD(t, true)
	const inject = "\r\nBcc: attacker@evil.example\r\nX-Injected: yes\r\n\r\n"
	for i, msg := range []Message{
		func() Message { m := testMessage(t); m.Deployment = "acme" + inject + "tms"; return m }(),
		func() Message {
			m := testMessage(t)
			m.Headline = "inventory invalid" + inject
			m.Notes = []string{"node tms02" + inject + "restored"}
			return m
		}(),
	} {
		r := Send(context.Background(), s.emailConfig(inventory.SMTPAuthPlain), msg, smtpEnv)[0]
		require.NoError(t, r.Err)
		got := s.messages(t)
		require.Len(t, got, i+1)
		m := got[i]
		assert.Equal(t, []string{"tms-admins@acme.local", "noc@acme.local"}, m.meta.RcptTos, "no recipient of the text's")
		parsed, err := mail.ReadMessage(bytes.NewReader(m.raw))
		require.NoError(t, err)
		assert.Empty(t, parsed.Header.Get("Bcc"))
		assert.Empty(t, parsed.Header.Get("X-Injected"))
		subject, err := new(mime.WordDecoder).DecodeHeader(parsed.Header.Get("Subject"))
		require.NoError(t, err)
		assert.NotContains(t, subject, "\r")
		assert.NotContains(t, subject, "\n")
		assert.Contains(t, subject, "Bcc: attacker@evil.example X-Injected: yes", "shown as text on the one line")
		head, _, _ := strings.Cut(string(m.raw), "\r\n\r\n")
		assert.NotContains(t, head, "\r\nX-Injected:", "no header line of the text's (a folded subject line starts with a space)")
		assert.NotContains(t, head, "\r\nBcc:")
	}
}
