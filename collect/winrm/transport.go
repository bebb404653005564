package winrm

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
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
	ctx            context.Context
	url            string
	user, password string
	lanes          *lanes
}

// Transport is part of winrm.Transporter; the HTTP client is already set.
func (t *transport) Transport(*winrm.Endpoint) error { return nil }

// Post sends one message.
func (t *transport) Post(_ *winrm.Client, msg *soap.SoapMessage) (string, error) {
	body := msg.String()
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
	return checkAnswer(resp.StatusCode, data)
}

// checkAnswer returns a 200 answer's body, or an error saying what went
// wrong: login refused, a SOAP fault's reason, an unexpected status.
func checkAnswer(status int, data []byte) (string, error) {
	if f := parseFault(data); f != nil {
		return "", f
	}
	switch status {
	case http.StatusOK:
		return string(data), nil
	case http.StatusUnauthorized:
		return "", errors.New("login refused (HTTP 401): wrong user name or password, or this authentication method is not enabled for WinRM on the node")
	}
	return "", fmt.Errorf("HTTP %d from the WinRM service", status)
}

// isCleanup tells Signal and Delete messages, which get a grace period.
func isCleanup(body string) bool {
	return strings.Contains(body, "/windows/shell/Signal<") || strings.Contains(body, "/transfer/Delete<")
}

// Fault is a SOAP fault from the WinRM service.
type Fault struct {
	Code, Subcode, Reason, Message string
}

// Error names the fault's subcode and the service's message.
func (f *Fault) Error() string {
	msg := f.Message
	if msg == "" {
		msg = f.Reason
	}
	if strings.HasSuffix(f.Subcode, "TimedOut") && !strings.Contains(msg, "OperationTimeout") {
		// The library keeps polling on errors naming OperationTimeout.
		msg += " (OperationTimeout)"
	}
	return fmt.Sprintf("WinRM fault %s: %s", f.Subcode, strings.TrimSpace(msg))
}

// parseFault reads a SOAP 1.2 fault, or returns nil.
func parseFault(data []byte) *Fault {
	if !strings.Contains(string(data), "Fault") {
		return nil
	}
	var env struct {
		Body struct {
			Fault *struct {
				Code struct {
					Value   string `xml:"Value"`
					Subcode struct {
						Value string `xml:"Value"`
					} `xml:"Subcode"`
				} `xml:"Code"`
				Reason struct {
					Text string `xml:"Text"`
				} `xml:"Reason"`
				Detail struct {
					WSManFault struct {
						Message string `xml:"Message"`
					} `xml:"WSManFault"`
				} `xml:"Detail"`
			} `xml:"Fault"`
		} `xml:"Body"`
	}
	if err := xml.Unmarshal(data, &env); err != nil || env.Body.Fault == nil {
		return nil
	}
	f := env.Body.Fault
	return &Fault{
		Code:    strings.TrimSpace(f.Code.Value),
		Subcode: strings.TrimSpace(f.Code.Subcode.Value),
		Reason:  strings.TrimSpace(f.Reason.Text),
		Message: strings.TrimSpace(f.Detail.WSManFault.Message),
	}
}
