package report

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/tmsdrift/tmsdrift/checks"
)

func renderHTML(t *testing.T, opts Options, r *Report) string {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, NewHTML(opts).Write(&b, r))
	return b.String()
}

func TestHTMLClean(t *testing.T) {
	key := strings.Repeat("0A1B2C3D", 8) // 64 hex digits: a validationKey
	cases := map[string]struct{ in, want string }{
		"plain text stays":                {"tms01 offset 2400 ms", "tms01 offset 2400 ms"},
		"line breaks normalised":          {"a\r\nb\rc\nd", "a\nb\nc\nd"},
		"tab kept":                        {"a\tb", "a\tb"},
		"C0, DEL and C1 shown escaped":    {"bell\a esc\x1b[31m del\x7f c1\u0085\u009b", `bell\x07 esc\x1b[31m del\x7f c1\u0085\u009b`},
		"bidi overrides shown escaped":    {"file\u202Egnp.exe and \u2066x\u2069", `file\u202egnp.exe and \u2066x\u2069`},
		"invalid UTF-8 shown escaped":     {"Gr\xf6\xdfe", `Gr\xf6\xdfe`},
		"non-ASCII kept":                  {"Bestätigung.htm", "Bestätigung.htm"},
		"markup is left to html/template": {"<b>&", "<b>&"},
		"key material fingerprinted":      {"validationKey=" + key, "validationKey=[hex value hidden, sha256:"},
		"fingerprints stay":               {"sha256:4f1c9a2e7b3d", "sha256:4f1c9a2e7b3d"},
	}
	for name, c := range cases {
		got := htmlClean(c.in)
		if strings.HasSuffix(c.want, "sha256:") {
			assert.True(t, strings.HasPrefix(got, c.want), "%s: %q", name, got)
			assert.NotContains(t, got, key, name)
			continue
		}
		assert.Equal(t, c.want, got, name)
	}
}

// TestHTMLEscapes checks the page source without a browser (the Chromium
// test checks the DOM): markup from outside arrives as entities, in text,
// attributes and the title alike.
func TestHTMLEscapes(t *testing.T) {
	page := renderHTML(t, Options{}, hostileReport())
	assert.NotContains(t, page, "<script")
	assert.NotContains(t, page, "<img")
	assert.Contains(t, page, "&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;")
	assert.Contains(t, page, "&lt;img src=x onerror=&#34;document.title=&#39;pwned-img&#39;&#34;&gt;")
	assert.NotContains(t, page, "\x1b")
}

// TestHTMLSelfContained: nothing the page would fetch, no style block an
// e-mail client would drop, no script.
func TestHTMLSelfContained(t *testing.T) {
	page := renderHTML(t, Options{Changes: mixedChanges(), Notes: mixedNotes}, mixedReport())
	for _, forbidden := range []string{"http://", "https://", "src=", "<link", "<style", "@import", "url(", "<script"} {
		assert.NotContains(t, page, forbidden)
	}
	assert.True(t, strings.HasPrefix(page, "<!DOCTYPE html>\n"))
	assert.Contains(t, page, `<meta charset="utf-8">`)
}

func TestHTMLChangesSection(t *testing.T) {
	r := mixedReport()
	none := renderHTML(t, Options{}, r)
	assert.NotContains(t, none, `id="changes"`, "no Changes: no section")

	first := Compare(nil, r)
	page := renderHTML(t, Options{Changes: &first}, r)
	assert.Contains(t, page, `id="changes"`)
	assert.Contains(t, page, "This is the first run: there is no earlier report to compare with (first run: 7 failing, 2 errors).")

	ch := mixedChanges()
	page = renderHTML(t, Options{Changes: ch}, r)
	assert.Contains(t, page, "&#43;3 failing, -1 resolved, -1 error", "html/template writes + as an entity")
	assert.Contains(t, page, "2026-11-20", "the first-seen date history filled in")
	assert.Equal(t, 3, strings.Count(page, "new since the previous run"), "each new failure is marked in its detail")
}

// TestHTMLMatrixManyNodes: past the limit, only nodes with something to
// look at get a column, and the page says how many were left out.
func TestHTMLMatrixManyNodes(t *testing.T) {
	var results []checks.Result
	for i := range 300 {
		node := fmt.Sprintf("tms%03d", i)
		status := checks.Pass
		if i == 17 || i == 250 {
			status = checks.Fail
		}
		results = append(results, checks.Result{Rule: "db.latency", Node: node, Status: status, Severity: checks.High})
	}
	page := renderHTML(t, Options{}, New("fleet", "nlb", fixtureStart, fixtureEnd, results))
	assert.Contains(t, page, ">tms017</th>")
	assert.Contains(t, page, ">tms250</th>")
	assert.NotContains(t, page, ">tms018</th>")
	assert.Contains(t, page, "298 more nodes on which every result passed are not shown.")
}

func TestHTMLNoResults(t *testing.T) {
	page := renderHTML(t, Options{}, New("empty", "single", fixtureStart, fixtureEnd, nil))
	assert.Contains(t, page, "No results: no rule of the catalogue applies to this deployment.")
	assert.Contains(t, page, "✓ No drift")
}

func TestHTMLVerdicts(t *testing.T) {
	medium := New("d", "single", fixtureStart, fixtureEnd, []checks.Result{
		{Rule: "data.synced", Node: "tms02", Status: checks.Fail, Severity: checks.Medium}})
	assert.Contains(t, renderHTML(t, Options{FailOn: checks.High}, medium), "~ Failures below --fail-on high")
	assert.Contains(t, renderHTML(t, Options{}, medium), "✗ Drift found")
	assert.Contains(t, renderHTML(t, Options{}, erroredReport()), "? Not everything could be checked")
}

// allowedElements are the only elements the page may contain, whatever
// the results say.
var allowedElements = map[string]bool{
	"html": true, "head": true, "meta": true, "title": true, "body": true, "table": true, "tr": true,
	"td": true, "th": true, "tbody": true, "h1": true, "h2": true, "p": true, "span": true, "a": true,
	"br": true, "code": true, "strong": true,
}

// FuzzHTMLEscaping renders reports whose node names, messages and
// observed values are arbitrary, and checks the page's structure with an
// HTML5 parser: only the template's own elements, no event handler, no
// link but to the page itself.
func FuzzHTMLEscaping(f *testing.F) {
	for _, res := range hostileReport().Results {
		f.Add(res.Node, res.Message, res.Observed)
	}
	for _, res := range mixedReport().Results {
		f.Add(res.Node, res.Message, res.Observed)
	}
	f.Add("</td></tr></table><script>alert(1)</script>", "<!--", "]]><svg onload=alert(1)>")
	f.Add("a\"b'c", "javascript:alert(1)", "\u202e\x00\x1b[2J")
	f.Fuzz(func(t *testing.T, node, message, observed string) {
		r := New("fuzz", "nlb", fixtureStart, fixtureEnd, []checks.Result{
			{Rule: "db.latency", Node: node, Status: checks.Fail, Severity: checks.High, Message: message, Observed: observed},
			{Rule: "time.synced", Node: node, Status: checks.Error, Severity: checks.High, Message: observed},
		})
		ch := Compare(nil, r)
		page := renderHTML(t, Options{Changes: &ch, Notes: []string{message}, Inventory: node}, r)
		doc, err := html.Parse(strings.NewReader(page))
		require.NoError(t, err)
		for _, n := range find(doc, func(*html.Node) bool { return true }) {
			require.True(t, allowedElements[n.Data], "element <%s> in the page", n.Data)
			for _, a := range n.Attr {
				require.False(t, strings.HasPrefix(strings.ToLower(a.Key), "on"), "attribute %s", a.Key)
				if a.Key == "href" {
					require.True(t, strings.HasPrefix(a.Val, "#"), "link %q", a.Val)
				}
			}
		}
	})
}

// BenchmarkHTMLFleet renders the HTML report of 1,000 nodes × 10 rules
// with a previous run to compare with: the nightly service does this
// after every run.
func BenchmarkHTMLFleet(b *testing.B) {
	var olds, news []checks.Result
	for n := range 1000 {
		for _, rule := range []string{"domain.joined", "domain.same", "time.synced", "paths.identical", "machinekey.present",
			"machinekey.match", "services.standby-inactive", "db.single-live", "db.latency", "data.synced"} {
			status := checks.Pass
			if n%97 == 0 {
				status = checks.Fail
			}
			res := checks.Result{Rule: rule, Node: fmt.Sprintf("tms%04d", n), Status: status, Severity: checks.High}
			olds = append(olds, res)
			if n%101 == 0 {
				res.Status = checks.Error
			}
			news = append(news, res)
		}
	}
	old := New("fleet", "nlb", fixtureStart, fixtureEnd, olds)
	latest := New("fleet", "nlb", fixtureStart.Add(24*time.Hour), fixtureEnd.Add(24*time.Hour), news)
	b.ReportAllocs()
	for b.Loop() {
		ch := Compare(old, latest)
		var buf bytes.Buffer
		if err := NewHTML(Options{Changes: &ch}).Write(&buf, latest); err != nil {
			b.Fatal(err)
		}
	}
}
