package winrm_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/keytab"
	mwinrm "github.com/masterzen/winrm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/collect/psscript"
	"github.com/tmsdrift/tmsdrift/collect/winrm"
	"github.com/tmsdrift/tmsdrift/fixtures/fakenode"
	"github.com/tmsdrift/tmsdrift/fixtures/kdc"
	"github.com/tmsdrift/tmsdrift/fixtures/wsman"
)

// needTool skips a test whose tool is missing, loudly, unless CI is set:
// then the missing tool is a failure.
func needTool(t testing.TB, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("CI is set and a tool this test needs is missing: %v", err)
	}
	t.Skipf("SKIPPED (tool missing, CI unset): %v", err)
}

// realm starts an MIT KDC for the test with the user and HTTP/localhost.
func realm(t testing.TB) *kdc.KDC {
	t.Helper()
	needTool(t, kdc.Available())
	k, err := kdc.Start(t.TempDir(), kdc.Options{User: "tmsaudit", Password: password})
	require.NoError(t, err)
	t.Cleanup(k.Close)
	return k
}

// sealedServer starts the stand-in on plain HTTP for tms01 with auth
// (ntlm or kerberos, whose keytab comes from k).
func sealedServer(t testing.TB, auth string, k *kdc.KDC, mis wsman.Misbehave) (*wsman.Server, *fakenode.Node) {
	t.Helper()
	node := fakenode.New(nodeDir())
	opts := wsman.Options{User: user, Password: password, Auth: auth, HTTP: true, Node: node, Misbehave: mis}
	if k != nil {
		kt, err := keytab.Load(k.Keytab)
		require.NoError(t, err)
		opts.Keytab = kt
		opts.User = k.User
	}
	srv, err := wsman.Start(opts)
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	return srv, node
}

// sealedClient is tmsdrift's client for the stand-in at host:port.
func sealedClient(t testing.TB, auth string, k *kdc.KDC, host string, port int) *winrm.Client {
	t.Helper()
	cfg := winrm.Config{Host: host, Port: port, Auth: auth, User: user, Password: password}
	if k != nil {
		cfg.User = k.User
		cfg.Host = "localhost" // the service principal is HTTP/localhost
		cfg.Kerberos = winrm.KerberosConfig{Realm: k.Realm, Krb5Conf: k.Krb5Conf}
	}
	c, err := winrm.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// TestSealedRunsTheCollector: over plain HTTP with NTLM sealing and with
// Kerberos (a real MIT KDC) the collector's output comes back whole, and
// every message was sealed.
func TestSealedRunsTheCollector(t *testing.T) {
	for _, auth := range []string{winrm.AuthNTLMEncrypted, winrm.AuthKerberos} {
		t.Run(auth, func(t *testing.T) {
			var k *kdc.KDC
			srvAuth := wsman.AuthNTLM
			if auth == winrm.AuthKerberos {
				k, srvAuth = realm(t), wsman.AuthKerberos
			}
			srv, _ := sealedServer(t, srvAuth, k, wsman.Misbehave{})
			c := sealedClient(t, auth, k, srv.Host, srv.Port)
			var out, errOut bytes.Buffer
			code, err := c.Run(ctx(t, 30*time.Second), psscript.CollectorCommand, bytes.NewReader(collectorInput(t)), &out, &errOut)
			require.NoError(t, err, errOut.String())
			require.Equal(t, 0, code, errOut.String())
			o, err := psscript.ParseOutput(out.Bytes())
			require.NoError(t, err)
			assert.Contains(t, string(o.Parts[psscript.PartFacts].Data), `"hostname": "TMS01"`)
			assert.Equal(t, len(srv.Actions()), srv.Sealed(), "every SOAP message was sealed")
			assert.Zero(t, srv.PlainRefused())
			assert.Zero(t, srv.OpenShells())
		})
	}
}

// wiretap is a TCP proxy that keeps every byte the client sends.
type wiretap struct {
	ln    net.Listener
	mu    sync.Mutex
	out   bytes.Buffer
	conns []net.Conn
	wg    sync.WaitGroup
}

func tap(t testing.TB, upstream string) *wiretap {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	w := &wiretap{ln: ln}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", upstream)
			if err != nil {
				c.Close()
				continue
			}
			w.mu.Lock()
			w.conns = append(w.conns, c, u)
			w.mu.Unlock()
			w.wg.Add(2)
			go func() { defer w.wg.Done(); _, _ = io.Copy(c, u); c.Close() }()
			go func() { defer w.wg.Done(); _, _ = io.Copy(io.MultiWriter(u, w), c); u.Close() }()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		w.mu.Lock()
		for _, c := range w.conns {
			c.Close()
		}
		w.mu.Unlock()
		w.wg.Wait()
	})
	return w
}

func (w *wiretap) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.out.Write(p)
}

func (w *wiretap) port() int { return w.ln.Addr().(*net.TCPAddr).Port }

func (w *wiretap) sent() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.out.String()
}

// clearText lists what must never cross the wire in clear: any SOAP
// envelope, the script, standard input and what a write carries. Each
// marker is long enough that sealed (random-looking) bytes, lowercased,
// do not contain it by chance: a three-byte "<s:" did, about once in a
// few thousand runs, and failed a loaded CI run.
func clearText(t *testing.T, sent string, secrets ...string) {
	t.Helper()
	for _, s := range append([]string{"Envelope", "soap-envelope", "xmlns", "CommandLine", "powershell", "<s:Header", "<s:Body"}, secrets...) {
		assert.NotContains(t, strings.ToLower(sent), strings.ToLower(s), "crossed the wire in clear text")
	}
}

// TestNothingCrossesInClearText: a write-file (new web.config content on
// standard input) through a wire tap, against a node that behaves and
// against nodes that break the sealed exchange at every stage. Whatever
// fails, no SOAP body, script, command line or file content is ever sent
// unsealed; the failures are errors saying why.
func TestNothingCrossesInClearText(t *testing.T) {
	content := []byte(`<machineKey validationKey="C0FFEE-SECRET-KEY-0123456789" />`)
	stdin := b64(content) + "\r\n"
	sum := sha256hex(content)
	cases := []struct {
		name string
		mis  wsman.Misbehave
		pw   string
		want string // "" = succeeds
	}{
		{"behaves", wsman.Misbehave{}, password, ""},
		{"wrong password", wsman.Misbehave{}, "not-the-password", "login"},
		{"no sealing offered", wsman.Misbehave{NoSealing: true}, password, "without message sealing"},
		{"answers in clear text", wsman.Misbehave{PlainReplies: true}, password, "in clear text"},
		{"asks to log in again midway", wsman.Misbehave{RejectAfter: 2}, password, "HTTP 401"},
		{"drops the connection midway", wsman.Misbehave{DropAfter: 2}, password, "cannot reach"},
		{"tampered answers", wsman.Misbehave{CorruptReplies: true}, password, "unseal"},
	}
	for _, auth := range []string{winrm.AuthNTLMEncrypted, winrm.AuthKerberos} {
		var k *kdc.KDC
		srvAuth := wsman.AuthNTLM
		if auth == winrm.AuthKerberos {
			k, srvAuth = realm(t), wsman.AuthKerberos
		}
		for _, tc := range cases {
			if auth == winrm.AuthKerberos && tc.mis.NoSealing {
				continue // an NTLM offer
			}
			t.Run(auth+"/"+tc.name, func(t *testing.T) {
				srv, node := sealedServer(t, srvAuth, k, tc.mis)
				node.Dir = t.TempDir()
				w := tap(t, net.JoinHostPort(srv.Host, strconv.Itoa(srv.Port)))
				c := sealedClient(t, auth, k, "127.0.0.1", w.port())
				if k != nil && tc.pw != password {
					// a Kerberos login with a wrong password fails at the KDC
					cfg := winrm.Config{Host: "localhost", Port: w.port(), Auth: auth, User: k.User, Password: tc.pw,
						Kerberos: winrm.KerberosConfig{Realm: k.Realm, Krb5Conf: k.Krb5Conf}}
					var err error
					c, err = winrm.New(cfg)
					require.NoError(t, err)
					defer c.Close()
				} else if tc.pw != password {
					var err error
					c, err = winrm.New(winrm.Config{Host: "127.0.0.1", Port: w.port(), Auth: auth, User: user, Password: tc.pw})
					require.NoError(t, err)
					defer c.Close()
				}
				var out, errOut bytes.Buffer
				code, err := c.Run(ctx(t, 20*time.Second), psscript.WriteFileCommand(`C:\TMS\wwwTMS\web.config`, sum), strings.NewReader(stdin), &out, &errOut)
				if tc.want == "" {
					require.NoError(t, err)
					require.Equal(t, 0, code, errOut.String())
				} else {
					require.Error(t, err)
					assert.Contains(t, err.Error(), tc.want)
				}
				clearText(t, w.sent(), string(content), "C0FFEE", stdin[:40], tc.pw)
				assert.Zero(t, srv.PlainRefused(), "the node received a SOAP body in clear text")
			})
		}
	}
}

// TestTheWiretapSeesClearText proves the check above can fail: the
// pinned library's own message encryption, when its handshake fails (a
// refused login), posts the SOAP envelope again unencrypted — the
// behaviour sealed.go replaces.
func TestTheWiretapSeesClearText(t *testing.T) {
	srv, _ := sealedServer(t, wsman.AuthNTLM, nil, wsman.Misbehave{})
	w := tap(t, net.JoinHostPort(srv.Host, strconv.Itoa(srv.Port)))
	params := mwinrm.NewParameters("PT60S", "en-US", 153600)
	params.TransportDecorator = func() mwinrm.Transporter {
		e, err := mwinrm.NewEncryption("ntlm")
		require.NoError(t, err)
		return e
	}
	ep := mwinrm.NewEndpoint("127.0.0.1", w.port(), false, false, nil, nil, nil, 5*time.Second)
	cl, err := mwinrm.NewClientWithParameters(ep, user, "not-the-password", params)
	require.NoError(t, err)
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, _ = cl.RunWithContextWithInput(c, "powershell.exe -NoProfile", io.Discard, io.Discard, strings.NewReader("secret"))
	assert.Contains(t, w.sent(), "Envelope", "the library sent SOAP in clear text over HTTP")
	assert.Empty(t, srv.Actions(), "and the node refused it")
}

func loadKeytab(k *kdc.KDC) (*keytab.Keytab, error) { return keytab.Load(k.Keytab) }
