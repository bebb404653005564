// Package transports opens a node by its inventory transport kind: the one
// table from kind to opener that the command line hands to collect.Gather
// (collect.Options.Open) and the fixers use to write. Package collect does
// not import the transports themselves (they import it), so this is where
// they meet.
package transports

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/tmsdrift/tmsdrift/collect"
	"github.com/tmsdrift/tmsdrift/collect/local"
	"github.com/tmsdrift/tmsdrift/collect/remote"
	"github.com/tmsdrift/tmsdrift/collect/ssh"
	"github.com/tmsdrift/tmsdrift/collect/winrm"
	"github.com/tmsdrift/tmsdrift/inventory"
)

// targetOpener opens one kind of transport; Open hands out its Target as
// a collect.Opener.
type targetOpener func(ctx context.Context, inv *inventory.Inventory, n *inventory.Node) (collect.Target, error)

// openers is the registry, one entry per inventory transport kind.
var openers = map[string]targetOpener{
	"dir":   openDir,
	"local": openLocal,
	"winrm": openWinRM,
	"ssh":   openSSH,
}

// Kinds lists the registered kinds, sorted.
func Kinds() []string {
	kinds := make([]string, 0, len(openers))
	for k := range openers {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	return kinds
}

// Open opens n: the collect.Opener the command line passes everywhere.
var _ collect.Opener = Open

// Open opens n for reading, and (as a collect.Target) for changing it.
func Open(ctx context.Context, inv *inventory.Inventory, n *inventory.Node) (collect.Source, error) {
	return OpenTarget(ctx, inv, n)
}

// OpenTarget opens n for reading and writing (fixers).
func OpenTarget(ctx context.Context, inv *inventory.Inventory, n *inventory.Node) (collect.Target, error) {
	open, ok := openers[n.Transport.Kind]
	if !ok {
		return nil, fmt.Errorf("transport %q is not available in this build", n.Transport.Kind)
	}
	return open(ctx, inv, n)
}

func openDir(_ context.Context, inv *inventory.Inventory, n *inventory.Node) (collect.Target, error) {
	d, err := collect.OpenDir(inv.Resolve(n.Transport.Path))
	if err != nil {
		return nil, err
	}
	var src collect.Source = d
	t, ok := src.(collect.Target)
	if !ok {
		d.Close()
		return nil, errors.New("the dir transport cannot write in this build")
	}
	return t, nil
}

func openLocal(_ context.Context, inv *inventory.Inventory, n *inventory.Node) (collect.Target, error) {
	return local.Open(inv, n)
}

func openWinRM(_ context.Context, inv *inventory.Inventory, n *inventory.Node) (collect.Target, error) {
	t := n.Transport
	auth := t.AuthMethod()
	keytab := auth == inventory.AuthKerberos && t.Keytab != ""
	user, password, err := credentials(t, !keytab)
	if err != nil {
		return nil, err
	}
	cfg := winrm.Config{
		Host: n.Host(), Port: t.Port, Auth: auth, User: user, Password: password,
		InsecureSkipVerify: t.InsecureSkipVerify, DialTimeout: dialTimeout(t),
	}
	if auth == inventory.AuthKerberos {
		cfg.Kerberos = winrm.KerberosConfig{Realm: t.Realm, KDC: t.KDC, SPN: t.SPN}
		if t.Krb5Conf != "" {
			cfg.Kerberos.Krb5Conf = inv.Resolve(t.Krb5Conf)
		}
		if keytab {
			cfg.Kerberos.Keytab = inv.Resolve(t.Keytab)
		}
	}
	if t.CAFile != "" {
		if cfg.CACert, err = os.ReadFile(inv.Resolve(t.CAFile)); err != nil {
			return nil, fmt.Errorf("ca_file: %w", err)
		}
	}
	c, err := winrm.New(cfg)
	if err != nil {
		return nil, err
	}
	return remote.New(c, remote.Params(inv), t.Timeout()), nil
}

func openSSH(_ context.Context, inv *inventory.Inventory, n *inventory.Node) (collect.Target, error) {
	t := n.Transport
	auth := t.AuthMethod()
	user, password, err := credentials(t, auth == inventory.AuthPassword)
	if err != nil {
		return nil, err
	}
	cfg := ssh.Config{Host: n.Host(), Port: t.Port, User: user, Password: password, DialTimeout: dialTimeout(t)}
	cfg.KnownHosts = inv.Resolve(t.KnownHosts)
	if t.KnownHosts == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, fmt.Errorf("known_hosts: not set, and no home folder for ~/.ssh/known_hosts: %w", err)
		}
		cfg.KnownHosts = home + string(os.PathSeparator) + ".ssh" + string(os.PathSeparator) + "known_hosts"
	}
	if auth == inventory.AuthKey {
		if cfg.Key, err = ssh.ReadKey(inv.Resolve(t.KeyFile)); err != nil {
			return nil, err
		}
		if t.PassphraseEnv != "" {
			if cfg.Passphrase, err = env(t.PassphraseEnv, "passphrase_env"); err != nil {
				return nil, err
			}
		}
	}
	c, err := ssh.New(cfg)
	if err != nil {
		return nil, err
	}
	return remote.New(c, remote.Params(inv), t.Timeout()), nil
}

// credentials reads the user name (and the password if needed) from the
// environment variables the inventory names.
func credentials(t inventory.Transport, withPassword bool) (user, password string, err error) {
	if user, err = env(t.UserVar(), "user_env"); err != nil {
		return "", "", err
	}
	if withPassword {
		if password, err = env(t.PasswordVar(), "password_env"); err != nil {
			return "", "", err
		}
	}
	return user, password, nil
}

// env reads a variable; the message names the variable, never a value.
func env(name, key string) (string, error) {
	v, ok := os.LookupEnv(name)
	if !ok || v == "" {
		return "", fmt.Errorf("environment variable %s (transport.%s) is not set", name, key)
	}
	return v, nil
}

// dialTimeout bounds connecting: 15 s, or the command timeout if shorter.
func dialTimeout(t inventory.Transport) time.Duration {
	d := 15 * time.Second
	if to := t.Timeout(); to > 0 && to < d {
		d = to
	}
	return d
}
