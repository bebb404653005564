//go:build !unix

package main

import "testing"

// answerOnTerminal needs a pseudo-terminal, which the tests have on Unix
// only (runbook_unix_test.go): elsewhere the case is skipped.
func answerOnTerminal(t *testing.T, _ string, _ ...string) (int, string, string) {
	t.Helper()
	t.Skip("no pseudo-terminal to answer on here")
	return 0, "", ""
}
