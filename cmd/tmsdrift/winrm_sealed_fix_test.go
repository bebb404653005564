package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/fixtures"
	"github.com/tmsdrift/tmsdrift/fixtures/fakenode"
	"github.com/tmsdrift/tmsdrift/fixtures/kdc"
	"github.com/tmsdrift/tmsdrift/fixtures/wsman"
	"github.com/tmsdrift/tmsdrift/inventory"
	"github.com/tmsdrift/tmsdrift/report"
)

// TestFixThroughSealedWinRM applies the fixers through WinRM as a domain
// member ships it — the default auth (ntlm-encrypted, HTTP with NTLM
// sealing) and kerberos from a real MIT KDC — on copies of drifted labs:
// service start types and states through set-service, and the machineKey
// through write-file, the write issue 9 warns would otherwise go out in
// clear. Every message each node received was sealed, none arrived in
// clear text, and the audit afterwards passes.
func TestFixThroughSealedWinRM(t *testing.T) {
	for _, auth := range []string{inventory.AuthNTLMEncrypted, inventory.AuthKerberos} {
		for _, c := range []struct{ lab, command string }{{"standby-awake", "fix"}, {"post-upgrade", "post-upgrade"}} {
			t.Run(auth+"/"+c.lab, func(t *testing.T) {
				dir := t.TempDir()
				require.NoError(t, os.CopyFS(dir, os.DirFS(filepath.Join(fixtures.LabsDir(), c.lab))))
				inv, err := inventory.Load(filepath.Join(dir, "inventory.yaml"), inventory.Options{})
				require.NoError(t, err)
				var k *kdc.KDC
				var kt *keytab.Keytab
				user := liveUser
				if auth == inventory.AuthKerberos {
					needKDC(t)
					k, err = kdc.Start(t.TempDir(), kdc.Options{User: "tmsaudit", Password: livePassword})
					require.NoError(t, err)
					defer k.Close()
					kt, err = keytab.Load(k.Keytab)
					require.NoError(t, err)
					user = k.User
				}
				t.Setenv(userVar, user)
				t.Setenv(passwordVar, livePassword)
				servers := map[string]*wsman.Server{}
				for i := range inv.Nodes {
					n := &inv.Nodes[i]
					opts := wsman.Options{User: user, Password: livePassword, Auth: wsman.AuthNTLM, HTTP: true, Node: fakenode.New(inv.Resolve(n.Transport.Path))}
					tr := inventory.Transport{Kind: "winrm", Host: "127.0.0.1", UserEnv: userVar, PasswordEnv: passwordVar}
					if k != nil {
						opts.Auth, opts.Keytab = wsman.AuthKerberos, kt
						tr.Host, tr.Auth, tr.Realm, tr.Krb5Conf = "localhost", inventory.AuthKerberos, k.Realm, k.Krb5Conf
						// Every node is HTTP/localhost here; the inventory names
						// the host name the node reports, as it does when the
						// transport reaches a node by another name.
						if n.Hostname == "" {
							n.Hostname = strings.ToUpper(n.Name)
						}
					}
					srv, err := wsman.Start(opts)
					require.NoError(t, err)
					defer srv.Close()
					servers[n.Name] = srv
					tr.Port = srv.Port // auth left to its default for ntlm-encrypted
					n.Transport = tr
				}
				liveInv := filepath.Join(t.TempDir(), "inventory.yaml")
				writeLiveInventory(t, inv, liveInv)

				args := []string{c.command, "-i", liveInv}
				if c.command == "fix" {
					args = append(args, "--apply")
				}
				var out, errOut bytes.Buffer
				code := run(context.Background(), args, nil, &out, &errOut)
				require.Equalf(t, report.ExitOK, code, "%s\n%s", out.String(), errOut.String())
				assert.NotContains(t, out.String()+errOut.String(), livePassword)

				rep, code, printed := auditJSON(t, liveInv)
				assert.Equalf(t, report.ExitOK, code, "the live audit afterwards passes: %s", printed)
				assert.Zero(t, rep.Summary.Fail)
				for name, srv := range servers {
					assert.Positivef(t, srv.Sealed(), "%s: reached", name)
					assert.Equalf(t, len(srv.Actions()), srv.Sealed(), "%s: every message sealed", name)
					assert.Zerof(t, srv.PlainRefused(), "%s: a SOAP body arrived in clear text", name)
					assert.Zerof(t, srv.OpenShells(), "%s: shells left open", name)
				}
			})
		}
	}
}
