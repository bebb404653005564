#!/usr/bin/env bash
# `tmsdrift history` over a long history: wall and CPU time of listing
# N runs (default 10,000) as a table and as JSON. The listing reads each
# run's run.json only, never a report.
# Usage: bench/history.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10000}
work=$(mktemp -d "${TMPDIR:-/tmp}/tmsdrift-history.XXXXXX")
trap 'rm -rf "$work"' EXIT

go build -o "$work/tmsdrift" ./cmd/tmsdrift
inv=$(go run ./bench/genhistory -n "$runs" -o "$work/lab")
echo "history: $runs runs in $work/lab/.tmsdrift/history ($(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg))"

# Untimed: warm the page cache and check the count.
listed=$("$work/tmsdrift" history -i "$inv" --format json | grep -c '"schema": "tmsdrift/history/v1"')
[ "$listed" = "$runs" ] || { echo "listed $listed runs, want $runs" >&2; exit 1; }

for format in table json; do
	times=()
	for _ in 1 2 3 4 5; do
		s=$(date +%s.%N)
		"$work/tmsdrift" history -i "$inv" --format "$format" >/dev/null
		e=$(date +%s.%N)
		times+=("$(awk -v s="$s" -v e="$e" 'BEGIN{print e-s}')")
	done
	median=$(printf '%s\n' "${times[@]}" | sort -g | sed -n 3p)
	cpu=""
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f '%U %S' -o "$work/time.txt" "$work/tmsdrift" history -i "$inv" --format "$format" >/dev/null
		cpu=$(awk '{printf ", CPU %.3f s (user+sys)", $1+$2}' "$work/time.txt")
	fi
	printf 'history --format %-5s wall time, median of 5: %.3f s%s\n' "$format" "$median" "$cpu"
done
