#!/usr/bin/env bash
# Data-sync benchmark: how long does comparing the customer data files of
# two TMS nodes take with sha256sum, with rsync -c, and with tmsdrift's own
# hasher (bench/datasync: cold, and warm with its hash cache)?
#
# Generates two node snapshot folders in the contract layout outside the
# repository, nodeB a copy of nodeA with a few files changed, added and
# deleted, then times each method RUNS times on a warm page cache.
#
#   FILES=10000 TOTAL_MB=2048 bench/datasync.sh      # the full run (default)
#   FILES=500 TOTAL_MB=64 RUNS=3 bench/datasync.sh   # a quick one
#
# Environment: FILES, TOTAL_MB (per node), RUNS (>= 3), BENCH_DIR (where
# the data goes; default a new mktemp folder under /tmp), KEEP=1 to keep
# the data afterwards, HYPERFINE=0 to time with a shell loop even when
# hyperfine is installed. Installs nothing: it says what is missing.
set -euo pipefail

FILES=${FILES:-10000}
TOTAL_MB=${TOTAL_MB:-2048}
RUNS=${RUNS:-3}
KEEP=${KEEP:-0}
if (( RUNS < 3 )); then RUNS=3; fi
if (( FILES < 100 )); then echo "FILES must be at least 100" >&2; exit 2; fi

repo=$(cd "$(dirname "$0")/.." && pwd)

# calc EXPR: floating-point arithmetic without bc.
calc() { awk "BEGIN { print $1 }"; }

need() {
	if ! command -v "$1" >/dev/null 2>&1; then
		echo "missing: $1 — install it (Debian/Ubuntu: apt-get install $2) and run again" >&2
		exit 1
	fi
}
need go golang-go
need sha256sum coreutils
need rsync rsync
have_hyperfine=0
if [[ "${HYPERFINE:-1}" != 0 ]] && command -v hyperfine >/dev/null 2>&1 && command -v jq >/dev/null 2>&1; then
	have_hyperfine=1
else
	echo "note: timing with a date +%s.%N loop (hyperfine and jq give better statistics: apt-get install hyperfine jq)" >&2
fi
have_time=0
if [[ -x /usr/bin/time ]]; then have_time=1; else
	echo "note: /usr/bin/time not found (apt-get install time); peak RSS not measured" >&2
fi

# The data: in BENCH_DIR if given (only what this script creates there is
# deleted), else a fresh folder under /tmp (deleted whole).
if [[ -n "${BENCH_DIR:-}" ]]; then
	mkdir -p "$BENCH_DIR"
	work=$(mktemp -d "$BENCH_DIR/tmsdrift-datasync.XXXXXX")
else
	work=$(mktemp -d /tmp/tmsdrift-datasync.XXXXXX)
fi
cleanup() {
	if [[ "$KEEP" == 1 ]]; then echo "data kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

a=$work/nodeA
b=$work/nodeB
data=fs/C/Program\ Files/TANDBERG/TMS/wwwTMS/Data
bin=$work/bin
mkdir -p "$bin"

echo "== build"
(cd "$repo" && go build -o "$bin/gendata" ./bench/gendata && go build -o "$bin/datasync" ./bench/datasync)

echo "== generate: $FILES files, $TOTAL_MB MiB per node, in $work"
t0=$(date +%s.%N)
"$bin/gendata" -out "$a" -files "$FILES" -total-mb "$TOTAL_MB"
cp -a --reflink=auto "$a" "$b"
# nodeB drifts: 5 files changed (8 bytes overwritten, same size), 3 added,
# 2 deleted.
mapfile -d '' all < <(cd "$b" && find "$data" -type f -print0 | sort -z)
n=${#all[@]}
for i in 1 2 3 4 5; do
	f=$b/${all[$(( i * n / 7 ))]}
	printf 'MODIFIED' | dd of="$f" bs=1 seek=20 conv=notrunc status=none
done
for i in 1 2 3; do
	head -c $(( i * 100000 )) /dev/urandom > "$b/$data/Logo/added-$i.png"
done
rm -f "$b/${all[$(( n / 9 ))]}" "$b/${all[$(( 8 * n / 9 ))]}"
t1=$(date +%s.%N)
printf 'generated in %.1f s: %s\n' "$(calc "$t1 - $t0")" "$(du -sh "$a" "$b" | awk '{printf "%s %s  ", $1, $2}')"

echo "== warm the page cache: one untimed read pass over both nodes"
echo "   (so every method reads from memory and disk speed does not dominate)"
find "$a/$data" "$b/$data" -type f -print0 | xargs -0 cat > /dev/null

# The hash cache caches no file changed less than 2 s before it was hashed
# (same-tick changes would go unnoticed); let the fresh files settle, then
# populate it with one untimed run.
sleep 3
cache=$work/hash.cache
echo "== populate the hash cache (untimed):"
"$bin/datasync" -cache "$cache" "$a" "$b" | sed 's/^/   /'
echo "== a warm run does:"
"$bin/datasync" -cache "$cache" "$a" "$b" | sed 's/^/   /'
echo "== a cold run does (expected: missing 2, different 5, extra 3):"
"$bin/datasync" "$a" "$b" | sed 's/^/   /'

echo "== rsync -c sees (untimed; itemized):"
rsync -rcni --delete "$a/$data/" "$b/$data/" | awk '{print $1}' | sort | uniq -c | sed 's/^/   /'

names=(sha256sum sha256sum-P rsync tmsdrift-cold tmsdrift-warm)
cmds=(
	"find '$a/$data' '$b/$data' -type f -print0 | xargs -0 sha256sum >/dev/null"
	"find '$a/$data' '$b/$data' -type f -print0 | xargs -0 -P $(nproc) -n 200 sha256sum >/dev/null"
	"rsync -rcn --delete '$a/$data/' '$b/$data/' >/dev/null"
	"'$bin/datasync' '$a' '$b' >/dev/null"
	"'$bin/datasync' -cache '$cache' '$a' '$b' >/dev/null"
)

load_before=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)

# measure NAME CMD: prints "median min max", wall seconds over RUNS runs.
measure() {
	local name=$1 cmd=$2
	if (( have_hyperfine )); then
		hyperfine --style none --runs "$RUNS" --warmup 1 -n "$name" \
			--export-json "$work/$name.json" "$cmd" >&2
		jq -r '.results[0] | "\(.median) \(.min) \(.max)"' "$work/$name.json"
	else
		local times=() s e
		bash -c "$cmd" # warm-up
		for (( i = 0; i < RUNS; i++ )); do
			s=$(date +%s.%N)
			bash -c "$cmd"
			e=$(date +%s.%N)
			times+=("$(calc "$e - $s")")
		done
		printf '%s\n' "${times[@]}" | sort -g | awk '{t[NR] = $1} END {
			m = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
			print m, t[1], t[NR] }'
	fi
}

echo "== time: $RUNS runs each after one warm-up; median wall time (load average now: $load_before)"
declare -A med lo hi
for i in "${!names[@]}"; do
	read -r m l h < <(measure "${names[$i]}" "${cmds[$i]}")
	med[${names[$i]}]=$m lo[${names[$i]}]=$l hi[${names[$i]}]=$h
done

rss() {
	/usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '/Maximum resident/ {printf "%.0f MiB", $2 / 1024}'
}

echo
echo "== results: $FILES files, $TOTAL_MB MiB per node, 2 nodes; $(nproc) CPUs; $(date -u +%Y-%m-%dT%H:%MZ)"
printf '%-16s %10s %10s %10s\n' method "median s" "min s" "max s"
for n in "${names[@]}"; do printf '%-16s %10.3f %10.3f %10.3f\n' "$n" "${med[$n]}" "${lo[$n]}" "${hi[$n]}"; done
echo
ratio() { awk "BEGIN { printf \"%.2f\", $1 / $2 }"; }
printf 'sha256sum / tmsdrift:     cold %sx   warm %sx\n' "$(ratio "${med[sha256sum]}" "${med[tmsdrift-cold]}")" "$(ratio "${med[sha256sum]}" "${med[tmsdrift-warm]}")"
printf 'sha256sum -P / tmsdrift:  cold %sx   warm %sx\n' "$(ratio "${med[sha256sum-P]}" "${med[tmsdrift-cold]}")" "$(ratio "${med[sha256sum-P]}" "${med[tmsdrift-warm]}")"
printf 'rsync / tmsdrift:         cold %sx   warm %sx\n' "$(ratio "${med[rsync]}" "${med[tmsdrift-cold]}")" "$(ratio "${med[rsync]}" "${med[tmsdrift-warm]}")"
total_mb=$(( 2 * TOTAL_MB ))
printf 'tmsdrift cold throughput: %.0f MiB/s\n' "$(calc "$total_mb / ${med[tmsdrift-cold]}")"
if (( have_time )); then
	echo "peak RSS: tmsdrift cold $(rss "$bin/datasync" "$a" "$b"), warm $(rss "$bin/datasync" -cache "$cache" "$a" "$b")"
fi
echo "load average (1/5/15 min) before timing: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
echo "notes: page cache warm; rsync $(rsync --version | awk 'NR == 1 {print $3}') -c uses its negotiated checksum (xxh128 on 3.2.x, not"
echo "       cryptographic) and only checksums files whose sizes match; the contract mandates SHA-256."
