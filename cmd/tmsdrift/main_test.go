package main

import (
	"os"
	"os/exec"
	"testing"
)

// runMainEnv, set in a child process's environment, makes the test binary
// be tmsdrift itself: the tests that need a real process (a pipe or a
// terminal as stdout, an inherited descriptor) run it as a user's shell
// would, without building a second binary.
const runMainEnv = "TMSDRIFT_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	runChildIfAsked()
	if os.Getenv(runMainEnv) == "1" {
		main() // exits
	}
	os.Exit(m.Run())
}

// tmsdriftProcess is the command line as a separate process; the caller
// wires its standard streams and runs it.
func tmsdriftProcess(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), os.Args[0], args...)
	cmd.Env = append(os.Environ(), runMainEnv+"=1")
	return cmd
}
