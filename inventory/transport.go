package inventory

import (
	"cmp"
	"os"
	"slices"
	"strings"
	"time"
)

// Authentication methods of the live transports (docs/transports.md).
const (
	AuthNTLM          = "ntlm"           // winrm: NTLMv2 over HTTPS (default when ca_file, insecure_skip_verify or port 5986 is set)
	AuthBasic         = "basic"          // winrm: user and password over HTTPS
	AuthNTLMEncrypted = "ntlm-encrypted" // winrm default: NTLM with message encryption over HTTP 5985
	AuthKerberos      = "kerberos"       // winrm: Kerberos with message encryption over HTTP 5985 (default when a Kerberos key is set)
	AuthKey           = "key"            // ssh: a private key (default when key_file is set)
	AuthPassword      = "password"       // ssh: a password
)

// transportAuths are the methods each live kind accepts, default first.
var transportAuths = map[string][]string{
	"winrm": {AuthNTLMEncrypted, AuthKerberos, AuthNTLM, AuthBasic},
	"ssh":   {AuthKey, AuthPassword},
}

// AuthMethod is the transport's auth with its default filled in. For
// winrm: kerberos when a Kerberos key (realm, kdc, krb5_conf, keytab,
// spn) is set; ntlm (HTTPS, 5986) when an HTTPS key is (ca_file,
// insecure_skip_verify, port 5986), so inventories written for the old
// default keep working; otherwise ntlm-encrypted, what a domain member
// accepts as Windows ships it (HTTP 5985, docs/contract.md §7). For ssh:
// key when key_file is set, else password.
func (t Transport) AuthMethod() string {
	switch {
	case t.Auth != "":
		return t.Auth
	case t.Kind == "winrm" && t.kerberosKeys():
		return AuthKerberos
	case t.Kind == "winrm" && (t.CAFile != "" || t.InsecureSkipVerify || t.Port == 5986):
		return AuthNTLM
	case t.Kind == "winrm":
		return AuthNTLMEncrypted
	case t.Kind == "ssh" && t.KeyFile != "":
		return AuthKey
	case t.Kind == "ssh":
		return AuthPassword
	}
	return ""
}

func (t Transport) kerberosKeys() bool {
	return t.Realm != "" || t.KDC != "" || t.Krb5Conf != "" || t.Keytab != "" || t.SPN != ""
}

// Timeout is timeout_seconds as a duration; 0 leaves the transport's
// default (5 minutes a command).
func (t Transport) Timeout() time.Duration {
	return time.Duration(t.TimeoutSeconds * float64(time.Second))
}

// Default names of the environment variables holding a live transport's
// credentials, when user_env / password_env are omitted.
const (
	DefaultUserEnv     = "TMSDRIFT_USER"
	DefaultPasswordEnv = "TMSDRIFT_PASSWORD"
)

// UserVar is the environment variable holding the user name.
func (t Transport) UserVar() string { return cmp.Or(t.UserEnv, DefaultUserEnv) }

// PasswordVar is the environment variable holding the password.
func (t Transport) PasswordVar() string { return cmp.Or(t.PasswordEnv, DefaultPasswordEnv) }

// Host is where a live transport connects: transport.host, else the
// node's address, else its name.
func (n *Node) Host() string {
	switch {
	case n.Transport.Host != "":
		return n.Transport.Host
	case n.Address != "":
		return n.Address
	}
	return n.Name
}

// validateLiveTransport checks the keys of the local, winrm and ssh
// transports: the auth method the kind allows, what it needs (a key file
// for ssh key login), keys that belong to another kind, files that must
// exist. Whether the credential variables are set is the run's business:
// a node whose variable is missing gets `error` results naming it.
func validateLiveTransport(inv *Inventory, ps *problems, at string, t Transport) {
	limit(ps, at+".timeout_seconds", t.TimeoutSeconds)
	envRef(ps, at+".passphrase_env", t.PassphraseEnv, "TMS_KEY_PASSPHRASE")
	notFor := func(key string, set bool, kinds string) {
		if set {
			ps.add(at+"."+key, "only used by transport kind %s; remove it here", kinds)
		}
	}
	winrmOnly := t.Kind != "winrm"
	sshOnly := t.Kind != "ssh"
	if t.Kind == "dir" || !slices.Contains(TransportKinds, t.Kind) {
		return // dir keeps its old leniency; an unknown kind is reported already
	}
	for key, v := range map[string]string{"realm": t.Realm, "kdc": t.KDC, "krb5_conf": t.Krb5Conf, "keytab": t.Keytab, "spn": t.SPN} {
		notFor(key, winrmOnly && v != "", "winrm")
	}
	notFor("ca_file", winrmOnly && t.CAFile != "", "winrm")
	notFor("insecure_skip_verify", winrmOnly && t.InsecureSkipVerify, "winrm")
	notFor("known_hosts", sshOnly && t.KnownHosts != "", "ssh")
	notFor("key_file", sshOnly && t.KeyFile != "", "ssh")
	notFor("passphrase_env", sshOnly && t.PassphraseEnv != "", "ssh")
	if t.Kind == "local" {
		notFor("auth", t.Auth != "", "winrm or ssh")
		notFor("user_env", t.UserEnv != "", "winrm or ssh")
		notFor("password_env", t.PasswordEnv != "", "winrm or ssh")
		return
	}
	auths := transportAuths[t.Kind]
	if t.Auth != "" && !slices.Contains(auths, t.Auth) {
		ps.add(at+".auth", "unknown auth %q for transport kind %s (known: %s)", t.Auth, t.Kind, strings.Join(auths, ", "))
		return
	}
	auth := t.AuthMethod()
	switch t.Kind {
	case "winrm":
		if auth == AuthNTLMEncrypted || auth == AuthKerberos {
			notFor("ca_file", t.CAFile != "", "winrm with auth basic or ntlm (HTTPS)")
			notFor("insecure_skip_verify", t.InsecureSkipVerify, "winrm with auth basic or ntlm (HTTPS)")
		}
		if auth != AuthKerberos {
			for _, kv := range [][2]string{{"realm", t.Realm}, {"kdc", t.KDC}, {"krb5_conf", t.Krb5Conf}, {"keytab", t.Keytab}, {"spn", t.SPN}} {
				notFor(kv[0], kv[1] != "", "winrm with auth kerberos")
			}
		}
		existingFile(inv, ps, at+".krb5_conf", t.Krb5Conf)
		existingFile(inv, ps, at+".keytab", t.Keytab)
		if t.CAFile != "" && t.InsecureSkipVerify {
			ps.add(at+".insecure_skip_verify", "set either ca_file (verify with this certificate) or insecure_skip_verify, not both")
		}
		existingFile(inv, ps, at+".ca_file", t.CAFile)
	case "ssh":
		existingFile(inv, ps, at+".known_hosts", t.KnownHosts)
		if auth == AuthKey && t.KeyFile == "" {
			ps.add(at+".key_file", "required for ssh with auth key: the private key file, e.g. keys/tmsdrift_ed25519")
		}
		existingFile(inv, ps, at+".key_file", t.KeyFile)
	}
}

// existingFile reports a file the inventory names that is not there.
func existingFile(inv *Inventory, ps *problems, at, p string) {
	if p == "" {
		return
	}
	st, err := os.Stat(inv.Resolve(p))
	switch {
	case err != nil:
		ps.add(at, "cannot read %s: %s", p, ioReason(err))
	case st.IsDir():
		ps.add(at, "%s is a folder, not a file", p)
	case !st.Mode().IsRegular():
		// A FIFO would block its reader for ever, a device never ends.
		ps.add(at, "%s is not a regular file (%s)", p, st.Mode().Type())
	}
}
