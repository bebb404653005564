package inventory

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// liveInventory is a one-node inventory whose transport is the given flow
// mapping, in a folder holding ca.pem, known_hosts and id_ed25519.
func liveInventory(t *testing.T, transport string) (string, []byte) {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"ca.pem", "known_hosts", "id_ed25519"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o600))
	}
	require.NoError(t, os.Mkdir(filepath.Join(dir, "folder"), 0o755))
	doc := "deployment: lab\nmodel: single\ndatabase: {snapshot: db.json, server: sql01}\nnodes:\n" +
		"  - name: tms01\n    role: primary\n    transport: " + transport + "\n"
	return filepath.Join(dir, "inventory.yaml"), []byte(doc)
}

// TestLiveTransportKeys: what each live kind accepts, and the field, line
// and column of what it rejects.
func TestLiveTransportKeys(t *testing.T) {
	good := []string{
		`{kind: winrm, host: tms01.acme.local}`,
		`{kind: winrm, host: tms01, auth: basic, ca_file: ca.pem, user_env: U, password_env: P, timeout_seconds: 120}`,
		`{kind: winrm, host: tms01, auth: ntlm, insecure_skip_verify: true}`,
		`{kind: winrm, host: tms01, auth: ntlm-encrypted, port: 5985}`,
		`{kind: winrm, host: tms01.acme.local, auth: kerberos, realm: ACME.LOCAL, kdc: dc01.acme.local, krb5_conf: ca.pem, keytab: id_ed25519, spn: HTTP/tms01.acme.local}`,
		`{kind: winrm, host: tms01.acme.local, realm: ACME.LOCAL}`,
		`{kind: ssh, host: tms01, known_hosts: known_hosts, key_file: id_ed25519, passphrase_env: KEY_PASS}`,
		`{kind: ssh, host: tms01, auth: password, password_env: P}`,
		`{kind: local, timeout_seconds: 600}`,
	}
	for _, tr := range good {
		name, doc := liveInventory(t, tr)
		_, err := LoadBytes(name, doc, Options{})
		assert.NoError(t, err, tr)
	}
	bad := []struct{ transport, field, msg string }{
		{`{kind: winrm, auth: negotiate}`, "nodes[0].transport.auth", `unknown auth "negotiate" for transport kind winrm (known: ntlm-encrypted, kerberos, ntlm, basic)`},
		{`{kind: winrm, auth: ntlm, realm: ACME.LOCAL}`, "nodes[0].transport.realm", "only used by transport kind winrm with auth kerberos"},
		{`{kind: winrm, auth: kerberos, keytab: missing.keytab}`, "nodes[0].transport.keytab", "cannot read missing.keytab"},
		{`{kind: winrm, auth: kerberos, ca_file: ca.pem}`, "nodes[0].transport.ca_file", "only used by transport kind winrm with auth basic or ntlm (HTTPS)"},
		{`{kind: ssh, realm: ACME.LOCAL}`, "nodes[0].transport.realm", "only used by transport kind winrm"},
		{`{kind: ssh, auth: ntlm}`, "nodes[0].transport.auth", `unknown auth "ntlm" for transport kind ssh`},
		{`{kind: winrm, auth: ntlm-encrypted, ca_file: ca.pem}`, "nodes[0].transport.ca_file", "only used by transport kind winrm with auth basic or ntlm (HTTPS)"},
		{`{kind: winrm, ca_file: ca.pem, insecure_skip_verify: true}`, "nodes[0].transport.insecure_skip_verify", "not both"},
		{`{kind: winrm, ca_file: missing.pem}`, "nodes[0].transport.ca_file", "cannot read missing.pem"},
		{`{kind: winrm, known_hosts: known_hosts}`, "nodes[0].transport.known_hosts", "only used by transport kind ssh"},
		{`{kind: ssh, ca_file: ca.pem}`, "nodes[0].transport.ca_file", "only used by transport kind winrm"},
		{`{kind: ssh, auth: key}`, "nodes[0].transport.key_file", "required for ssh with auth key"},
		{`{kind: ssh, key_file: folder}`, "nodes[0].transport.key_file", "is a folder, not a file"},
		{`{kind: ssh, passphrase_env: "my passphrase"}`, "nodes[0].transport.passphrase_env", "must be the name of an environment variable"},
		{`{kind: local, user_env: U}`, "nodes[0].transport.user_env", "only used by transport kind winrm or ssh"},
		{`{kind: local, auth: basic}`, "nodes[0].transport.auth", "only used by transport kind winrm or ssh"},
		{`{kind: winrm, timeout_seconds: -1}`, "nodes[0].transport.timeout_seconds", "must be between 0 and 86400 (omit it for the default, 300)"},
	}
	for _, c := range bad {
		name, doc := liveInventory(t, c.transport)
		_, err := LoadBytes(name, doc, Options{})
		var ie *Error
		require.Truef(t, errors.As(err, &ie), "%s: %v", c.transport, err)
		require.Lenf(t, ie.Problems, 1, "%s: %v", c.transport, err)
		p := ie.Problems[0]
		assert.Equal(t, c.field, p.Field, c.transport)
		assert.Contains(t, p.Message, c.msg, c.transport)
		assert.Equal(t, 7, p.Line, "the transport's line")
		assert.NotZero(t, p.Column)
	}
	_, doc := liveInventory(t, `{kind: ssh, passphrase_env: "my passphrase"}`)
	_, err := LoadBytes("x.yaml", doc, Options{})
	assert.NotContains(t, err.Error(), "my passphrase", "a secret pasted into *_env is not echoed")
}

func TestTransportDefaults(t *testing.T) {
	// The default is what a domain member accepts as Windows ships it;
	// inventories written for the HTTPS default keep it.
	assert.Equal(t, AuthNTLMEncrypted, Transport{Kind: "winrm"}.AuthMethod())
	assert.Equal(t, AuthNTLM, Transport{Kind: "winrm", CAFile: "ca.pem"}.AuthMethod())
	assert.Equal(t, AuthNTLM, Transport{Kind: "winrm", InsecureSkipVerify: true}.AuthMethod())
	assert.Equal(t, AuthNTLM, Transport{Kind: "winrm", Port: 5986}.AuthMethod())
	assert.Equal(t, AuthKerberos, Transport{Kind: "winrm", Realm: "ACME.LOCAL"}.AuthMethod())
	assert.Equal(t, AuthKey, Transport{Kind: "ssh", KeyFile: "k"}.AuthMethod())
	assert.Equal(t, AuthPassword, Transport{Kind: "ssh"}.AuthMethod())
	assert.Equal(t, "", Transport{Kind: "local"}.AuthMethod())
	assert.Equal(t, DefaultUserEnv, Transport{}.UserVar())
	assert.Equal(t, "U", Transport{UserEnv: "U"}.UserVar())
	assert.Equal(t, DefaultPasswordEnv, Transport{}.PasswordVar())
	assert.Equal(t, 1500*time.Millisecond, Transport{TimeoutSeconds: 1.5}.Timeout())
	assert.Equal(t, "h", (&Node{Name: "n", Address: "a", Transport: Transport{Host: "h"}}).Host())
	assert.Equal(t, "a", (&Node{Name: "n", Address: "a"}).Host())
	assert.Equal(t, "n", (&Node{Name: "n"}).Host())
}
