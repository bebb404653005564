package winrm_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/collect/psscript"
	"github.com/tmsdrift/tmsdrift/collect/winrm"
	"github.com/tmsdrift/tmsdrift/fixtures/fakenode"
	"github.com/tmsdrift/tmsdrift/fixtures/wsman"
)

// TestReceiveTimeoutIsPolledAgain: a Receive the node answers with the
// operation-timeout fault (code 2150858793: nothing to report yet) is
// sent again, not an error: a collector that runs longer than the hold
// still returns its whole output.
func TestReceiveTimeoutIsPolledAgain(t *testing.T) {
	for _, auth := range []string{winrm.AuthBasic, winrm.AuthNTLMEncrypted} {
		t.Run(auth, func(t *testing.T) {
			node := fakenode.New(nodeDir())
			node.SetDelay(700 * time.Millisecond) // three holds of 200 ms
			var srv *wsman.Server
			var c *winrm.Client
			if auth == winrm.AuthNTLMEncrypted {
				var err error
				srv, err = wsman.Start(wsman.Options{User: user, Password: password, Auth: wsman.AuthNTLM, HTTP: true, Node: node})
				require.NoError(t, err)
				t.Cleanup(srv.Close)
				c = sealedClient(t, auth, nil, srv.Host, srv.Port)
			} else {
				var err error
				srv, err = wsman.Start(wsman.Options{User: user, Password: password, Node: node})
				require.NoError(t, err)
				t.Cleanup(srv.Close)
				c, err = winrm.New(winrm.Config{Host: srv.Host, Port: srv.Port, Auth: auth, User: user, Password: password, CACert: srv.CertPEM})
				require.NoError(t, err)
				t.Cleanup(func() { c.Close() })
			}
			var out, errOut bytes.Buffer
			code, err := c.Run(ctx(t, 20*time.Second), psscript.CollectorCommand, bytes.NewReader(collectorInput(t)), &out, &errOut)
			require.NoError(t, err)
			require.Equal(t, 0, code, errOut.String())
			o, err := psscript.ParseOutput(out.Bytes())
			require.NoError(t, err)
			assert.Contains(t, string(o.Parts[psscript.PartFacts].Data), `"hostname": "TMS01"`)
			assert.Positive(t, srv.Timeouts(), "the node answered the timeout fault at least once")
			assert.Zero(t, srv.OpenShells())
		})
	}
}

// TestUnknownShellIsAnErrorNamingIt: when the node no longer knows the
// shell (its WinRM service restarted), the next request gets
// w:InvalidSelectors with code 2150858843; the run ends at once with an
// error naming the shell, not polled as a timeout until the deadline.
func TestUnknownShellIsAnErrorNamingIt(t *testing.T) {
	srv, c := misbehaving(t, wsman.Misbehave{LoseShells: true})
	_, err := c.Run(ctx(t, 20*time.Second), psscript.CollectorCommand, bytes.NewReader(collectorInput(t)), &bytes.Buffer{}, &bytes.Buffer{})
	require.Error(t, err)
	assert.False(t, errors.Is(err, context.DeadlineExceeded), "ended by the fault, not the deadline: %v", err)
	assert.Regexp(t, `the node has no WinRM shell [0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12} \(it was closed, or the WinRM service restarted\): WinRM fault w:InvalidSelectors, code 2150858843: The request for the Windows Remote Shell with ShellId`, err.Error())
	var f *winrm.Fault
	require.ErrorAs(t, err, &f)
	assert.Equal(t, uint32(wsman.CodeInvalidSelectors), f.WSManCode)
	assert.Equal(t, srv.Host, f.Machine, "Windows names the machine as the client addressed it")
	assert.Contains(t, f.Message, f.ShellID, "the service's message names the shell the request named")
	assert.Zero(t, srv.Timeouts())
}

// TestAccessDeniedFault: a user who may log in but not use WinRM gets
// w:AccessDenied with code 5, read as such.
func TestAccessDeniedFault(t *testing.T) {
	_, c := misbehaving(t, wsman.Misbehave{AccessDenied: true})
	_, err := c.Run(ctx(t, 20*time.Second), "ipconfig /all", nil, &bytes.Buffer{}, &bytes.Buffer{})
	require.Error(t, err)
	var f *winrm.Fault
	require.ErrorAs(t, err, &f)
	assert.Equal(t, uint32(wsman.CodeAccessDenied), f.WSManCode)
	assert.Equal(t, "Access is denied.", f.Message)
	assert.Contains(t, err.Error(), "the node's WinRM service denied access: the login succeeded but the account may not use WinRM there")
	assert.Contains(t, err.Error(), "w:AccessDenied, code 5")
}

// misbehaving serves the lab node tms01 over HTTPS with Basic, breaking
// the protocol as m says, and returns a client for it.
func misbehaving(t *testing.T, m wsman.Misbehave) (*wsman.Server, *winrm.Client) {
	t.Helper()
	srv, err := wsman.Start(wsman.Options{User: user, Password: password, Node: fakenode.New(nodeDir()), Misbehave: m})
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	c, err := winrm.New(winrm.Config{Host: srv.Host, Port: srv.Port, Auth: winrm.AuthBasic, User: user, Password: password, CACert: srv.CertPEM})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return srv, c
}
