// Package winrm is the `winrm` transport: tmsdrift's PowerShell run on a
// Windows node through WS-Management (WinRM), the remote shell Windows
// Server has on by default. It uses github.com/masterzen/winrm (pinned to
// its 2024 commit, the first with contexts and message encryption) for the
// shell protocol, and its own HTTP layer: for Basic and NTLM over HTTPS
// because the library's sends no request with a context and returns a SOAP
// fault or an HTTP 500 as if it were an answer; for the sealed methods over
// HTTP (ntlm-encrypted, kerberos) because the library's message encryption
// retries a failed encrypted exchange in clear text (sealed.go). Every call
// has a deadline.
package winrm

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	ntlmssp "github.com/Azure/go-ntlmssp"
	"github.com/masterzen/winrm"

	"github.com/tmsdrift/tmsdrift/collect/remote"
)

// Authentication methods.
const (
	// AuthBasic sends the user name and password with every request; HTTPS
	// only. Off by default on Windows (winrm set winrm/config/service/auth
	// @{Basic="true"}), and local accounts only.
	AuthBasic = "basic"
	// AuthNTLM answers the server's Negotiate challenge with NTLMv2 (the
	// password itself is never sent); HTTPS only, since without message
	// encryption the SOAP would cross the network in clear.
	AuthNTLM = "ntlm"
	// AuthNTLMEncrypted is NTLM with WinRM's own message encryption
	// (MS-WSMV 2.2.9.1, NTLM sealing) over plain HTTP, port 5985: what a
	// domain member accepts as Windows ships it (sealed.go).
	AuthNTLMEncrypted = "ntlm-encrypted"
	// AuthKerberos is Kerberos through SPNEGO with the messages sealed by
	// RFC 4121 wrap tokens over plain HTTP, port 5985: what Windows uses
	// between domain members (gsskrb, sealed.go).
	AuthKerberos = "kerberos"
)

// Auths lists the methods, for validation and help.
var Auths = []string{AuthNTLM, AuthBasic, AuthNTLMEncrypted, AuthKerberos}

// Config says how to reach one node.
type Config struct {
	Host string
	// Port defaults to 5986 (HTTPS) or, for the sealed methods over
	// HTTP, 5985.
	Port int
	// Auth is one of Auths; empty means AuthNTLM.
	Auth           string
	User, Password string
	// CACert is PEM of the certificate(s) that sign the node's HTTPS
	// certificate; nil trusts the system's roots.
	CACert []byte
	// InsecureSkipVerify accepts any certificate (test labs only).
	InsecureSkipVerify bool
	// DialTimeout bounds connecting (default 15 s); every call is bounded
	// by its context besides.
	DialTimeout time.Duration
	// Kerberos configures AuthKerberos.
	Kerberos KerberosConfig
}

// Client runs commands on one node. It keeps connections open between
// commands; Close releases them.
type Client struct {
	cfg   Config
	https bool
	url   string
	lanes *lanes      // Basic and NTLM (lanes.go)
	pool  *sealedPool // ntlm-encrypted and kerberos
}

// New checks cfg and prepares a client; nothing is sent yet.
func New(cfg Config) (*Client, error) {
	if cfg.Auth == "" {
		cfg.Auth = AuthNTLM
	}
	c := &Client{cfg: cfg, https: cfg.Auth != AuthNTLMEncrypted && cfg.Auth != AuthKerberos}
	switch cfg.Auth {
	case AuthBasic, AuthNTLM, AuthNTLMEncrypted, AuthKerberos:
	default:
		return nil, fmt.Errorf("unknown auth %q (want one of %v)", cfg.Auth, Auths)
	}
	if cfg.Host == "" {
		return nil, errors.New("no host")
	}
	if c.cfg.Port == 0 {
		c.cfg.Port = 5986
		if !c.https {
			c.cfg.Port = 5985
		}
	}
	if c.cfg.DialTimeout == 0 {
		c.cfg.DialTimeout = 15 * time.Second
	}
	scheme := "https"
	if !c.https {
		scheme = "http"
	}
	c.url = fmt.Sprintf("%s://%s/wsman", scheme, net.JoinHostPort(cfg.Host, strconv.Itoa(c.cfg.Port)))
	if !c.https {
		hostPort := net.JoinHostPort(cfg.Host, strconv.Itoa(c.cfg.Port))
		dialer := &net.Dialer{Timeout: c.cfg.DialTimeout, KeepAlive: 30 * time.Second}
		c.pool = &sealedPool{url: c.url, host: hostPort, dial: func(ctx context.Context) (net.Conn, error) {
			return dialer.DialContext(ctx, "tcp", hostPort)
		}}
		if cfg.Auth == AuthKerberos {
			ka, err := newKerberosAuth(cfg.Kerberos, cfg.User, cfg.Password, cfg.Host)
			if err != nil {
				return nil, err
			}
			c.pool.auth = ka
		} else {
			c.pool.auth = newNTLMAuth(cfg.User, cfg.Password)
		}
		return c, nil
	}
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: cfg.InsecureSkipVerify} //nolint:gosec // only when the inventory asks, for test labs
	if len(cfg.CACert) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(cfg.CACert) {
			return nil, errors.New("ca_file holds no PEM certificate")
		}
		tlsConf.RootCAs = pool
	}
	base := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: c.cfg.DialTimeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:     tlsConf,
		TLSHandshakeTimeout: c.cfg.DialTimeout,
		IdleConnTimeout:     90 * time.Second,
	}
	c.lanes = &lanes{base: base, wrap: func(rt http.RoundTripper) http.RoundTripper { return rt }}
	if cfg.Auth == AuthNTLM {
		// The negotiator falls back to Basic when the server offers no
		// Negotiate; refuse that, the inventory asked for NTLM.
		c.lanes.wrap = func(rt http.RoundTripper) http.RoundTripper { return ntlmssp.Negotiator{RoundTripper: noBasic{rt}} }
	}
	return c, nil
}

// Close releases idle connections.
func (c *Client) Close() error {
	if c.lanes != nil {
		c.lanes.close()
	}
	if c.pool != nil {
		c.pool.close()
		if ka, ok := c.pool.auth.(*kerberosAuth); ok {
			ka.cl.Destroy() // ends its ticket renewal
		}
	}
	return nil
}

// Run runs cmdline in a new cmd shell on the node, feeding stdin and
// copying the command's output; the shell is deleted afterwards. When ctx
// ends first the command is signalled to terminate and Run returns
// ctx's error.
func (c *Client) Run(ctx context.Context, cmdline string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	// The library drops the error of a Send (standard input): the
	// command would wait for input that never comes until ctx ends, five
	// minutes by default. The transports end the run with that error
	// instead (abort).
	runCtx, abort := context.WithCancelCause(ctx)
	defer abort(nil)
	params := winrm.NewParameters("PT60S", "en-US", 153600)
	if c.pool != nil {
		params.TransportDecorator = func() winrm.Transporter { return &sealedTransport{ctx: runCtx, abort: abort, pool: c.pool} }
	} else {
		params.TransportDecorator = func() winrm.Transporter {
			return &transport{ctx: runCtx, abort: abort, url: c.url, user: c.cfg.User, password: c.cfg.Password, lanes: c.lanes}
		}
	}
	ep := winrm.NewEndpoint(c.cfg.Host, c.cfg.Port, c.https, c.cfg.InsecureSkipVerify, c.cfg.CACert, nil, nil, c.cfg.DialTimeout)
	client, err := winrm.NewClientWithParameters(ep, c.cfg.User, c.cfg.Password, params)
	if err != nil {
		return 0, fmt.Errorf("winrm client: %w", err)
	}
	// The library keeps writing output from goroutines of its own; the
	// gates shut them out once Run has returned.
	out, errOut := &remote.Gate{W: stdout}, &remote.Gate{W: stderr}
	defer out.Shut()
	defer errOut.Shut()
	if stdin == nil {
		stdin = eofReader{}
	}
	type result struct {
		code int
		err  error
	}
	done := make(chan result, 1)
	go func() {
		code, err := client.RunWithContextWithInput(runCtx, cmdline, out, errOut, stdin)
		done <- result{code, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-runCtx.Done():
		// Every request ends with runCtx (the sealed ones too: their
		// connection's deadline is its) and the library follows within
		// moments.
		select {
		case r = <-done:
		case <-time.After(cleanupGrace + time.Second):
			r.err = runCtx.Err()
		}
	}
	switch {
	case r.err == nil:
		return r.code, nil // the command ran to its end
	case ctx.Err() != nil:
		return 0, ctx.Err()
	case context.Cause(runCtx) != nil:
		return 0, context.Cause(runCtx) // a Send failed
	}
	return r.code, describe(r.err)
}

// describe makes the library's errors readable.
func describe(err error) error {
	var ce *winrm.ExecuteCommandError
	if errors.As(err, &ce) && ce.Inner != nil {
		return fmt.Errorf("start command: %w", ce.Inner)
	}
	return err
}

// eofReader is an empty standard input: the library closes the command's
// input when the reader ends, which PowerShell needs to stop waiting.
type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// noBasic refuses to send credentials with Basic authentication.
type noBasic struct{ rt http.RoundTripper }

func (n noBasic) RoundTrip(r *http.Request) (*http.Response, error) {
	if _, _, basic := r.BasicAuth(); basic {
		return nil, errors.New("the node offers no NTLM (Negotiate) authentication; not sending the password with Basic")
	}
	return n.rt.RoundTrip(r)
}
