package inventory

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"net/mail"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/invopop/jsonschema"
)

// The notify block: when `tmsdrift serve` tells someone about a run, and
// how (e-mail over SMTP, a webhook). Package notify sends; this file is
// the inventory side: types, defaults, validation, schema descriptions.

// NotifyOn says which runs are reported.
type NotifyOn string

// When to notify.
const (
	// NotifyOnChange reports a run whose verdict or set of failing results
	// differs from the previous run's, and the first run. The default.
	NotifyOnChange NotifyOn = "change"
	// NotifyOnFailure reports every run that is not a clean pass: drift
	// found, or something could not be checked.
	NotifyOnFailure NotifyOn = "failure"
	// NotifyOnAlways reports every run.
	NotifyOnAlways NotifyOn = "always"
)

// NotifyOns lists every value of notify.on.
var NotifyOns = []NotifyOn{NotifyOnChange, NotifyOnFailure, NotifyOnAlways}

// SMTP authentication mechanisms notify.email.auth accepts.
const (
	SMTPAuthAuto  = "auto"  // the strongest the server offers
	SMTPAuthPlain = "plain" // AUTH PLAIN (RFC 4616)
	SMTPAuthLogin = "login" // AUTH LOGIN, for servers (Exchange) that only offer it
)

// SMTPAuths lists every value of notify.email.auth.
var SMTPAuths = []string{SMTPAuthAuto, SMTPAuthPlain, SMTPAuthLogin}

// Defaults of the notify block (docs/notify.md).
const (
	DefaultSMTPPort              = 587 // message submission with STARTTLS (RFC 6409)
	DefaultEmailTimeoutSeconds   = 30
	DefaultWebhookTimeoutSeconds = 10
)

// Notify is the inventory's notify block. With neither channel set
// nothing is sent.
type Notify struct {
	On      NotifyOn      `yaml:"on,omitempty" json:"on,omitempty" jsonschema:"enum=change,enum=failure,enum=always,default=change"`
	Email   NotifyEmail   `yaml:"email,omitempty" json:"email,omitempty"`
	Webhook NotifyWebhook `yaml:"webhook,omitempty" json:"webhook,omitempty"`
}

// NotifyEmail sends the report by e-mail over SMTP. STARTTLS is required
// unless InsecurePlaintext is set; credentials come from environment
// variables, never from the inventory.
type NotifyEmail struct {
	Host              string   `yaml:"host,omitempty" json:"host,omitempty"`
	Port              int      `yaml:"port,omitempty" json:"port,omitempty" jsonschema:"minimum=1,maximum=65535,default=587"`
	InsecurePlaintext bool     `yaml:"insecure_plaintext,omitempty" json:"insecure_plaintext,omitempty"`
	CAFile            string   `yaml:"ca_file,omitempty" json:"ca_file,omitempty"`
	Auth              string   `yaml:"auth,omitempty" json:"auth,omitempty" jsonschema:"enum=auto,enum=plain,enum=login,default=auto"`
	UserEnv           string   `yaml:"user_env,omitempty" json:"user_env,omitempty"`
	PasswordEnv       string   `yaml:"password_env,omitempty" json:"password_env,omitempty"`
	From              string   `yaml:"from,omitempty" json:"from,omitempty"`
	To                []string `yaml:"to,omitempty" json:"to,omitempty" jsonschema:"minItems=1"`
	TimeoutSeconds    float64  `yaml:"timeout_seconds,omitempty" json:"timeout_seconds,omitempty" jsonschema:"minimum=0,maximum=86400,default=30"`
}

// Configured reports whether the e-mail channel is set up at all (any key
// given); validation then insists on the required ones.
func (e NotifyEmail) Configured() bool {
	return e.Host != "" || e.Port != 0 || e.InsecurePlaintext || e.CAFile != "" || e.Auth != "" ||
		e.UserEnv != "" || e.PasswordEnv != "" || e.From != "" || len(e.To) > 0 || e.TimeoutSeconds != 0
}

// NotifyWebhook posts a JSON summary (schema tmsdrift/notify/v1) to a URL,
// signed with HMAC-SHA256 when SecretEnv names a secret.
type NotifyWebhook struct {
	URL            string  `yaml:"url,omitempty" json:"url,omitempty"`
	URLEnv         string  `yaml:"url_env,omitempty" json:"url_env,omitempty"`
	SecretEnv      string  `yaml:"secret_env,omitempty" json:"secret_env,omitempty"`
	TimeoutSeconds float64 `yaml:"timeout_seconds,omitempty" json:"timeout_seconds,omitempty" jsonschema:"minimum=0,maximum=86400,default=10"`
}

// Configured reports whether the webhook channel is set up at all.
func (w NotifyWebhook) Configured() bool {
	return w != NotifyWebhook{}
}

// Configured reports whether any channel is set up.
func (n Notify) Configured() bool { return n.Email.Configured() || n.Webhook.Configured() }

// applyDefaults fills the notify block's defaults (ApplyDefaults calls
// it); an inventory without a channel stays as it was.
func (n *Notify) applyDefaults() {
	if !n.Configured() {
		return
	}
	if n.On == "" {
		n.On = NotifyOnChange
	}
	if n.Email.Configured() {
		if n.Email.Port == 0 {
			n.Email.Port = DefaultSMTPPort
		}
		if n.Email.Auth == "" {
			n.Email.Auth = SMTPAuthAuto
		}
		if n.Email.TimeoutSeconds == 0 {
			n.Email.TimeoutSeconds = DefaultEmailTimeoutSeconds
		}
	}
	if n.Webhook.Configured() && n.Webhook.TimeoutSeconds == 0 {
		n.Webhook.TimeoutSeconds = DefaultWebhookTimeoutSeconds
	}
}

// validateNotify checks the notify block.
func validateNotify(inv *Inventory, ps *problems) {
	n := inv.Notify
	if n.On != "" && !slices.Contains(NotifyOns, n.On) {
		ps.add("notify.on", "unknown value %q (known: %s)", n.On, joinNotifyOns())
	}
	if n.On != "" && !n.Configured() {
		ps.add("notify", "nothing to send: add notify.email or notify.webhook (or remove notify.on)")
	}
	if n.Email.Configured() {
		validateEmail(inv, ps, n.Email)
	}
	if n.Webhook.Configured() {
		validateWebhook(ps, n.Webhook)
	}
}

func validateEmail(inv *Inventory, ps *problems, e NotifyEmail) {
	const at = "notify.email"
	switch {
	case e.Host == "":
		ps.add(at+".host", "required: the SMTP server's host name, e.g. smtp.acme.local")
	case strings.ContainsAny(e.Host, " /:@") || strings.ContainsFunc(e.Host, isControl):
		ps.add(at+".host", "must be a host name or address only (the port goes in notify.email.port)")
	}
	limit(ps, at+".port", float64(e.Port))
	if e.Auth != "" && !slices.Contains(SMTPAuths, e.Auth) {
		ps.add(at+".auth", "unknown value %q (known: %s)", e.Auth, strings.Join(SMTPAuths, ", "))
	}
	envRef(ps, at+".user_env", e.UserEnv, "TMSDRIFT_SMTP_USER")
	envRef(ps, at+".password_env", e.PasswordEnv, "TMSDRIFT_SMTP_PASSWORD")
	switch {
	case e.UserEnv != "" && e.PasswordEnv == "":
		ps.add(at+".password_env", "required with user_env: the environment variable holding the SMTP password")
	case e.UserEnv == "" && e.PasswordEnv != "":
		ps.add(at+".user_env", "required with password_env: the environment variable holding the SMTP user name")
	}
	if e.InsecurePlaintext && e.PasswordEnv != "" {
		ps.add(at+".insecure_plaintext", "cannot be combined with a password: it would cross the network in clear text; use STARTTLS (remove insecure_plaintext) or an unauthenticated relay")
	}
	if e.CAFile != "" {
		notifyCAFile(ps, at+".ca_file", inv.Resolve(e.CAFile))
	}
	switch {
	case e.From == "":
		ps.add(at+".from", "required: the sender address, e.g. tmsdrift@acme.local")
	case !mailAddress(e.From):
		ps.add(at+".from", "not an e-mail address (e.g. tmsdrift@acme.local or \"TMS drift\" <tmsdrift@acme.local>)")
	}
	if len(e.To) == 0 {
		ps.add(at+".to", "required: a list of at least one recipient, e.g. [tms-admins@acme.local]")
	}
	for i, to := range e.To {
		if !mailAddress(to) {
			ps.add(fmt.Sprintf("%s.to[%d]", at, i), "not an e-mail address (e.g. tms-admins@acme.local)")
		}
	}
	limit(ps, at+".timeout_seconds", e.TimeoutSeconds)
}

// mailAddress reports whether s is one RFC 5322 address, with no line
// break that could smuggle in another header.
func mailAddress(s string) bool {
	if strings.ContainsFunc(s, isControl) {
		return false
	}
	_, err := mail.ParseAddress(s)
	return err == nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// notifyCAFile reports an SMTP CA file that is missing or holds no PEM
// certificate: the STARTTLS error it would cause at 2 a.m. names neither.
func notifyCAFile(ps *problems, at, path string) {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		ps.add(at, "missing file %s", path)
		return
	case err != nil:
		ps.add(at, "cannot read %s: %s", path, ioReason(err))
		return
	case !st.Mode().IsRegular():
		ps.add(at, "%s is not a regular file", path)
		return
	}
	data, err := os.ReadFile(path)
	switch {
	case err != nil:
		ps.add(at, "cannot read %s: %s", path, ioReason(err))
	case !x509.NewCertPool().AppendCertsFromPEM(data):
		ps.add(at, "%s holds no PEM certificate (-----BEGIN CERTIFICATE-----): export the CA that issued the SMTP server's certificate as Base-64 (PEM)", path)
	}
}

func validateWebhook(ps *problems, w NotifyWebhook) {
	const at = "notify.webhook"
	switch {
	case w.URL != "" && w.URLEnv != "":
		ps.add(at+".url_env", "set either url or url_env, not both")
	case w.URL == "" && w.URLEnv == "":
		ps.add(at+".url", "required: the URL to POST to (or url_env: an environment variable holding it, when the URL carries a token)")
	case w.URL != "":
		if problem := WebhookURLProblem(w.URL); problem != "" {
			ps.add(at+".url", "%s", problem)
		}
	}
	envRef(ps, at+".url_env", w.URLEnv, "TMSDRIFT_WEBHOOK_URL")
	envRef(ps, at+".secret_env", w.SecretEnv, "TMSDRIFT_WEBHOOK_SECRET")
	limit(ps, at+".timeout_seconds", w.TimeoutSeconds)
}

// WebhookURLProblem says what is wrong with a webhook URL, or "". The URL
// itself is never quoted: webhook URLs often carry a token in the path.
// notify checks a URL read from url_env with it too.
func WebhookURLProblem(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case err != nil || strings.ContainsFunc(raw, isControl):
		return "not a URL (the value is not shown: it may carry a token)"
	case u.Scheme != "https" && u.Scheme != "http":
		return "must start with https:// (or http:// on a trusted network)"
	case u.Host == "":
		return "has no host"
	case u.User != nil:
		return "must not carry a user or password before the host; sign with secret_env instead"
	}
	return ""
}

func joinNotifyOns() string {
	s := make([]string, len(NotifyOns))
	for i, o := range NotifyOns {
		s[i] = string(o)
	}
	return strings.Join(s, ", ")
}

// addNotifyConditions adds what the notify block requires beyond types to
// the schema: an e-mail channel needs host, from and to; a webhook a URL
// (in the inventory or in the environment).
func addNotifyConditions(s *jsonschema.Schema) {
	n, ok := s.Properties.Get("notify")
	if !ok {
		return
	}
	if e, ok := n.Properties.Get("email"); ok {
		e.Required = []string{"host", "from", "to"}
	}
	if w, ok := n.Properties.Get("webhook"); ok {
		w.OneOf = []*jsonschema.Schema{{Required: []string{"url"}}, {Required: []string{"url_env"}}}
	}
}

// notifySchemaDescriptions explain the notify keys for the editor (see
// schemaDescriptions).
var notifySchemaDescriptions = map[string]string{
	"notify":    "tmsdrift serve: when to report a run, by e-mail and/or webhook (docs/notify.md).",
	"notify.on": "change (default: the verdict or the set of failing results changed, and the first run), failure (every run that is not a clean pass) or always.",

	"notify.email":                    "Send the report by e-mail over SMTP: the Markdown summary as text, the HTML report as the HTML part.",
	"notify.email.host":               "SMTP server host name, e.g. smtp.acme.local.",
	"notify.email.port":               "SMTP port. Default 587 (submission with STARTTLS).",
	"notify.email.insecure_plaintext": "Allow a server without STARTTLS (the mail then crosses the network in clear text). Not allowed with a password.",
	"notify.email.ca_file":            "PEM file of the CA (or certificate) the SMTP server presents, relative to the inventory. Default: the system's trusted roots.",
	"notify.email.auth":               "auto (default: the strongest mechanism the server offers), plain or login. Used only with user_env and password_env.",
	"notify.email.user_env":           "Name of the environment variable holding the SMTP user name. Omitted: no authentication.",
	"notify.email.password_env":       "Name of the environment variable holding the SMTP password (never the password itself).",
	"notify.email.from":               "Sender address, e.g. tmsdrift@acme.local.",
	"notify.email.to":                 "Recipient addresses, at least one.",
	"notify.email.timeout_seconds":    "Seconds to connect, authenticate and hand over the message. Default 30.",

	"notify.webhook":                 "POST a JSON summary (schema tmsdrift/notify/v1) to a URL, retried three times with backoff.",
	"notify.webhook.url":             "The URL to POST to (https). Exclusive with url_env.",
	"notify.webhook.url_env":         "Name of the environment variable holding the URL, for URLs that carry a token. Exclusive with url.",
	"notify.webhook.secret_env":      "Name of the environment variable holding the signing secret: each POST then carries X-Tmsdrift-Signature: sha256=<HMAC-SHA256 of the body, hex>.",
	"notify.webhook.timeout_seconds": "Seconds each attempt may take. Default 10.",
}

// ResolvedNotify is the notify block ready for package notify: ca_file
// resolved against the inventory's folder (as every path in the inventory
// is), so the sender does not depend on the working directory.
func (inv *Inventory) ResolvedNotify() Notify {
	n := inv.Notify
	n.Email.To = slices.Clone(n.Email.To)
	n.Email.CAFile = inv.Resolve(n.Email.CAFile)
	return n
}
