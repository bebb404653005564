package winrm_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/collect/psscript"
	"github.com/tmsdrift/tmsdrift/collect/winrm"
	"github.com/tmsdrift/tmsdrift/fixtures/clients"
	"github.com/tmsdrift/tmsdrift/fixtures/fakenode"
	"github.com/tmsdrift/tmsdrift/fixtures/wsman"
)

// needPywinrm skips (or fails under CI) when pywinrm or MIT's GSS-API
// binding is missing.
func needPywinrm(t *testing.T) {
	t.Helper()
	clients.RequirePywinrm(t)
}

// pyResult is what fixtures/clients/pywinrm.py prints.
type pyResult = clients.PywinrmResult

func runPywinrm(t *testing.T, cfg map[string]any, env []string) pyResult {
	t.Helper()
	var r pyResult
	clients.Pywinrm(t, cfg, &r, env)
	return r
}

// splitCommand splits tmsdrift's `powershell.exe -NoProfile
// -NonInteractive -EncodedCommand X` into pywinrm's command and arguments.
func splitCommand(cmdline string) []any {
	f := strings.Fields(cmdline)
	return []any{f[0], f[1:]}
}

// scriptOf decodes the script of an -EncodedCommand command line.
func scriptOf(t *testing.T, cmdline string) string {
	f := strings.Fields(cmdline)
	b, err := base64.StdEncoding.DecodeString(f[len(f)-1])
	require.NoError(t, err)
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}

// TestPywinrmAgainstTheStandIn drives the stand-in with pywinrm over
// HTTPS/Basic, HTTP with NTLM sealing and HTTP with Kerberos sealing (MIT
// GSS-API, a real KDC): the exact command lines tmsdrift sends, through
// run_cmd with arguments and run_ps, and the collector with its input sent
// through rsp:Send, read the same bytes and exit codes as tmsdrift's own
// client; every message over HTTP was sealed; unknown
// shells, unknown commands and a real operation timeout are the faults
// pywinrm tells apart.
func TestPywinrmAgainstTheStandIn(t *testing.T) {
	needPywinrm(t)
	webConfig := `C:\Program Files\TANDBERG\TMS\wwwTMS\web.config`
	read := psscript.ReadFileCommand(webConfig)
	waiting := psscript.WriteFileCommand(`C:\never.txt`, strings.Repeat("0", 64))
	// Basic and NTLM over HTTPS (TLS protects the messages, nothing is
	// sealed); NTLM and Kerberos over HTTP 5985, sealed.
	for _, tc := range []struct {
		name, transport string
		http            bool
	}{{"basic", "basic", false}, {"ntlm", "ntlm", true}, {"ntlm-https", "ntlm", false}, {"kerberos", "kerberos", true}} {
		transport := tc.transport
		t.Run(tc.name, func(t *testing.T) {
			node := fakenode.New(nodeDir())
			opts := wsman.Options{User: user, Password: password, Auth: transport, Node: node, HTTP: tc.http}
			collector := append(splitCommand(psscript.CollectorCommand), b64(collectorInput(t)))
			cfg := map[string]any{"transport": transport, "user": user, "password": password,
				"commands": []any{splitCommand(read)}, "ps": []string{scriptOf(t, read)},
				"stdin_commands": []any{collector}, "faults": true,
				"waiting": splitCommand(waiting)}
			clientCfg := winrm.Config{Host: "127.0.0.1", Auth: map[string]string{"basic": winrm.AuthBasic, "ntlm": winrm.AuthNTLMEncrypted, "ntlm-https": winrm.AuthNTLM, "kerberos": winrm.AuthKerberos}[tc.name], User: user, Password: password}
			env := os.Environ()
			if transport == "kerberos" {
				k := realm(t)
				kt, err := loadKeytab(k)
				require.NoError(t, err)
				opts.Keytab, opts.User = kt, k.User
				cfg["user"], cfg["spn"] = k.Principal(), "HTTP@localhost"
				clientCfg.Host, clientCfg.User = "localhost", k.User
				clientCfg.Kerberos = winrm.KerberosConfig{Realm: k.Realm, Krb5Conf: k.Krb5Conf}
				env = k.Env()
			}
			srv, err := wsman.Start(opts)
			require.NoError(t, err)
			defer srv.Close()
			cfg["url"] = srv.URL
			if transport == "kerberos" {
				cfg["url"] = strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
			}
			if srv.CertPEM != nil {
				ca := filepath.Join(t.TempDir(), "ca.pem")
				require.NoError(t, os.WriteFile(ca, srv.CertPEM, 0o644))
				cfg["ca"] = ca
				clientCfg.CACert = srv.CertPEM
			}
			r := runPywinrm(t, cfg, env)
			require.Empty(t, r.Error)
			assert.Equal(t, tc.http, r.Encrypted, "pywinrm seals over HTTP, not over HTTPS")

			clientCfg.Port = srv.Port
			c, err := winrm.New(clientCfg)
			require.NoError(t, err)
			defer c.Close()
			var out, errOut bytes.Buffer
			code, err := c.Run(ctx(t, 20*time.Second), read, nil, &out, &errOut)
			require.NoError(t, err)
			require.Equal(t, 0, code, errOut.String())
			require.NotEmpty(t, out.String())

			require.Len(t, r.Commands, 1)
			assert.Equal(t, code, r.Commands[0].Code, r.Commands[0].Stderr)
			assert.Equal(t, b64(out.Bytes()), r.Commands[0].Stdout, "run_cmd with arguments reads what tmsdrift reads")
			require.Len(t, r.PS, 1)
			assert.Equal(t, code, r.PS[0].Code)
			assert.Equal(t, b64(out.Bytes()), r.PS[0].Stdout, "run_ps reads what tmsdrift reads")

			out.Reset()
			errOut.Reset()
			code, err = c.Run(ctx(t, 30*time.Second), psscript.CollectorCommand, bytes.NewReader(collectorInput(t)), &out, &errOut)
			require.NoError(t, err)
			require.Equal(t, 0, code, errOut.String())
			o, err := psscript.ParseOutput(out.Bytes())
			require.NoError(t, err)
			require.Contains(t, string(o.Parts[psscript.PartFacts].Data), `"hostname": "TMS01"`)
			require.Len(t, r.Fed, 1)
			assert.Equal(t, code, r.Fed[0].Code, r.Fed[0].Stderr)
			assert.Equal(t, b64(out.Bytes()), r.Fed[0].Stdout, "the collector fed its input through rsp:Send reads what tmsdrift reads")

			// pywinrm's WinRMError: s:Reason's text, then the fault data
			// it read from s:Code and f:WSManFault/@Code.
			assert.Contains(t, r.Faults["unknown_shell"], "The WS-Management service cannot process the request because the request contained invalid selectors for the resource.")
			assert.Contains(t, r.Faults["unknown_shell"], "'wsmanfault_code': '2150858843'")
			assert.Contains(t, r.Faults["unknown_shell"], "'fault_subcode': 'w:InvalidSelectors'")
			assert.Contains(t, r.Faults["unknown_command"], "The parameter is incorrect.")
			assert.Contains(t, r.Faults["unknown_command"], "'wsmanfault_code': '87'")
			assert.Contains(t, r.Faults["unknown_command"], "'fault_subcode': 'w:InvalidParameter'")
			assert.Equal(t, "timeout", r.Faults["waiting"], "a Receive with nothing to report is the operation timeout")
			if tc.http {
				assert.Positive(t, srv.Sealed())
				assert.Zero(t, srv.PlainRefused(), "nothing arrived in clear text")
			}
			assert.Zero(t, srv.OpenShells())
		})
	}
}

// TestPywinrmAccessDenied: a user the node refuses WinRM to gets the
// access-denied fault, in pywinrm and in tmsdrift.
func TestPywinrmAccessDenied(t *testing.T) {
	needPywinrm(t)
	srv, err := wsman.Start(wsman.Options{User: user, Password: password, Auth: wsman.AuthNTLM, HTTP: true,
		Node: fakenode.New(nodeDir()), Misbehave: wsman.Misbehave{AccessDenied: true}})
	require.NoError(t, err)
	defer srv.Close()
	r := runPywinrm(t, map[string]any{"url": srv.URL, "transport": "ntlm", "user": user, "password": password,
		"commands": []any{[]any{"ipconfig", []string{"/all"}}}}, os.Environ())
	assert.Contains(t, r.Error, "WinRMError: Access is denied.")
	assert.Contains(t, r.Error, "'wsmanfault_code': '5'")
	assert.Contains(t, r.Error, "'fault_subcode': 'w:AccessDenied'")
	c, err := winrm.New(winrm.Config{Host: srv.Host, Port: srv.Port, Auth: winrm.AuthNTLMEncrypted, User: user, Password: password})
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Run(ctx(t, 10*time.Second), "ipconfig /all", nil, &bytes.Buffer{}, &bytes.Buffer{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "the node's WinRM service denied access")
	assert.Contains(t, err.Error(), "w:AccessDenied, code 5: Access is denied.", "tmsdrift reads the code and message pywinrm reads")
}

// TestStandInKeepsArguments: the command line the node runs is the
// command and its arguments, as the cmd shell joins them.
func TestStandInKeepsArguments(t *testing.T) {
	assert.Equal(t, "ipconfig /all", wsman.CommandLine("ipconfig", []string{"/all"}))
	assert.Equal(t, "cmd", wsman.CommandLine(" cmd ", nil))
}

// TestPywinrmRunsTheFixersCommands: the commands a fix sends — write-file
// with its content fed as base64 lines through rsp:Send, set-service and
// remove-file —
// run from pywinrm over sealed NTLM change the node as they do from
// tmsdrift's client, and write-file with a content that does not match
// its hash changes nothing.
func TestPywinrmRunsTheFixersCommands(t *testing.T) {
	needPywinrm(t)
	dir := t.TempDir()
	require.NoError(t, os.CopyFS(dir, os.DirFS(nodeDir())))
	srv, err := wsman.Start(wsman.Options{User: user, Password: password, Auth: wsman.AuthNTLM, HTTP: true, Node: fakenode.New(dir)})
	require.NoError(t, err)
	defer srv.Close()

	const winPath = `C:\Program Files\TANDBERG\TMS\wwwTMS\Data\Image\written-by-pywinrm.bin`
	content := bytes.Repeat([]byte("tmsdrift\r\n\x00\xff"), 10000) // two base64 lines, as remote.WriteFile splits them
	sum := sha256.Sum256(content)
	var in bytes.Buffer
	for rest := content; len(rest) > 0; {
		k := min(len(rest), 57000)
		in.WriteString(base64.StdEncoding.EncodeToString(rest[:k]) + "\r\n")
		rest = rest[k:]
	}
	good := psscript.WriteFileCommand(winPath, hex.EncodeToString(sum[:]))
	damaged := psscript.WriteFileCommand(`C:\Program Files\TANDBERG\TMS\wwwTMS\Data\Image\damaged.bin`, strings.Repeat("0", 64))
	setService := psscript.SetServiceCommand("TMSSchedulerService", "Manual", "Stopped", 30*time.Second)

	r := runPywinrm(t, map[string]any{"url": srv.URL, "transport": "ntlm", "user": user, "password": password,
		"stdin_commands": []any{
			append(splitCommand(good), b64(in.Bytes())),
			append(splitCommand(damaged), b64(in.Bytes())),
		},
		"commands": []any{splitCommand(setService)}}, os.Environ())
	require.Empty(t, r.Error)
	assert.True(t, r.Encrypted, "sealed over HTTP")

	require.Len(t, r.Fed, 2)
	assert.Equal(t, 0, r.Fed[0].Code, r.Fed[0].Stderr)
	written, err := os.ReadFile(filepath.Join(dir, "fs", "C", "Program Files", "TANDBERG", "TMS", "wwwTMS", "Data", "Image", "written-by-pywinrm.bin"))
	require.NoError(t, err)
	assert.Equal(t, content, written, "every byte arrived")
	assert.NotZero(t, r.Fed[1].Code, "a content that does not match its hash is refused")
	assert.Contains(t, r.Fed[1].Stderr, "arrived damaged")
	assert.NoFileExists(t, filepath.Join(dir, "fs", "C", "Program Files", "TANDBERG", "TMS", "wwwTMS", "Data", "Image", "damaged.bin"))

	require.Len(t, r.Commands, 1)
	assert.Equal(t, 0, r.Commands[0].Code, r.Commands[0].Stderr)
	raw, err := os.ReadFile(filepath.Join(dir, "facts.json"))
	require.NoError(t, err)
	var f struct {
		Services []struct {
			Name      string `json:"name"`
			StartType string `json:"start_type"`
			State     string `json:"state"`
		} `json:"services"`
	}
	require.NoError(t, json.Unmarshal(raw, &f))
	var found bool
	for _, s := range f.Services {
		if s.Name == "TMSSchedulerService" {
			found = true
			assert.Equal(t, []string{"Manual", "Stopped"}, []string{s.StartType, s.State})
		}
	}
	assert.True(t, found, "the lab node has TMSSchedulerService")

	// remove-file, as a rollback removes a file the fix created.
	r = runPywinrm(t, map[string]any{"url": srv.URL, "transport": "ntlm", "user": user, "password": password,
		"commands": []any{splitCommand(psscript.RemoveFileCommand(winPath))}}, os.Environ())
	require.Empty(t, r.Error)
	require.Len(t, r.Commands, 1)
	assert.Equal(t, 0, r.Commands[0].Code, r.Commands[0].Stderr)
	assert.NoFileExists(t, filepath.Join(dir, "fs", "C", "Program Files", "TANDBERG", "TMS", "wwwTMS", "Data", "Image", "written-by-pywinrm.bin"), "removed")
	assert.Positive(t, srv.Sealed())
	assert.Zero(t, srv.PlainRefused())
}
