package ssh_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	gossh "golang.org/x/crypto/ssh"

	"github.com/tmsdrift/tmsdrift/collect/psscript"
	"github.com/tmsdrift/tmsdrift/collect/ssh"
	"github.com/tmsdrift/tmsdrift/fixtures"
	"github.com/tmsdrift/tmsdrift/fixtures/fakenode"
	"github.com/tmsdrift/tmsdrift/fixtures/sshserver"
)

const (
	user     = "tmsaudit"
	password = "ssh-Test-Pw2"
)

type env struct {
	srv        *sshserver.Server
	node       *fakenode.Node
	knownHosts string
	key        []byte
}

// serve starts an SSH server for lab node tms01 accepting the password and
// a fresh key, and writes a known_hosts file pinning its host key.
func serve(t *testing.T) *env {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	signer, err := gossh.NewSignerFromKey(priv)
	require.NoError(t, err)
	block, err := gossh.MarshalPrivateKey(priv, "")
	require.NoError(t, err)
	node := fakenode.New(filepath.Join(fixtures.LabsDir(), "manual-cutover", "nodes", "tms01"))
	srv, err := sshserver.Start(sshserver.Options{User: user, Password: password, AuthorizedKey: signer.PublicKey(), Node: node})
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	kh := filepath.Join(t.TempDir(), "known_hosts")
	require.NoError(t, os.WriteFile(kh, []byte(srv.Known()+"\n"), 0o644))
	return &env{srv: srv, node: node, knownHosts: kh, key: pem.EncodeToMemory(block)}
}

func (e *env) client(t *testing.T, cfg ssh.Config) *ssh.Client {
	t.Helper()
	cfg.Host, cfg.Port, cfg.User = e.srv.Host, e.srv.Port, user
	if cfg.KnownHosts == "" {
		cfg.KnownHosts = e.knownHosts
	}
	c, err := ssh.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

func collector(t *testing.T) *bytes.Reader {
	in, err := psscript.CollectorInput(psscript.Params{Install: `C:\Program Files\TANDBERG\TMS`, WebRoot: `C:\Program Files\TANDBERG\TMS\wwwTMS`})
	require.NoError(t, err)
	return bytes.NewReader(in)
}

func timeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// TestKeyAndPasswordLogin run the collector over one connection each,
// several commands reusing it.
func TestKeyAndPasswordLogin(t *testing.T) {
	e := serve(t)
	for name, cfg := range map[string]ssh.Config{"key": {Key: e.key}, "password": {Password: password}} {
		t.Run(name, func(t *testing.T) {
			before := e.srv.Logins()
			c := e.client(t, cfg)
			for range 2 {
				var out, errOut bytes.Buffer
				code, err := c.Run(timeout(t, 20*time.Second), psscript.CollectorCommand, collector(t), &out, &errOut)
				require.NoError(t, err)
				require.Equal(t, 0, code, errOut.String())
				o, err := psscript.ParseOutput(out.Bytes())
				require.NoError(t, err)
				assert.Contains(t, string(o.Parts[psscript.PartFacts].Data), `"hostname": "TMS01"`)
			}
			assert.Equal(t, before+1, e.srv.Logins(), "one connection for both commands")
		})
	}
}

// TestExitStatusIsTheScripts: the exit-status the node sends is Run's code.
func TestExitStatusIsTheScripts(t *testing.T) {
	e := serve(t)
	e.node.SetFailure(3, "script failed")
	var errOut bytes.Buffer
	code, err := e.client(t, ssh.Config{Password: password}).Run(timeout(t, 20*time.Second), psscript.CollectorCommand, collector(t), &bytes.Buffer{}, &errOut)
	require.NoError(t, err)
	assert.Equal(t, 3, code)
	assert.Contains(t, errOut.String(), "script failed")
}

// TestRefusedLogin: a wrong password is an authentication error.
func TestRefusedLogin(t *testing.T) {
	e := serve(t)
	_, err := e.client(t, ssh.Config{Password: "wrong"}).Run(timeout(t, 20*time.Second), psscript.CollectorCommand, collector(t), &bytes.Buffer{}, &bytes.Buffer{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "unable to authenticate")
}

// TestHostKeyPinning: a host key other than the pinned one, or a host not
// in known_hosts, stops the connection before any login.
func TestHostKeyPinning(t *testing.T) {
	e := serve(t)
	other := serve(t)                                  // another server: another host key
	wrong := filepath.Join(t.TempDir(), "known_hosts") // other's key under e's address
	require.NoError(t, os.WriteFile(wrong, []byte(replaceKey(t, e.srv.Known(), other.srv.HostKey)+"\n"), 0o644))
	_, err := e.client(t, ssh.Config{Password: password, KnownHosts: wrong}).Run(timeout(t, 20*time.Second), psscript.CollectorCommand, collector(t), &bytes.Buffer{}, &bytes.Buffer{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "key mismatch")

	empty := filepath.Join(t.TempDir(), "known_hosts")
	require.NoError(t, os.WriteFile(empty, nil, 0o644))
	_, err = e.client(t, ssh.Config{Password: password, KnownHosts: empty}).Run(timeout(t, 20*time.Second), psscript.CollectorCommand, collector(t), &bytes.Buffer{}, &bytes.Buffer{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "key is unknown")
	assert.Zero(t, e.srv.Logins())
}

// replaceKey pins key under the address of a known_hosts line.
func replaceKey(t *testing.T, known string, key gossh.PublicKey) string {
	t.Helper()
	addr, _, ok := bytes.Cut([]byte(known), []byte(" "))
	require.True(t, ok)
	return string(addr) + " " + string(bytes.TrimSpace(gossh.MarshalAuthorizedKey(key)))
}

// TestCommandThatNeverFinishes: the deadline ends Run promptly; the next
// command gets a fresh connection.
func TestCommandThatNeverFinishes(t *testing.T) {
	e := serve(t)
	c := e.client(t, ssh.Config{Password: password})
	e.node.SetHang(true)
	start := time.Now()
	_, err := c.Run(timeout(t, time.Second), psscript.CollectorCommand, collector(t), &bytes.Buffer{}, &bytes.Buffer{})
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.DeadlineExceeded), "%v", err)
	assert.Less(t, time.Since(start), 10*time.Second)

	e.node.SetHang(false)
	code, err := c.Run(timeout(t, 20*time.Second), psscript.CollectorCommand, collector(t), &bytes.Buffer{}, &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, 0, code)
	assert.Equal(t, 2, e.srv.Logins())
}

// TestNoCredentials and a bad key are refused before connecting.
func TestNoCredentials(t *testing.T) {
	e := serve(t)
	_, err := ssh.New(ssh.Config{Host: "127.0.0.1", User: user, KnownHosts: e.knownHosts})
	assert.ErrorContains(t, err, "neither a private key nor a password")
	_, err = ssh.New(ssh.Config{Host: "127.0.0.1", User: user, KnownHosts: e.knownHosts, Key: []byte("not a key")})
	assert.ErrorContains(t, err, "private key")
	_, err = ssh.New(ssh.Config{Host: "127.0.0.1", User: user, KnownHosts: filepath.Join(t.TempDir(), "missing"), Password: "x"})
	assert.ErrorContains(t, err, "known_hosts")
}
