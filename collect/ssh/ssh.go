// Package ssh is the `ssh` transport: tmsdrift's PowerShell run on a
// Windows node through OpenSSH Server (an optional feature of Windows
// Server 2019 and later), with golang.org/x/crypto/ssh. The node's host key
// must be in a known_hosts file (no trust on first use); the user logs in
// with a private key or a password. One connection serves every command
// of a run; each command is an exec session whose exit status is the
// script's.
package ssh

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/tmsdrift/tmsdrift/collect/remote"
)

// Config says how to reach one node.
type Config struct {
	Host string
	Port int // default 22
	User string
	// Password logs in with the password; Key (a PEM private key, with
	// Passphrase if it is encrypted) with the key. At least one is set;
	// with both, the key is tried first.
	Password   string
	Key        []byte
	Passphrase string
	// KnownHosts is the known_hosts file holding the node's host key.
	KnownHosts string
	// DialTimeout bounds connecting and the handshake (default 15 s).
	DialTimeout time.Duration
}

// Client runs commands on one node over one SSH connection.
type Client struct {
	cfg    Config
	addr   string
	config *ssh.ClientConfig

	mu   sync.Mutex
	conn *ssh.Client
}

// New checks cfg, reads the host keys and the private key; nothing is sent
// yet.
func New(cfg Config) (*Client, error) {
	if cfg.Host == "" {
		return nil, errors.New("no host")
	}
	if cfg.Port == 0 {
		cfg.Port = 22
	}
	if cfg.DialTimeout == 0 {
		cfg.DialTimeout = 15 * time.Second
	}
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	hostKeys, err := knownhosts.New(cfg.KnownHosts)
	if err != nil {
		return nil, fmt.Errorf("known_hosts: %w", err)
	}
	var methods []ssh.AuthMethod
	if len(cfg.Key) > 0 {
		var signer ssh.Signer
		if cfg.Passphrase != "" {
			signer, err = ssh.ParsePrivateKeyWithPassphrase(cfg.Key, []byte(cfg.Passphrase))
		} else {
			signer, err = ssh.ParsePrivateKey(cfg.Key)
		}
		if err != nil {
			return nil, fmt.Errorf("private key: %w", err)
		}
		methods = append(methods, ssh.PublicKeys(signer))
	}
	if cfg.Password != "" {
		methods = append(methods, ssh.Password(cfg.Password))
	}
	if len(methods) == 0 {
		return nil, errors.New("neither a private key nor a password to log in with")
	}
	return &Client{cfg: cfg, addr: addr, config: &ssh.ClientConfig{
		User:              cfg.User,
		Auth:              methods,
		HostKeyCallback:   hostKeys,
		HostKeyAlgorithms: knownAlgorithms(hostKeys, addr),
		Timeout:           cfg.DialTimeout,
	}}, nil
}

// knownAlgorithms lists the key types known_hosts holds for addr, so the
// server is asked for a key that can be checked (a server offering RSA
// first would otherwise fail against a pinned ed25519 key). Nil when none
// is known: the handshake then fails with knownhosts' own message.
func knownAlgorithms(cb ssh.HostKeyCallback, addr string) []string {
	var probe net.Addr = &net.TCPAddr{IP: net.IPv4zero}
	err := cb(addr, probe, probeKey{})
	var ke *knownhosts.KeyError
	if !errors.As(err, &ke) {
		return nil
	}
	var algos []string
	for _, k := range ke.Want {
		switch t := k.Key.Type(); t {
		case ssh.KeyAlgoRSA:
			algos = append(algos, ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA)
		default:
			algos = append(algos, t)
		}
	}
	return algos
}

// probeKey matches no real key.
type probeKey struct{}

func (probeKey) Type() string                        { return "tmsdrift-probe" }
func (probeKey) Marshal() []byte                     { return []byte("tmsdrift-probe") }
func (probeKey) Verify([]byte, *ssh.Signature) error { return errors.New("probe") }

// connect returns the open connection, dialling it first if needed.
func (c *Client) connect(ctx context.Context) (*ssh.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn != nil {
		return c.conn, nil
	}
	d := net.Dialer{Timeout: c.cfg.DialTimeout}
	raw, err := d.DialContext(ctx, "tcp", c.addr)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	deadline := time.Now().Add(c.cfg.DialTimeout)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	_ = raw.SetDeadline(deadline)
	sc, chans, reqs, err := ssh.NewClientConn(raw, c.addr, c.config)
	if err != nil {
		raw.Close()
		return nil, fmt.Errorf("ssh login: %w", err)
	}
	_ = raw.SetDeadline(time.Time{})
	c.conn = ssh.NewClient(sc, chans, reqs)
	return c.conn, nil
}

// drop closes the connection after a failure; the next command redials.
func (c *Client) drop(conn *ssh.Client) {
	c.mu.Lock()
	if c.conn == conn {
		c.conn = nil
	}
	c.mu.Unlock()
	_ = conn.Close()
}

// Close closes the connection.
func (c *Client) Close() error {
	c.mu.Lock()
	conn := c.conn
	c.conn = nil
	c.mu.Unlock()
	if conn != nil {
		return conn.Close()
	}
	return nil
}

// Run runs cmdline in an exec session (through the node's default shell,
// cmd.exe), feeding stdin and copying the output, and returns its exit
// status. When ctx ends first the connection is closed, which ends the
// command on the node, and Run returns ctx's error.
func (c *Client) Run(ctx context.Context, cmdline string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	conn, err := c.connect(ctx)
	if err != nil {
		return 0, err
	}
	sess, err := conn.NewSession()
	if err != nil {
		c.drop(conn)
		return 0, fmt.Errorf("open session: %w", err)
	}
	defer sess.Close()
	out, errOut := &remote.Gate{W: stdout}, &remote.Gate{W: stderr}
	defer out.Shut()
	defer errOut.Shut()
	sess.Stdin, sess.Stdout, sess.Stderr = stdin, out, errOut
	if err := sess.Start(cmdline); err != nil {
		return 0, fmt.Errorf("start command: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- sess.Wait() }()
	select {
	case err := <-done:
		var exit *ssh.ExitError
		switch {
		case err == nil:
			return 0, nil
		case errors.As(err, &exit):
			return exit.ExitStatus(), nil
		}
		return 0, fmt.Errorf("command: %w", err)
	case <-ctx.Done():
		c.drop(conn)
		return 0, ctx.Err()
	}
}

// ReadKey reads a private key file (for the inventory's key_file).
func ReadKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("key_file: %w", err)
	}
	return b, nil
}
