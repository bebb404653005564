package winrm

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/masterzen/winrm"
	"github.com/masterzen/winrm/soap"
)

// This file replaces the pinned library's message encryption
// (winrm.NewEncryption), which cannot be trusted with a secret: when its
// handshake fails it posts the same SOAP message again without
// encryption, it accepts answers in clear text, and it authenticates
// again for every message on whatever connection net/http picks.
//
// Here a SOAP message is only ever written to the network by post, and
// only as the output of a security context's Seal on a connection that
// this code dialled and authenticated itself. There is no path that
// writes a SOAP body unsealed: a failed handshake, a refusal to sign and
// seal, a request to authenticate again, an answer in clear text or one
// that does not unseal all end the call with an error, and the
// connection is dropped.

// protocol strings of MS-WSMV 2.2.9.1.
const (
	protocolSPNEGO = "application/HTTP-SPNEGO-session-encrypted"
	mimeBoundary   = "--Encrypted Boundary"
)

// secContext is an established security context that seals messages.
type secContext interface {
	Seal(msg []byte) (sig, data []byte, err error)
	Unseal(sig, data []byte) ([]byte, error)
}

// authenticator sets up a security context on a fresh connection by
// trading tokens with the node in HTTP Negotiate headers.
type authenticator interface {
	// handshake runs the exchange over rt (one request at a time on the
	// connection) and returns the context, or why it could not.
	handshake(ctx context.Context, rt *sealedConn) (secContext, error)
}

// sealedPool keeps authenticated connections to one node: the library
// sends standard input and polls for output at once, so several may be
// in use; each has its own security context, as NTLM and Kerberos over
// HTTP authenticate the connection.
type sealedPool struct {
	url, host string
	dial      func(ctx context.Context) (net.Conn, error)
	auth      authenticator

	mu   sync.Mutex
	idle []*sealedConn
}

// sealedConn is one authenticated connection.
type sealedConn struct {
	pool *sealedPool
	c    net.Conn
	br   *bufio.Reader
	sec  secContext
}

func (p *sealedPool) get(ctx context.Context) (*sealedConn, error) {
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		sc := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return sc, nil
	}
	p.mu.Unlock()
	c, err := p.dial(ctx)
	if err != nil {
		return nil, fmt.Errorf("cannot reach the WinRM service: %w", err)
	}
	sc := &sealedConn{pool: p, c: c, br: bufio.NewReader(c)}
	sec, err := p.auth.handshake(ctx, sc)
	if err != nil {
		c.Close()
		return nil, err
	}
	if sec == nil {
		c.Close()
		return nil, errors.New("the node authenticated without a security context to seal messages with; refusing to send anything in clear text")
	}
	sc.sec = sec
	return sc, nil
}

func (p *sealedPool) put(sc *sealedConn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.idle) >= 4 {
		sc.c.Close()
		return
	}
	p.idle = append(p.idle, sc)
}

// close drops every idle connection.
func (p *sealedPool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, sc := range p.idle {
		sc.c.Close()
	}
	p.idle = nil
}

// exchange writes one request on the connection and reads its answer
// whole; ctx bounds both. body is written as given: callers pass either
// nothing (authentication) or sealed bytes.
func (sc *sealedConn) exchange(ctx context.Context, header http.Header, body []byte) (*http.Response, []byte, error) {
	if d, ok := ctx.Deadline(); ok {
		_ = sc.c.SetDeadline(d)
	} else {
		_ = sc.c.SetDeadline(time.Time{})
	}
	stop := context.AfterFunc(ctx, func() { _ = sc.c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	req, err := http.NewRequest(http.MethodPost, sc.pool.url, bytes.NewReader(body))
	if err != nil {
		return nil, nil, fmt.Errorf("winrm request: %w", err)
	}
	req.Header = header
	req.Header.Set("User-Agent", "tmsdrift")
	req.Host = sc.pool.host
	req.ContentLength = int64(len(body))
	if len(body) == 0 {
		req.Body = http.NoBody
	}
	if err := req.Write(sc.c); err != nil {
		return nil, nil, sc.failed(ctx, err)
	}
	resp, err := http.ReadResponse(sc.br, req)
	if err != nil {
		return nil, nil, sc.failed(ctx, err)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	resp.Body.Close()
	if err != nil {
		return nil, nil, sc.failed(ctx, err)
	}
	return resp, data, nil
}

// failed makes a network error say whether the call's deadline ended it,
// keeping a net.Error in the chain (the library tells timeouts by it).
func (sc *sealedConn) failed(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("cannot reach the WinRM service: %w (%w)", ctx.Err(), err)
	}
	return fmt.Errorf("cannot reach the WinRM service: %w", err)
}

// sealedTransport is the winrm.Transporter of the sealed auth methods:
// one per Run, sharing the client's pool.
type sealedTransport struct {
	ctx context.Context
	// abort ends the run when a Send fails (failedSend).
	abort context.CancelCauseFunc
	pool  *sealedPool
}

// Transport is part of winrm.Transporter; the pool is already set.
func (t *sealedTransport) Transport(*winrm.Endpoint) error { return nil }

// Post seals one SOAP message, sends it on an authenticated connection
// and unseals the answer.
func (t *sealedTransport) Post(_ *winrm.Client, msg *soap.SoapMessage) (string, error) {
	plain := []byte(msg.String())
	answer, err := t.post(plain)
	failedSend(t.abort, string(plain), err)
	return answer, err
}

func (t *sealedTransport) post(plain []byte) (string, error) {
	ctx := t.ctx
	if isCleanup(string(plain)) {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), cleanupGrace)
		defer cancel()
	}
	sc, err := t.pool.get(ctx)
	if err != nil {
		return "", err
	}
	body, err := sealBody(sc.sec, plain)
	if err != nil {
		sc.c.Close()
		return "", fmt.Errorf("seal message: %w", err)
	}
	h := http.Header{}
	h.Set("Content-Type", `multipart/encrypted;protocol="`+protocolSPNEGO+`";boundary="Encrypted Boundary"`)
	resp, data, err := sc.exchange(ctx, h, body)
	if err != nil {
		sc.c.Close()
		return "", err
	}
	answer, err := openAnswer(sc.sec, resp, data)
	if err != nil {
		sc.c.Close()
		return "", err
	}
	t.pool.put(sc)
	return checkAnswer(string(plain), resp.StatusCode, answer)
}

// openAnswer unseals the node's answer; an answer in clear text is
// refused (a node must not answer a sealed message unsealed), and so is
// one asking to authenticate again: nothing is sent again.
func openAnswer(sec secContext, resp *http.Response, data []byte) ([]byte, error) {
	if resp.StatusCode == http.StatusUnauthorized {
		return nil, errors.New("login refused (HTTP 401) in the middle of a sealed exchange: the node dropped the security context; nothing was sent again")
	}
	ct := resp.Header.Get("Content-Type")
	if !strings.HasPrefix(strings.ToLower(ct), "multipart/encrypted") || !strings.Contains(ct, `protocol="`+protocolSPNEGO+`"`) {
		if len(data) == 0 {
			return nil, fmt.Errorf("HTTP %d from the WinRM service without a sealed answer", resp.StatusCode)
		}
		return nil, fmt.Errorf("HTTP %d: the node answered a sealed message in clear text (%s); refusing it", resp.StatusCode, safeType(ct))
	}
	return unsealBody(sec, data)
}

func safeType(ct string) string {
	if ct == "" {
		return "no Content-Type"
	}
	return strconv.Quote(ct)
}

// sealBody frames sealed bytes as MS-WSMV 2.2.9.1.1 multipart/encrypted.
func sealBody(sec secContext, msg []byte) ([]byte, error) {
	sig, data, err := sec.Seal(msg)
	if err != nil {
		return nil, err
	}
	if len(msg) > 0 && bytes.Equal(data, msg) {
		return nil, errors.New("the security context returned the message unchanged (no confidentiality)")
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\r\n\tContent-Type: %s\r\n\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=%d\r\n", mimeBoundary, protocolSPNEGO, len(msg))
	fmt.Fprintf(&b, "%s\r\n\tContent-Type: application/octet-stream\r\n", mimeBoundary)
	_ = binary.Write(&b, binary.LittleEndian, uint32(len(sig)))
	b.Write(sig)
	b.Write(data)
	b.WriteString(mimeBoundary + "--\r\n")
	return b.Bytes(), nil
}

// unsealBody reads a multipart/encrypted answer of one or more blocks.
func unsealBody(sec secContext, body []byte) ([]byte, error) {
	end := []byte(mimeBoundary + "--\r\n")
	if !bytes.HasSuffix(body, end) {
		return nil, errors.New("sealed answer without its closing boundary")
	}
	body = bytes.TrimSuffix(body, end)
	var out []byte
	for len(body) > 0 {
		head := []byte(mimeBoundary + "\r\n\tContent-Type: " + protocolSPNEGO + "\r\n\tOriginalContent: ")
		if !bytes.HasPrefix(body, head) {
			return nil, errors.New("sealed answer: malformed part header")
		}
		line, rest, ok := bytes.Cut(body[len(head):], []byte("\r\n"))
		_, lenStr, ok2 := bytes.Cut(line, []byte("Length="))
		want, err := strconv.Atoi(string(bytes.TrimSpace(lenStr)))
		if !ok || !ok2 || err != nil || want < 0 {
			return nil, errors.New("sealed answer: no length")
		}
		part := []byte(mimeBoundary + "\r\n\tContent-Type: application/octet-stream\r\n")
		if !bytes.HasPrefix(rest, part) {
			return nil, errors.New("sealed answer: malformed data part")
		}
		rest = rest[len(part):]
		if len(rest) < 4 {
			return nil, errors.New("sealed answer: truncated")
		}
		sigLen := int(binary.LittleEndian.Uint32(rest))
		if sigLen < 0 || sigLen > 1024 || len(rest) < 4+sigLen+want {
			return nil, errors.New("sealed answer: truncated")
		}
		msg, err := sec.Unseal(rest[4:4+sigLen], rest[4+sigLen:4+sigLen+want])
		if err != nil {
			return nil, fmt.Errorf("sealed answer does not unseal (tampered, or not from this node): %w", err)
		}
		if len(msg) != want {
			return nil, errors.New("sealed answer: length differs from the header")
		}
		out = append(out, msg...)
		body = rest[4+sigLen+want:]
	}
	if len(out) == 0 {
		return nil, errors.New("sealed answer is empty")
	}
	return out, nil
}

// negotiateToken returns the token of a "Negotiate <base64>" (or
// Kerberos/NTLM) WWW-Authenticate header, or nil.
func negotiateToken(h http.Header) []byte {
	for _, v := range h.Values("WWW-Authenticate") {
		scheme, tok, ok := strings.Cut(strings.TrimSpace(v), " ")
		if !ok || (scheme != "Negotiate" && scheme != "Kerberos" && scheme != "NTLM") {
			continue
		}
		if b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(tok)); err == nil && len(b) > 0 {
			return b
		}
	}
	return nil
}

// authHeader is an Authorization header carrying a Negotiate token.
func authHeader(token []byte) http.Header {
	h := http.Header{}
	h.Set("Authorization", "Negotiate "+base64.StdEncoding.EncodeToString(token))
	h.Set("Content-Type", "application/soap+xml;charset=UTF-8")
	return h
}
