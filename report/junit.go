package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tmsdrift/tmsdrift/checks"
)

// JUnit is JUnit XML for CI servers (Jenkins' junit step, GitLab's
// artifacts:reports:junit, Azure DevOps' PublishTestResults@2), so drift
// shows up in the same test tab as the rest of the pipeline.
//
// Layout: one <testsuite> per rule (name = rule id), one <testcase> per
// result, classname "tmsdrift.<rule>", name the node or "(deployment)".
// Per rule rather than per node because that is how people act on it: a
// rule failing on twenty nodes is one problem with one remediation, and
// GitLab lists suites with their failure counts, so the summary reads as
// the rule catalogue. Jenkins splits classname at its last dot, which
// gives package "tmsdrift.machinekey", class "match": rule families
// group themselves. Suites keep the Report's (catalogue) order.
type JUnit struct{}

// NewJUnit returns the JUnit format. No option changes it.
func NewJUnit(Options) *JUnit { return &JUnit{} }

type junitTestsuites struct {
	XMLName   xml.Name     `xml:"testsuites"`
	Name      string       `xml:"name,attr"`
	Tests     int          `xml:"tests,attr"`
	Failures  int          `xml:"failures,attr"`
	Errors    int          `xml:"errors,attr"`
	Skipped   int          `xml:"skipped,attr"`
	Time      string       `xml:"time,attr"`
	Timestamp string       `xml:"timestamp,attr"`
	Suites    []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Skipped   int         `xml:"skipped,attr"`
	Time      string      `xml:"time,attr"`
	Timestamp string      `xml:"timestamp,attr"`
	Cases     []junitCase `xml:"testcase"`
}

type junitCase struct {
	Classname string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
}

// junitProblem is a <failure> or <error>; the body is CDATA so that its
// lines stay readable in the file and in CI's "stack trace" pane.
type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",cdata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

// Write renders r as JUnit XML.
func (j *JUnit) Write(w io.Writer, r *Report) error {
	r = sanitized(r) // nothing from outside reaches a reader unescaped
	stamp := r.StartedAt.UTC().Format(time.RFC3339)
	doc := junitTestsuites{
		Name:      xmlSafe("tmsdrift " + title(r)),
		Time:      seconds(r.FinishedAt.Sub(r.StartedAt)),
		Timestamp: stamp,
	}
	index := map[string]int{}
	for _, res := range r.Results {
		i, seen := index[res.Rule]
		if !seen {
			i = len(doc.Suites)
			index[res.Rule] = i
			doc.Suites = append(doc.Suites, junitSuite{Name: xmlSafe(res.Rule), Time: seconds(0), Timestamp: stamp})
		}
		suite := &doc.Suites[i]
		c := junitCase{Classname: xmlSafe("tmsdrift." + res.Rule), Name: xmlSafe(nodeLabel(res.Node)), Time: seconds(0)}
		suite.Tests++
		switch res.Status {
		case checks.Fail:
			suite.Failures++
			c.Failure = &junitProblem{Message: xmlSafe(problemMessage(res)), Type: xmlSafe(string(res.Severity)), Body: xmlSafe(problemBody(res))}
		case checks.Error:
			suite.Errors++
			c.Error = &junitProblem{Message: xmlSafe(problemMessage(res)), Type: "error", Body: xmlSafe(problemBody(res))}
		case checks.Waived:
			suite.Skipped++
			c.Skipped = &junitSkipped{Message: xmlSafe(skipMessage(res))}
		}
		suite.Cases = append(suite.Cases, c)
	}
	for _, s := range doc.Suites {
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
		doc.Skipped += s.Skipped
	}

	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("write junit report: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write junit report: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("write junit report: %w", err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("write junit report: %w", err)
	}
	return nil
}

// problemMessage is the one line CI shows next to a failed case: the
// first line of the result's message, else of what was observed. The
// body has the whole text.
func problemMessage(res checks.Result) string {
	for _, s := range []string{res.Message, res.Observed} {
		if s = strings.TrimSpace(s); s != "" {
			first, _, _ := strings.Cut(s, "\n")
			return strings.TrimSpace(first)
		}
	}
	return string(res.Status)
}

// problemBody is the detail CI shows when a case is opened: the message,
// expected and observed, and what to do about it.
func problemBody(res checks.Result) string {
	var b strings.Builder
	if msg := strings.TrimSpace(res.Message); msg != "" {
		b.WriteString(msg + "\n\n")
	}
	if res.Expected != "" || res.Observed != "" {
		fmt.Fprintf(&b, "expected: %s\nobserved: %s\n\n", res.Expected, res.Observed)
	}
	if res.Status == checks.Error {
		b.WriteString("This could not be checked. " + errorAdvice + "\n")
	} else if rule := checks.Lookup(res.Rule); rule != nil && rule.Remediation != "" {
		fmt.Fprintf(&b, "remediation: %s\n", rule.Remediation)
	}
	fmt.Fprintf(&b, "details: %s\n", explainCommand(res.Rule))
	return b.String()
}

// skipMessage is a waived case's message: "waived: <reason>", without
// saying "waived" twice when the reason already starts with it.
func skipMessage(res checks.Result) string {
	msg := strings.TrimSpace(res.Message)
	if strings.HasPrefix(strings.ToLower(msg), "waived") {
		return msg
	}
	return strings.TrimSpace("waived: " + msg)
}

// seconds is a duration as JUnit's time attribute: seconds, three
// decimals, never negative.
func seconds(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	return fmt.Sprintf("%.3f", d.Seconds())
}

// xmlSafe makes s representable in XML 1.0: invalid UTF-8 and characters
// XML forbids (most control characters) become U+FFFD. encoding/xml does
// the same for attributes, but not inside CDATA, where such a character
// would make the whole file unparseable for CI.
func xmlSafe(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' ||
			r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= utf8.MaxRune {
			return r
		}
		return '\uFFFD'
	}, s)
}
