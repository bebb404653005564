package manifest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// bufferSize is the read size, one pooled buffer per worker: large enough
// that system calls are a small share of the time, small enough to stay
// in the CPU cache between the read and the hash. (BenchmarkHash on the
// 2-core machine of bench/README.md: 128 KiB to 2 MiB all within noise,
// about 2.7 GB/s.)
const bufferSize = 512 << 10

// Tree is one data folder of a node to hash.
type Tree struct {
	// Rel is the folder relative to the install path, Windows-style
	// (`wwwTMS\Data\Logo`): the start of every File.Rel found in it.
	Rel string
	// Root is the node's snapshot folder. Nothing outside it is read: a
	// symlink leading out is an error.
	Root *os.Root
	// Dir is the folder as a slash path inside Root
	// (`fs/C/Program Files/TANDBERG/TMS/wwwTMS/Data/Logo`), looked up
	// case-insensitively as on Windows.
	Dir string
}

// HasherOptions configure a Hasher; the zero value is a sound default.
type HasherOptions struct {
	// Workers is how many files are hashed at once, over all Hash calls
	// of the Hasher; 0 means runtime.GOMAXPROCS (SHA-256 is CPU-bound).
	Workers int
	// Cache, when set, skips files whose stamp is unchanged since they
	// were hashed (see Cache). Nil hashes every file.
	Cache *Cache
}

// Hasher hashes the data folders of nodes. One Hasher serves every node
// of a run, with Hash called from a goroutine per node: its pool of
// workers is shared, so the run as a whole reads and hashes at most
// Workers files at a time, however many nodes there are.
type Hasher struct {
	cache *Cache
	sem   chan struct{} // a token per file being hashed
	bufs  sync.Pool

	files, opened, hits, bytes atomic.Int64

	onOpen func(rel string) // tests: called as each file is opened
}

// Stats counts a Hasher's work since it was made, to show what a cache
// saves and to benchmark.
type Stats struct {
	Files     int64 // files listed
	Opened    int64 // files opened to be read and hashed
	CacheHits int64 // files taken from the cache, never opened
	Bytes     int64 // bytes read and hashed
}

// NewHasher makes a Hasher; make one per run and share it between the
// nodes, so that its Workers bound the whole run.
func NewHasher(opts HasherOptions) *Hasher {
	n := opts.Workers
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	h := &Hasher{cache: opts.Cache, sem: make(chan struct{}, n)}
	h.bufs.New = func() any { b := make([]byte, bufferSize); return &b }
	return h
}

// Stats returns the work done so far.
func (h *Hasher) Stats() Stats {
	return Stats{Files: h.files.Load(), Opened: h.opened.Load(), CacheHits: h.hits.Load(), Bytes: h.bytes.Load()}
}

// Hash lists every file under the trees of one node and returns their
// relative paths, sizes and SHA-256. Files are read once, in a streaming
// way (memory does not grow with file size), in parallel through the
// Hasher's shared pool. The calling goroutine walks the trees and hands
// each folder's files (largest first) to the pool as soon as the folder
// is listed, so hashing does not wait for the walk; it waits for the pool
// instead, which keeps the number of open files and folders small. A
// tree whose folder does not exist contributes nothing; a tree inside
// another one (by Rel) is skipped, its files being listed once through
// the outer one.
//
// Symlinks are followed, to files and folders, as long as they stay
// inside the tree's Root; one leading outside, dangling or looping is an
// error naming it. Two names equal but for case in one folder, a name
// containing `\`, and anything but files and folders (devices, pipes)
// are errors too: they cannot be a copy of a Windows folder. Errors name
// the file by its relative path. Hash stops soon after ctx ends.
func (h *Hasher) Hash(ctx context.Context, trees []Tree) (*Manifest, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	r := &run{h: h, ctx: ctx, cancel: cancel, m: New()}
	w := &walker{ctx: ctx, withStamp: h.cache != nil, submit: r.submit}
	for _, t := range outermost(trees) {
		if err := w.tree(t); err != nil {
			cancel(err) // a no-op when a worker's error stopped the walk
			break
		}
	}
	r.wg.Wait()
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	return r.m, nil
}

// run is one Hash call: the files it found and the workers it started.
type run struct {
	h      *Hasher
	ctx    context.Context
	cancel context.CancelCauseFunc // stops the walk and the workers with the first error
	wg     sync.WaitGroup

	mu sync.Mutex
	m  *Manifest
}

// submit takes a file from the cache, or hashes it on a worker once the
// shared pool has room, waiting for it (the walk goes at the pace of the
// pool). It fails only when the run is over.
func (r *run) submit(j *job) error {
	h := r.h
	h.files.Add(1)
	if j.stOK {
		if sum, ok := h.cache.lookup(j.abs, j.st); ok {
			h.hits.Add(1)
			r.add(File{Rel: j.rel, Size: j.st.Size, SHA256: sum})
			return nil
		}
	}
	if !h.acquire(r.ctx) {
		return r.ctx.Err()
	}
	if j.dir != nil {
		j.dir.hold()
	}
	r.wg.Go(func() {
		defer func() { <-h.sem }()
		if j.dir != nil {
			defer j.dir.release()
		}
		f, err := h.hashFile(r.ctx, j)
		if err != nil {
			r.cancel(err)
			return
		}
		r.add(f)
	})
	return nil
}

func (r *run) add(f File) {
	r.mu.Lock()
	r.m.put(f)
	r.mu.Unlock()
}

// acquire takes a worker token, waiting for one unless ctx ends first.
func (h *Hasher) acquire(ctx context.Context) bool {
	select {
	case h.sem <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

// hashFile reads one file through a pooled buffer and hashes it.
func (h *Hasher) hashFile(ctx context.Context, j *job) (File, error) {
	if err := ctx.Err(); err != nil {
		return File{}, err
	}
	var hashedAt time.Time
	if j.stOK {
		hashedAt = h.cache.now()
	}
	h.opened.Add(1)
	if h.onOpen != nil {
		h.onOpen(j.rel)
	}
	f, err := j.open()
	if err != nil {
		return File{}, fmt.Errorf("%s: %w", show(j.rel), err)
	}
	defer f.Close() // read-only: nothing to lose on close

	bufp := h.bufs.Get().(*[]byte)
	defer h.bufs.Put(bufp)
	buf := *bufp
	sum := sha256.New()
	var n int64
	for {
		select {
		case <-ctx.Done():
			return File{}, context.Cause(ctx)
		default:
		}
		k, err := f.Read(buf)
		sum.Write(buf[:k]) // hash.Hash writes never fail
		n += int64(k)
		if err == io.EOF {
			break
		}
		if err != nil {
			return File{}, fmt.Errorf("%s: %w", show(j.rel), err)
		}
	}
	h.bytes.Add(n)
	out := File{Rel: j.rel, Size: n, SHA256: hex.EncodeToString(sum.Sum(nil))}
	if j.stOK {
		h.remember(f, j, n, out.SHA256, hashedAt)
	}
	return out, nil
}

// remember caches a hash when the open file is the one the walk saw and
// did not change while it was read; otherwise the next run hashes again.
func (h *Hasher) remember(f *os.File, j *job, n int64, sum string, hashedAt time.Time) {
	fi, err := f.Stat()
	if err != nil {
		return // not cached: the next run hashes the file again
	}
	s, ok := stampOf(fi)
	if !ok || s != j.st || s.Size != n {
		return
	}
	h.cache.store(j.abs, s, sum, hashedAt)
}

// outermost drops trees inside another tree (by Rel, ignoring case), so
// overlapping data_sync.dirs list each file once.
func outermost(trees []Tree) []Tree {
	sorted := slices.Clone(trees)
	slices.SortStableFunc(sorted, func(a, b Tree) int { return strings.Compare(Key(normRel(a.Rel)), Key(normRel(b.Rel))) })
	var out []Tree
	for _, t := range sorted {
		k := Key(normRel(t.Rel))
		inside := slices.ContainsFunc(out, func(o Tree) bool {
			ok := Key(normRel(o.Rel))
			return ok == "" || k == ok || strings.HasPrefix(k, ok+`\`)
		})
		if !inside {
			out = append(out, t)
		}
	}
	return out
}
