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
	AuthNTLM          = "ntlm"           // winrm default: NTLMv2 over HTTPS
	AuthBasic         = "basic"          // winrm: user and password over HTTPS
	AuthNTLMEncrypted = "ntlm-encrypted" // winrm: NTLM with message encryption over HTTP
	AuthKey           = "key"            // ssh: a private key (default when key_file is set)
	AuthPassword      = "password"       // ssh: a password
)

// transportAuths are the methods each live kind accepts, default first.
var transportAuths = map[string][]string{
	"winrm": {AuthNTLM, AuthBasic, AuthNTLMEncrypted},
	"ssh":   {AuthKey, AuthPassword},
}

// AuthMethod is the transport's auth with its default filled in: ntlm for
// winrm; for ssh, key when key_file is set, else password.
func (t Transport) AuthMethod() string {
	switch {
	case t.Auth != "":
		return t.Auth
	case t.Kind == "winrm":
		return AuthNTLM
	case t.Kind == "ssh" && t.KeyFile != "":
		return AuthKey
	case t.Kind == "ssh":
		return AuthPassword
	}
	return ""
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
	limit(ps, at+".timeout_seconds", t.TimeoutSeconds, 300)
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
		if auth == AuthNTLMEncrypted {
			notFor("ca_file", t.CAFile != "", "winrm with auth basic or ntlm (HTTPS)")
			notFor("insecure_skip_verify", t.InsecureSkipVerify, "winrm with auth basic or ntlm (HTTPS)")
		}
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
	}
}
