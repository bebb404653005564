package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/report"
)

func TestExplainShowsTheVersionFactsARuleFollows(t *testing.T) {
	code, out, stderr := tmsdrift(t, "explain", "data.synced")
	require.Equal(t, report.ExitOK, code, stderr)
	assert.Contains(t, out, "By TMS version")
	assert.Contains(t, out, `wwwTMS\Public\Data\SystemSoftware`, "TMS 15's folders")
	assert.Contains(t, out, `wwwTMS\Data\MGCSettings`, "the 11.7 guide's folders")
	assert.Contains(t, out, "Source: D14570.02")
	assert.Contains(t, out, "tmsdrift assumption")

	code, out, _ = tmsdrift(t, "explain", "machinekey.match", "--tms-version", "15.9")
	require.Equal(t, report.ExitOK, code)
	assert.Contains(t, out, `wwwTMS\Public\web.config`)
	assert.Contains(t, out, "(unsettled)")
	assert.NotContains(t, out, "11.x", "one release asked for, one shown")

	code, out, _ = tmsdrift(t, "explain", "machinekey.match", "--tms-version", "14.6.2")
	require.Equal(t, report.ExitOK, code)
	assert.NotContains(t, out, `Public\web.config`, "no Public application before 15.8")

	code, out, _ = tmsdrift(t, "explain", "db.online", "--tms-version", "12.6")
	require.Equal(t, report.ExitOK, code)
	assert.Contains(t, out, "The same for every release")

	code, _, stderr = tmsdrift(t, "explain", "data.synced", "--tms-version", "16.0")
	assert.Equal(t, report.ExitUsage, code)
	assert.Contains(t, stderr, "no TMS profile for TMS 16.0")
}

func TestVersionsCommand(t *testing.T) {
	code, out, stderr := tmsdrift(t, "versions", "12.6")
	require.Equal(t, report.ExitOK, code, stderr)
	assert.Contains(t, out, "TMS 12.6 is judged by the TMS 12.x profile.")
	assert.Contains(t, out, "no limit documented")

	code, out, _ = tmsdrift(t, "versions", "15.9")
	require.Equal(t, report.ExitOK, code)
	assert.Contains(t, out, "(with 15.8)")
	for _, line := range strings.Split(out, "\n") {
		assert.LessOrEqual(t, len(line), 80, "fits a terminal: %q", line)
	}

	code, out, _ = tmsdrift(t, "versions")
	require.Equal(t, report.ExitOK, code)
	for _, r := range []string{"11.x", "12.x", "13.x", "13.2", "14.x", "15.x", "15.8"} {
		assert.Contains(t, out, "  "+r+" ")
	}

	for _, bad := range [][]string{{"versions", "latest"}, {"versions", "10.2"}, {"versions", "-f", "html"}, {"versions", "15.9", "-f", "markdown"}} {
		code, _, _ = tmsdrift(t, bad...)
		assert.Equal(t, report.ExitUsage, code, bad)
	}
}

// docs/tms-versions.md embeds `tmsdrift versions --format markdown`
// between markers; the two must agree.
func TestTMSVersionsDocMatchesTheTable(t *testing.T) {
	code, out, _ := tmsdrift(t, "versions", "--format", "markdown")
	require.Equal(t, report.ExitOK, code)
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "tms-versions.md"))
	require.NoError(t, err)
	const begin, end = "<!-- BEGIN tmsdrift versions --format markdown -->\n", "<!-- END tmsdrift versions -->"
	s := string(doc)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	require.True(t, i >= 0 && j > i, "markers in docs/tms-versions.md")
	assert.Equal(t, out, s[i+len(begin):j], "regenerate the block between the markers from: go run ./cmd/tmsdrift versions --format markdown")
}

// docs/tms-versions.md, "Sources, as read", lists every rule's guide
// section with its status (confirmed, not re-read, tmsdrift assumption);
// what `tmsdrift rules --format json` says of each rule (the catalogue's
// citation, tmsversion's data) must be what the table says: a rule citing
// a section the table does not list, or lists with another status, fails.
func TestDocsRuleSourcesAreAsRead(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "tms-versions.md"))
	require.NoError(t, err)
	s := string(doc)
	i := strings.Index(s, "## Sources, as read")
	require.True(t, i >= 0, "docs/tms-versions.md has a Sources, as read section")
	s = s[i:]
	const header = "| rule(s) | section cited | status | against the pages read |"
	j := strings.Index(s, header)
	require.True(t, j >= 0, "Sources, as read has the rules' table: %s", header)
	type row struct{ section, status string }
	rows := map[string]row{}
	for _, line := range strings.Split(s[j:], "\n")[2:] {
		if !strings.HasPrefix(line, "|") {
			break
		}
		cells := strings.Split(strings.Trim(line, "|"), " | ")
		require.Len(t, cells, 4, line)
		ids := regexp.MustCompile("`([a-z]+\\.[a-z-]+)`").FindAllStringSubmatch(cells[0], -1)
		require.NotEmpty(t, ids, "a row names its rules: %s", line)
		for _, id := range ids {
			_, dup := rows[id[1]]
			assert.False(t, dup, "%s is in one row only", id[1])
			rows[id[1]] = row{strings.TrimSpace(cells[1]), strings.TrimSpace(cells[2])}
		}
	}

	code, out, stderr := tmsdrift(t, "rules", "--format", "json")
	require.Equal(t, report.ExitOK, code, stderr)
	var rules []report.RuleDoc
	require.NoError(t, json.Unmarshal([]byte(out), &rules))
	require.Len(t, rules, len(checks.IDs()))
	labels := map[string]string{"confirmed": "confirmed", "not-reread": "not re-read", "assumption": "tmsdrift assumption"}
	for _, r := range rules {
		got, ok := rows[r.ID]
		if !assert.Truef(t, ok, "Sources, as read lists no row for %s (it cites %q)", r.ID, r.Source) {
			continue
		}
		delete(rows, r.ID)
		assert.Equal(t, r.Source, got.section, "%s: the section the table lists is the one the rule cites", r.ID)
		assert.Contains(t, labels, r.SourceStatus, r.ID)
		assert.Equal(t, labels[r.SourceStatus], got.status, "%s (%q): the status the table gives is the rule's", r.ID, r.Source)
	}
	assert.Empty(t, rows, "rows for rules that do not exist")

	// explain shows the same status, with what was read.
	code, out, _ = tmsdrift(t, "explain", "db.latency")
	require.Equal(t, report.ExitOK, code)
	assert.Contains(t, out, "Source:    not re-read")
	assert.Contains(t, out, "10 ms")
	code, out, _ = tmsdrift(t, "explain", "domain.same")
	require.Equal(t, report.ExitOK, code)
	assert.Contains(t, out, "Source:    confirmed")
}

// The acceptance test for every web.config: on TMS 15.9, the
// upgrade-stripped wwwTMS\Public\web.config of tms02 fails
// machinekey.match naming the file, and post-upgrade gives back the
// pre-upgrade file byte for byte; a second run changes nothing; rollback
// puts the stripped file back.
func TestPostUpgradeRestoresThePublicWebConfig(t *testing.T) {
	dir, inv := labCopy(t, "tms15-public-key")
	const public = "nodes/tms02/fs/C/Program Files/TANDBERG/TMS/wwwTMS/Public/web.config"
	before := files(t, dir)

	code, stdout, _ := tmsdrift(t, "audit", "-i", inv, "--format", "json")
	require.Equal(t, report.ExitFail, code)
	rep := dbReport(t, stdout)
	r := findResult(t, rep, "machinekey.match", "tms02")
	assert.Contains(t, r.Observed, `Public\web.config: no <machineKey>`)

	code, stdout, stderr := tmsdrift(t, "post-upgrade", "-i", inv)
	require.Equal(t, report.ExitOK, code, "stdout: %s\nstderr: %s", stdout, stderr)
	assert.Contains(t, stdout, `Public\web.config`)
	got := files(t, dir)
	assert.True(t, got["pre-upgrade/Public/web.config"] == got[public], "tms02's Public web.config is the pre-upgrade file, byte for byte")
	for name, data := range before {
		if name != public && !strings.HasPrefix(name, ".tmsdrift/") {
			assert.Equal(t, data, got[name], "%s untouched", name)
		}
	}
	code, _, _ = tmsdrift(t, "audit", "-i", inv)
	assert.Equal(t, report.ExitOK, code, "the audit afterwards passes")

	code, stdout, _ = tmsdrift(t, "post-upgrade", "-i", inv)
	assert.Equal(t, report.ExitOK, code)
	assert.Contains(t, stdout, "Nothing tmsdrift can change")

	code, _, stderr = tmsdrift(t, "rollback", "-i", inv, "last")
	require.Equal(t, report.ExitOK, code, stderr)
	assert.Equal(t, before[public], files(t, dir)[public], "rolled back byte for byte")
}

// TestEveryWebConfigThroughTheCommandLine: issue 10's "every web.config"
// as a user meets it. On TMS 15.13 with no Public application on any node
// (lab manual-cutover, recorded before 15.8's file was known), the listed
// Public\web.config is skipped and the message says so; a file listed in
// paths.web_configs (Api\web.config) is compared like with like: tms02's
// copy with another key fails naming that file, fix puts the approved key
// back in it alone, the audit afterwards passes; the same file missing on
// tms03 only fails naming it there.
func TestEveryWebConfigThroughTheCommandLine(t *testing.T) {
	dir, inv := labCopy(t, "manual-cutover")
	rep, code, out := auditJSON(t, inv)
	require.Equal(t, report.ExitOK, code, out)
	assert.Contains(t, findResult(t, rep, "machinekey.match", "tms02").Message, `Public\web.config absent on every node: not checked`)

	rewrite(t, inv, func(b []byte) []byte {
		return []byte(strings.Replace(string(b), "machine_key:\n", "  web_configs: ['Api\\web.config']\nmachine_key:\n", 1))
	})
	main := map[string]string{
		"tms01": "nodes/tms01/fs/C/Program Files/TANDBERG/TMS/wwwTMS/web.config",
		"tms02": "nodes/tms02/fs/c/program files/Tandberg/TMS/WWWTMS/Web.config",
		"tms03": "nodes/tms03/fs/C/Program Files/TANDBERG/TMS/wwwTMS/web.config",
	}
	api := func(node string) string {
		return filepath.Join(dir, filepath.Dir(main[node]), "Api", "web.config")
	}
	for node, p := range main {
		require.NoError(t, os.MkdirAll(filepath.Dir(api(node)), 0o755))
		require.NoError(t, os.WriteFile(api(node), must(os.ReadFile(filepath.Join(dir, p))), 0o644))
	}
	rep, code, out = auditJSON(t, inv)
	require.Equal(t, report.ExitOK, code, "the same key in every Api\\web.config: %s", out)

	// tms02's Api\web.config gets another validationKey.
	rewrite(t, api("tms02"), func(b []byte) []byte {
		return []byte(strings.Replace(string(b), `validationKey="94662fc64f`, `validationKey="04662fc64f`, 1))
	})
	before := files(t, dir)
	rep, code, _ = auditJSON(t, inv)
	assert.Equal(t, report.ExitFail, code)
	r := findResult(t, rep, "machinekey.match", "tms02")
	assert.Equal(t, "fail", string(r.Status))
	assert.Contains(t, r.Message, `Api\web.config's machineKey differs from the approved key`)
	assert.Equal(t, "pass", string(findResult(t, rep, "machinekey.match", "tms03").Status))

	code, stdout, stderr := tmsdrift(t, "fix", "-i", inv, "--apply")
	require.Equal(t, report.ExitOK, code, stdout+stderr)
	after := files(t, dir)
	apiRel := filepath.ToSlash(strings.TrimPrefix(api("tms02"), dir+string(filepath.Separator)))
	assert.ElementsMatch(t, []string{apiRel}, diffFiles(before, after), "only tms02's Api\\web.config written")
	assert.Contains(t, after[apiRel], `validationKey="94662FC64FCDB8F0`, "the approved key")
	assert.Equal(t, strings.Count(before[apiRel], "\r\n"), strings.Count(after[apiRel], "\r\n"), "line endings kept")

	require.NoError(t, os.Remove(api("tms03")))
	rep, code, _ = auditJSON(t, inv)
	assert.Equal(t, report.ExitFail, code)
	r = findResult(t, rep, "machinekey.match", "tms03")
	assert.Equal(t, "fail", string(r.Status))
	assert.Contains(t, r.Observed, `Api\web.config: missing`)
}

// TestInventoryVersionBeatsTheFacts: the inventory's tms_version decides
// the profile whatever the nodes report — the three-node pool on TMS
// 15.13 passes nodes.count when the inventory says 12.6, and the same pool
// on 12.6.3 fails it when the inventory says 15.9, citing that release.
func TestInventoryVersionBeatsTheFacts(t *testing.T) {
	for _, c := range []struct {
		lab, version string
		status       string
	}{{"nlb-three", "12.6", "pass"}, {"nlb-three-12", "15.9", "fail"}} {
		_, inv := labCopy(t, c.lab)
		rewrite(t, inv, func(b []byte) []byte {
			return []byte(strings.Replace(string(b), "\nmodel: nlb\n", "\nmodel: nlb\ntms_version: '"+c.version+"'\n", 1))
		})
		rep, _, out := auditJSON(t, inv)
		r := findResult(t, rep, "nodes.count", "")
		assert.Equal(t, c.status, string(r.Status), "%s with tms_version %s: %s", c.lab, c.version, out)
		if c.status == "fail" {
			assert.Contains(t, r.Message, "no more than 2 TMS servers in a redundant deployment of TMS 15.9")
		}
	}
}
