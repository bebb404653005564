package remote_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	gossh "golang.org/x/crypto/ssh"

	"github.com/tmsdrift/tmsdrift/collect"
	"github.com/tmsdrift/tmsdrift/collect/psscript"
	"github.com/tmsdrift/tmsdrift/collect/remote"
	"github.com/tmsdrift/tmsdrift/collect/ssh"
	"github.com/tmsdrift/tmsdrift/collect/winrm"
	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/fixtures"
	"github.com/tmsdrift/tmsdrift/fixtures/fakenode"
	"github.com/tmsdrift/tmsdrift/fixtures/sshserver"
	"github.com/tmsdrift/tmsdrift/fixtures/wsman"
	"github.com/tmsdrift/tmsdrift/inventory"
	"github.com/tmsdrift/tmsdrift/manifest"
)

const pw = "remote-Test-Pw3"

const (
	install = `C:\Program Files\TANDBERG\TMS`
	webRoot = install + `\wwwTMS`
	wcPath  = webRoot + `\web.config`
)

// copyNode copies lab node manual-cutover/tms01 so writes stay in the test.
func copyNode(t *testing.T) string {
	t.Helper()
	src := filepath.Join(fixtures.LabsDir(), "manual-cutover", "nodes", "tms01")
	dst := t.TempDir()
	require.NoError(t, os.CopyFS(dst, os.DirFS(src)))
	return dst
}

// runners returns a node reached through each transport, over one fake
// node backed by a copy of a lab node.
func runners(t *testing.T) map[string]func(timeout time.Duration) (*remote.Node, *fakenode.Node) {
	inv := &inventory.Inventory{Model: inventory.ManualCutover}
	inv.ApplyDefaults()
	params := remote.Params(inv)
	params.DBServer = ""
	return map[string]func(time.Duration) (*remote.Node, *fakenode.Node){
		"winrm": func(timeout time.Duration) (*remote.Node, *fakenode.Node) {
			fn := fakenode.New(copyNode(t))
			srv, err := wsman.Start(wsman.Options{User: "u", Password: pw, Node: fn})
			require.NoError(t, err)
			t.Cleanup(srv.Close)
			c, err := winrm.New(winrm.Config{Host: srv.Host, Port: srv.Port, Auth: winrm.AuthBasic, User: "u", Password: pw, CACert: srv.CertPEM})
			require.NoError(t, err)
			n := remote.New(c, params, timeout)
			t.Cleanup(func() { n.Close() })
			return n, fn
		},
		"ssh": func(timeout time.Duration) (*remote.Node, *fakenode.Node) {
			fn := fakenode.New(copyNode(t))
			srv, err := sshserver.Start(sshserver.Options{User: "u", Password: pw, Node: fn})
			require.NoError(t, err)
			t.Cleanup(srv.Close)
			kh := filepath.Join(t.TempDir(), "known_hosts")
			require.NoError(t, os.WriteFile(kh, []byte(srv.Known()+"\n"), 0o644))
			c, err := ssh.New(ssh.Config{Host: srv.Host, Port: srv.Port, User: "u", Password: pw, KnownHosts: kh})
			require.NoError(t, err)
			n := remote.New(c, params, timeout)
			t.Cleanup(func() { n.Close() })
			return n, fn
		},
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// TestSourceMatchesTheSnapshot: Facts, ReadFile and Data through a live
// transport give what the dir transport reads from the same folder.
func TestSourceMatchesTheSnapshot(t *testing.T) {
	for kind, open := range runners(t) {
		t.Run(kind, func(t *testing.T) {
			n, fn := open(0)
			d, err := collect.OpenDir(fn.Dir)
			require.NoError(t, err)
			defer d.Close()
			var src collect.Source = n
			c := ctx(t)

			got, err := src.Facts(c)
			require.NoError(t, err)
			want, err := d.Facts(c)
			require.NoError(t, err)
			assert.Equal(t, want, got)

			for _, p := range []string{wcPath, strings.ToUpper(wcPath), install + `\wwwTMS\Data\Software\README.txt`} {
				got, err := src.ReadFile(c, p)
				require.NoError(t, err, p)
				want, err := d.ReadFile(c, p)
				require.NoError(t, err)
				assert.Equal(t, want, got, p)
			}
			_, err = src.ReadFile(c, install+`\no\such.file`)
			assert.ErrorIs(t, err, fs.ErrNotExist)

			h := manifest.NewHasher(manifest.HasherOptions{})
			m, err := src.Data(c, install, inventory.DefaultDataDirs, h)
			require.NoError(t, err)
			wantM, err := d.Data(c, install, inventory.DefaultDataDirs, h)
			require.NoError(t, err)
			assert.Equal(t, wantM.List(), m.List())
			assert.Equal(t, 1, countCollector(fn), "one collector run answered every read")
		})
	}
}

func countCollector(fn *fakenode.Node) int {
	n := 0
	for _, c := range fn.Commands() {
		if c == psscript.CollectorCommand {
			n++
		}
	}
	return n
}

// TestTargetWrites: files and services change on the node, and later
// reads see the change.
func TestTargetWrites(t *testing.T) {
	for kind, open := range runners(t) {
		t.Run(kind, func(t *testing.T) {
			n, fn := open(0)
			var tgt collect.Target = n
			c := ctx(t)
			_, err := tgt.Facts(c) // cache the collector's output first
			require.NoError(t, err)

			newWC := []byte("\ufeff<configuration>\r\n  <system.web/>\r\n</configuration>\r\n")
			require.NoError(t, tgt.WriteFile(c, wcPath, bytes.NewReader(newWC)))
			got, err := tgt.ReadFile(c, wcPath)
			require.NoError(t, err)
			assert.Equal(t, newWC, got, "a read after a write sees the write")

			logo := install + `\wwwTMS\Data\Logo\New Folder\logo.png`
			data := bytes.Repeat([]byte{0, 1, 2, 0xff}, 100000)
			require.NoError(t, tgt.WriteFile(c, logo, bytes.NewReader(data)))
			rc, err := tgt.OpenFile(c, logo)
			require.NoError(t, err)
			streamed, err := io.ReadAll(rc)
			rc.Close()
			require.NoError(t, err)
			assert.Equal(t, data, streamed)

			require.NoError(t, tgt.RemoveFile(c, logo))
			require.NoError(t, tgt.RemoveFile(c, logo), "a missing file is not an error")
			_, err = tgt.OpenFile(c, logo)
			assert.ErrorIs(t, err, fs.ErrNotExist)

			require.NoError(t, tgt.SetService(c, "tmsschedulerservice", facts.StartManual, facts.StateStopped))
			raw, err := tgt.Facts(c)
			require.NoError(t, err)
			f, err := facts.ParseNode(raw)
			require.NoError(t, err)
			for _, s := range f.Services {
				if strings.EqualFold(s.Name, "TMSSchedulerService") {
					assert.Equal(t, facts.Service{Name: s.Name, StartType: facts.StartManual, State: facts.StateStopped}, s)
				}
			}
			err = tgt.SetService(c, "TMSNoSuchService", facts.StartManual, "")
			assert.ErrorIs(t, err, fs.ErrNotExist)

			onDisk, err := os.ReadFile(filepath.Join(fn.Dir, "fs", "C", "Program Files", "TANDBERG", "TMS", "wwwTMS", "web.config"))
			require.NoError(t, err)
			assert.Equal(t, newWC, onDisk)
		})
	}
}

// TestTimeout: a node that does not answer costs the node's timeout, and
// the error says so.
func TestTimeout(t *testing.T) {
	for kind, open := range runners(t) {
		t.Run(kind, func(t *testing.T) {
			n, fn := open(500 * time.Millisecond)
			fn.SetHang(true)
			start := time.Now()
			_, err := n.Facts(context.Background())
			require.Error(t, err)
			assert.Contains(t, err.Error(), "no answer within 500ms")
			assert.Less(t, time.Since(start), 10*time.Second)
		})
	}
}

// TestKeyLoginThroughRemote is the ssh key path end to end: Facts through
// a key login.
func TestKeyLoginThroughRemote(t *testing.T) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	signer, err := gossh.NewSignerFromKey(priv)
	require.NoError(t, err)
	block, err := gossh.MarshalPrivateKeyWithPassphrase(priv, "", []byte("passphrase-for-test"))
	require.NoError(t, err)
	keyPEM := pemEncode(block)
	fn := fakenode.New(copyNode(t))
	srv, err := sshserver.Start(sshserver.Options{User: "u", AuthorizedKey: signer.PublicKey(), Node: fn})
	require.NoError(t, err)
	defer srv.Close()
	kh := filepath.Join(t.TempDir(), "known_hosts")
	require.NoError(t, os.WriteFile(kh, []byte(srv.Known()+"\n"), 0o644))
	c, err := ssh.New(ssh.Config{Host: srv.Host, Port: srv.Port, User: "u", Key: keyPEM, Passphrase: "passphrase-for-test", KnownHosts: kh})
	require.NoError(t, err)
	n := remote.New(c, psscript.Params{Install: install, WebRoot: webRoot}, 0)
	defer n.Close()
	raw, err := n.Facts(ctx(t))
	require.NoError(t, err)
	assert.Contains(t, string(raw), "TMS01")
}
