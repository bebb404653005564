package psscript_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/collect/psscript"
	"github.com/tmsdrift/tmsdrift/fixtures"
	"github.com/tmsdrift/tmsdrift/fixtures/fakenode"
	"github.com/tmsdrift/tmsdrift/inventory"
)

// TestScriptsAreReviewableASCII: every script is plain ASCII (what crosses
// a console's code page unchanged), and the collector, which must not
// change anything, calls none of PowerShell's writing cmdlets or methods.
func TestScriptsAreReviewableASCII(t *testing.T) {
	for name, text := range psscript.Scripts() {
		for i, r := range text {
			require.Truef(t, r < unicode.MaxASCII, "%s: non-ASCII %q at byte %d", name, r, i)
		}
		assert.Truef(t, strings.HasPrefix(text, "# tmsdrift"), "%s starts with a comment saying what it is", name)
	}
	collector := strings.ToLower(psscript.Collector())
	for _, write := range []string{"set-", "new-item", "remove-", "out-file", "add-content", "set-content", "::writeall", "::delete", "::move", "::replace", "sc.exe", "stop-service", "start-service", "restart-", "invoke-expression", "iex "} {
		for _, line := range strings.Split(collector, "\n") {
			code, _, _ := strings.Cut(line, "#")
			if strings.Contains(code, "set-strictmode") {
				continue
			}
			assert.NotContainsf(t, code, write, "the collector must stay read-only: %q in %q", write, line)
		}
	}
}

// TestCollectorInputRoundTrip: the input wraps the script unchanged except
// blank lines, and carries any parameters (non-ASCII paths, quotes).
func TestCollectorInputRoundTrip(t *testing.T) {
	p := psscript.Params{
		Install: `D:\Programme\Société ’TMS'`, WebRoot: `D:\web`, Software: `D:\sw`,
		DataDirs: []string{`wwwTMS\Data\Logo`, `wwwTMS\Data\Map`}, HashData: true, DBServer: `sql01\TMS`, RTTSamples: 3,
	}
	in, err := psscript.CollectorInput(p)
	require.NoError(t, err)
	for i, r := range string(in) {
		require.Truef(t, r < unicode.MaxASCII, "non-ASCII at %d", i)
	}
	assert.NotContains(t, string(in), "\n\n&", "no blank line inside the script block")
	body := strings.TrimSuffix(string(in), "\n\n")
	assert.NotContains(t, body, "\n\n", "the only blank line ends the input")
	got, err := psscript.ParseCollectorInput(in)
	require.NoError(t, err)
	assert.Equal(t, p, got)

	changed := bytes.Replace(in, []byte("Get-CimInstance"), []byte("Get-WmiObject"), 1)
	_, err = psscript.ParseCollectorInput(changed)
	assert.ErrorContains(t, err, "script differs")
}

// TestCommandsFitTheCommandLine: the write scripts go through cmd.exe,
// whose command line holds 8,191 characters.
func TestCommandsFitTheCommandLine(t *testing.T) {
	long := `C:\Program Files\TANDBERG\TMS\wwwTMS\Data\` + strings.Repeat("x", 240)
	sum := strings.Repeat("ab", 32)
	for _, c := range []string{
		psscript.ReadFileCommand(long), psscript.WriteFileCommand(long, sum),
		psscript.RemoveFileCommand(long), psscript.SetServiceCommand("TMSSchedulerService", "AutomaticDelayed", "Running", time.Minute),
	} {
		assert.Less(t, len(c), 8191)
	}
}

// TestParseCommand recognises each write script with its arguments.
func TestParseCommand(t *testing.T) {
	path := `C:\It’s here\'quoted' file.txt`
	cases := []struct {
		cmd  string
		op   psscript.Op
		args []string
	}{
		{psscript.ReadFileCommand(path), psscript.OpReadFile, []string{path}},
		{psscript.WriteFileCommand(path, "00ff"), psscript.OpWriteFile, []string{path, "00ff"}},
		{psscript.RemoveFileCommand(path), psscript.OpRemoveFile, []string{path}},
		{psscript.SetServiceCommand("W3SVC", "", "Stopped", 90*time.Second), psscript.OpSetService, []string{"W3SVC", "", "Stopped", "90"}},
	}
	for _, c := range cases {
		op, args, err := psscript.ParseCommand(c.cmd)
		require.NoError(t, err)
		assert.Equal(t, c.op, op)
		assert.Equal(t, c.args, args)
	}
	_, _, err := psscript.ParseCommand("cmd.exe /c dir")
	assert.Error(t, err)
}

// TestQuote: PowerShell's single quotes, typographic ones included, are
// doubled, so nothing in a path ends the string early.
func TestQuote(t *testing.T) {
	assert.Equal(t, `'C:\a'`, psscript.Quote(`C:\a`))
	assert.Equal(t, `'it''s'`, psscript.Quote(`it's`))
	assert.Equal(t, "'it\u2019\u2019s $env:x'", psscript.Quote("it\u2019s $env:x"))
	for _, s := range []string{"", "'", "''", "a b", "\u2018x\u2019", "$(rm -rf)"} {
		args, err := psscript.ParseArgs(psscript.Quote(s))
		require.NoError(t, err)
		assert.Equal(t, []string{s}, args)
	}
}

// TestParseOutputAsPowerShellPrintsIt parses output shaped like the real
// script's: noise before the header, CRLF, base64 wrapped at 76, a
// warning between parts, an error part.
func TestParseOutputAsPowerShellPrintsIt(t *testing.T) {
	facts := `{"schema":"tmsdrift/facts/v1","hostname":"TMS01"}`
	wc := strings.Repeat("<configuration/>", 10)
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	wrap := func(s string) string {
		var out []string
		for len(s) > 76 {
			out, s = append(out, s[:76]), s[76:]
		}
		return strings.Join(append(out, s), "\r\n")
	}
	out := "Windows PowerShell\r\nCopyright (C) Microsoft Corporation.\r\n\r\n" +
		"#tmsdrift-collector/v1\r\n" +
		"#warning " + b64("time source dc01 did not answer w32tm /stripchart") + "\r\n" +
		"#file facts.json -\r\n" + wrap(b64(facts)) + "\r\n" +
		"#file web.config " + b64(`C:\TMS\wwwTMS\web.config`) + "\r\n" + wrap(b64(wc)) + "\r\n" +
		"#error manifest.json - failed " + b64("Access to the path 'C:\\TMS\\wwwTMS\\Data\\Logo' is denied.") + "\r\n" +
		"#end\r\n\r\n"
	o, err := psscript.ParseOutput([]byte(out))
	require.NoError(t, err)
	assert.Equal(t, facts, string(o.Parts[psscript.PartFacts].Data))
	assert.Equal(t, wc, string(o.Parts[psscript.PartWebConfig].Data))
	assert.Equal(t, `C:\TMS\wwwTMS\web.config`, o.Parts[psscript.PartWebConfig].Path)
	assert.EqualError(t, o.Parts[psscript.PartManifest].Err, `Access to the path 'C:\TMS\wwwTMS\Data\Logo' is denied.`)
	assert.False(t, errors.Is(o.Parts[psscript.PartManifest].Err, fs.ErrNotExist))
	assert.Equal(t, []string{"time source dc01 did not answer w32tm /stripchart"}, o.Warnings)

	missing := "#tmsdrift-collector/v1\n#error web.config " + b64(`C:\x\web.config`) + " notfound " + b64("not found") + "\n#end\n"
	o, err = psscript.ParseOutput([]byte(missing))
	require.NoError(t, err)
	assert.ErrorIs(t, o.Parts[psscript.PartWebConfig].Err, fs.ErrNotExist)
}

// TestParseOutputRejects what is not whole collector output, and keeps a
// part damaged in transit apart from the others.
func TestParseOutputRejects(t *testing.T) {
	for name, c := range map[string]struct{ out, err string }{
		"no header":      {"#< CLIXML\r\n<Objs/>", "not collector output"},
		"cut off":        {"#tmsdrift-collector/v1\r\n#file facts.json -\r\neyJ9\r\n", "cut off"},
		"stray line":     {"#tmsdrift-collector/v1\r\nhello\r\n#end\r\n", "unexpected output"},
		"unknown part":   {"#tmsdrift-collector/v1\r\n#file secrets.txt -\r\n#end\r\n", "unknown part"},
		"twice":          {"#tmsdrift-collector/v1\r\n#file facts.json -\r\n#file facts.json -\r\n#end\r\n", "appears twice"},
		"after end":      {"#tmsdrift-collector/v1\r\n#end\r\nmore\r\n", "after #end"},
		"unknown marker": {"#tmsdrift-collector/v1\r\n#files facts.json -\r\n#end\r\n", "unknown marker"},
		"bad error code": {"#tmsdrift-collector/v1\r\n#error facts.json - oops bWVzc2FnZQ==\r\n#end\r\n", "unknown code"},
	} {
		_, err := psscript.ParseOutput([]byte(c.out))
		assert.ErrorContainsf(t, err, c.err, name)
	}
	o, err := psscript.ParseOutput([]byte("#tmsdrift-collector/v1\r\n#file facts.json -\r\n!!notbase64!!\r\n#file manifest.json -\r\ne30=\r\n#end\r\n"))
	require.NoError(t, err)
	assert.ErrorContains(t, o.Parts[psscript.PartFacts].Err, "damaged in transit")
	assert.Equal(t, "{}", string(o.Parts[psscript.PartManifest].Data))
}

// labOutputs builds, for every node of every lab, the output the collector
// would print there: the fuzz seeds and the round-trip cases.
func labOutputs(t testing.TB) [][]byte {
	labs, err := fixtures.Labs()
	require.NoError(t, err)
	var outs [][]byte
	for _, lab := range labs {
		inv, err := inventory.Load(lab.Inventory, inventory.Options{})
		require.NoError(t, err)
		for _, n := range inv.Nodes {
			node := fakenode.New(inv.Resolve(n.Transport.Path))
			p := psscript.Params{Install: inv.Paths.Install, WebRoot: inv.Paths.WebRoot, DataDirs: inv.DataSync.Dirs, HashData: inv.Model.MultiServer()}
			var b bytes.Buffer
			require.NoError(t, node.Collect(context.Background(), p).Write(&b))
			outs = append(outs, b.Bytes())
		}
	}
	return outs
}

// TestOutputRoundTrip: what the collector prints on each lab node parses
// back to the node's own files.
func TestOutputRoundTrip(t *testing.T) {
	outs := labOutputs(t)
	require.NotEmpty(t, outs)
	for _, out := range outs {
		o, err := psscript.ParseOutput(out)
		require.NoError(t, err)
		var again bytes.Buffer
		require.NoError(t, o.Write(&again))
		assert.Equal(t, string(out), again.String())
	}
	facts, err := os.ReadFile(filepath.Join(fixtures.LabsDir(), "manual-cutover", "nodes", "tms01", "facts.json"))
	require.NoError(t, err)
	node := fakenode.New(filepath.Join(fixtures.LabsDir(), "manual-cutover", "nodes", "tms01"))
	var b bytes.Buffer
	require.NoError(t, node.Collect(context.Background(), psscript.Params{WebRoot: `C:\x`}).Write(&b))
	o, err := psscript.ParseOutput(b.Bytes())
	require.NoError(t, err)
	assert.Equal(t, facts, o.Parts[psscript.PartFacts].Data)
}

// FuzzParseOutput: any bytes either fail to parse or parse to output that
// prints and parses back to the same parts.
func FuzzParseOutput(f *testing.F) {
	for _, out := range labOutputs(f) {
		if len(out) <= 6<<10 { // the fuzzer spends its time minimising larger interesting inputs
			f.Add(out)
		}
	}
	f.Add([]byte("#tmsdrift-collector/v1\n#error web.config LQ== notfound bm8=\n#warning eA==\n#end\n"))
	small := &psscript.Output{Parts: map[string]*psscript.Part{
		psscript.PartFacts:     {Data: []byte(`{"schema":"tmsdrift/facts/v1"}`)},
		psscript.PartWebConfig: {Path: `C:\TMS\wwwTMS\web.config`, Data: []byte("<configuration/>")},
		psscript.PartManifest:  {Data: []byte(`{"schema":"tmsdrift/manifest/v1","files":{"C:\\TMS\\a":{"size":1,"sha256":"00"}}}`)},
	}}
	var b bytes.Buffer
	require.NoError(f, small.Write(&b))
	f.Add(b.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		o, err := psscript.ParseOutput(data)
		if err != nil {
			return
		}
		var b bytes.Buffer
		require.NoError(t, o.Write(&b))
		again, err := psscript.ParseOutput(b.Bytes())
		require.NoError(t, err)
		require.Equal(t, len(o.Parts), len(again.Parts))
		for name, p := range o.Parts {
			q := again.Parts[name]
			require.NotNil(t, q, name)
			require.Equal(t, p.Path, q.Path)
			require.Equal(t, p.Err != nil, q.Err != nil)
			if p.Err == nil {
				require.Equal(t, p.Data, q.Data)
			} else {
				require.Equal(t, errors.Is(p.Err, fs.ErrNotExist), errors.Is(q.Err, fs.ErrNotExist))
			}
		}
		require.Equal(t, o.Warnings, again.Warnings)
	})
}
