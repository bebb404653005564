package main

import (
	"cmp"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// version is the release version, set when a release is built:
//
//	go build -ldflags "-X main.version=v1.4.0" ./cmd/tmsdrift
//
// (make build sets it from `git describe --tags --always --dirty`). Left
// empty, --version falls back to the module version Go records (set by
// `go install ...@v1.4.0`).
var version = ""

// versionString is what --version prints: the release version, then where
// the binary comes from, from the build information Go embeds: the
// commit, its time and whether the tree had uncommitted changes, and the
// Go toolchain. A binary that knows none of it says "unknown version", so
// a bug report still names the toolchain.
func versionString(release string, info *debug.BuildInfo, ok bool) string {
	v := release
	var revision, when string
	modified := false
	if ok && info != nil {
		if mv := info.Main.Version; v == "" && mv != "" && mv != "(devel)" {
			v = mv
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	var parts []string
	if revision != "" {
		parts = append(parts, "commit "+revision[:min(12, len(revision))])
	}
	if when != "" {
		parts = append(parts, when)
	}
	if modified {
		parts = append(parts, "with uncommitted changes")
	}
	parts = append(parts, runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH)
	return fmt.Sprintf("%s (%s)", cmp.Or(v, "unknown version"), strings.Join(parts, ", "))
}

// buildVersion is versionString for this binary.
func buildVersion() string {
	info, ok := debug.ReadBuildInfo()
	return versionString(version, info, ok)
}
