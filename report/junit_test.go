package report

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/checks"
)

// Decoding types, separate from the writer's, as a CI server would read.
type parsedSuites struct {
	XMLName   xml.Name      `xml:"testsuites"`
	Name      string        `xml:"name,attr"`
	Tests     int           `xml:"tests,attr"`
	Failures  int           `xml:"failures,attr"`
	Errors    int           `xml:"errors,attr"`
	Skipped   int           `xml:"skipped,attr"`
	Time      string        `xml:"time,attr"`
	Timestamp string        `xml:"timestamp,attr"`
	Suites    []parsedSuite `xml:"testsuite"`
}

type parsedSuite struct {
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Cases    []parsedCase `xml:"testcase"`
}

type parsedCase struct {
	Classname string `xml:"classname,attr"`
	Name      string `xml:"name,attr"`
	Failure   *struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Body    string `xml:",chardata"`
	} `xml:"failure"`
	Error *struct {
		Message string `xml:"message,attr"`
		Body    string `xml:",chardata"`
	} `xml:"error"`
	Skipped *struct {
		Message string `xml:"message,attr"`
	} `xml:"skipped"`
}

func parseJUnit(t testing.TB, r *Report) parsedSuites {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, NewJUnit(Options{}).Write(&buf, r))
	var doc parsedSuites
	dec := xml.NewDecoder(&buf)
	dec.Strict = true
	require.NoError(t, dec.Decode(&doc), buf.String())
	return doc
}

func TestJUnitCountsMatchTheSummary(t *testing.T) {
	r := mixedReport()
	doc := parseJUnit(t, r)

	assert.Equal(t, "tmsdrift acme-tms (manual-cutover)", doc.Name)
	assert.Equal(t, len(r.Results), doc.Tests)
	assert.Equal(t, r.Summary.Fail, doc.Failures)
	assert.Equal(t, r.Summary.Error, doc.Errors)
	assert.Equal(t, r.Summary.Waived, doc.Skipped)
	assert.Equal(t, "2026-11-25T02:00:00Z", doc.Timestamp)
	assert.Equal(t, "1.843", doc.Time)

	var tests, failures, errs, skipped, cases int
	seen := map[string]bool{}
	for _, s := range doc.Suites {
		assert.False(t, seen[s.Name], "one suite per rule: %s twice", s.Name)
		seen[s.Name] = true
		tests, failures, errs, skipped = tests+s.Tests, failures+s.Failures, errs+s.Errors, skipped+s.Skipped
		cases += len(s.Cases)
		var f, e, k int
		for _, c := range s.Cases {
			assert.Equal(t, "tmsdrift."+s.Name, c.Classname)
			if c.Failure != nil {
				f++
			}
			if c.Error != nil {
				e++
			}
			if c.Skipped != nil {
				k++
			}
		}
		assert.Equal(t, []int{s.Tests, s.Failures, s.Errors, s.Skipped}, []int{len(s.Cases), f, e, k}, "suite %s counts its cases", s.Name)
	}
	assert.Equal(t, []int{doc.Tests, doc.Failures, doc.Errors, doc.Skipped, doc.Tests}, []int{tests, failures, errs, skipped, cases})
	rules := map[string]bool{}
	for _, res := range r.Results {
		rules[res.Rule] = true
	}
	assert.Len(t, doc.Suites, len(rules), "one suite per rule")
}

func TestJUnitCases(t *testing.T) {
	doc := parseJUnit(t, mixedReport())
	cases := map[string]parsedCase{}
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			cases[c.Classname+"/"+c.Name] = c
		}
	}

	fail := cases["tmsdrift.machinekey.match/tms02"]
	require.NotNil(t, fail.Failure)
	assert.Nil(t, fail.Error)
	assert.Equal(t, "critical", fail.Failure.Type)
	assert.Equal(t, "validationKey differs from the approved key", fail.Failure.Message)
	assert.Contains(t, fail.Failure.Body, "expected: "+approvedKeys+"\nobserved: "+rogueKeys+"\n")
	assert.Contains(t, fail.Failure.Body, "remediation: Write the approved key")
	assert.Contains(t, fail.Failure.Body, "tmsdrift explain machinekey.match")

	deployment := cases["tmsdrift.addresses.match/(deployment)"]
	require.NotNil(t, deployment.Failure, "deployment results are named (deployment)")

	noMessage := cases["tmsdrift.services.standby-inactive/tms02"]
	require.NotNil(t, noMessage.Failure)
	assert.Equal(t, "TMSSchedulerService Running, Automatic", noMessage.Failure.Message, "falls back to the first line observed")

	errored := cases["tmsdrift.machinekey.match/tms03"]
	require.NotNil(t, errored.Error)
	assert.Nil(t, errored.Failure)
	assert.Contains(t, errored.Error.Body, "An error is not a pass")

	waived := cases["tmsdrift.time.synced/tms02"]
	require.NotNil(t, waived.Skipped)
	assert.Equal(t, "waived until 2026-12-31: NTP source being replaced, ticket 4711", waived.Skipped.Message)

	pass := cases["tmsdrift.time.synced/tms01"]
	assert.Nil(t, pass.Failure)
	assert.Nil(t, pass.Error)
	assert.Nil(t, pass.Skipped)
}

// TestJUnitEscapes feeds every character XML cares about, plus ones it
// forbids, through each attribute and body: the file must parse and the
// text come back (forbidden characters as U+FFFD).
func TestJUnitEscapes(t *testing.T) {
	nasty := `a<b & "c" ]]> 'd' Größe 東京 ✓` + "\x00\x1b\t\r\n" + `end]]>`
	// Control characters are shown as escapes (report.Sanitize), not
	// dropped: the reader sees that something was there.
	want := `a<b & "c" ]]> 'd' Größe 東京 ✓\x00\x1b`
	r := New("dep<&\"]]>", "nlb", fixtureStart, fixtureEnd, []checks.Result{
		{Rule: "data.synced", Node: `tms<&"]]>`, Status: checks.Fail, Severity: checks.Medium, Expected: nasty, Observed: nasty, Message: nasty},
		{Rule: "data.synced", Node: "tms02", Status: checks.Error, Severity: checks.Medium, Message: nasty},
		{Rule: "time.synced", Node: "tms02", Status: checks.Waived, Severity: checks.High, Message: nasty},
	})
	doc := parseJUnit(t, r)
	assert.Equal(t, `tmsdrift dep<&"]]> (nlb)`, doc.Name)
	require.Len(t, doc.Suites, 2)
	failed := doc.Suites[0].Cases[0]
	assert.Equal(t, `tms<&"]]>`, failed.Name)
	require.NotNil(t, failed.Failure)
	assert.Equal(t, want, failed.Failure.Message, "first line of the message")
	// XML parsers turn CR LF into LF.
	assert.Contains(t, failed.Failure.Body, want+"\t\nend]]>", "whole text in the body")
	assert.Contains(t, doc.Suites[0].Cases[1].Error.Message, want)
	assert.True(t, strings.HasPrefix(doc.Suites[1].Cases[0].Skipped.Message, "waived: "+want))
}

func TestJUnitEmptyReportIsValid(t *testing.T) {
	doc := parseJUnit(t, New("x", "single", fixtureStart, fixtureEnd, nil))
	assert.Equal(t, 0, doc.Tests)
	assert.Empty(t, doc.Suites)
}

// FuzzJUnit: whatever the strings in a result, the XML parses strictly and
// its counts match the summary. Results carry text from web.config files,
// node names and SQL errors, so any byte can reach the writer.
func FuzzJUnit(f *testing.F) {
	f.Add("machinekey.match", "tms01", "validationKey sha256:4f1c", "<machineKey/>", "differs", uint8(0))
	f.Add("data.synced", "", "a]]>b", "c&d\"e", "\x00\x1b\xff\xfe", uint8(1))
	f.Add("x", "Größe", "東京", "\r\n", "]]]]><![CDATA[>", uint8(2))
	f.Fuzz(func(t *testing.T, rule, node, expected, observed, message string, status uint8) {
		st := checks.Statuses[int(status)%len(checks.Statuses)]
		r := New("fuzz", "nlb", fixtureStart, fixtureEnd, []checks.Result{
			{Rule: rule, Node: node, Status: st, Severity: checks.High, Expected: expected, Observed: observed, Message: message},
			{Rule: "time.synced", Node: "tms01", Status: checks.Pass, Severity: checks.High},
		})
		doc := parseJUnit(t, r)
		if doc.Tests != 2 || doc.Failures != r.Summary.Fail || doc.Errors != r.Summary.Error || doc.Skipped != r.Summary.Waived {
			t.Fatalf("counts %d/%d/%d/%d, summary %+v", doc.Tests, doc.Failures, doc.Errors, doc.Skipped, r.Summary)
		}
	})
}
