package inventory

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLoadNotify loads the full notify block and checks the defaults.
func TestLoadNotify(t *testing.T) {
	inv, err := Load(filepath.Join("testdata", "notify", "good.yaml"), Options{})
	require.NoError(t, err)
	n := inv.Notify
	assert.Equal(t, NotifyOnFailure, n.On)
	assert.Equal(t, NotifyEmail{
		Host: "smtp.acme.local", Port: DefaultSMTPPort, CAFile: "smtp-ca.pem", Auth: SMTPAuthLogin,
		UserEnv: "TMSDRIFT_SMTP_USER", PasswordEnv: "TMSDRIFT_SMTP_PASSWORD",
		From: `"TMS drift" <tmsdrift@acme.local>`, To: []string{"tms-admins@acme.local", "noc@acme.local"},
		TimeoutSeconds: DefaultEmailTimeoutSeconds,
	}, n.Email)
	assert.Equal(t, NotifyWebhook{URLEnv: "TMSDRIFT_WEBHOOK_URL", SecretEnv: "TMSDRIFT_WEBHOOK_SECRET", TimeoutSeconds: 5}, n.Webhook)
	assert.True(t, n.Configured())
}

// TestNotifyDefaults: on defaults to change once a channel exists; an
// inventory without the block keeps a zero Notify.
func TestNotifyDefaults(t *testing.T) {
	inv := Inventory{Notify: Notify{Webhook: NotifyWebhook{URL: "https://hooks.acme.local/x"}}}
	inv.ApplyDefaults()
	assert.Equal(t, NotifyOnChange, inv.Notify.On)
	assert.Equal(t, float64(DefaultWebhookTimeoutSeconds), inv.Notify.Webhook.TimeoutSeconds)
	assert.False(t, inv.Notify.Email.Configured())
	assert.Zero(t, inv.Notify.Email.Port, "no e-mail defaults without an e-mail channel")

	var none Inventory
	none.ApplyDefaults()
	assert.Equal(t, Notify{}, none.Notify)
	assert.False(t, none.Notify.Configured())
}

// TestLoadBadNotify expects exactly these problems, in file order, at
// the offending value (or the mapping that lacks a key).
func TestLoadBadNotify(t *testing.T) {
	tests := map[string][]wantProblem{
		"bad-email": {
			{7, 7, "notify.on", `unknown value "sometimes" (known: change, failure, always)`},
			{9, 5, "notify.email.password_env", "required with user_env"},
			{9, 11, "notify.email.host", "must be a host name or address only (the port goes in notify.email.port)"},
			{10, 11, "notify.email.port", "must be between 1 and 65535"},
			{11, 11, "notify.email.auth", `unknown value "cram-md5" (known: auto, plain, login)`},
			{13, 11, "notify.email.from", "not an e-mail address"},
			{16, 9, "notify.email.to[1]", "not an e-mail address"},
			{17, 22, "notify.email.timeout_seconds", "must be between 0 and 86400 (omit it for the default, 30)"},
		},
		"bad-email-missing": {
			{8, 5, "notify.email.host", "required: the SMTP server's host name"},
			{8, 5, "notify.email.from", "required: the sender address"},
			{8, 5, "notify.email.to", "required: a list of at least one recipient"},
		},
		"bad-plaintext-password": {
			{9, 25, "notify.email.insecure_plaintext", "cannot be combined with a password: it would cross the network in clear text"},
			{10, 14, "notify.email.ca_file", "missing file " + filepath.Join("testdata", "notify", "no-such-ca.pem")},
			{12, 19, "notify.email.password_env", "must be the name of an environment variable (e.g. TMSDRIFT_SMTP_PASSWORD), never the secret itself"},
		},
		"bad-webhook": {
			{8, 10, "notify.webhook.url", "must not carry a user or password before the host"},
			{9, 17, "notify.webhook.secret_env", "must be the name of an environment variable"},
			{10, 22, "notify.webhook.timeout_seconds", "is not a finite number; it must be between 0 and 86400"},
		},
		"bad-webhook-both":   {{9, 14, "notify.webhook.url_env", "set either url or url_env, not both"}},
		"bad-webhook-scheme": {{8, 10, "notify.webhook.url", "must start with https://"}},
		"bad-no-channel":     {{7, 3, "notify", "nothing to send: add notify.email or notify.webhook"}},
		"bad-ca-not-pem":     {{9, 14, "notify.email.ca_file", "not-a-cert.pem holds no PEM certificate"}},
		"bad-unknown-key": {
			{10, 9, "notify.email.to", "expected a list, found text"},
			{11, 5, "notify.email.starttls", "unknown key (allowed here: host, port, insecure_plaintext,"},
		},
	}
	files, err := filepath.Glob(filepath.Join("testdata", "notify", "bad-*.yaml"))
	require.NoError(t, err)
	require.Len(t, files, len(tests), "every bad file has a case, and every case a file")
	for name, want := range tests {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join("testdata", "notify", name+".yaml")
			inv, err := Load(file, Options{})
			require.Error(t, err)
			assert.Nil(t, inv)
			var ie *Error
			require.True(t, errors.As(err, &ie), "%v", err)
			require.Len(t, ie.Problems, len(want), "problems:\n%v", err)
			for i, w := range want {
				p := ie.Problems[i]
				assert.Equal(t, file, p.File)
				assert.Equal(t, w.line, p.Line, "line of %v", p)
				assert.Equal(t, w.col, p.Column, "column of %v", p)
				assert.Equal(t, w.field, p.Field)
				assert.Contains(t, p.Message, w.fragment)
			}
			// Secrets written in the wrong place are never echoed.
			for _, secret := range []string{"Hunter2", "Secr3t", "s3cr3t", "T0KEN", "victim"} {
				assert.NotContains(t, err.Error(), secret)
			}
		})
	}
}

func TestWebhookURLProblem(t *testing.T) {
	assert.Empty(t, WebhookURLProblem("https://hooks.acme.local/services/T0KEN"))
	assert.Empty(t, WebhookURLProblem("http://127.0.0.1:8080/hook"))
	for _, bad := range []string{"", "hooks.acme.local/x", "ftp://h/x", "https://", "https://u:p@h/x", "https://h/x\n", "%zz"} {
		assert.NotEmpty(t, WebhookURLProblem(bad), bad)
	}
}

// TestSchemaNotify: the schema accepts the good block and flags what an
// editor can see.
func TestSchemaNotify(t *testing.T) {
	sch, _ := compiledSchema(t)
	good := readFile(t, filepath.Join("testdata", "notify", "good.yaml"))
	require.NoError(t, sch.Validate(yamlInstance(t, good)))
	base := "deployment: lab\nmodel: single\ndatabase: {snapshot: db.json, server: sql01}\nnodes: [{name: a, role: primary, transport: {kind: local}}]\n"
	tests := map[string]struct{ src, why string }{
		"unknown on":          {base + "notify: {on: sometimes, webhook: {url: 'https://h/x'}}\n", "at '/notify/on': value must be one of"},
		"email without to":    {base + "notify: {email: {host: smtp, from: a@b.c}}\n", "at '/notify/email': missing property 'to'"},
		"empty to":            {base + "notify: {email: {host: smtp, from: a@b.c, to: []}}\n", "at '/notify/email/to': minItems"},
		"webhook without url": {base + "notify: {webhook: {secret_env: S}}\n", "at '/notify/webhook': 'oneOf' failed, none matched"},
		"webhook with both":   {base + "notify: {webhook: {url: 'https://h/x', url_env: U}}\n", "'oneOf' failed, subschemas 0, 1 matched"},
		"unknown auth":        {base + "notify: {email: {host: smtp, from: a@b.c, to: [x@y.z], auth: ntlm}}\n", "at '/notify/email/auth': value must be one of"},
		"unknown key":         {base + "notify: {email: {host: smtp, from: a@b.c, to: [x@y.z], starttls: false}}\n", "additional properties 'starttls' not allowed"},
	}
	for name, tt := range tests {
		err := sch.Validate(yamlInstance(t, []byte(tt.src)))
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), tt.why, name)
	}
}

func TestResolvedNotify(t *testing.T) {
	file := filepath.Join("testdata", "notify", "good.yaml")
	inv, err := Load(file, Options{})
	require.NoError(t, err)
	n := inv.ResolvedNotify()
	assert.Equal(t, filepath.Join("testdata", "notify", "smtp-ca.pem"), n.Email.CAFile)
	assert.Equal(t, "smtp-ca.pem", inv.Notify.Email.CAFile, "the inventory keeps what was written")
	n.Email.To[0] = "changed@acme.local"
	assert.Equal(t, "tms-admins@acme.local", inv.Notify.Email.To[0], "a copy")
}
