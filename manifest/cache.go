package manifest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tmsdrift/tmsdrift/internal/atomicfile"
)

// cacheHeader is the first line of a cache file; another value means
// "not ours" and the file is ignored.
const cacheHeader = "tmsdrift/hashcache/v1"

// racyWindow is how long after its last change a file must have been
// hashed for the result to be cached. File system timestamps are coarse
// (Linux updates them from a clock that ticks every few milliseconds, FAT
// in 2 s steps): a file changed again within the same tick as the hash
// keeps the same stamp, so a fresh stamp proves nothing. (Git's "racily
// clean" index entries are the same problem.)
const racyWindow = 2 * time.Second

// Cache remembers the SHA-256 of files by absolute path and stamp (size,
// mtime, ctime, inode, device), so nightly audits of unchanged data only
// stat the files. ctime is in the key because user space cannot set it:
// copy tools, unpackers, touch and os.Chtimes restore mtime at will, but
// any write (and the Chtimes itself) moves ctime to "now", so a file
// rewritten with the same size and its old mtime restored still misses.
// Where the system gives no ctime (Windows) the key falls back to path,
// size and mtime, which such a rewrite fools; use no cache there if that
// matters. Any doubt means hashing: a stamp that differs, a file changed
// within racyWindow of its hash, a file that changed while it was read.
// It is off unless the caller makes one; one Cache may serve several
// Hashers and concurrent Hash calls.
type Cache struct {
	path string
	now  func() time.Time // the clock for racyWindow; tests move it

	mu    sync.Mutex
	old   map[string]cacheEntry // as loaded
	seen  map[string]cacheEntry // looked up or hashed since: what Save keeps
	clean bool                  // the file holds exactly old
	// foreign: the file is not a cache at all (--hash-cache named the
	// inventory by mistake); Save leaves it alone.
	foreign bool
}

// cacheFamily is how every version of the cache file begins; a file that
// does not is someone else's, and never overwritten.
const cacheFamily = "tmsdrift/hashcache/"

// cacheEntry is one file in the cache.
type cacheEntry struct {
	stamp
	SHA256 string
}

// LoadCache reads the cache file at path (the caller picks it, e.g. next
// to the inventory or under the user's cache folder). It never fails: a
// cache only saves time. A missing file gives an empty cache; an
// unreadable or corrupt one is ignored and rebuilt, and warn says why so
// the caller can show it.
func LoadCache(path string) (c *Cache, warn error) {
	c = &Cache{path: path, now: time.Now, old: map[string]cacheEntry{}, seen: map[string]cacheEntry{}}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err == nil && len(data) > 0 && !bytes.HasPrefix(data, []byte(cacheFamily)) {
		// Not a damaged cache: another file (an inventory, a report) that
		// --hash-cache named by mistake. Rebuilding it would destroy it.
		c.foreign = true
		return c, fmt.Errorf("%s is not a tmsdrift hash cache; not used, and left as it is (name a new file)", path)
	}
	if err == nil {
		c.old, err = decodeCache(data)
	}
	if err != nil {
		c.old = map[string]cacheEntry{}
		return c, fmt.Errorf("hash cache %s ignored, rebuilding it: %w", path, err)
	}
	c.seen = make(map[string]cacheEntry, len(c.old))
	c.clean = true
	return c, nil
}

// The cache file is text, one file per line, fast to read and write for
// tens of thousands of files (JSON took ten times longer, which a warm
// run would notice):
//
//	tmsdrift/hashcache/v1
//	<sha256> <size> <mtime ns> <ctime ns> <inode> <device> <absolute path>
//	...
//	end <entries> <sha256 of everything above this line>
//
// A path holding a line break is written quoted (Go syntax); absolute
// paths never start with `"`, so that is unambiguous. The last line makes any damage visible: a damaged file cannot
// be trusted in part, so it is ignored whole.

// encodeCache writes entries in the cache file format.
func encodeCache(entries map[string]cacheEntry) []byte {
	size := 64
	for p := range entries {
		size += 64 + 6*21 + len(p) + 3
	}
	b := make([]byte, 0, size)
	b = append(b, cacheHeader+"\n"...)
	for p, e := range entries {
		b = append(b, e.SHA256...)
		for _, n := range []int64{e.Size, e.MtimeNS, e.CtimeNS} {
			b = append(b, ' ')
			b = strconv.AppendInt(b, n, 10)
		}
		for _, n := range []uint64{e.Ino, e.Dev} {
			b = append(b, ' ')
			b = strconv.AppendUint(b, n, 10)
		}
		b = append(b, ' ')
		if strings.ContainsAny(p, "\r\n") {
			b = strconv.AppendQuote(b, p)
		} else {
			b = append(b, p...)
		}
		b = append(b, '\n')
	}
	sum := sha256.Sum256(b)
	b = append(b, "end "...)
	b = strconv.AppendInt(b, int64(len(entries)), 10)
	b = append(b, ' ')
	b = hex.AppendEncode(b, sum[:])
	return append(b, '\n')
}

// decodeCache parses and checks a cache file.
func decodeCache(data []byte) (map[string]cacheEntry, error) {
	body, trailer, ok := cutLastLine(data)
	if !ok {
		return nil, errors.New("truncated: no end line")
	}
	count, digest, ok := strings.Cut(strings.TrimPrefix(trailer, "end "), " ")
	n, err := strconv.Atoi(count)
	if !strings.HasPrefix(trailer, "end ") || !ok || err != nil || n < 0 {
		return nil, errors.New("truncated: no end line")
	}
	if sum := sha256.Sum256(body); digest != hex.EncodeToString(sum[:]) {
		return nil, errors.New("damaged: checksum mismatch")
	}
	header, rest, _ := strings.Cut(string(body), "\n")
	if header != cacheHeader {
		return nil, fmt.Errorf("first line %q, want %q", header, cacheHeader)
	}
	entries := make(map[string]cacheEntry, n)
	for line := range strings.Lines(rest) {
		p, e, err := parseCacheLine(strings.TrimSuffix(line, "\n"))
		if err != nil {
			return nil, fmt.Errorf("entry %d: %w", len(entries)+1, err)
		}
		if _, dup := entries[p]; dup {
			return nil, fmt.Errorf("entry %d: %s listed twice", len(entries)+1, p)
		}
		entries[p] = e
	}
	if len(entries) != n {
		return nil, fmt.Errorf("%d entries, the end line says %d", len(entries), n)
	}
	return entries, nil
}

// cutLastLine splits data before its last line (which must end in \n).
func cutLastLine(data []byte) (body []byte, last string, ok bool) {
	if len(data) == 0 || data[len(data)-1] != '\n' {
		return nil, "", false
	}
	i := bytes.LastIndexByte(data[:len(data)-1], '\n')
	if i < 0 {
		return nil, "", false
	}
	return data[:i+1], string(data[i+1 : len(data)-1]), true
}

// parseCacheLine parses one entry line.
func parseCacheLine(line string) (string, cacheEntry, error) {
	var f [6]string
	rest := line
	for i := range f {
		var ok bool
		if f[i], rest, ok = strings.Cut(rest, " "); !ok {
			return "", cacheEntry{}, errors.New("too few fields")
		}
	}
	var e cacheEntry
	var errs [5]error
	e.SHA256 = f[0]
	e.Size, errs[0] = strconv.ParseInt(f[1], 10, 64)
	e.MtimeNS, errs[1] = strconv.ParseInt(f[2], 10, 64)
	e.CtimeNS, errs[2] = strconv.ParseInt(f[3], 10, 64)
	e.Ino, errs[3] = strconv.ParseUint(f[4], 10, 64)
	e.Dev, errs[4] = strconv.ParseUint(f[5], 10, 64)
	if err := errors.Join(errs[:]...); err != nil {
		return "", cacheEntry{}, err
	}
	p := rest
	if strings.HasPrefix(p, `"`) {
		var err error
		if p, err = strconv.Unquote(p); err != nil {
			return "", cacheEntry{}, fmt.Errorf("path: %w", err)
		}
	}
	if !filepath.IsAbs(p) || e.Size < 0 || !isSHA256(e.SHA256) {
		return "", cacheEntry{}, fmt.Errorf("bad entry for %q", p)
	}
	return p, e, nil
}

// lookup returns the cached hash of the file at path when its stamp s is
// exactly the one recorded, and keeps the entry for Save.
func (c *Cache) lookup(path string, s stamp) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.seen[path]
	if !ok {
		e, ok = c.old[path]
	}
	if !ok || e.stamp != s {
		return "", false
	}
	c.seen[path] = e
	return e.SHA256, true
}

// store records the hash of the file at path, read from hashedAt on with
// stamp s, unless the file changed so shortly before that a later change
// could leave the same stamp (see racyWindow).
func (c *Cache) store(path string, s stamp, sum string, hashedAt time.Time) {
	if s.changedNS() >= hashedAt.Add(-racyWindow).UnixNano() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen[path] = cacheEntry{stamp: s, SHA256: sum}
}

// Save writes the files looked up or hashed since LoadCache; files not
// seen (deleted, renamed, outside this run's folders) are dropped, so the
// cache does not grow forever. The file is replaced atomically (a
// temporary file in the same folder, then a rename), so a crash leaves
// the old cache or the new one, never half of one; when nothing changed
// it is not rewritten. Call it after a successful run: after a failed one
// it keeps only what was reached.
func (c *Cache) Save() error {
	if c.foreign {
		return nil // LoadCache said why
	}
	c.mu.Lock()
	if c.clean && maps.Equal(c.old, c.seen) {
		c.mu.Unlock()
		return nil // the file says exactly this already
	}
	data := encodeCache(c.seen)
	c.mu.Unlock()
	if err := atomicfile.WriteFile(c.path, data, 0o600); err != nil {
		return fmt.Errorf("save hash cache: %w", err)
	}
	c.mu.Lock()
	c.old, c.clean = maps.Clone(c.seen), true
	c.mu.Unlock()
	return nil
}

// Len is the number of entries Save would write.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}
