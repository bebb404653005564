package winrm

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// WSManFault codes the transport tells apart, as Windows puts them in
// f:WSManFault/@Code (MS-WSMV 2.2.4.x; winerror.h): pywinrm keys its
// retry of a Receive on the first alone (WinRMOperationTimeoutError).
const (
	CodeOperationTimeout = 2150858793 // 0x80338029 ERROR_WSMAN_OPERATION_TIMEDOUT
	CodeInvalidSelectors = 2150858843 // 0x8033805B ERROR_WSMAN_INVALID_SELECTORS: the ShellId names no shell
	CodeAccessDenied     = 5          // ERROR_ACCESS_DENIED
	CodeInvalidParameter = 87         // ERROR_INVALID_PARAMETER: the cmd plug-in's answer to a bad parameter
)

// Fault is a SOAP fault from the WinRM service, with what Windows puts in
// its s:Detail: the f:WSManFault element's code, machine and message.
type Fault struct {
	// Code and Subcode are s:Code's values (s:Sender, w:InvalidSelectors).
	Code, Subcode string
	// Reason is s:Reason's text.
	Reason string
	// WSManCode is f:WSManFault/@Code, 0 when the fault has none.
	WSManCode uint32
	// Machine is f:WSManFault/@Machine: the node as the service names it.
	Machine string
	// Message is f:WSManFault/f:Message's text, with the text of a
	// plug-in's f:ProviderFault nested in it.
	Message string
	// ShellID and CommandID are what the request named (its ShellId
	// selector and CommandId), for the faults about them.
	ShellID, CommandID string
}

// Timeout tells the operation-timeout fault: a Receive with nothing to
// report within the OperationTimeout, which the caller polls again. By
// its code, as pywinrm tells it, or by its subcode when the code is
// missing.
func (f *Fault) Timeout() bool {
	if f.WSManCode != 0 {
		return f.WSManCode == CodeOperationTimeout
	}
	return strings.HasSuffix(f.Subcode, ":TimedOut") || f.Subcode == "TimedOut"
}

// Error says what the fault means for the run, then the subcode, the code
// and the service's own text.
//
// masterzen/winrm polls a Receive again when its error contains
// "OperationTimeout" and gives up on any other (command.go,
// slurpAllOutput): the timeout fault's text always has the word, and any
// other fault's never does, so a fault that is not the timeout ends the
// command instead of being polled until the deadline.
func (f *Fault) Error() string {
	msg := strings.Join(strings.Fields(f.Message), " ")
	if msg == "" {
		msg = strings.Join(strings.Fields(f.Reason), " ")
	}
	id := f.Subcode
	if f.WSManCode != 0 {
		id += ", code " + strconv.FormatUint(uint64(f.WSManCode), 10)
	}
	if f.Timeout() {
		if !strings.Contains(msg, "OperationTimeout") {
			msg += " (OperationTimeout)"
		}
		return fmt.Sprintf("WinRM fault %s: %s", id, msg)
	}
	return strings.ReplaceAll(f.meaning(id, msg), "OperationTimeout", "operation timeout")
}

// meaning is the message of a fault that is not the timeout.
func (f *Fault) meaning(id, msg string) string {
	switch {
	case f.WSManCode == CodeInvalidSelectors && f.ShellID != "":
		return fmt.Sprintf("the node has no WinRM shell %s (it was closed, or the WinRM service restarted): WinRM fault %s: %s", safeID(f.ShellID), id, msg)
	case f.WSManCode == CodeInvalidParameter && f.CommandID != "":
		return fmt.Sprintf("the node's WinRM service refused command %s of shell %s (the command id is unknown there, or a value sent is invalid): WinRM fault %s: %s", safeID(f.CommandID), safeID(f.ShellID), id, msg)
	case f.WSManCode == CodeAccessDenied || strings.HasSuffix(f.Subcode, ":AccessDenied"):
		return fmt.Sprintf("the node's WinRM service denied access: the login succeeded but the account may not use WinRM there (on Windows: a member of Administrators or Remote Management Users): WinRM fault %s: %s", id, msg)
	}
	return fmt.Sprintf("WinRM fault %s: %s", id, msg)
}

// safeID quotes an id for a message when it is not a plain UUID.
func safeID(s string) string {
	for _, r := range s {
		if !(r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F') {
			return safeAction(s)
		}
	}
	if s == "" {
		return `""`
	}
	return s
}

// deepText is an element's character data, that of the elements nested
// in it included (f:Message may hold an f:ProviderFault, which may hold
// another f:WSManFault).
type deepText string

// UnmarshalXML collects the text up to the element's end.
func (t *deepText) UnmarshalXML(d *xml.Decoder, _ xml.StartElement) error {
	var b strings.Builder
	for depth := 1; depth > 0; {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return io.ErrUnexpectedEOF
		}
		if err != nil {
			return err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			b.Write(tok)
		}
	}
	*t = deepText(b.String())
	return nil
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
						Code    string   `xml:"Code,attr"`
						Machine string   `xml:"Machine,attr"`
						Message deepText `xml:"Message"`
					} `xml:"WSManFault"`
				} `xml:"Detail"`
			} `xml:"Fault"`
		} `xml:"Body"`
	}
	if err := xml.Unmarshal(data, &env); err != nil || env.Body.Fault == nil {
		return nil
	}
	f := env.Body.Fault
	wf := f.Detail.WSManFault
	code, _ := strconv.ParseUint(strings.TrimSpace(wf.Code), 10, 32)
	return &Fault{
		Code:      strings.TrimSpace(f.Code.Value),
		Subcode:   strings.TrimSpace(f.Code.Subcode.Value),
		Reason:    strings.TrimSpace(f.Reason.Text),
		WSManCode: uint32(code),
		Machine:   strings.TrimSpace(wf.Machine),
		Message:   strings.TrimSpace(string(wf.Message)),
	}
}

// about records the ShellId and CommandId the request named.
func (f *Fault) about(request string) {
	var req struct {
		Selectors []struct {
			Name  string `xml:"Name,attr"`
			Value string `xml:",chardata"`
		} `xml:"Header>SelectorSet>Selector"`
		Receive struct {
			CommandID string `xml:"CommandId,attr"`
		} `xml:"Body>Receive>DesiredStream"`
		Send struct {
			CommandID string `xml:"CommandId,attr"`
		} `xml:"Body>Send>Stream"`
		Signal struct {
			CommandID string `xml:"CommandId,attr"`
		} `xml:"Body>Signal"`
	}
	if xml.Unmarshal([]byte(request), &req) != nil {
		return
	}
	for _, s := range req.Selectors {
		if s.Name == "ShellId" {
			f.ShellID = strings.TrimSpace(s.Value)
		}
	}
	for _, id := range []string{req.Receive.CommandID, req.Send.CommandID, req.Signal.CommandID} {
		if id = strings.TrimSpace(id); id != "" {
			f.CommandID = id
		}
	}
}
