package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestServeRefusesAWeakToken: on an address other machines can reach,
// serve and serve --once refuse a bearer token shorter than 32
// characters, white space, or one holding white space, with exit 2 and
// one line naming the inventory's file:line:col of listen_token_env and
// the environment variable, never the token, and saying how to make one;
// nothing is written. Before, a one-character token was accepted.
func TestServeRefusesAWeakToken(t *testing.T) {
	good := strings.Repeat("0123456789abcdef", 4) // what openssl rand -hex 32 gives
	for name, token := range map[string]string{
		"one character": "Z",
		"31 characters": good[:31],
		"white space":   strings.Repeat(" ", 40),
		"inner space":   good[:20] + " " + good[:20],
		"trailing tab":  good + "\t",
	} {
		t.Run(name, func(t *testing.T) {
			dir, inv := labCopy(t, "post-upgrade")
			raw, err := os.ReadFile(inv)
			require.NoError(t, err)
			line := strings.Count(string(raw), "\n") + 3
			if !strings.HasSuffix(string(raw), "\n") {
				raw = append(raw, '\n')
				line++
			}
			block := "schedule:\n  listen: '0.0.0.0:0'\n  listen_token_env: TMSDRIFT_TEST_WEAK_TOKEN\n"
			require.NoError(t, os.WriteFile(inv, append(raw, block...), 0o644))
			t.Setenv("TMSDRIFT_TEST_WEAK_TOKEN", token)
			for _, args := range [][]string{{"serve", "--once", "-i", inv}, {"serve", "-i", inv}} {
				code, stdout, stderr := tmsdrift(t, args...)
				require.Equal(t, 2, code, "%v: %s", args, stderr)
				assert.Empty(t, stdout)
				assert.Contains(t, stderr, fmt.Sprintf("%s:%d:21: schedule.listen_token_env: refusing to listen on 0.0.0.0:0", inv, line))
				assert.Contains(t, stderr, "environment variable TMSDRIFT_TEST_WEAK_TOKEN")
				assert.Contains(t, stderr, "openssl rand -hex 32")
				if strings.TrimSpace(token) != "" {
					assert.NotContains(t, stderr, strings.TrimSpace(token), "the token is never printed")
				}
				_, err := os.Stat(filepath.Join(dir, ".tmsdrift"))
				assert.ErrorIs(t, err, os.ErrNotExist, "nothing is written")
			}
		})
	}

	// 32 characters and more start; a loopback address needs no strength
	// (no other machine can send the token).
	for listen, token := range map[string]string{"0.0.0.0:0": good[:32], "127.0.0.1:0": "x"} {
		_, inv := labCopy(t, "post-upgrade")
		raw, err := os.ReadFile(inv)
		require.NoError(t, err)
		block := "schedule:\n  listen: '" + listen + "'\n  listen_token_env: TMSDRIFT_TEST_WEAK_TOKEN\n"
		require.NoError(t, os.WriteFile(inv, append(raw, block...), 0o644))
		t.Setenv("TMSDRIFT_TEST_WEAK_TOKEN", token)
		code, _, stderr := tmsdrift(t, "serve", "--once", "-i", inv)
		assert.Equal(t, 1, code, "%s: the lab's drift, audited: %s", listen, stderr)
	}
}
