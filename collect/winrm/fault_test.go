package winrm

import (
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"
	"testing"

	mz "github.com/masterzen/winrm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// faultSample is a fault as WinRM sends it (the shape fixtures/wsman
// answers with).
const faultSample = `<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><s:Header><a:Action>http://schemas.dmtf.org/wbem/wsman/1/wsman/fault</a:Action></s:Header><s:Body><s:Fault><s:Code><s:Value>s:Receiver</s:Value><s:Subcode><s:Value>w:TimedOut</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en-US">The WS-Management service cannot complete the operation within the time specified in OperationTimeout.</s:Text></s:Reason><s:Detail><f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="2150858793" Machine="tms01"><f:Message>The WS-Management service cannot complete the operation within the time specified in OperationTimeout.  </f:Message></f:WSManFault></s:Detail></s:Fault></s:Body></s:Envelope>`

// receiveRequest is the library's Receive request, as Post gets it.
func receiveRequest() string {
	return mz.NewGetOutputRequest("https://tms01:5986/wsman", "SHELL-1", "CMD-1", "stdout stderr", mz.DefaultParameters).String()
}

// replyTo is an answer to request as Windows (and fixtures/wsman) sends
// it: the request's action with "Response", RelatesTo its MessageID.
func replyTo(t testing.TB, request, body string) string {
	var req addressing
	require.NoError(t, xml.Unmarshal([]byte(request), &req))
	return `<?xml version="1.0" encoding="UTF-8"?><s:Envelope xml:lang="en-US" xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell">` +
		`<s:Header><a:Action>` + req.Action + `Response</a:Action><a:MessageID>uuid:7B1C0D1E-0000-4000-8000-000000000001</a:MessageID><a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To><a:RelatesTo>` + req.MessageID + `</a:RelatesTo></s:Header>` +
		`<s:Body>` + body + `</s:Body></s:Envelope>`
}

const receiveBody = `<rsp:ReceiveResponse><rsp:Stream Name="stdout" CommandId="CMD-1">I3Rtc2RyaWZ0LWNvbGxlY3Rvci92MQ0K</rsp:Stream><rsp:Stream Name="stdout" CommandId="CMD-1" End="true"></rsp:Stream><rsp:Stream Name="stderr" CommandId="CMD-1" End="true"></rsp:Stream><rsp:CommandState CommandId="CMD-1" State="http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Done"><rsp:ExitCode>0</rsp:ExitCode></rsp:CommandState></rsp:ReceiveResponse>`

func TestCheckAnswer(t *testing.T) {
	req := receiveRequest()
	good := replyTo(t, req, receiveBody)
	body, err := checkAnswer(req, http.StatusOK, []byte(good))
	require.NoError(t, err)
	assert.Equal(t, good, body)
	var r addressing
	require.NoError(t, xml.Unmarshal([]byte(req), &r))
	upper := strings.Replace(good, r.MessageID, "uuid:"+strings.ToUpper(strings.TrimPrefix(r.MessageID, "uuid:")), 1)
	require.NotEqual(t, good, upper)
	_, err = checkAnswer(req, http.StatusOK, []byte(upper))
	require.NoError(t, err, "Windows may write the UUID in capitals")

	_, err = checkAnswer(req, http.StatusInternalServerError, []byte(faultSample))
	var f *Fault
	require.ErrorAs(t, err, &f)
	assert.Equal(t, "w:TimedOut", f.Subcode)
	assert.Contains(t, err.Error(), "OperationTimeout", "the library keeps polling on this one")

	_, err = checkAnswer(req, http.StatusUnauthorized, nil)
	assert.ErrorContains(t, err, "login refused (HTTP 401)")
	_, err = checkAnswer(req, http.StatusBadGateway, []byte("<html>proxy error</html>"))
	assert.EqualError(t, err, "HTTP 502 from the WinRM service")
	_, err = checkAnswer(req, http.StatusOK, []byte(strings.Replace(faultSample, "w:TimedOut", "w:AccessDenied", 1)))
	assert.ErrorContains(t, err, "w:AccessDenied", "a fault is an error even with status 200")
}

// TestCheckAnswerRefusesWhatIsNoReply: a 200 answer reaches the library
// only when it is one well-formed SOAP 1.2 envelope answering the request
// (an empty one panics the library: masterzen/winrm #185).
func TestCheckAnswerRefusesWhatIsNoReply(t *testing.T) {
	req := receiveRequest()
	good := replyTo(t, req, receiveBody)
	other := replyTo(t, mz.NewGetOutputRequest("https://tms01:5986/wsman", "SHELL-1", "CMD-1", "stdout stderr", mz.DefaultParameters).String(), receiveBody)
	for _, c := range []struct{ name, answer, want string }{
		{"empty", "", "empty answer (HTTP 200) from the WinRM service"},
		{"white space", " \r\n", "empty answer (HTTP 200) from the WinRM service"},
		{"not XML", "Service Unavailable", "malformed answer from the WinRM service"},
		{"HTML page", "<html><body>Bad gateway</body></html>", `malformed answer from the WinRM service: "html" is not a SOAP 1.2 envelope`},
		{"cut off", good[:len(good)/2], "malformed answer from the WinRM service"},
		{"text after it", good + "garbage", "malformed answer from the WinRM service: text after the envelope"},
		{"two envelopes", good + good, "malformed answer from the WinRM service: more after the envelope"},
		{"SOAP 1.1", strings.Replace(good, "http://www.w3.org/2003/05/soap-envelope", "http://schemas.xmlsoap.org/soap/envelope/", 1), "is not a SOAP 1.2 envelope"},
		{"no body", strings.Replace(strings.Replace(good, "<s:Body>", "<s:Bodx>", 1), "</s:Body>", "</s:Bodx>", 1), "a SOAP envelope without a Body"},
		{"another request's reply", other, "the WinRM service answered another request"},
		{"no RelatesTo", strings.NewReplacer("<a:RelatesTo>", "<a:Relates>", "</a:RelatesTo>", "</a:Relates>").Replace(good), "the WinRM service answered another request"},
		{"another action", strings.Replace(good, "ReceiveResponse</a:Action>", "SendResponse</a:Action>", 1), `answered "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/SendResponse" to "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Receive"`},
		{"UTF-16 declared", strings.Replace(good, `encoding="UTF-8"`, `encoding="UTF-16"`, 1), "malformed answer from the WinRM service"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := checkAnswer(req, http.StatusOK, []byte(c.answer))
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

// FuzzParseFault: SOAP from the network never panics the parser, and a
// fault found has the subcode in its message.
func FuzzParseFault(f *testing.F) {
	f.Add([]byte(faultSample))
	f.Add([]byte(windowsFault("w:InvalidParameter", "The parameter is incorrect. ", "", CodeInvalidParameter, `<f:ProviderFault provider="Shell cmd plugin">The parameter is incorrect. </f:ProviderFault>`)))
	f.Add([]byte(`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><rsp:ReceiveResponse/></s:Body></s:Envelope>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if flt := parseFault(data); flt != nil {
			msg := flt.Error()
			if flt.Timeout() {
				require.Contains(t, msg, flt.Subcode)
				require.Contains(t, msg, "OperationTimeout")
				return
			}
			require.Contains(t, msg, strings.ReplaceAll(flt.Subcode, "OperationTimeout", "operation timeout"))
			require.NotContains(t, msg, "OperationTimeout", "the library would poll it as the timeout")
		}
	})
}

// FuzzCheckAnswer: whatever a node answers, checkAnswer never panics, and
// what it lets through never panics the library's parsers either (the
// answers to Create, Command and Receive are the ones it parses).
func FuzzCheckAnswer(f *testing.F) {
	req := receiveRequest()
	f.Add([]byte(replyTo(f, req, receiveBody)))
	f.Add([]byte(replyTo(f, req, `<rsp:ReceiveResponse><rsp:CommandState CommandId="CMD-1" State="http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Running"/></rsp:ReceiveResponse>`)))
	f.Add([]byte(faultSample))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		body, err := checkAnswer(req, http.StatusOK, data)
		if err != nil {
			return
		}
		_, _, _ = mz.ParseSlurpOutputErrResponse(body, &strings.Builder{}, &strings.Builder{})
		_, _ = mz.ParseOpenShellResponse(body)
		_, _ = mz.ParseExecuteCommandResponse(body)
	})
}

// windowsFault is a fault in the shape Windows sends (fixtures/wsman's
// faults.go names the captures it follows): detail URI, then
// f:WSManFault with its code, machine and message.
func windowsFault(subcode, reason, detail string, code int, message string) string {
	fd := ""
	if detail != "" {
		fd = `<w:FaultDetail>` + detail + `</w:FaultDetail>`
	}
	return `<s:Envelope xml:lang="en-US" xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd">` +
		`<s:Header><a:Action>http://schemas.dmtf.org/wbem/wsman/1/wsman/fault</a:Action></s:Header><s:Body><s:Fault><s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value>` + subcode + `</s:Value></s:Subcode></s:Code>` +
		`<s:Reason><s:Text xml:lang="en-US">` + reason + `</s:Text></s:Reason><s:Detail>` + fd +
		`<f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="` + strconv.Itoa(code) + `" Machine="tms01.acme.local">` +
		`<f:Message>` + message + `</f:Message></f:WSManFault></s:Detail></s:Fault></s:Body></s:Envelope>`
}

// TestFaultsReadAsWindowsSendsThem: the code, machine and message of
// f:WSManFault are read (the message too when a plug-in nests it in
// f:ProviderFault: it was read as empty), and each case becomes an error
// that says what happened: an unknown shell names the shell the request
// named, access denied says the login worked, and only the timeout code
// reads as the timeout the library polls again.
func TestFaultsReadAsWindowsSendsThem(t *testing.T) {
	req := receiveRequest() // ShellId SHELL-1, CommandId CMD-1

	shell := windowsFault("w:InvalidSelectors", "The WS-Management service cannot process the request because the request contained invalid selectors for the resource. ",
		"http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/UnexpectedSelectors", CodeInvalidSelectors,
		"The request for the Windows Remote Shell with ShellId SHELL-1 failed because the shell was not found on the server. ")
	_, err := checkAnswer(req, http.StatusInternalServerError, []byte(shell))
	var f *Fault
	require.ErrorAs(t, err, &f)
	assert.Equal(t, uint32(2150858843), f.WSManCode)
	assert.Equal(t, "tms01.acme.local", f.Machine)
	assert.Equal(t, "SHELL-1", f.ShellID)
	assert.Equal(t, "CMD-1", f.CommandID)
	assert.False(t, f.Timeout())
	assert.Equal(t, "the node has no WinRM shell \"SHELL-1\" (it was closed, or the WinRM service restarted): WinRM fault w:InvalidSelectors, code 2150858843: The request for the Windows Remote Shell with ShellId SHELL-1 failed because the shell was not found on the server.", err.Error())

	provider := windowsFault("w:InvalidParameter", "The parameter is incorrect. ", "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/InvalidValue", CodeInvalidParameter,
		`<f:ProviderFault provider="Shell cmd plugin" path="%systemroot%\system32\winrscmd.dll">The parameter is incorrect. </f:ProviderFault>`)
	_, err = checkAnswer(req, http.StatusInternalServerError, []byte(provider))
	require.ErrorAs(t, err, &f)
	assert.Equal(t, "The parameter is incorrect.", f.Message, "the plug-in's text nested in f:Message")
	assert.Equal(t, `the node's WinRM service refused command "CMD-1" of shell "SHELL-1" (the command id is unknown there, or a value sent is invalid): WinRM fault w:InvalidParameter, code 87: The parameter is incorrect.`, err.Error())

	denied := windowsFault("w:AccessDenied", "Access is denied. ", "", CodeAccessDenied, "Access is denied. ")
	_, err = checkAnswer(req, http.StatusInternalServerError, []byte(denied))
	require.ErrorAs(t, err, &f)
	assert.Equal(t, uint32(5), f.WSManCode)
	assert.ErrorContains(t, err, "denied access: the login succeeded")
	assert.ErrorContains(t, err, "w:AccessDenied, code 5: Access is denied.")

	// The timeout by its code alone (pywinrm's rule), whatever its text.
	timeout := windowsFault("w:TimedOut", "Zeitüberschreitung. ", "", CodeOperationTimeout, "Zeitüberschreitung. ")
	_, err = checkAnswer(req, http.StatusInternalServerError, []byte(timeout))
	require.ErrorAs(t, err, &f)
	assert.True(t, f.Timeout())
	assert.Contains(t, err.Error(), "OperationTimeout", "the library polls the Receive again on this word")

	// Any other fault never reads as the timeout, even when its text
	// names OperationTimeout: the library would poll it until the deadline.
	other := windowsFault("w:InvalidOptions", "The OperationTimeout value is not valid. ", "", 2150858824, "The OperationTimeout value is not valid. ")
	_, err = checkAnswer(req, http.StatusInternalServerError, []byte(other))
	require.ErrorAs(t, err, &f)
	assert.False(t, f.Timeout())
	assert.NotContains(t, err.Error(), "OperationTimeout")
	assert.Contains(t, err.Error(), "w:InvalidOptions, code 2150858824: The operation timeout value is not valid.")
}
