package ssh_test

// The SSH transport against a real OpenSSH sshd (Debian's openssh-server),
// started by the test on 127.0.0.1 with every file in a temp folder: key
// and password logins, and every known_hosts case. The remote "PowerShell"
// is fixtures/fakenode/powershell on sshd's PATH.

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	osuser "os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	gossh "golang.org/x/crypto/ssh"

	"github.com/tmsdrift/tmsdrift/collect/psscript"
	"github.com/tmsdrift/tmsdrift/collect/ssh"
	"github.com/tmsdrift/tmsdrift/fixtures"
)

const sshdBin = "/usr/sbin/sshd"

// passwordUser is the account made for the password login (root only):
// OpenSSH checks passwords against system accounts.
const passwordUser = "tmsdrift-sshtest"

type realSSHD struct {
	port              int
	hostKeyLine       string // "[127.0.0.1]:PORT ssh-ed25519 AAAA..."
	hostKey, otherKey string // authorized_keys form of the host key and of another key
	key               []byte // the client's private key
	user              string // who logs in with the key
	passwordLogin     bool
	noPasswordLogin   error // why there is no password login's account
	dir               string
}

func need(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("CI is set and %s is missing: %v", what, err)
	}
	t.Skipf("SKIPPED (tool missing, CI unset): %s: %v", what, err)
}

func startSSHD(t *testing.T) *realSSHD {
	t.Helper()
	_, statErr := os.Stat(sshdBin)
	need(t, "OpenSSH's sshd (apt-get install openssh-server)", statErr)
	// Not t.TempDir(): its parent is private, and the password login's
	// account must reach the fake powershell.exe and the node's files.
	dir, err := os.MkdirTemp("", "tmsdrift-sshd-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	require.NoError(t, os.Chmod(dir, 0o755))
	bin := filepath.Join(dir, "bin")
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "powershell.exe"), "github.com/tmsdrift/tmsdrift/fixtures/fakenode/powershell")
	out, err := build.CombinedOutput()
	require.NoError(t, err, string(out))
	require.NoError(t, os.Chmod(bin, 0o755))

	hostKey := filepath.Join(dir, "ssh_host_ed25519_key")
	out, err = exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hostKey).CombinedOutput()
	require.NoError(t, err, string(out))
	pub, err := os.ReadFile(hostKey + ".pub")
	require.NoError(t, err)

	_, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	signer, err := gossh.NewSignerFromKey(priv)
	require.NoError(t, err)
	block, err := gossh.MarshalPrivateKey(priv, "")
	require.NoError(t, err)
	_, other, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	otherSigner, err := gossh.NewSignerFromKey(other)
	require.NoError(t, err)

	me, err := osuser.Current()
	require.NoError(t, err)
	s := &realSSHD{user: me.Username, key: pem.EncodeToMemory(block), dir: dir,
		hostKey:  strings.TrimSpace(string(pub)),
		otherKey: strings.TrimSpace(string(gossh.MarshalAuthorizedKey(otherSigner.PublicKey())))}
	keys := filepath.Join(dir, "authorized")
	require.NoError(t, os.MkdirAll(keys, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(keys, me.Username), gossh.MarshalAuthorizedKey(signer.PublicKey()), 0o644))

	allow := me.Username
	s.noPasswordLogin = fmt.Errorf("running as uid %d", os.Geteuid())
	if os.Geteuid() == 0 {
		if err := ensureUser(t); err == nil {
			s.passwordLogin = true
			allow += " " + passwordUser
		} else {
			s.noPasswordLogin = err
			t.Logf("no password login: %v", err)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s.port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	s.hostKeyLine = fmt.Sprintf("[127.0.0.1]:%d %s", s.port, s.hostKey)
	node := filepath.Join(dir, "node")
	require.NoError(t, os.CopyFS(node, os.DirFS(filepath.Join(fixtures.LabsDir(), "manual-cutover", "nodes", "tms01"))))
	require.NoError(t, filepath.WalkDir(node, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Chmod(p, map[bool]os.FileMode{true: 0o777, false: 0o666}[d.IsDir()])
	}))
	conf := fmt.Sprintf(`ListenAddress 127.0.0.1
Port %d
HostKey %s
PidFile %s/sshd.pid
AuthorizedKeysFile %s/%%u
StrictModes no
PasswordAuthentication yes
KbdInteractiveAuthentication no
UsePAM yes
PermitRootLogin yes
AllowUsers %s
SetEnv PATH=%s:/usr/bin:/bin FAKENODE_DIR=%s
`, s.port, hostKey, dir, keys, allow, bin, node)
	cfgFile := filepath.Join(dir, "sshd_config")
	require.NoError(t, os.WriteFile(cfgFile, []byte(conf), 0o600))
	if os.Geteuid() == 0 {
		_ = os.MkdirAll("/run/sshd", 0o755) // sshd's privilege separation folder
	}
	cmd := exec.Command(sshdBin, "-D", "-f", cfgFile, "-E", filepath.Join(dir, "sshd.log"))
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for deadline := time.Now().Add(10 * time.Second); ; {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", s.port))
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "sshd.log"))
			t.Fatalf("sshd did not start: %s", log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return s
}

// ensureUser makes the password login's account (no home, /bin/sh) for
// the test, sets its password, and removes the account afterwards.
func ensureUser(t *testing.T) error {
	if _, err := osuser.Lookup(passwordUser); err != nil {
		if out, err := exec.Command("useradd", "-M", "-s", "/bin/sh", passwordUser).CombinedOutput(); err != nil {
			return fmt.Errorf("useradd: %v: %s", err, out)
		}
		t.Cleanup(func() { _ = exec.Command("userdel", passwordUser).Run() })
	}
	cmd := exec.Command("chpasswd")
	cmd.Stdin = strings.NewReader(passwordUser + ":" + password + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("chpasswd: %v: %s", err, out)
	}
	return nil
}

func (s *realSSHD) knownHosts(t *testing.T, lines ...string) string {
	f := filepath.Join(t.TempDir(), "known_hosts")
	require.NoError(t, os.WriteFile(f, []byte(strings.Join(lines, "\n")+"\n"), 0o644))
	return f
}

func (s *realSSHD) run(t *testing.T, cfg ssh.Config) (string, int, error) {
	cfg.Host, cfg.Port = "127.0.0.1", s.port
	c, err := ssh.New(cfg)
	if err != nil {
		return "", 0, err
	}
	defer c.Close()
	var out, errOut bytes.Buffer
	code, err := c.Run(timeout(t, 30*time.Second), psscript.CollectorCommand, collector(t), &out, &errOut)
	if err == nil && code != 0 {
		t.Logf("stderr: %s", errOut.String())
	}
	return out.String(), code, err
}

// TestAgainstOpenSSH: key and password logins run the collector through a
// real sshd; the host key is checked in every known_hosts case.
func TestAgainstOpenSSH(t *testing.T) {
	s := startSSHD(t)
	good := s.knownHosts(t, s.hostKeyLine)

	t.Run("key login", func(t *testing.T) {
		out, code, err := s.run(t, ssh.Config{User: s.user, Key: s.key, KnownHosts: good})
		require.NoError(t, err)
		require.Equal(t, 0, code)
		o, err := psscript.ParseOutput([]byte(out))
		require.NoError(t, err)
		assert.Contains(t, string(o.Parts[psscript.PartFacts].Data), `"hostname": "TMS01"`)
	})
	t.Run("password login", func(t *testing.T) {
		if !s.passwordLogin {
			need(t, "the password login's account (root, useradd, chpasswd)", s.noPasswordLogin)
		}
		out, code, err := s.run(t, ssh.Config{User: passwordUser, Password: password, KnownHosts: good})
		require.NoError(t, err)
		require.Equal(t, 0, code)
		_, err = psscript.ParseOutput([]byte(out))
		require.NoError(t, err)
		_, _, err = s.run(t, ssh.Config{User: passwordUser, Password: "wrong-" + password, KnownHosts: good})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "unable to authenticate")
	})
	t.Run("hashed entry", func(t *testing.T) {
		kh := s.knownHosts(t, s.hostKeyLine)
		out, err := exec.Command("ssh-keygen", "-H", "-f", kh).CombinedOutput()
		require.NoError(t, err, string(out))
		b, err := os.ReadFile(kh)
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(string(b), "|1|"), "hashed by OpenSSH's ssh-keygen")
		_, code, err := s.run(t, ssh.Config{User: s.user, Key: s.key, KnownHosts: kh})
		require.NoError(t, err)
		assert.Equal(t, 0, code)
	})
	refused := []struct {
		name, line, want string
	}{
		{"wrong key", fmt.Sprintf("[127.0.0.1]:%d %s", s.port, s.otherKey), "key mismatch"},
		{"unknown host", "[192.0.2.7]:22 " + s.hostKey, "key is unknown"},
		{"revoked key", "@revoked * " + s.hostKey + "\n" + s.hostKeyLine, "revoked"},
		{"entry without the port", "127.0.0.1 " + s.hostKey, "key is unknown"},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := s.run(t, ssh.Config{User: s.user, Key: s.key, KnownHosts: s.knownHosts(t, c.line)})
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}
