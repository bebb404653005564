package main

// The audit and collect with the nodes read live: every lab served by
// WS-Management and SSH test servers (fixtures/wsman, fixtures/sshserver)
// whose fake PowerShell answers from the lab's snapshot folders.

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"github.com/tmsdrift/tmsdrift/fixtures"
	"github.com/tmsdrift/tmsdrift/fixtures/fakenode"
	"github.com/tmsdrift/tmsdrift/fixtures/sshserver"
	"github.com/tmsdrift/tmsdrift/fixtures/wsman"
	"github.com/tmsdrift/tmsdrift/inventory"
	"github.com/tmsdrift/tmsdrift/report"
)

// Credentials of the node test servers; the tests grep every output for
// the password.
const (
	liveUser     = `ACME\tmsaudit`
	livePassword = "Pw-8c1f.live-Sekret"
	userVar      = "TMSDRIFT_TEST_USER"
	passwordVar  = "TMSDRIFT_TEST_PASSWORD"
)

// liveLab is a lab whose nodes are served by protocol test servers.
type liveLab struct {
	Inventory string // the live inventory written for the test
	Nodes     map[string]*fakenode.Node
	WSMan     map[string]*wsman.Server
	SSH       map[string]*sshserver.Server
}

// serveLab starts one test server per node of the lab (kind "winrm" or
// "ssh") whose fake PowerShell answers from the node's snapshot folder,
// and writes an inventory reaching them: the lab's inventory with the
// transports replaced, mutate applied, and its relative paths made
// absolute. WinRM nodes alternate Basic and NTLM; SSH nodes alternate key
// and password login.
func serveLab(t testing.TB, labInventory, kind string, mutate ...func(*inventory.Inventory)) *liveLab {
	t.Helper()
	inv, err := inventory.Load(labInventory, inventory.Options{})
	require.NoError(t, err)
	dir := t.TempDir()
	ll := &liveLab{Nodes: map[string]*fakenode.Node{}, WSMan: map[string]*wsman.Server{}, SSH: map[string]*sshserver.Server{}}

	var known bytes.Buffer
	_, key, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	signer, err := ssh.NewSignerFromKey(key)
	require.NoError(t, err)
	block, err := ssh.MarshalPrivateKey(key, "")
	require.NoError(t, err)
	keyFile := filepath.Join(dir, "id_ed25519")
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(block), 0o600))

	for i := range inv.Nodes {
		n := &inv.Nodes[i]
		node := fakenode.New(inv.Resolve(n.Transport.Path))
		ll.Nodes[n.Name] = node
		tr := inventory.Transport{Kind: kind, UserEnv: userVar, PasswordEnv: passwordVar}
		switch kind {
		case "winrm":
			auth := []string{wsman.AuthBasic, wsman.AuthNTLM}[i%2]
			srv, err := wsman.Start(wsman.Options{User: liveUser, Password: livePassword, Auth: auth, Node: node})
			require.NoError(t, err)
			t.Cleanup(srv.Close)
			ll.WSMan[n.Name] = srv
			ca := filepath.Join(dir, n.Name+"-ca.pem")
			require.NoError(t, os.WriteFile(ca, srv.CertPEM, 0o644))
			tr.Host, tr.Port, tr.Auth, tr.CAFile = srv.Host, srv.Port, auth, ca
		case "ssh":
			opts := sshserver.Options{User: liveUser, Node: node}
			if i%2 == 0 {
				opts.AuthorizedKey = signer.PublicKey()
				tr.Auth, tr.KeyFile, tr.PasswordEnv = inventory.AuthKey, keyFile, ""
			} else {
				opts.Password = livePassword
				tr.Auth = inventory.AuthPassword
			}
			srv, err := sshserver.Start(opts)
			require.NoError(t, err)
			t.Cleanup(srv.Close)
			ll.SSH[n.Name] = srv
			known.WriteString(srv.Known() + "\n")
			tr.Host, tr.Port = srv.Host, srv.Port
			tr.KnownHosts = filepath.Join(dir, "known_hosts")
		}
		n.Transport = tr
	}
	if kind == "ssh" {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "known_hosts"), known.Bytes(), 0o644))
	}
	for _, m := range mutate {
		m(inv)
	}
	ll.Inventory = filepath.Join(dir, "inventory.yaml")
	writeLiveInventory(t, inv, ll.Inventory)
	return ll
}

// setCredentials puts the test servers' credentials in the environment.
func setCredentials(t *testing.T) {
	t.Setenv(userVar, liveUser)
	t.Setenv(passwordVar, livePassword)
}

// auditJSON runs `tmsdrift audit --format json` and returns the report,
// the exit code and everything printed.
func auditJSON(t *testing.T, inv string) (report.Report, int, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"audit", "-i", inv, "--format", "json"}, nil, &out, &errOut)
	var rep report.Report
	require.NoErrorf(t, json.Unmarshal(out.Bytes(), &rep), "JSON report; stderr: %s", errOut.String())
	return rep, code, out.String() + errOut.String()
}

// TestLabsThroughLiveTransports audits every lab through the WinRM and SSH
// test servers, and through a snapshot recorded from them by collect, and
// requires exactly the lab's expected results each time: the live
// transports and the recording give the verdict the dir transport gives.
func TestLabsThroughLiveTransports(t *testing.T) {
	setCredentials(t)
	labs, err := fixtures.Labs()
	require.NoError(t, err)
	require.NotEmpty(t, labs)
	for _, kind := range []string{"winrm", "ssh"} {
		for _, lab := range labs {
			t.Run(kind+"/"+lab.Name, func(t *testing.T) {
				ll := serveLab(t, lab.Inventory, kind)
				defer checkNoLeftovers(t, ll)

				rep, code, printed := auditJSON(t, ll.Inventory)
				assert.Equalf(t, lab.Expected.Exit, code, "exit code of the live audit; output: %s", printed)
				CheckExpected(t, lab, rep.Results)
				assert.NotContains(t, printed, livePassword)

				snap := filepath.Join(t.TempDir(), "snapshot")
				var out, errOut bytes.Buffer
				code = run(context.Background(), []string{"collect", "-i", ll.Inventory, "-o", snap}, nil, &out, &errOut)
				require.Containsf(t, []int{report.ExitOK, report.ExitErrored}, code, "collect: %s", errOut.String())
				assert.NotContains(t, out.String()+errOut.String(), livePassword)

				rep, code, printed = auditJSON(t, filepath.Join(snap, "inventory.yaml"))
				assert.Equalf(t, lab.Expected.Exit, code, "exit code of the recorded snapshot's audit; output: %s", printed)
				CheckExpected(t, lab, rep.Results)
				assertNoSecretInTree(t, snap)
			})
		}
	}
}

// writeLiveInventory writes inv to path, its snapshot and key file made
// absolute (they were relative to the lab's folder), so the inventory
// works from wherever it is written.
func writeLiveInventory(t testing.TB, inv *inventory.Inventory, path string) {
	t.Helper()
	if inv.Database.Snapshot != "" {
		inv.Database.Snapshot = inv.Resolve(inv.Database.Snapshot)
	}
	if inv.MachineKey.File != "" {
		inv.MachineKey.File = inv.Resolve(inv.MachineKey.File)
	}
	body, err := yaml.MarshalWithOptions(inv.AsWritten(), yaml.UseSingleQuote(true))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, body, 0o644))
}

// checkNoLeftovers checks the WinRM servers hold no shell open (every
// shell the transport created was deleted), and that no NTLM exchange was
// spread over several connections.
func checkNoLeftovers(t *testing.T, ll *liveLab) {
	for name, srv := range ll.WSMan {
		assert.Zerof(t, srv.OpenShells(), "%s: shells left open", name)
		assert.Zerof(t, srv.NTLMMismatched(), "%s: NTLM AUTHENTICATE on another connection than its CHALLENGE", name)
	}
}

// assertNoSecretInTree greps every file under dir for the password.
func assertNoSecretInTree(t *testing.T, dir string) {
	t.Helper()
	assertNotInTree(t, dir, livePassword)
}

// assertNotInTree greps every file under dir (run folders included) for
// each secret.
func assertNotInTree(t *testing.T, dir string, secrets ...string) {
	t.Helper()
	require.NoError(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, secret := range secrets {
			assert.Falsef(t, strings.Contains(string(b), secret), "%s holds a secret", p)
		}
		return nil
	}))
}

// TestFixThroughLiveTransports applies the fixers through the WinRM and
// SSH test servers on copies of drifted labs (service start types and
// states through set-service, the machineKey through write-file) and
// audits again through the same transports: everything passes.
func TestFixThroughLiveTransports(t *testing.T) {
	setCredentials(t)
	for _, kind := range []string{"winrm", "ssh"} {
		for _, c := range []struct{ lab, command string }{{"standby-awake", "fix"}, {"post-upgrade", "post-upgrade"}} {
			t.Run(kind+"/"+c.lab, func(t *testing.T) {
				dir := t.TempDir()
				require.NoError(t, os.CopyFS(dir, os.DirFS(filepath.Join(fixtures.LabsDir(), c.lab))))
				ll := serveLab(t, filepath.Join(dir, "inventory.yaml"), kind)
				args := []string{c.command, "-i", ll.Inventory}
				if c.command == "fix" {
					args = append(args, "--apply")
				}
				var out, errOut bytes.Buffer
				code := run(context.Background(), args, nil, &out, &errOut)
				require.Equalf(t, report.ExitOK, code, "%s\n%s", out.String(), errOut.String())
				assert.NotContains(t, out.String()+errOut.String(), livePassword)

				rep, code, printed := auditJSON(t, ll.Inventory)
				assert.Equalf(t, report.ExitOK, code, "the live audit afterwards passes: %s", printed)
				assert.Zero(t, rep.Summary.Fail)
				checkNoLeftovers(t, ll)
			})
		}
	}
}
