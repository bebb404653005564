package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/fixtures"
	"github.com/tmsdrift/tmsdrift/report"
)

// TestLabs audits every lab through the command line, as a user would, and
// compares the non-pass results with the lab's expected.json exactly: no
// missing, no extra result, and the exit code.
func TestLabs(t *testing.T) {
	labs, err := fixtures.Labs()
	require.NoError(t, err)
	require.NotEmpty(t, labs)
	for _, lab := range labs {
		t.Run(lab.Name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(context.Background(), []string{"audit", "-i", lab.Inventory, "--format", "json"}, nil, &out, &errOut)
			require.Equalf(t, lab.Expected.Exit, code, "exit code; stderr: %s", errOut.String())

			var rep report.Report
			require.NoError(t, json.Unmarshal(out.Bytes(), &rep), "JSON report")
			CheckExpected(t, lab, rep.Results)
		})
	}
}

// CheckExpected compares results with a lab's expected non-pass results.
func CheckExpected(t *testing.T, lab fixtures.Lab, results []checks.Result) {
	t.Helper()
	key := func(rule, node, status string) string { return rule + " | " + node + " | " + status }
	got := map[string]checks.Result{}
	var gotKeys []string
	for _, r := range results {
		if r.Status == checks.Pass {
			continue
		}
		k := key(r.Rule, r.Node, string(r.Status))
		got[k] = r
		gotKeys = append(gotKeys, k)
	}
	var wantKeys []string
	for _, e := range lab.Expected.Results {
		k := key(e.Rule, e.Node, e.Status)
		wantKeys = append(wantKeys, k)
		r, ok := got[k]
		if ok && e.ObservedContains != "" {
			assert.Truef(t, strings.Contains(r.Observed+" "+r.Message, e.ObservedContains),
				"%s: observed %q / message %q lacks %q", k, r.Observed, r.Message, e.ObservedContains)
		}
	}
	sort.Strings(gotKeys)
	sort.Strings(wantKeys)
	if !assert.Equal(t, wantKeys, gotKeys, "non-pass results (rule | node | status)") {
		for _, k := range gotKeys {
			r := got[k]
			t.Log(fmt.Sprintf("got %s: expected=%q observed=%q message=%q", k, r.Expected, r.Observed, r.Message))
		}
	}
}
