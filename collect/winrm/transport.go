package winrm

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/masterzen/winrm"
	"github.com/masterzen/winrm/soap"
)

// cleanupGrace is how long Signal (terminate) and Delete (the shell) may
// take after a call's deadline: without them a command that overran would
// keep running on the node.
const cleanupGrace = 5 * time.Second

// transport posts the library's SOAP messages with the call's context
// (Basic, or NTLM through the client's negotiator), turning HTTP errors
// and SOAP faults into errors.
type transport struct {
	ctx context.Context
	// abort ends the run when a Send fails (failedSend).
	abort          context.CancelCauseFunc
	url            string
	user, password string
	lanes          *lanes
}

// Transport is part of winrm.Transporter; the HTTP client is already set.
func (t *transport) Transport(*winrm.Endpoint) error { return nil }

// Post sends one message.
func (t *transport) Post(_ *winrm.Client, msg *soap.SoapMessage) (string, error) {
	body := msg.String()
	answer, err := t.post(body)
	failedSend(t.abort, body, err)
	return answer, err
}

func (t *transport) post(body string) (string, error) {
	ctx := t.ctx
	if isCleanup(body) {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), cleanupGrace)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, strings.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("winrm request: %w", err)
	}
	req.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
	req.SetBasicAuth(t.user, t.password)
	// The lane is this request's alone until its answer is read whole:
	// an NTLM exchange's legs follow each other on its one connection.
	ln := t.lanes.get()
	defer t.lanes.put(ln)
	resp, err := ln.cl.Do(req)
	if err != nil {
		// Keep the *url.Error in the chain: the library tells timeouts by it.
		return "", fmt.Errorf("cannot reach the WinRM service: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return "", fmt.Errorf("read WinRM answer: %w", err)
	}
	return checkAnswer(body, resp.StatusCode, data)
}

// checkAnswer returns a 200 answer's body, or an error saying what went
// wrong: login refused, a SOAP fault's reason, an unexpected status, or an
// answer that is not the reply to request. Only a checked answer reaches
// the library: it parses the output of a Receive without looking at the
// parser's error, and an empty body panics it in a goroutine of its own,
// which would end the whole process (masterzen/winrm #185).
func checkAnswer(request string, status int, data []byte) (string, error) {
	if f := parseFault(data); f != nil {
		f.about(request)
		return "", f
	}
	switch status {
	case http.StatusOK:
		if err := checkReply(request, data); err != nil {
			return "", err
		}
		return string(data), nil
	case http.StatusUnauthorized:
		return "", errors.New("login refused (HTTP 401): wrong user name or password, or this authentication method is not enabled for WinRM on the node")
	}
	return "", fmt.Errorf("HTTP %d from the WinRM service", status)
}

// soapEnvelope is the SOAP 1.2 namespace (WS-Management is SOAP 1.2).
const soapEnvelope = "http://www.w3.org/2003/05/soap-envelope"

// addressing is what checkReply reads of a message: its name and
// WS-Addressing header.
type addressing struct {
	XMLName   xml.Name
	Action    string    `xml:"Header>Action"`
	MessageID string    `xml:"Header>MessageID"`
	RelatesTo string    `xml:"Header>RelatesTo"`
	Body      *struct{} `xml:"Body"`
}

// checkReply checks that data is one well-formed SOAP 1.2 envelope, in
// UTF-8, with a Body, answering request: its RelatesTo names the
// request's MessageID (WS-Addressing, which WS-Management builds on;
// pywinrm checks it too) and its Action is the request's with "Response"
// appended, as WS-Transfer and the MS-WSMV shell messages name replies.
func checkReply(request string, data []byte) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return errors.New("empty answer (HTTP 200) from the WinRM service")
	}
	var req addressing
	if err := xml.Unmarshal([]byte(request), &req); err != nil {
		return fmt.Errorf("winrm request: %w", err)
	}
	var got addressing
	if err := wellFormed(data, &got); err != nil {
		return fmt.Errorf("malformed answer from the WinRM service: %w", err)
	}
	switch {
	case got.XMLName.Space != soapEnvelope || got.XMLName.Local != "Envelope":
		return fmt.Errorf("malformed answer from the WinRM service: %s is not a SOAP 1.2 envelope", safeName(got.XMLName))
	case got.Body == nil:
		return errors.New("malformed answer from the WinRM service: a SOAP envelope without a Body")
	case !strings.EqualFold(strings.TrimSpace(got.RelatesTo), strings.TrimSpace(req.MessageID)): // a UUID's hex digits in either case (RFC 4122)
		return errors.New("the WinRM service answered another request (its RelatesTo does not name this request's MessageID)")
	case strings.TrimSpace(got.Action) != strings.TrimSpace(req.Action)+"Response":
		return fmt.Errorf("the WinRM service answered %s to %s", safeAction(got.Action), safeAction(req.Action))
	}
	return nil
}

// wellFormed decodes data's root element into v and reads on to the end:
// anything but white space, comments and processing instructions after
// the root, a second root or a syntax error anywhere is refused, as is a
// declared encoding other than UTF-8.
func wellFormed(data []byte, v any) error {
	dec := xml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return err
	}
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.Comment, xml.ProcInst:
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return errors.New("text after the envelope")
			}
		default:
			return errors.New("more after the envelope")
		}
	}
}

// safeName and safeAction quote what the node sent, shortened, for a
// message that reaches a terminal.
func safeName(n xml.Name) string {
	return safeAction(strings.TrimSpace(n.Space + " " + n.Local))
}

func safeAction(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return "no action"
	}
	if len(s) > 120 {
		s = s[:120] + "..."
	}
	return strconv.Quote(s)
}

// failedSend ends the run (abort) when a Send of standard input failed:
// the library goes on without the input, and the command waits for it.
func failedSend(abort context.CancelCauseFunc, body string, err error) {
	if err != nil && strings.Contains(body, "/windows/shell/Send<") {
		abort(fmt.Errorf("send standard input to the command: %w", err))
	}
}

// isCleanup tells Signal and Delete messages, which get a grace period.
func isCleanup(body string) bool {
	return strings.Contains(body, "/windows/shell/Signal<") || strings.Contains(body, "/transfer/Delete<")
}
