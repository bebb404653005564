package main

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Issue 8: --version printed "dev". It now says the release version (set
// with -ldflags at release), else the module version, and where the
// binary comes from: commit, its time, uncommitted changes, toolchain.
func TestVersion(t *testing.T) {
	info := &debug.BuildInfo{Main: debug.Module{Path: "github.com/tmsdrift/tmsdrift", Version: "v1.4.0"}, Settings: []debug.BuildSetting{
		{Key: "vcs", Value: "git"},
		{Key: "vcs.revision", Value: "748ae30160a01099c8275df7742a981a5720c745"},
		{Key: "vcs.time", Value: "2026-12-03T23:16:15Z"},
		{Key: "vcs.modified", Value: "true"},
	}}
	goVersion := runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH
	assert.Equal(t, "v1.4.0 (commit 748ae30160a0, 2026-12-03T23:16:15Z, with uncommitted changes, "+goVersion+")", versionString("", info, true))
	assert.True(t, strings.HasPrefix(versionString("v1.5.0-rc1", info, true), "v1.5.0-rc1 (commit 748ae30160a0"), "the release version wins")
	info.Main.Version = "(devel)"
	info.Settings = nil
	assert.Equal(t, "unknown version ("+goVersion+")", versionString("", info, true))
	assert.Equal(t, "unknown version ("+goVersion+")", versionString("", nil, false))

	code, stdout, _ := tmsdrift(t, "--version")
	assert.Equal(t, 0, code)
	assert.True(t, strings.HasPrefix(stdout, "tmsdrift "), stdout)
	assert.Contains(t, stdout, runtime.Version())
	assert.NotContains(t, stdout, "version dev")
}
