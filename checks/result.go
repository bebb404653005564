package checks

import "fmt"

// Status is a rule's verdict on one node or the deployment. `error` means
// the rule could not be evaluated; it is never reported as `fail`.
type Status string

// Statuses, in the order reports list them.
const (
	Fail   Status = "fail"
	Error  Status = "error"
	Waived Status = "waived"
	Pass   Status = "pass"
)

// Statuses lists every status, worst first.
var Statuses = []Status{Fail, Error, Waived, Pass}

// Severity ranks how much a failure matters; --fail-on compares against it.
type Severity string

// Severities.
const (
	Critical Severity = "critical"
	High     Severity = "high"
	Medium   Severity = "medium"
	Low      Severity = "low"
)

// Severities lists every severity, highest first.
var Severities = []Severity{Critical, High, Medium, Low}

// Rank orders severities: Critical is 4, Low 1, unknown 0.
func (s Severity) Rank() int {
	switch s {
	case Critical:
		return 4
	case High:
		return 3
	case Medium:
		return 2
	case Low:
		return 1
	}
	return 0
}

// ParseSeverity accepts a severity name (for --fail-on).
func ParseSeverity(s string) (Severity, error) {
	v := Severity(s)
	if v.Rank() == 0 {
		return "", fmt.Errorf("unknown severity %q (want one of critical, high, medium, low)", s)
	}
	return v, nil
}

// Result is one rule's verdict for one node, or for the deployment when
// Node is "". Expected and Observed never hold secrets: machineKey values
// appear only as fingerprints.
type Result struct {
	Rule     string   `json:"rule"`
	Node     string   `json:"node"`
	Status   Status   `json:"status"`
	Severity Severity `json:"severity"`
	Expected string   `json:"expected"`
	Observed string   `json:"observed"`
	Message  string   `json:"message"`
	Fixable  bool     `json:"fixable"`
}
