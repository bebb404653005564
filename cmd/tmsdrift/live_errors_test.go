package main

import (
	"bytes"
	"context"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/fixtures"
	"github.com/tmsdrift/tmsdrift/fixtures/wsman"
	"github.com/tmsdrift/tmsdrift/inventory"
	"github.com/tmsdrift/tmsdrift/report"
)

func labNamed(t *testing.T, name string) fixtures.Lab {
	t.Helper()
	labs, err := fixtures.Labs()
	require.NoError(t, err)
	for _, l := range labs {
		if l.Name == name {
			return l
		}
	}
	t.Fatalf("no lab %s", name)
	return fixtures.Lab{}
}

// TestBrokenNodeGivesErrorResults breaks one node of the compliant
// manual-cutover lab in each way a live node can fail and checks that this
// node's results are all `error` naming the cause, every other result
// still passes, the exit code is 3, and a snapshot recorded by collect
// audits to the same statuses.
func TestBrokenNodeGivesErrorResults(t *testing.T) {
	setCredentials(t)
	t.Setenv("TMSDRIFT_TEST_WRONG_PASSWORD", "not-"+livePassword[:4])
	lab := labNamed(t, "manual-cutover")
	const broken = "tms02"
	cases := []struct {
		name, kind string
		breakIt    func(*liveLab)
		mutate     func(*inventory.Inventory)
		cause      string
	}{
		{name: "unreachable", kind: "winrm", breakIt: func(ll *liveLab) { ll.WSMan[broken].Close() }, cause: "cannot reach the WinRM service"},
		{name: "unreachable", kind: "ssh", breakIt: func(ll *liveLab) { ll.SSH[broken].Close() }, cause: "connection refused"},
		{name: "refused login", kind: "winrm", mutate: wrongPassword, cause: "login refused (HTTP 401)"},
		{name: "refused login", kind: "ssh", mutate: wrongPassword, cause: "unable to authenticate"},
		{name: "script error", kind: "winrm", breakIt: func(ll *liveLab) {
			ll.Nodes[broken].SetFailure(1, "Get-CimInstance : Access denied")
		}, cause: "exited with code 1: Get-CimInstance : Access denied"},
		{name: "script error", kind: "ssh", breakIt: func(ll *liveLab) {
			ll.Nodes[broken].SetFailure(1, "Get-CimInstance : Access denied")
		}, cause: "exited with code 1: Get-CimInstance : Access denied"},
		{name: "access denied", kind: "winrm", breakIt: func(ll *liveLab) {
			ll.WSMan[broken].SetMisbehave(wsman.Misbehave{AccessDenied: true})
		}, cause: "the node's WinRM service denied access: the login succeeded but the account may not use WinRM there (on Windows: a member of Administrators or Remote Management Users): WinRM fault w:AccessDenied, code 5: Access is denied."},
		{name: "shell lost", kind: "winrm", breakIt: func(ll *liveLab) {
			ll.WSMan[broken].SetMisbehave(wsman.Misbehave{LoseShells: true})
		}, cause: "(it was closed, or the WinRM service restarted): WinRM fault w:InvalidSelectors, code 2150858843: The request for the Windows Remote Shell with ShellId"},
		{name: "malformed output", kind: "winrm", breakIt: func(ll *liveLab) {
			ll.Nodes[broken].SetOutput([]byte("#< CLIXML\r\n{\"schema\": \"tmsdrift/facts/v1\""))
		}, cause: "collector output: not collector output"},
		{name: "cut-off output", kind: "ssh", breakIt: func(ll *liveLab) {
			ll.Nodes[broken].SetOutput([]byte("#tmsdrift-collector/v1\r\n#file facts.json -\r\neyJzY2hlbWEiOiAi\r\n"))
		}, cause: "the collector was cut off"},
		{name: "hangs past its timeout", kind: "winrm", breakIt: func(ll *liveLab) { ll.Nodes[broken].SetHang(true) },
			mutate: nodeTimeout(1), cause: "no answer within 1s"},
		{name: "hangs past its timeout", kind: "ssh", breakIt: func(ll *liveLab) { ll.Nodes[broken].SetHang(true) },
			mutate: nodeTimeout(1), cause: "no answer within 1s"},
		{name: "credentials not set", kind: "winrm", mutate: func(inv *inventory.Inventory) {
			inv.NodeByName(broken).Transport.PasswordEnv = "TMSDRIFT_TEST_UNSET_PASSWORD"
		}, cause: "environment variable TMSDRIFT_TEST_UNSET_PASSWORD (transport.password_env) is not set"},
	}
	for _, c := range cases {
		t.Run(c.kind+"/"+c.name, func(t *testing.T) {
			var mutate []func(*inventory.Inventory)
			if c.mutate != nil {
				mutate = append(mutate, c.mutate)
			}
			ll := serveLab(t, lab.Inventory, c.kind, mutate...)
			if c.breakIt != nil {
				c.breakIt(ll)
			}
			start := time.Now()
			rep, code, printed := auditJSON(t, ll.Inventory)
			assert.Less(t, time.Since(start), 20*time.Second, "a broken node costs its own timeout, not a hang")
			assert.Equalf(t, report.ExitErrored, code, "exit code; output: %s", printed)
			assert.NotContains(t, printed, livePassword)
			var brokenResults int
			for _, r := range rep.Results {
				switch {
				case r.Node == broken:
					brokenResults++
					assert.Equalf(t, checks.Error, r.Status, "%s on the broken node", r.Rule)
					assert.Containsf(t, r.Message, c.cause, "%s names the cause", r.Rule)
				case r.Status != checks.Pass:
					assert.Containsf(t, []string{"version.same", "db.separate-server"}, r.Rule,
						"only rules comparing with the broken node may be error: %s %s %s", r.Rule, r.Node, r.Status)
					assert.Equal(t, checks.Error, r.Status)
				}
			}
			assert.NotZero(t, brokenResults)

			snap := filepath.Join(t.TempDir(), "snap")
			var out, errOut bytes.Buffer
			code = run(context.Background(), []string{"collect", "-i", ll.Inventory, "-o", snap}, nil, &out, &errOut)
			assert.Equalf(t, report.ExitErrored, code, "collect reports what it could not read: %s", errOut.String())
			assert.Contains(t, errOut.String(), broken)
			recorded, _, _ := auditJSON(t, filepath.Join(snap, "inventory.yaml"))
			assert.Equal(t, statuses(rep.Results), statuses(recorded.Results), "the recorded snapshot gives the same verdicts")
		})
	}
}

func wrongPassword(inv *inventory.Inventory) {
	inv.NodeByName("tms02").Transport.PasswordEnv = "TMSDRIFT_TEST_WRONG_PASSWORD"
}

func nodeTimeout(seconds float64) func(*inventory.Inventory) {
	return func(inv *inventory.Inventory) { inv.NodeByName("tms02").Transport.TimeoutSeconds = seconds }
}

func statuses(rs []checks.Result) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.Rule+"|"+r.Node+"|"+string(r.Status))
	}
	sort.Strings(out)
	return out
}

// TestPasswordsNeverAppear runs every command that reaches live nodes, in
// every report format, with one node refusing the login, and greps all
// that was printed or written for the passwords (the right one and the
// wrong one the refused node was sent).
func TestPasswordsNeverAppear(t *testing.T) {
	setCredentials(t)
	const wrong = "Wr0ng-but-still-Secret"
	t.Setenv("TMSDRIFT_TEST_WRONG_PASSWORD", wrong)
	lab := labNamed(t, "manual-cutover")
	for _, kind := range []string{"winrm", "ssh"} {
		ll := serveLab(t, lab.Inventory, kind, wrongPassword)
		var printed bytes.Buffer
		for _, args := range [][]string{
			{"validate", "-i", ll.Inventory},
			{"audit", "-i", ll.Inventory, "-v"},
			{"audit", "-i", ll.Inventory, "--format", "json"},
			{"audit", "-i", ll.Inventory, "--format", "junit"},
			{"audit", "-i", ll.Inventory, "--format", "markdown", "-v"},
			{"collect", "-i", ll.Inventory, "-o", filepath.Join(t.TempDir(), "snap")},
		} {
			run(context.Background(), args, nil, &printed, &printed)
		}
		out := printed.String()
		assert.Contains(t, out, "tms02", "the refused node is reported")
		for _, secret := range []string{livePassword, wrong} {
			assert.NotContains(t, out, secret)
		}
	}
}
