// Command datasync is the benchmark stand-in for `tmsdrift audit`'s
// data.synced rule until that command exists: it hashes the data folders
// of two node snapshot folders through one shared manifest.Hasher, as
// package collect does for every node, and prints how the second differs
// from the first.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"strings"
	"sync"

	"github.com/tmsdrift/tmsdrift/inventory"
	"github.com/tmsdrift/tmsdrift/manifest"
)

func main() {
	cachePath := flag.String("cache", "", "hash cache file (none: hash every file)")
	workers := flag.Int("workers", 0, "files hashed at once (0: GOMAXPROCS)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile to this file")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: datasync [-cache FILE] [-workers N] MASTER_NODE_DIR NODE_DIR")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 2 {
		flag.Usage()
		os.Exit(2)
	}
	if *cpuProfile != "" {
		stop, err := profile(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "datasync:", err)
			os.Exit(1)
		}
		defer stop()
	}
	if err := run(flag.Arg(0), flag.Arg(1), *cachePath, *workers); err != nil {
		fmt.Fprintln(os.Stderr, "datasync:", err)
		os.Exit(1) //nolint:gocritic // the profile of a failed run is not wanted
	}
}

// profile starts CPU profiling into path; stop ends it.
func profile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		return nil, errors.Join(err, f.Close())
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "datasync: cpu profile:", err)
		}
	}, nil
}

func run(masterDir, nodeDir, cachePath string, workers int) error {
	var cache *manifest.Cache
	if cachePath != "" {
		var warn error
		cache, warn = manifest.LoadCache(cachePath)
		if warn != nil {
			fmt.Fprintln(os.Stderr, "warning:", warn)
		}
	}
	h := manifest.NewHasher(manifest.HasherOptions{Workers: workers, Cache: cache})

	dirs := []string{masterDir, nodeDir}
	results := make([]*manifest.Manifest, len(dirs))
	errs := make([]error, len(dirs))
	var wg sync.WaitGroup
	for i, dir := range dirs {
		wg.Go(func() { results[i], errs[i] = hashNode(h, dir) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return fmt.Errorf("%s: %w", dirs[i], err)
		}
	}
	if cache != nil {
		if err := cache.Save(); err != nil {
			return err
		}
	}
	d := manifest.Diff(results[0], results[1])
	s := h.Stats()
	fmt.Printf("files: master %d, node %d; missing %d, different %d, extra %d\n",
		results[0].Len(), results[1].Len(), len(d.Missing), len(d.Different), len(d.Extra))
	fmt.Printf("hashed: %d files opened, %d cache hits, %.1f MiB read\n", s.Opened, s.CacheHits, float64(s.Bytes)/(1<<20))
	return nil
}

// hashNode hashes the default data folders of one node snapshot folder.
func hashNode(h *manifest.Hasher, dir string) (*manifest.Manifest, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	base := "fs/" + strings.ReplaceAll(strings.Replace(inventory.DefaultInstall, ":", "", 1), `\`, "/")
	var trees []manifest.Tree
	for _, rel := range inventory.DefaultDataDirs {
		trees = append(trees, manifest.Tree{Rel: rel, Root: root, Dir: base + "/" + strings.ReplaceAll(rel, `\`, "/")})
	}
	return h.Hash(context.Background(), trees)
}
