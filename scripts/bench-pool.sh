#!/usr/bin/env bash
# Pools several `make bench` result directories into one report, as if their halves had run
# in one boot: each run's halves are numbered on after the last run's, and bench-report.py
# then pools every rep of a driver, as it does for the halves of one run. One wall-clock run
# cannot tell a difference of a few percent from TCG's drift (Documentation/performance.rst);
# several runs of the same code, pooled, can.
#
#   scripts/bench-pool.sh OUT DIR...
#
# Each DIR holds raw.txt, samples.txt and bench.json of one run; all of them must share the
# guest clock and the kernel variant (their times are not comparable otherwise). OUT gets
# raw.txt, samples.txt, bench.{txt,json,csv} (and bench.png with matplotlib) of the pool.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=SCRIPTDIR/lib.sh
. "$here/lib.sh"

[ $# -ge 2 ] || die "usage: bench-pool.sh OUT DIR... (the result directories of make bench)"
out=$1
shift
# run_meta DIR: "CLOCK KERNEL" from the run's bench.json
run_meta() {
	python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(d.get("clock", "wall"), d.get("kernel", "default"))' \
		"$1/bench.json"
}
meta=""
for dir in "$@"; do
	for f in raw.txt samples.txt bench.json; do
		[ -s "$dir/$f" ] || die "bench-pool: $dir has no $f: not a make bench result directory"
	done
	m=$(run_meta "$dir") || die "bench-pool: $dir/bench.json does not parse"
	[ -z "$meta" ] || [ "$m" = "$meta" ] ||
		die "bench-pool: $dir ran with clock and kernel '$m', the first run with '$meta': not comparable"
	meta=$m
done
read -r clock kernel <<<"$meta"

mkdir -p "$out"
: >"$out/raw.txt"
: >"$out/samples.txt"
offset=0
for dir in "$@"; do
	awk -v o="$offset" 'NF { $1 += o; print }' "$dir/raw.txt" >>"$out/raw.txt"
	awk -v o="$offset" 'NF { $1 += o; print }' "$dir/samples.txt" >>"$out/samples.txt"
	offset=$(awk 'NF { print $1 }' "$out/raw.txt" | sort -n | tail -n 1)
done
info "bench-pool: $# runs, $offset halves, clock $clock, kernel $kernel"
clock_env=""
[ "$clock" != icount ] || clock_env=icount
BENCH_CLOCK=$clock_env VFIO_AP_KERNEL=$kernel \
	python3 "$here/bench-report.py" "$out/raw.txt" "$out/samples.txt" "$out" | tee "$out/bench.txt"
