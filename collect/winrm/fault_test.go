package winrm

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// faultSample is a fault as WinRM sends it (the shape fixtures/wsman
// answers with).
const faultSample = `<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><s:Header><a:Action>http://schemas.dmtf.org/wbem/wsman/1/wsman/fault</a:Action></s:Header><s:Body><s:Fault><s:Code><s:Value>s:Receiver</s:Value><s:Subcode><s:Value>w:TimedOut</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en-US">The WS-Management service cannot complete the operation within the time specified in OperationTimeout.</s:Text></s:Reason><s:Detail><f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="2150858793" Machine="tms01"><f:Message>The WS-Management service cannot complete the operation within the time specified in OperationTimeout.  </f:Message></f:WSManFault></s:Detail></s:Fault></s:Body></s:Envelope>`

func TestCheckAnswer(t *testing.T) {
	body, err := checkAnswer(http.StatusOK, []byte("<s:Envelope/>"))
	require.NoError(t, err)
	assert.Equal(t, "<s:Envelope/>", body)

	_, err = checkAnswer(http.StatusInternalServerError, []byte(faultSample))
	var f *Fault
	require.ErrorAs(t, err, &f)
	assert.Equal(t, "w:TimedOut", f.Subcode)
	assert.Contains(t, err.Error(), "OperationTimeout", "the library keeps polling on this one")

	_, err = checkAnswer(http.StatusUnauthorized, nil)
	assert.ErrorContains(t, err, "login refused (HTTP 401)")
	_, err = checkAnswer(http.StatusBadGateway, []byte("<html>proxy error</html>"))
	assert.EqualError(t, err, "HTTP 502 from the WinRM service")
	_, err = checkAnswer(http.StatusOK, []byte(strings.Replace(faultSample, "w:TimedOut", "w:AccessDenied", 1)))
	assert.ErrorContains(t, err, "w:AccessDenied", "a fault is an error even with status 200")
}

// FuzzParseFault: SOAP from the network never panics the parser, and a
// fault found has the subcode in its message.
func FuzzParseFault(f *testing.F) {
	f.Add([]byte(faultSample))
	f.Add([]byte(`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><rsp:ReceiveResponse/></s:Body></s:Envelope>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if flt := parseFault(data); flt != nil {
			require.Contains(t, flt.Error(), flt.Subcode)
		}
	})
}
