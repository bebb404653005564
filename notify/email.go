package notify

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	mail "github.com/wneessen/go-mail"

	"github.com/tmsdrift/tmsdrift/inventory"
)

// sendEmail hands msg to the SMTP server cfg names, through go-mail (MIME,
// encodings, STARTTLS and SMTP AUTH are its job, not ours).
func sendEmail(ctx context.Context, cfg inventory.NotifyEmail, msg Message, env func(string) string) Result {
	res := Result{Channel: ChannelEmail, Target: emailTarget(cfg)}
	user, pass, err := smtpCredentials(cfg, env)
	if err != nil {
		res.Err = err
		return res
	}
	client, err := smtpClient(cfg, user, pass)
	if err != nil {
		res.Err = fmt.Errorf("e-mail to %s: %w", res.Target, err) // our own words: no secret in them
		return res
	}
	m, err := emailMessage(cfg, msg)
	if err != nil {
		res.Err = fmt.Errorf("e-mail to %s: %w", res.Target, err)
		return res
	}
	res.Attempts = 1
	timeout := time.Duration(cfg.TimeoutSeconds * float64(time.Second))
	if timeout <= 0 {
		timeout = inventory.DefaultEmailTimeoutSeconds * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := client.DialAndSendWithContext(ctx, m); err != nil {
		res.Err = scrub(fmt.Errorf("e-mail to %s: %s", res.Target, smtpReason(cfg, err)), pass, "\x00"+user+"\x00"+pass)
		return res
	}
	res.OK = true
	return res
}

// emailTarget names the server and how many recipients, for logs.
func emailTarget(cfg inventory.NotifyEmail) string {
	port := cfg.Port
	if port == 0 {
		port = inventory.DefaultSMTPPort
	}
	n := len(cfg.To)
	plural := "s"
	if n == 1 {
		plural = ""
	}
	return fmt.Sprintf("%s (%d recipient%s)", net.JoinHostPort(oneLine(cfg.Host), strconv.Itoa(port)), n, plural)
}

// smtpCredentials reads the user and password from the environment
// variables the inventory names; neither is set when no auth is wanted.
func smtpCredentials(cfg inventory.NotifyEmail, env func(string) string) (user, pass string, err error) {
	if cfg.UserEnv == "" && cfg.PasswordEnv == "" {
		return "", "", nil
	}
	user, pass = env(cfg.UserEnv), env(cfg.PasswordEnv)
	switch {
	case cfg.UserEnv == "" || cfg.PasswordEnv == "":
		return "", "", errors.New("e-mail: notify.email needs both user_env and password_env, or neither")
	case user == "":
		return "", "", fmt.Errorf("e-mail: environment variable %s (notify.email.user_env) is empty or not set", cfg.UserEnv)
	case pass == "":
		return "", "", fmt.Errorf("e-mail: environment variable %s (notify.email.password_env) is empty or not set", cfg.PasswordEnv)
	}
	return user, pass, nil
}

// smtpClient configures go-mail: STARTTLS mandatory unless the inventory
// allows plain text (then it is still used when offered), the server's
// certificate checked against the system roots or ca_file, TLS 1.2 at
// least, authentication only over TLS.
func smtpClient(cfg inventory.NotifyEmail, user, pass string) (*mail.Client, error) {
	tlsConfig := &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12}
	if cfg.CAFile != "" {
		if !filepath.IsAbs(cfg.CAFile) {
			return nil, fmt.Errorf("notify.email.ca_file %q is relative: the caller must pass inventory.ResolvedNotify()", cfg.CAFile)
		}
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read notify.email.ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("notify.email.ca_file %s holds no PEM certificate", cfg.CAFile)
		}
		tlsConfig.RootCAs = pool
	}
	policy := mail.TLSMandatory
	if cfg.InsecurePlaintext {
		policy = mail.TLSOpportunistic
	}
	port := cfg.Port
	if port == 0 {
		port = inventory.DefaultSMTPPort
	}
	opts := []mail.Option{
		mail.WithPort(port),
		mail.WithTLSPolicy(policy),
		mail.WithTLSConfig(tlsConfig),
	}
	if host, err := os.Hostname(); err == nil && host != "" {
		opts = append(opts, mail.WithHELO(host))
	}
	if user != "" {
		if cfg.InsecurePlaintext {
			// Validation refuses this; a config built in code must not
			// slip a password into a plain-text session either.
			return nil, errors.New("notify.email.insecure_plaintext cannot be combined with a password")
		}
		auth := mail.SMTPAuthAutoDiscover
		switch cfg.Auth {
		case inventory.SMTPAuthPlain:
			auth = mail.SMTPAuthPlain
		case inventory.SMTPAuthLogin:
			auth = mail.SMTPAuthLogin
		}
		opts = append(opts, mail.WithSMTPAuth(auth), mail.WithUsername(user), mail.WithPassword(pass))
	}
	client, err := mail.NewClient(cfg.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("smtp client: %w", err)
	}
	return client, nil
}

// emailMessage builds the message: subject with deployment and verdict,
// the text part, and the HTML report as the alternative.
func emailMessage(cfg inventory.NotifyEmail, msg Message) (*mail.Msg, error) {
	m := mail.NewMsg(mail.WithNoDefaultUserAgent())
	if err := m.From(cfg.From); err != nil {
		return nil, fmt.Errorf("notify.email.from: %w", err)
	}
	if err := m.To(cfg.To...); err != nil {
		return nil, fmt.Errorf("notify.email.to: %w", err)
	}
	m.Subject(msg.Subject())
	m.SetUserAgent("tmsdrift")
	m.SetBodyString(mail.TypeTextPlain, string(msg.Text()))
	if len(msg.HTML) > 0 {
		m.AddAlternativeString(mail.TypeTextHTML, clean(string(msg.HTML)))
	}
	return m, nil
}

// smtpReason rewords what went wrong for the administrator.
func smtpReason(cfg inventory.NotifyEmail, err error) string {
	var (
		certErr    *tls.CertificateVerificationError
		unknownErr x509.UnknownAuthorityError
		hostErr    x509.HostnameError
		netErr     net.Error
	)
	var protoErr *textproto.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("no answer within %gs (notify.email.timeout_seconds): %v", cfg.TimeoutSeconds, err)
	case errors.As(err, &certErr), errors.As(err, &unknownErr), errors.As(err, &hostErr):
		return fmt.Sprintf("the server's certificate is not trusted (set notify.email.ca_file to its CA): %v", err)
	case errors.As(err, &protoErr) && protoErr.Code == 535, strings.Contains(err.Error(), "SMTP AUTH failed"):
		return fmt.Sprintf("authentication failed (check the user and password in the environment variables %s and %s): %v", cfg.UserEnv, cfg.PasswordEnv, err)
	case errors.As(err, &netErr):
		return fmt.Sprintf("cannot reach the SMTP server (host and port right, and reachable from here?): %v", err)
	}
	if s := err.Error(); strings.Contains(s, "STARTTLS") && !cfg.InsecurePlaintext {
		return fmt.Sprintf("the server does not offer STARTTLS, which tmsdrift requires to protect the report and the password (notify.email.insecure_plaintext: true allows plain text, without a password): %v", err)
	}
	return err.Error()
}
