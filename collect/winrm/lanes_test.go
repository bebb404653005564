package winrm_test

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/collect/psscript"
	"github.com/tmsdrift/tmsdrift/collect/winrm"
	"github.com/tmsdrift/tmsdrift/fixtures/wsman"
)

// TestConcurrentRunsKeepEachNTLMExchangeOnItsConnection runs the collector
// eight times at once, three rounds, on one client with NTLM over HTTPS.
// Every request of a run overlaps others (the library sends standard
// input while it polls for output), so NTLM exchanges overlap on the
// client. Each must stay on its own connection: every run succeeds, and
// the node never saw an AUTHENTICATE on a connection other than its
// CHALLENGE's. Over one shared http.Transport the legs took whichever
// connection was idle and runs failed with "login refused (HTTP 401)" or
// waited for their input until the deadline.
func TestConcurrentRunsKeepEachNTLMExchangeOnItsConnection(t *testing.T) {
	srv, _, c := start(t, wsman.AuthNTLM, winrm.AuthNTLM, password)
	in := collectorInput(t)
	for round := range 3 {
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var out, errOut bytes.Buffer
				code, err := c.Run(ctx(t, 60*time.Second), psscript.CollectorCommand, bytes.NewReader(in), &out, &errOut)
				if err == nil && code != 0 {
					err = assert.AnError
				}
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoErrorf(t, err, "round %d", round)
		}
	}
	assert.Zero(t, srv.NTLMMismatched(), "AUTHENTICATE messages that arrived on another connection than their CHALLENGE")
	assert.Zero(t, srv.OpenShells())
}
