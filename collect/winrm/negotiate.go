package winrm

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/bodgit/ntlmssp"
	"github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/keytab"

	"github.com/tmsdrift/tmsdrift/collect/winrm/gsskrb"
)

// ntlmAuth authenticates a connection with NTLMv2 and keeps its session
// security (MS-NLMP 3.4), from github.com/bodgit/ntlmssp (the library the
// pinned WinRM client uses for the same).
type ntlmAuth struct {
	user, domain, password string
}

func newNTLMAuth(user, password string) *ntlmAuth {
	a := &ntlmAuth{user: user, password: password}
	if d, u, ok := strings.Cut(user, `\`); ok {
		a.domain, a.user = d, u
	} else if u, d, ok := strings.Cut(user, "@"); ok {
		a.domain, a.user = d, u
	}
	return a
}

// NTLM flags the node must grant for messages to be sealed (MS-NLMP
// 2.2.2.5): signing, sealing and NTLMv2 session security with 128-bit
// keys.
const (
	ntlmSign = 0x00000010
	ntlmSeal = 0x00000020
	ntlmESS  = 0x00080000
	ntlm128  = 0x20000000
)

func (a *ntlmAuth) handshake(ctx context.Context, sc *sealedConn) (secContext, error) {
	cl, err := ntlmssp.NewClient(ntlmssp.SetUserInfo(a.user, a.password), ntlmssp.SetDomain(a.domain), ntlmssp.SetVersion(ntlmssp.DefaultVersion()))
	if err != nil {
		return nil, fmt.Errorf("ntlm: %w", err)
	}
	neg, err := cl.Authenticate(nil, nil)
	if err != nil {
		return nil, fmt.Errorf("ntlm: %w", err)
	}
	resp, _, err := sc.exchange(ctx, authHeader(neg), nil)
	if err != nil {
		return nil, err
	}
	challenge := negotiateToken(resp.Header)
	if resp.StatusCode != http.StatusUnauthorized || len(challenge) < 24 || string(challenge[:8]) != "NTLMSSP\x00" {
		return nil, fmt.Errorf("the node offers no NTLM (Negotiate) authentication (HTTP %d); nothing else is tried", resp.StatusCode)
	}
	flags := binary.LittleEndian.Uint32(challenge[20:])
	if flags&(ntlmSign|ntlmSeal|ntlmESS|ntlm128) != ntlmSign|ntlmSeal|ntlmESS|ntlm128 {
		return nil, errors.New("the node offers NTLM without message sealing (128-bit signing and sealing); refusing to send anything over HTTP in clear text")
	}
	auth, err := cl.Authenticate(challenge, nil)
	if err != nil {
		return nil, fmt.Errorf("ntlm: %w", err)
	}
	resp, _, err = sc.exchange(ctx, authHeader(auth), nil)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("login refused (HTTP %d): wrong user name or password, or NTLM is not enabled for WinRM on the node", resp.StatusCode)
	}
	sec := cl.SecuritySession()
	if sec == nil {
		return nil, errors.New("ntlm: no session security was negotiated")
	}
	return ntlmSec{sec}, nil
}

// ntlmSec guards bodgit's session security against short signatures
// (it would index past them).
type ntlmSec struct{ s *ntlmssp.SecuritySession }

func (n ntlmSec) Seal(msg []byte) ([]byte, []byte, error) {
	data, sig, err := n.s.Wrap(msg)
	if err == nil && len(sig) != 16 {
		err = errors.New("ntlm: message was not signed")
	}
	return sig, data, err
}

func (n ntlmSec) Unseal(sig, data []byte) ([]byte, error) {
	if len(sig) != 16 {
		return nil, fmt.Errorf("ntlm: signature of %d bytes, want 16", len(sig))
	}
	return n.s.Unwrap(data, sig)
}

// KerberosConfig says how to get Kerberos tickets for a node.
type KerberosConfig struct {
	// Realm is the user's realm (the AD domain's DNS name in capitals).
	// Empty: krb5.conf's default_realm.
	Realm string
	// Krb5Conf is the krb5.conf to read (empty: $KRB5_CONFIG, else
	// /etc/krb5.conf; none at all is fine when KDC and Realm are set).
	Krb5Conf string
	// KDC is host[:port] of a KDC for Realm, added to (or instead of)
	// krb5.conf's.
	KDC string
	// Keytab, when set, logs in with the user's key from this file
	// instead of the password.
	Keytab string
	// SPN is the node's service principal (default HTTP/<host>).
	SPN string
}

// kerberosAuth authenticates a connection with a Kerberos ticket through
// SPNEGO and keeps the RFC 4121 context (collect/winrm/gsskrb).
type kerberosAuth struct {
	cl  *client.Client
	spn string
}

// newKerberosAuth reads krb5.conf and the keytab and prepares a client
// that logs in at the first connection.
func newKerberosAuth(cfg KerberosConfig, user, password, host string) (*kerberosAuth, error) {
	conf, err := loadKrb5Conf(cfg.Krb5Conf)
	if err != nil {
		return nil, err
	}
	name, realm := user, cfg.Realm
	if u, r, ok := strings.Cut(user, "@"); ok {
		name = u
		if realm == "" {
			realm = strings.ToUpper(r)
		}
	} else if _, u, ok := strings.Cut(user, `\`); ok {
		name = u // a NetBIOS domain is not a realm; the realm comes from the inventory or krb5.conf
	}
	if realm == "" {
		realm = conf.LibDefaults.DefaultRealm
	}
	if realm == "" {
		return nil, errors.New("kerberos: no realm (set transport.realm, give the user as user@REALM, or a default_realm in krb5.conf)")
	}
	if cfg.KDC != "" {
		addRealmKDC(conf, realm, cfg.KDC)
	}
	conf.LibDefaults.DNSLookupKDC = conf.LibDefaults.DNSLookupKDC && cfg.KDC == ""
	settings := []func(*client.Settings){client.DisablePAFXFAST(true)}
	var cl *client.Client
	if cfg.Keytab != "" {
		kt, err := keytab.Load(cfg.Keytab)
		if err != nil {
			return nil, fmt.Errorf("kerberos keytab: %w", err)
		}
		cl = client.NewWithKeytab(name, realm, kt, conf, settings...)
	} else {
		if password == "" {
			return nil, errors.New("kerberos: neither a keytab nor a password to log in with")
		}
		cl = client.NewWithPassword(name, realm, password, conf, settings...)
	}
	spn := cfg.SPN
	if spn == "" {
		spn = "HTTP/" + host
	}
	return &kerberosAuth{cl: cl, spn: spn}, nil
}

func loadKrb5Conf(path string) (*config.Config, error) {
	if path == "" {
		path = os.Getenv("KRB5_CONFIG")
	}
	explicit := path != ""
	if path == "" {
		path = "/etc/krb5.conf"
	}
	conf, err := config.Load(path)
	if err != nil {
		if !explicit && errors.Is(err, os.ErrNotExist) {
			return config.New(), nil
		}
		var ue config.UnsupportedDirective
		if errors.As(err, &ue) && conf != nil {
			return conf, nil // gokrb5 skips what it does not know and says so
		}
		return nil, fmt.Errorf("krb5.conf %s: %w", path, err)
	}
	return conf, nil
}

func addRealmKDC(conf *config.Config, realm, kdc string) {
	for i := range conf.Realms {
		if strings.EqualFold(conf.Realms[i].Realm, realm) {
			conf.Realms[i].KDC = append([]string{kdc}, conf.Realms[i].KDC...)
			return
		}
	}
	conf.Realms = append(conf.Realms, config.Realm{Realm: realm, KDC: []string{kdc}})
}

func (a *kerberosAuth) handshake(ctx context.Context, sc *sealedConn) (secContext, error) {
	if err := a.cl.AffirmLogin(); err != nil {
		return nil, fmt.Errorf("kerberos login: %w", err)
	}
	token, in, err := gsskrb.Initiate(a.cl, a.spn)
	if err != nil {
		return nil, err
	}
	resp, _, err := sc.exchange(ctx, authHeader(token), nil)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("login refused (HTTP %d): the node did not accept the Kerberos ticket for %s", resp.StatusCode, a.spn)
	}
	sess, err := in.Complete(negotiateToken(resp.Header))
	if err != nil {
		return nil, err
	}
	return krbSec{sess}, nil
}

type krbSec struct{ s *gsskrb.Session }

func (k krbSec) Seal(msg []byte) ([]byte, []byte, error) { return k.s.Wrap(msg) }
func (k krbSec) Unseal(sig, data []byte) ([]byte, error) { return k.s.Unwrap(sig, data) }
