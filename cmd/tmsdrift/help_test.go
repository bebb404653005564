package main

import (
	"io"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"
)

// commandPaths lists the path of every command and subcommand a user can
// ask --help of, the root ("") and cobra's completion commands included.
func commandPaths(t *testing.T) [][]string {
	t.Helper()
	root := newRoot(io.Discard, io.Discard)
	root.InitDefaultCompletionCmd()
	var paths [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		paths = append(paths, path)
		for _, sub := range c.Commands() {
			if sub.Hidden || sub.Name() == "help" {
				continue
			}
			walk(sub, append(append([]string(nil), path...), sub.Name()))
		}
	}
	walk(root, nil)
	require.Greater(t, len(paths), 25, "the command tree")
	return paths
}

// Every --help, of every command and subcommand, fits an 80-column
// terminal: the command list, the usage line, the long text and the flag
// descriptions (wrapped under their column). Before, 76 lines were wider
// (the root's command list up to 135 columns, fix --help's --force 130).
func TestHelpFitsEightyColumns(t *testing.T) {
	for _, path := range commandPaths(t) {
		code, stdout, stderr := tmsdrift(t, append(path, "--help")...)
		require.Equal(t, 0, code, "%v --help: %s", path, stderr)
		require.Contains(t, stdout, "Usage:", "%v --help", path)
		assertFits(t, stdout, 80, append(path, "--help"))
	}
}
