#!/usr/bin/env bash
# Data-sync benchmark: how long does comparing the customer data files of
# two TMS nodes take with sha256sum, with rsync -c, and with
# `tmsdrift audit` (rule data.synced; cold, and warm with --hash-cache)?
#
# Generates a complete two-node snapshot deployment in the contract layout
# outside the repository (inventory.yaml, db.json, keys/machinekey.xml,
# nodes/tms01 the primary and data master, nodes/tms02 a standby; each node
# a facts.json, a web.config and its customer files), tms02's files a copy
# of tms01's with a few changed, added and deleted, then times each method
# RUNS times on a warm page cache. Every tmsdrift run's JSON report is
# checked: data.synced on tms02 must fail with exactly the drift made, and
# every other result must pass.
#
#   FILES=10000 TOTAL_MB=2048 bench/datasync.sh      # the full run (default)
#   FILES=500 TOTAL_MB=64 RUNS=3 bench/datasync.sh   # a quick one
#
# Environment: FILES, TOTAL_MB (per node), RUNS (>= 3), BENCH_DIR (where
# the data goes; default a new mktemp folder under /tmp), KEEP=1 to keep
# the data afterwards, HYPERFINE=0 to time with a shell loop even when
# hyperfine is installed, JSON_TOOL=jq|python3|grep to pick the report
# reader (default: the first of them installed). Installs nothing: it says
# what is missing.
set -euo pipefail
shopt -s inherit_errexit # a failed timed run stops the script from inside $(...) too

FILES=${FILES:-10000}
TOTAL_MB=${TOTAL_MB:-2048}
RUNS=${RUNS:-3}
KEEP=${KEEP:-0}
if (( RUNS < 3 )); then RUNS=3; fi
if (( FILES < 100 )); then echo "FILES must be at least 100" >&2; exit 2; fi
if (( TOTAL_MB < 1 )); then echo "TOTAL_MB must be at least 1" >&2; exit 2; fi

repo=$(cd "$(dirname "$0")/.." && pwd)
# The lab whose tms01 and tms02 (facts.json, web.config), db.json and key
# file make a compliant manual-cutover pair apart from their customer files.
lab=$repo/fixtures/labs/data-drift

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
json_tool=${JSON_TOOL:-}
if [[ -z "$json_tool" ]]; then
	for t in jq python3; do
		if command -v "$t" >/dev/null 2>&1; then json_tool=$t; break; fi
	done
	json_tool=${json_tool:-grep}
fi
case $json_tool in
jq | python3 | grep) ;;
*) echo "JSON_TOOL must be jq, python3 or grep" >&2; exit 2 ;;
esac

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

inv=$work/inventory.yaml
a=$work/nodes/tms01
b=$work/nodes/tms02
web=fs/C/Program\ Files/TANDBERG/TMS/wwwTMS
data=$web/Data
bin=$work/bin
out=$work/out
mkdir -p "$bin" "$out"
tms=$bin/tmsdrift

echo "== build"
(cd "$repo" && go build -o "$bin/gendata" ./bench/gendata && go build -o "$tms" ./cmd/tmsdrift)

echo "== generate: $FILES files, $TOTAL_MB MiB per node, in $work"
t0=$(date +%s.%N)
"$bin/gendata" -out "$a" -files "$FILES" -total-mb "$TOTAL_MB"
cp -a --reflink=auto "$a" "$b"
# tms02 drifts: 5 files changed (8 bytes overwritten, same size), 3 added,
# 2 deleted.
want_missing=2 want_different=5 want_extra=3
mapfile -d '' all < <(cd "$b" && find "$data" -type f -print0 | sort -z)
n=${#all[@]}
for i in 1 2 3 4 5; do
	f=$b/${all[$(( i * n / 7 ))]}
	printf 'MODIFIED' | dd of="$f" bs=1 seek=20 conv=notrunc status=none
done
mkdir -p "$b/$data/Logo"
for i in 1 2 3; do
	head -c $(( i * 100000 )) /dev/urandom > "$b/$data/Logo/added-$i.png"
done
rm -f "$b/${all[$(( n / 9 ))]}" "$b/${all[$(( 8 * n / 9 ))]}"

# The rest of the deployment: each node's facts.json and web.config, the
# database snapshot and the approved key from the lab; the inventory names
# tms01 the data master and leaves data_sync.dirs at the guide's nine
# folders (all of which gendata fills).
for node in tms01 tms02; do
	cp "$lab/nodes/$node/facts.json" "$work/nodes/$node/facts.json"
	cp "$lab/nodes/$node/$web/web.config" "$work/nodes/$node/$web/web.config"
done
cp "$lab/db.json" "$work/db.json"
mkdir -p "$work/keys"
cp "$lab/keys/machinekey.xml" "$work/keys/machinekey.xml"
cat > "$inv" <<'EOF'
# Written by bench/datasync.sh: a two-node manual-cutover deployment whose
# standby's customer files drifted.
deployment: bench-datasync
model: manual-cutover
domain: ACME.LOCAL
addresses:
  ipv4_local: 10.10.0.11
  dns_local: tms.acme.local
machine_key:
  file: keys/machinekey.xml
data_sync:
  master: tms01
database:
  snapshot: db.json
  server: 'sql01.acme.local\TMS'
nodes:
  - name: tms01
    role: primary
    address: 10.10.0.11
    transport: {kind: dir, path: nodes/tms01}
  - name: tms02
    role: standby
    address: 10.10.0.12
    transport: {kind: dir, path: nodes/tms02}
EOF
"$tms" validate -i "$inv" >/dev/null
t1=$(date +%s.%N)
printf 'generated in %.1f s: %s\n' "$(calc "$t1 - $t0")" "$(du -sh "$a" "$b" | awk '{printf "%s %s  ", $1, $2}')"

# report_fields FILE prints four lines: the status, observed and expected
# values of data.synced on tms02 ("absent" when there is no such result,
# or several), and how many other results are not pass.
report_fields() {
	case $json_tool in
	jq)
		jq -r '([.results[] | select(.rule == "data.synced" and .node == "tms02")]
			| if length == 1 then .[0] | .status, .observed, .expected else "absent", "", "" end),
			([.results[] | select(.status != "pass" and (.rule != "data.synced" or .node != "tms02"))] | length)' "$1"
		;;
	python3)
		python3 - "$1" <<'EOF'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
mine = [r for r in results if r["rule"] == "data.synced" and r["node"] == "tms02"]
print(*(("absent", "", "") if len(mine) != 1 else (mine[0]["status"], mine[0]["observed"], mine[0]["expected"])), sep="\n")
print(sum(1 for r in results if r["status"] != "pass" and r not in mine))
EOF
		;;
	grep)
		# The report is indented JSON with the fields of a result in a fixed
		# order; joined into one line, a result is one match.
		local flat hits
		flat=$(tr '\n' ' ' < "$1")
		hits=$(grep -o '"rule": *"data\.synced", *"node": *"tms02", *"status": *"[a-z]*", *"severity": *"[a-z]*", *"expected": *"[^"]*", *"observed": *"[^"]*"' <<< "$flat" || true)
		if [[ $(grep -c . <<< "$hits") != 1 ]]; then
			printf 'absent\n\n\n'
		else
			sed -E 's/.*"status": *"([a-z]*)".*/\1/' <<< "$hits"
			sed -E 's/.*"observed": *"([^"]*)".*/\1/' <<< "$hits"
			sed -E 's/.*"expected": *"([^"]*)".*/\1/' <<< "$hits"
		fi
		# Every status but that one result's.
		echo $(( $(grep -o '"status": *"[a-z]*"' <<< "$flat" | grep -vc '"pass"' || true) - 1 ))
		;;
	esac
}

# count WHAT OBSERVED: the N of "N WHAT: ..." in data.synced's observed
# value ("2 missing: a, b; 5 different: ...; 3 extra: ..."), 0 if absent.
count() {
	local re="(^|; )([0-9]+) $1:"
	if [[ $2 =~ $re ]]; then echo "${BASH_REMATCH[2]}"; else echo 0; fi
}

# verify FILE: the report shows exactly the drift made, nothing else.
verify() {
	local f=$1 fields status observed expected others m d x
	mapfile -t fields < <(report_fields "$f")
	status=${fields[0]:-} observed=${fields[1]:-} expected=${fields[2]:-} others=${fields[3]:-}
	m=$(count missing "$observed") d=$(count different "$observed") x=$(count extra "$observed")
	if [[ $status != fail || $m != "$want_missing" || $d != "$want_different" || $x != "$want_extra" ||
		$expected != *"($FILES files)"* || $others != 0 ]]; then
		echo "WRONG RESULT in $f (read with $json_tool): data.synced on tms02 is '$status', expected '$expected'," >&2
		echo "  observed '$observed' (missing $m, different $d, extra $x; want fail with $want_missing, $want_different, $want_extra" >&2
		echo "  of $FILES master files); other results not pass: '$others' (want 0)" >&2
		exit 1
	fi
	echo "   $(basename "$f"): data.synced tms02 fail: missing $m, different $d, extra $x of $FILES files; every other result pass"
}

# audit ARGS...: one audit run; its verdict (exit 1, a failure) is the
# expected one, anything else stops the script.
audit() {
	local rc=0
	"$tms" audit -i "$inv" --format json "$@" || rc=$?
	if (( rc != 1 )); then echo "tmsdrift audit exited $rc, want 1 (a failure found)" >&2; exit 1; fi
}

echo "== warm the page cache: one untimed read pass over both nodes"
echo "   (so every method reads from memory and disk speed does not dominate)"
find "$a/$data" "$b/$data" -type f -print0 | xargs -0 cat > /dev/null

# The hash cache caches no file changed less than 2 s before it was hashed
# (same-tick changes would go unnoticed); let the fresh files settle, then
# fill it with one untimed run.
sleep 3
cache=$work/hash.cache
echo "== untimed audits, checked (reports read with $json_tool):"
audit --hash-cache "$cache" -o "$out/fill.json"
verify "$out/fill.json"
printf '   hash cache: %s\n' "$(du -h "$cache" | cut -f1)"

echo "== rsync -c sees (untimed; itemized):"
rsync -rcni --delete "$a/$data/" "$b/$data/" | awk '{print $1}' | sort | uniq -c | sed 's/^/   /'

names=(sha256sum sha256sum-P rsync tmsdrift-cold tmsdrift-warm)
cmds=(
	"find '$a/$data' '$b/$data' -type f -print0 | xargs -0 sha256sum >/dev/null"
	"find '$a/$data' '$b/$data' -type f -print0 | xargs -0 -P $(nproc) -n 200 sha256sum >/dev/null"
	"rsync -rcn --delete '$a/$data/' '$b/$data/' >/dev/null"
	# exit 1 is the verdict (data.synced fails); anything else fails the run.
	"'$tms' audit -i '$inv' --format json -o '$out/cold.json'; [ \$? -eq 1 ]"
	"'$tms' audit -i '$inv' --format json -o '$out/warm.json' --hash-cache '$cache'; [ \$? -eq 1 ]"
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
	times=$(measure "${names[$i]}" "${cmds[$i]}")
	read -r m l h <<< "$times"
	med[${names[$i]}]=$m lo[${names[$i]}]=$l hi[${names[$i]}]=$h
done
echo "== the reports of the last timed tmsdrift runs, checked:"
verify "$out/cold.json"
verify "$out/warm.json"

# rss ARGS...: peak resident memory of one audit run.
rss() {
	/usr/bin/time -v -o "$work/time.txt" "$tms" audit -i "$inv" --format json -o "$out/rss.json" "$@" >/dev/null 2>&1 || true
	awk -F': ' '/Maximum resident/ {printf "%.0f MiB", $2 / 1024}' "$work/time.txt"
}

echo
echo "== results: $FILES files, $TOTAL_MB MiB per node, 2 nodes; $(nproc) CPUs; $(date -u +%Y-%m-%dT%H:%MZ)"
printf '%-16s %10s %10s %10s\n' method "median s" "min s" "max s"
for n in "${names[@]}"; do printf '%-16s %10.3f %10.3f %10.3f\n' "$n" "${med[$n]}" "${lo[$n]}" "${hi[$n]}"; done
echo
ratio() { awk "BEGIN { printf \"%.2f\", $1 / $2 }"; }
printf 'sha256sum / tmsdrift:     cold %sx   warm %sx   (issue 2 target: >= 5x)\n' "$(ratio "${med[sha256sum]}" "${med[tmsdrift-cold]}")" "$(ratio "${med[sha256sum]}" "${med[tmsdrift-warm]}")"
printf 'sha256sum -P / tmsdrift:  cold %sx   warm %sx\n' "$(ratio "${med[sha256sum-P]}" "${med[tmsdrift-cold]}")" "$(ratio "${med[sha256sum-P]}" "${med[tmsdrift-warm]}")"
printf 'rsync / tmsdrift:         cold %sx   warm %sx   (issue 2 target: >= 3x)\n' "$(ratio "${med[rsync]}" "${med[tmsdrift-cold]}")" "$(ratio "${med[rsync]}" "${med[tmsdrift-warm]}")"
total_mb=$(( 2 * TOTAL_MB ))
printf 'tmsdrift cold throughput: %.0f MiB/s\n' "$(calc "$total_mb / ${med[tmsdrift-cold]}")"
if (( have_time )); then
	echo "peak RSS: tmsdrift audit cold $(rss), warm $(rss --hash-cache "$cache")"
fi
echo "load average (1/5/15 min) before timing: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
echo "notes: page cache warm; tmsdrift times are whole audits (inventory, facts, web.config, db.json, every rule of the model,"
echo "       JSON report); rsync $(rsync --version | awk 'NR == 1 {print $3}') -c uses its negotiated checksum (xxh128 on 3.2.x,"
echo "       not cryptographic) and only checksums files whose sizes match; the contract mandates SHA-256."
