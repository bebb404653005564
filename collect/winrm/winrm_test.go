package winrm_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/tmsdrift/tmsdrift/collect/psscript"
	"github.com/tmsdrift/tmsdrift/collect/winrm"
	"github.com/tmsdrift/tmsdrift/fixtures"
	"github.com/tmsdrift/tmsdrift/fixtures/fakenode"
	"github.com/tmsdrift/tmsdrift/fixtures/wsman"
)

const (
	user     = `ACME\tmsaudit`
	password = "winrm-Test-Pw1"
)

func nodeDir() string {
	return filepath.Join(fixtures.LabsDir(), "manual-cutover", "nodes", "tms01")
}

// start serves the lab node tms01 with auth and returns a client for it.
func start(t *testing.T, serverAuth, clientAuth, clientPassword string) (*wsman.Server, *fakenode.Node, *winrm.Client) {
	t.Helper()
	node := fakenode.New(nodeDir())
	srv, err := wsman.Start(wsman.Options{User: user, Password: password, Auth: serverAuth, Node: node})
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	c, err := winrm.New(winrm.Config{Host: srv.Host, Port: srv.Port, Auth: clientAuth, User: user, Password: clientPassword, CACert: srv.CertPEM})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return srv, node, c
}

func collectorInput(t *testing.T) []byte {
	in, err := psscript.CollectorInput(psscript.Params{Install: `C:\Program Files\TANDBERG\TMS`, WebRoot: `C:\Program Files\TANDBERG\TMS\wwwTMS`})
	require.NoError(t, err)
	return in
}

func ctx(t *testing.T, d time.Duration) context.Context {
	c, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return c
}

// TestRunsTheCollectorOverHTTPS sends the collector through stdin with
// Basic and NTLM, and reads its output back whole.
func TestRunsTheCollectorOverHTTPS(t *testing.T) {
	for _, auth := range []string{winrm.AuthBasic, winrm.AuthNTLM} {
		t.Run(auth, func(t *testing.T) {
			srv, _, c := start(t, auth, auth, password)
			var out, errOut bytes.Buffer
			code, err := c.Run(ctx(t, 20*time.Second), psscript.CollectorCommand, bytes.NewReader(collectorInput(t)), &out, &errOut)
			require.NoError(t, err, errOut.String())
			require.Equal(t, 0, code, errOut.String())
			o, err := psscript.ParseOutput(out.Bytes())
			require.NoError(t, err)
			assert.Contains(t, string(o.Parts[psscript.PartFacts].Data), `"hostname": "TMS01"`)
			actions := srv.Actions()
			assert.Equal(t, wsman.ActionCreate, actions[0])
			assert.Contains(t, actions, wsman.ActionCommand)
			assert.Contains(t, actions, wsman.ActionSend)
			assert.Contains(t, actions, wsman.ActionReceive)
			assert.Equal(t, wsman.ActionDelete, actions[len(actions)-1])
			assert.Zero(t, srv.OpenShells())
		})
	}
}

// TestExitCodeAndStderr: a failing script's exit code and standard error
// come back as the node sent them.
func TestExitCodeAndStderr(t *testing.T) {
	_, node, c := start(t, wsman.AuthBasic, winrm.AuthBasic, password)
	node.SetFailure(7, "Get-CimInstance : Access is denied.")
	var out, errOut bytes.Buffer
	code, err := c.Run(ctx(t, 20*time.Second), psscript.CollectorCommand, bytes.NewReader(collectorInput(t)), &out, &errOut)
	require.NoError(t, err)
	assert.Equal(t, 7, code)
	assert.Contains(t, errOut.String(), "Access is denied")
}

// TestLargeStdinIsSentInChunks: standard input larger than one SOAP
// envelope arrives whole (the write script checks its SHA-256).
func TestLargeStdinIsSentInChunks(t *testing.T) {
	_, node, c := start(t, wsman.AuthBasic, winrm.AuthBasic, password)
	node.Dir = t.TempDir()
	data := bytes.Repeat([]byte("0123456789abcdef"), 40000) // 640 KB, several envelopes
	sum := sha256hex(data)
	var in bytes.Buffer
	for chunk := data; len(chunk) > 0; {
		k := min(len(chunk), 57000)
		in.WriteString(b64(chunk[:k]) + "\r\n")
		chunk = chunk[k:]
	}
	var out, errOut bytes.Buffer
	code, err := c.Run(ctx(t, 30*time.Second), psscript.WriteFileCommand(`C:\big.bin`, sum), &in, &out, &errOut)
	require.NoError(t, err)
	require.Equal(t, 0, code, errOut.String())
	got := readFile(t, filepath.Join(node.Dir, "fs", "C", "big.bin"))
	assert.Equal(t, sum, sha256hex(got))
}

// TestWrongPasswordIsRefused: HTTP 401 is an error saying so, for both
// authentication methods.
func TestWrongPasswordIsRefused(t *testing.T) {
	for _, auth := range []string{winrm.AuthBasic, winrm.AuthNTLM} {
		t.Run(auth, func(t *testing.T) {
			_, _, c := start(t, auth, auth, "not-the-password")
			_, err := c.Run(ctx(t, 20*time.Second), psscript.CollectorCommand, bytes.NewReader(collectorInput(t)), &bytes.Buffer{}, &bytes.Buffer{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "login refused (HTTP 401)")
			assert.NotContains(t, err.Error(), password)
		})
	}
}

// TestNTLMDoesNotFallBackToBasic: a server offering only Basic does not
// get the password when the inventory asked for NTLM.
func TestNTLMDoesNotFallBackToBasic(t *testing.T) {
	srv, _, c := start(t, wsman.AuthBasic, winrm.AuthNTLM, password)
	_, err := c.Run(ctx(t, 20*time.Second), psscript.CollectorCommand, bytes.NewReader(collectorInput(t)), &bytes.Buffer{}, &bytes.Buffer{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "offers no NTLM")
	assert.Empty(t, srv.Actions(), "no request was authenticated")
}

// TestUntrustedCertificate: without the test CA the HTTPS handshake fails.
func TestUntrustedCertificate(t *testing.T) {
	srv, _, _ := start(t, wsman.AuthBasic, winrm.AuthBasic, password)
	c, err := winrm.New(winrm.Config{Host: srv.Host, Port: srv.Port, Auth: winrm.AuthBasic, User: user, Password: password})
	require.NoError(t, err)
	_, err = c.Run(ctx(t, 20*time.Second), psscript.CollectorCommand, bytes.NewReader(collectorInput(t)), &bytes.Buffer{}, &bytes.Buffer{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "certificate")
	assert.Empty(t, srv.Actions())
}

// TestCommandThatNeverFinishes: the deadline ends the call; the command is
// signalled to terminate and the shell deleted.
func TestCommandThatNeverFinishes(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	srv, node, c := start(t, wsman.AuthBasic, winrm.AuthBasic, password)
	node.SetHang(true)
	start := time.Now()
	_, err := c.Run(ctx(t, time.Second), psscript.CollectorCommand, bytes.NewReader(collectorInput(t)), &bytes.Buffer{}, &bytes.Buffer{})
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.DeadlineExceeded), "%v", err)
	assert.Less(t, time.Since(start), 15*time.Second)
	actions := srv.Actions()
	assert.Contains(t, actions, wsman.ActionSignal)
	assert.Contains(t, actions, wsman.ActionDelete)
	assert.Zero(t, srv.OpenShells())
	c.Close()
	srv.Close()
	goleak.VerifyNone(t, ignore) // nothing of the client's keeps running
}

// TestSOAPFault: a fault answer is an error carrying its reason, whichever
// step it comes from.
func TestSOAPFault(t *testing.T) {
	for _, action := range []string{wsman.ActionCreate, wsman.ActionCommand, wsman.ActionReceive} {
		t.Run(filepath.Base(action), func(t *testing.T) {
			srv, _, c := start(t, wsman.AuthBasic, winrm.AuthBasic, password)
			srv.FaultOn(action)
			_, err := c.Run(ctx(t, 20*time.Second), psscript.CollectorCommand, bytes.NewReader(collectorInput(t)), &bytes.Buffer{}, &bytes.Buffer{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "WinRM fault w:InternalError")
			assert.Contains(t, err.Error(), "test fault")
		})
	}
}

// TestAnswersThatAreNoReplyAreRefused: a node (or a proxy) answering HTTP
// 200 with an empty body, something that is not SOAP, or the reply to
// another action makes the call fail with a message saying so; nothing
// reaches the library that could panic it (an empty answer to a Receive
// did: masterzen/winrm #185, a crash of the whole process), and the shell
// is still deleted.
func TestAnswersThatAreNoReplyAreRefused(t *testing.T) {
	for _, c := range []struct {
		name, action, body, want string
	}{
		{"empty Receive", wsman.ActionReceive, "", "empty answer (HTTP 200) from the WinRM service"},
		{"HTML Receive", wsman.ActionReceive, "<html><body>It works!</body></html>", `malformed answer from the WinRM service: "html" is not a SOAP 1.2 envelope`},
		{"cut-off Receive", wsman.ActionReceive, `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><rsp:ReceiveResponse>`, "malformed answer from the WinRM service"},
		{"empty Command", wsman.ActionCommand, "", "empty answer (HTTP 200) from the WinRM service"},
		{"empty Create", wsman.ActionCreate, "", "empty answer (HTTP 200) from the WinRM service"},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv, cl := misbehaving(t, wsman.Misbehave{Replace: map[string][]byte{c.action: []byte(c.body)}})
			_, err := cl.Run(ctx(t, 20*time.Second), psscript.CollectorCommand, bytes.NewReader(collectorInput(t)), &bytes.Buffer{}, &bytes.Buffer{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.False(t, errors.Is(err, context.DeadlineExceeded), "refused at once, not at the deadline: %v", err)
			assert.Zero(t, srv.OpenShells())
		})
	}
}

// TestFailedSendEndsTheRun: when the node refuses the standard input, the
// call fails at once with the node's reason, and the shell is deleted.
// The library drops a Send's error, and the command waited for its input
// until the deadline (five minutes by default).
func TestFailedSendEndsTheRun(t *testing.T) {
	for _, auth := range []string{winrm.AuthBasic, winrm.AuthNTLM, winrm.AuthNTLMEncrypted} {
		t.Run(auth, func(t *testing.T) {
			var srv *wsman.Server
			var c *winrm.Client
			if auth == winrm.AuthNTLMEncrypted {
				srv, _ = sealedServer(t, wsman.AuthNTLM, nil, wsman.Misbehave{})
				c = sealedClient(t, auth, nil, srv.Host, srv.Port)
			} else {
				srv, _, c = start(t, auth, auth, password)
			}
			srv.FaultOn(wsman.ActionSend)
			_, err := c.Run(ctx(t, 20*time.Second), psscript.CollectorCommand, bytes.NewReader(collectorInput(t)), &bytes.Buffer{}, &bytes.Buffer{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "send standard input to the command: WinRM fault w:InternalError")
			assert.False(t, errors.Is(err, context.DeadlineExceeded), "ended by the refusal, not the deadline: %v", err)
			actions := srv.Actions()
			assert.Contains(t, actions, wsman.ActionSignal)
			assert.Equal(t, wsman.ActionDelete, actions[len(actions)-1])
			assert.Zero(t, srv.OpenShells())
		})
	}
}
