#!/usr/bin/env bash
# The 1,000-node audit: wall time and peak memory of `tmsdrift audit` on a
# synthetic manual-cutover fleet (facts.json + web.config per node, no
# customer files: hashing is measured by bench/datasync.sh).
# Usage: bench/fleet.sh [NODES]   (default 1000)
set -euo pipefail
cd "$(dirname "$0")/.."
nodes=${1:-1000}
work=$(mktemp -d "${TMPDIR:-/tmp}/tmsdrift-fleet.XXXXXX")
trap 'rm -rf "$work"' EXIT

go build -o "$work/tmsdrift" ./cmd/tmsdrift
inv=$(go run ./bench/genfleet -n "$nodes" -o "$work/fleet")
echo "fleet: $nodes nodes in $work/fleet ($(nproc) cores)"

# One untimed run warms the page cache; exit 0 is expected (compliant fleet).
"$work/tmsdrift" audit -i "$inv" --format json -o "$work/report.json"

runs=5
times=()
for _ in $(seq $runs); do
	s=$(date +%s.%N)
	"$work/tmsdrift" audit -i "$inv" --format json -o "$work/report.json"
	e=$(date +%s.%N)
	times+=("$(awk -v s="$s" -v e="$e" 'BEGIN{print e-s}')")
done
median=$(printf '%s\n' "${times[@]}" | sort -g | sed -n "$(( (runs + 1) / 2 ))p")
printf 'audit wall time, median of %d: %.3f s\n' "$runs" "$median"

if [ -x /usr/bin/time ]; then
	/usr/bin/time -v "$work/tmsdrift" audit -i "$inv" --format json -o "$work/report.json" 2>"$work/time.txt"
	rss=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$work/time.txt")
	printf 'peak memory (max RSS): %.1f MB\n' "$(awk -v r="$rss" 'BEGIN{print r/1024}')"
else
	echo "peak memory: install GNU time (apt-get install time) to measure max RSS"
fi
printf 'results: %s\n' "$(tr -d ' \n' < "$work/report.json" | grep -o '"summary":{[^}]*}')"
