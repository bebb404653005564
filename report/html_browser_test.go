package report

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/tmsdrift/tmsdrift/checks"
)

// The HTML report in a real browser: Debian's headless Chromium loads the
// page from a file and dumps the DOM after every script and event handler
// had its chance to run. The test reads what a person sees from that DOM
// and proves that markup injected through a node name or a message stays
// text.

// chromiumPath is Debian's launcher; .ci/run installs it.
const chromiumPath = "/usr/bin/chromium"

// needChromium returns the browser, or skips loudly when it is missing
// outside CI; under CI (env CI set) a missing browser fails the test.
func needChromium(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but %s is missing (apt-get install chromium; .ci/run does): %v", chromiumPath, err)
		}
		t.Skipf("SKIPPED: the HTML report is NOT tested in a browser: %s is missing (apt-get install chromium)", chromiumPath)
	}
	return chromiumPath
}

// chromium runs headless Chromium on url with extra flags (--dump-dom,
// --screenshot=…) and returns its standard output. The flags keep it off
// the network (docs: shared notes on independent clients).
func chromium(t *testing.T, url string, extra ...string) []byte {
	t.Helper()
	bin := needChromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir(), "--window-size=1280,2400"}, extra...)
	cmd := exec.CommandContext(ctx, bin, append(args, url)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "chromium: %s", stderr.String())
	return stdout.Bytes()
}

// dumpDOM loads the page and parses the DOM Chromium serialised.
func dumpDOM(t *testing.T, file string) *html.Node {
	t.Helper()
	out := chromium(t, "file://"+file, "--dump-dom")
	doc, err := html.Parse(bytes.NewReader(out))
	require.NoError(t, err)
	return doc
}

// find returns every element for which match is true, in document order.
func find(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	if n.Type == html.ElementNode && match(n) {
		out = append(out, n)
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		out = append(out, find(c, match)...)
	}
	return out
}

func byID(doc *html.Node, id string) *html.Node {
	got := find(doc, func(n *html.Node) bool { return attr(n, "id") == id })
	if len(got) == 0 {
		return nil
	}
	return got[0]
}

func byTag(doc *html.Node, tag string) []*html.Node {
	return find(doc, func(n *html.Node) bool { return n.Data == tag })
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// text is the text a person reads in n: its text nodes, <br> as a line
// break, whitespace runs folded.
func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		switch {
		case n.Type == html.TextNode:
			b.WriteString(n.Data)
		case n.Type == html.ElementNode && n.Data == "br":
			b.WriteString("\n")
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
		if n.Type == html.ElementNode && (n.Data == "td" || n.Data == "th") {
			b.WriteString(" ") // cells read apart
		}
	}
	walk(n)
	lines := strings.Split(b.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

// screenshotDir is where the screenshots go: git ignores it, and it
// outlives the test so a person can look.
func screenshotDir(t *testing.T) string {
	dir, err := filepath.Abs(filepath.Join("testdata", "chromium"))
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return dir
}

// Injected markup, as an attacker who controls a node's name or a file on
// it would write it.
const (
	scriptNode = "<script>document.title='pwned'</script>"
	imgMessage = `web.config unreadable: <img src=x onerror="document.title='pwned-img'"> and a bell` + "\a\x1b[31m"
)

// hostileReport is mixedReport with markup in a node name, a message and
// the deployment name.
func hostileReport() *Report {
	r := mixedReport()
	results := append([]checks.Result(nil), r.Results...)
	for i := range results {
		if results[i].Node == "tms03" {
			results[i].Node = scriptNode
		}
		if results[i].Rule == "machinekey.present" && results[i].Status == checks.Error {
			results[i].Message = imgMessage
		}
	}
	return New("acme<script>document.title='pwned-title'</script>", r.Model, r.StartedAt, r.FinishedAt, results)
}

func TestHTMLInChromium(t *testing.T) {
	needChromium(t)
	dir := t.TempDir()

	// The harness first proves it would notice: raw markup does run here.
	control := filepath.Join(dir, "control.html")
	require.NoError(t, os.WriteFile(control, []byte("<!DOCTYPE html><title>t</title><body>"+scriptNode+
		`<img src=x onerror="document.body.setAttribute('data-img','ran')">`), 0o644))
	ctl := dumpDOM(t, control)
	require.Equal(t, "pwned", text(byTag(ctl, "title")[0]), "control: an unescaped script runs in this browser")
	require.Equal(t, "ran", attr(byTag(ctl, "body")[0], "data-img"), "control: an unescaped onerror runs in this browser")

	prev := previousMixedReport()
	rep := hostileReport()
	prev.Results = append([]checks.Result(nil), prev.Results...)
	for i := range prev.Results {
		if prev.Results[i].Node == "tms03" {
			prev.Results[i].Node = scriptNode
		}
	}
	ch := Compare(prev, rep)
	var page bytes.Buffer
	require.NoError(t, NewHTML(Options{Inventory: "acme.yaml", Changes: &ch}).Write(&page, rep))
	file := filepath.Join(dir, "report.html")
	require.NoError(t, os.WriteFile(file, page.Bytes(), 0o644))

	doc := dumpDOM(t, file)

	t.Run("nothing injected runs", func(t *testing.T) {
		assert.Equal(t, "tmsdrift: acme<script>document.title='pwned-title'</script> (manual-cutover) — ✗ Drift found",
			text(byTag(doc, "title")[0]), "the title is ours, with the name as text")
		assert.Len(t, byTag(doc, "script"), 0, "no script element")
		assert.Len(t, byTag(doc, "img"), 0, "no img element")
		for _, n := range find(doc, func(*html.Node) bool { return true }) {
			for _, a := range n.Attr {
				assert.False(t, strings.HasPrefix(strings.ToLower(a.Key), "on"), "event handler attribute %s on <%s>", a.Key, n.Data)
			}
		}
		body := text(byTag(doc, "body")[0])
		assert.Contains(t, body, scriptNode, "the node name is shown as text")
		assert.Contains(t, body, `<img src=x onerror="document.title='pwned-img'">`, "the message is shown as text")
		assert.NotContains(t, body, "\a", "control characters are stripped")
		assert.NotContains(t, body, "\x1b", "control characters are stripped")
	})

	t.Run("the verdict comes first", func(t *testing.T) {
		v := byID(doc, "verdict")
		require.NotNil(t, v)
		assert.Equal(t, "✗ Drift found", text(v))
		assert.Equal(t, "7 fail · 2 error · 1 waived · 29 pass — exit 1", text(byID(doc, "counts")))
		all := find(doc, func(n *html.Node) bool { return attr(n, "id") != "" })
		require.NotEmpty(t, all)
		assert.Equal(t, "verdict", attr(all[0], "id"), "nothing with an id precedes the verdict")
	})

	t.Run("the matrix shows each node's status per rule", func(t *testing.T) {
		h := byID(doc, "matrix")
		require.NotNil(t, h)
		var table *html.Node
		for n := h.NextSibling; n != nil; n = n.NextSibling {
			if n.Type == html.ElementNode && n.Data == "table" {
				table = n
				break
			}
		}
		require.NotNil(t, table)
		rows := byTag(table, "tr")
		var header []string
		for _, th := range byTag(rows[0], "th") {
			header = append(header, text(th))
		}
		assert.Equal(t, []string{"Rule", "Severity", "(deployment)", "tms01", "tms02", scriptNode}, header)
		cell := func(rule, col string) string {
			ci := -1
			for i, hd := range header {
				if hd == col {
					ci = i
				}
			}
			require.GreaterOrEqual(t, ci, 0, col)
			for _, tr := range rows[1:] {
				tds := byTag(tr, "td")
				if strings.HasPrefix(text(tds[0]), rule+"\n") {
					return text(tds[ci])
				}
			}
			t.Fatalf("no row %s", rule)
			return ""
		}
		assert.Equal(t, "✗ fail", cell("machinekey.match", "tms02"))
		assert.Equal(t, "✓ pass", cell("machinekey.match", "tms01"))
		assert.Equal(t, "? error", cell("machinekey.match", scriptNode))
		assert.Equal(t, "~ waived", cell("time.synced", "tms02"))
		assert.Equal(t, "✗ fail", cell("addresses.match", "(deployment)"))
		assert.Equal(t, "–", cell("addresses.match", "tms01"))
	})

	t.Run("a failure shows expected and observed", func(t *testing.T) {
		f := byID(doc, "fail-1")
		require.NotNil(t, f)
		head := text(byTag(f, "th")[0])
		assert.Contains(t, head, "machineKey equals the approved key (machinekey.match) — tms02")
		assert.Contains(t, head, "new since the previous run")
		get := func(class string) string {
			got := find(f, func(n *html.Node) bool { return attr(n, "class") == class })
			require.Len(t, got, 1, class)
			return text(got[0])
		}
		assert.Equal(t, approvedKeys, get("expected"))
		assert.Equal(t, rogueKeys, get("observed"))
		assert.Contains(t, get("remediation"), "tmsdrift fix --only machinekey.match --apply")
		assert.Contains(t, get("guide"), "Set web validation key on web servers")
		// The matrix links to it.
		links := find(doc, func(n *html.Node) bool { return n.Data == "a" && attr(n, "href") == "#fail-1" })
		assert.NotEmpty(t, links)
	})

	t.Run("what changed since the previous run", func(t *testing.T) {
		h := byID(doc, "changes")
		require.NotNil(t, h)
		var section strings.Builder
		for n := h.NextSibling; n != nil && !(n.Type == html.ElementNode && n.Data == "h2"); n = n.NextSibling {
			section.WriteString(text(n) + "\n")
		}
		s := section.String()
		assert.Contains(t, s, "+3 failing, -1 resolved, -1 error")
		assert.Contains(t, s, "New failures (3)")
		assert.Contains(t, s, "machinekey.match tms02 pass → fail 2026-11-25 validationKey sha256:e02d77a1c4f9")
		assert.Contains(t, s, "Still failing (4)")
		assert.Contains(t, s, "time.synced "+scriptNode+" fail → pass 2026-11-24")
		assert.Contains(t, s, scriptNode, "a changed result on the hostile node, as text")
	})

	shot := filepath.Join(screenshotDir(t), "report.png")
	chromium(t, "file://"+file, "--screenshot="+shot)
	st, err := os.Stat(shot)
	require.NoError(t, err)
	assert.Greater(t, st.Size(), int64(10_000), "a screenshot with content")
	t.Logf("screenshot of the HTML report in Chromium: %s", shot)
}
