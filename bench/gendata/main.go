// Command gendata writes a synthetic node snapshot for the data-sync
// benchmark: the contract's layout (fs/C/Program Files/TANDBERG/TMS/
// wwwTMS/Data/<the nine default folders>/...) with a given number of files
// and total size, mixed like real customer data: many small images and
// templates, fewer medium files, a few large software packages.
//
// Content is pseudo-random (incompressible, distinct per file) but cheap
// to make: slices of one random pool, each behind a unique header, written
// by a worker per CPU.
package main

import (
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/tmsdrift/tmsdrift/inventory"
)

const poolSize = 64 << 20

type file struct {
	path string
	size int64
}

func main() {
	out := flag.String("out", "", "node snapshot folder to create (must not exist)")
	files := flag.Int("files", 10000, "number of files")
	totalMB := flag.Int64("total-mb", 2048, "total size in MiB")
	seed := flag.Uint64("seed", 1, "random seed: the same seed gives the same files")
	flag.Parse()
	if err := run(*out, *files, *totalMB<<20, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "gendata:", err)
		os.Exit(1)
	}
}

func run(out string, n int, total int64, seed uint64) error {
	if out == "" || n < 1 || total < int64(n) {
		return errors.New("need -out, -files >= 1 and -total-mb large enough for one byte per file")
	}
	if _, err := os.Stat(out); err == nil {
		return fmt.Errorf("%s exists", out)
	}
	rng := rand.New(rand.NewPCG(seed, 0))
	plan := layout(rng, n, total)

	pool := make([]byte, poolSize)
	if _, err := rand.NewChaCha8(seedBytes(seed)).Read(pool); err != nil {
		return err
	}
	data := filepath.Join(out, "fs", "C", "Program Files", "TANDBERG", "TMS")
	jobs := make(chan int)
	errs := make(chan error, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range jobs {
				if err := write(filepath.Join(data, plan[i].path), plan[i].size, uint64(i), pool, seed); err != nil {
					errs <- err
					for range jobs { // drain
					}
					return
				}
			}
		})
	}
	for i := range plan {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	close(errs)
	return <-errs
}

// layout picks each file's folder, name and size: 90% small (1–64 KiB),
// 9.5% medium (64 KiB–4 MiB), both log-uniform, and the rest of the total
// spread over the remaining 0.5% large files (at least one).
func layout(rng *rand.Rand, n int, total int64) []file {
	nLarge := max(1, n/200)
	nMedium := n * 95 / 1000
	nSmall := n - nLarge - nMedium
	sizes := make([]int64, n)
	var used int64
	for i := range nSmall + nMedium {
		lo, hi := 1<<10, 64<<10
		if i >= nSmall {
			lo, hi = 64<<10, 4<<20
		}
		sizes[i] = int64(math.Exp(math.Log(float64(lo)) + rng.Float64()*(math.Log(float64(hi))-math.Log(float64(lo)))))
		used += sizes[i]
	}
	if used+int64(nLarge) > total { // small totals: scale everything down
		scale := float64(total-int64(nLarge)) / float64(used)
		used = 0
		for i := range nSmall + nMedium {
			sizes[i] = max(1, int64(float64(sizes[i])*scale))
			used += sizes[i]
		}
	}
	rest := total - used
	weights := make([]float64, nLarge)
	var sum float64
	for i := range weights {
		weights[i] = 0.5 + rng.Float64()
		sum += weights[i]
	}
	for i := range nLarge {
		sizes[nSmall+nMedium+i] = max(1, int64(float64(rest)*weights[i]/sum))
	}
	rng.Shuffle(n, func(i, j int) { sizes[i], sizes[j] = sizes[j], sizes[i] })

	dirs := inventory.DefaultDataDirs
	plan := make([]file, n)
	for i, size := range sizes {
		dir := strings.ReplaceAll(dirs[i%len(dirs)], `\`, "/")
		if size >= 4<<20 {
			dir = strings.ReplaceAll(`wwwTMS\Data\Software`, `\`, "/")
		}
		sub := fmt.Sprintf("set%02d/batch%02d", rng.IntN(8), rng.IntN(6))
		plan[i] = file{path: filepath.FromSlash(fmt.Sprintf("%s/%s/file%06d.bin", dir, sub, i)), size: size}
	}
	return plan
}

// write makes one file: a 16-byte header unique to the file, then bytes
// from the pool starting at a position chosen by the file's number.
func write(path string, size int64, id uint64, pool []byte, seed uint64) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	var head [16]byte
	binary.LittleEndian.PutUint64(head[:8], seed)
	binary.LittleEndian.PutUint64(head[8:], id)
	rest := size
	chunk := head[:min(int64(len(head)), rest)]
	off := int((id * 7919 * 4099) % uint64(len(pool)))
	for rest > 0 {
		if _, err := f.Write(chunk); err != nil {
			return errors.Join(err, f.Close())
		}
		rest -= int64(len(chunk))
		chunk = pool[off:min(len(pool), off+int(min(rest, 8<<20)))]
		off = (off + len(chunk)) % len(pool)
	}
	return f.Close()
}

func seedBytes(seed uint64) (b [32]byte) {
	binary.LittleEndian.PutUint64(b[:], seed)
	return b
}
