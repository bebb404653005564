package winrm_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/collect/psscript"
	"github.com/tmsdrift/tmsdrift/collect/winrm"
	"github.com/tmsdrift/tmsdrift/fixtures/wsman"
)

// TestKerberosLogsInEveryWayTheInventoryOffers: each way the inventory
// and the environment can give Kerberos what it needs (issue 9: "realm,
// KDC, keytab or password from the inventory and environment, krb5.conf
// honoured") gets a ticket from a real MIT KDC and runs a sealed command
// on the stand-in; what is missing is an error that says what.
func TestKerberosLogsInEveryWayTheInventoryOffers(t *testing.T) {
	k := realm(t)
	srv, _ := sealedServer(t, wsman.AuthKerberos, k, wsman.Misbehave{})
	// A krb5.conf that names no realm, no KDC and no default: what the
	// inventory's realm and kdc must make up for.
	bare := filepath.Join(t.TempDir(), "krb5.conf")
	require.NoError(t, os.WriteFile(bare, []byte("[libdefaults]\n    dns_lookup_kdc = false\n    dns_lookup_realm = false\n"), 0o600))

	cases := []struct {
		name     string
		user, pw string
		env      string // KRB5_CONFIG
		krb      winrm.KerberosConfig
		want     string // "" = the command runs
	}{
		{name: "keytab, no password", user: k.User,
			krb: winrm.KerberosConfig{Realm: k.Realm, Krb5Conf: k.Krb5Conf, Keytab: k.UserKeytab}},
		{name: "krb5.conf from KRB5_CONFIG, realm from its default_realm", user: k.User, pw: k.Password, env: k.Krb5Conf},
		{name: "realm from user@REALM", user: k.Principal(), pw: k.Password, env: bare,
			krb: winrm.KerberosConfig{KDC: k.Addr}},
		{name: "realm and kdc from the inventory, krb5.conf knows neither", user: k.User, pw: k.Password,
			krb: winrm.KerberosConfig{Realm: k.Realm, KDC: k.Addr, Krb5Conf: bare}},
		{name: "DOMAIN\\user takes the realm from the inventory", user: `TMSDRIFT\` + k.User, pw: k.Password,
			krb: winrm.KerberosConfig{Realm: k.Realm, Krb5Conf: k.Krb5Conf}},
		{name: "no realm anywhere", user: k.User, pw: k.Password, krb: winrm.KerberosConfig{KDC: k.Addr, Krb5Conf: bare},
			want: "no realm"},
		{name: "neither keytab nor password", user: k.User, krb: winrm.KerberosConfig{Realm: k.Realm, Krb5Conf: k.Krb5Conf},
			want: "neither a keytab nor a password"},
		{name: "a keytab without the user's key", user: k.User,
			krb: winrm.KerberosConfig{Realm: k.Realm, Krb5Conf: k.Krb5Conf, Keytab: k.Keytab}, want: "kerberos login"},
		{name: "a missing krb5.conf named by KRB5_CONFIG", user: k.User, pw: k.Password, env: filepath.Join(t.TempDir(), "none.conf"),
			want: "krb5.conf"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("KRB5_CONFIG", tc.env)
			cfg := winrm.Config{Host: "localhost", Port: srv.Port, Auth: winrm.AuthKerberos, User: tc.user, Password: tc.pw, Kerberos: tc.krb}
			before := srv.Sealed()
			c, err := winrm.New(cfg)
			if err == nil {
				defer c.Close()
				var out, errOut bytes.Buffer
				var code int
				code, err = c.Run(ctx(t, 20*time.Second), psscript.ReadFileCommand(`C:\Program Files\TANDBERG\TMS\wwwTMS\web.config`), nil, &out, &errOut)
				if err == nil {
					require.Equal(t, 0, code, errOut.String())
					require.NotEmpty(t, out.String())
				}
			}
			if tc.want == "" {
				require.NoError(t, err)
				assert.Greater(t, srv.Sealed(), before, "the command crossed sealed")
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), k.Password)
			assert.Equal(t, before, srv.Sealed(), "nothing reached the node")
		})
	}
	assert.Zero(t, srv.PlainRefused())
	assert.Zero(t, srv.OpenShells())
}
