package main

// collect through WinRM as a domain member ships it — HTTP 5985 with
// NTLM message sealing (auth ntlm-encrypted) and with Kerberos from a real
// MIT KDC sealed by RFC 4121 (auth kerberos) — records the same snapshot,
// byte for byte, as collect through the dir transport.

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
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

// needKDC skips loudly without the MIT KDC tools, and fails under CI.
func needKDC(t *testing.T) {
	t.Helper()
	if err := kdc.Available(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set and the MIT KDC is missing: %v", err)
		}
		t.Skipf("SKIPPED (tool missing, CI unset): %v", err)
	}
}

func TestCollectThroughSealedWinRMMatchesDir(t *testing.T) {
	// keytabLogin is auth kerberos as a scheduled job runs it: the user's
	// key from a keytab named relative to the inventory, no password
	// variable, krb5.conf (and its default_realm) from KRB5_CONFIG.
	const keytabLogin = inventory.AuthKerberos + "+keytab"
	for _, lab := range []string{"manual-cutover", "data-drift", "post-upgrade"} {
		auths := []string{inventory.AuthNTLMEncrypted, inventory.AuthKerberos}
		if lab == "manual-cutover" {
			auths = append(auths, keytabLogin)
		}
		for _, auth := range auths {
			t.Run(lab+"/"+auth, func(t *testing.T) {
				labInv := filepath.Join(fixtures.LabsDir(), lab, "inventory.yaml")
				want := filepath.Join(t.TempDir(), "dir")
				var out, errOut bytes.Buffer
				require.Equal(t, report.ExitOK, run(context.Background(), []string{"collect", "-i", labInv, "-o", want}, nil, &out, &errOut), errOut.String())

				inv, err := inventory.Load(labInv, inventory.Options{})
				require.NoError(t, err)
				dir := t.TempDir()
				var k *kdc.KDC
				var kt *keytab.Keytab
				user := liveUser
				if auth != inventory.AuthNTLMEncrypted {
					needKDC(t)
					k, err = kdc.Start(dir, kdc.Options{User: "tmsaudit", Password: livePassword})
					require.NoError(t, err)
					defer k.Close()
					kt, err = keytab.Load(k.Keytab)
					require.NoError(t, err)
					user = k.User
				}
				t.Setenv(userVar, user)
				t.Setenv(passwordVar, livePassword)
				if auth == keytabLogin {
					require.NoError(t, os.WriteFile(filepath.Join(dir, "tmsaudit.keytab"), readBytes(t, k.UserKeytab), 0o600))
					t.Setenv("KRB5_CONFIG", k.Krb5Conf)
					t.Setenv(passwordVar, "") // the keytab logs in; no password is needed
				}
				var servers []*wsman.Server
				for i := range inv.Nodes {
					n := &inv.Nodes[i]
					opts := wsman.Options{User: user, Password: livePassword, Auth: wsman.AuthNTLM, HTTP: true, Node: fakenode.New(inv.Resolve(n.Transport.Path))}
					tr := inventory.Transport{Kind: "winrm", Host: "127.0.0.1", UserEnv: userVar, PasswordEnv: passwordVar}
					if k != nil {
						opts.Auth, opts.Keytab = wsman.AuthKerberos, kt
						tr.Host, tr.Auth, tr.Realm, tr.Krb5Conf = "localhost", inventory.AuthKerberos, k.Realm, k.Krb5Conf
					}
					if auth == keytabLogin {
						tr.Realm, tr.Krb5Conf, tr.Keytab, tr.PasswordEnv = "", "", "tmsaudit.keytab", ""
					}
					srv, err := wsman.Start(opts)
					require.NoError(t, err)
					defer srv.Close()
					servers = append(servers, srv)
					tr.Port = srv.Port // auth left to its default for ntlm-encrypted: HTTP 5985 sealing
					n.Transport = tr
				}
				liveInv := filepath.Join(dir, "inventory.yaml")
				writeLiveInventory(t, inv, liveInv)

				got := filepath.Join(t.TempDir(), "live")
				out.Reset()
				errOut.Reset()
				require.Equal(t, report.ExitOK, run(context.Background(), []string{"collect", "-i", liveInv, "-o", got}, nil, &out, &errOut), errOut.String())
				assert.NotContains(t, out.String()+errOut.String(), livePassword)
				sameTree(t, filepath.Join(want, "nodes"), filepath.Join(got, "nodes"))
				for _, srv := range servers {
					assert.Positive(t, srv.Sealed())
					assert.Equal(t, len(srv.Actions()), srv.Sealed(), "every message sealed")
					assert.Zero(t, srv.PlainRefused())
					assert.Zero(t, srv.OpenShells())
				}
				assertNoSecretInTree(t, got)
			})
		}
	}
}

// sameTree requires two folders to hold the same files with the same
// bytes.
func sameTree(t *testing.T, want, got string) {
	t.Helper()
	files := func(root string) map[string][]byte {
		m := map[string][]byte{}
		require.NoError(t, filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			m[rel], err = os.ReadFile(p)
			return err
		}))
		return m
	}
	w, g := files(want), files(got)
	require.NotEmpty(t, w)
	for name, b := range w {
		assert.Truef(t, bytes.Equal(b, g[name]), "%s differs between the dir and the WinRM recordings", name)
	}
	for name := range g {
		_, ok := w[name]
		assert.Truef(t, ok, "%s recorded through WinRM only", name)
	}
}

func readBytes(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	return b
}
