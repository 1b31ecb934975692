#!/usr/bin/env bash
# Control-plane benchmarks: boots the guest once and runs tests/bench/bench.sh there, which
# measures the in-tree C driver and ours one after the other on the same simulated hardware.
# Prints a table per workload and writes bench-results/{bench.json,bench.csv,bench.txt}
# (and bench.png if matplotlib is installed).
#
# Settings (environment): BENCH_REPS (default 100), BENCH_NS (default "1 16 64 256"),
# BENCH_MS (default "1 16 64"), BENCH_KS (default "16 64 128"), BENCH_OUT (default
# bench-results).
# Measure on an otherwise idle machine: TCG timing follows the host's load.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=SCRIPTDIR/lib.sh
. "$here/lib.sh"
REPO=$(cd "$here/.." && pwd)
out=${BENCH_OUT:-$REPO/bench-results}
mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/vfio-ap-bench.XXXXXX")
mkdir "$work/bench"
cp "$REPO/tests/bench/"*.sh "$work/bench/"
{
	echo "BENCH_REPS='${BENCH_REPS:-100}'"
	echo "BENCH_NS='${BENCH_NS:-1 16 64 256}'"
	echo "BENCH_MS='${BENCH_MS:-1 16 64}'"
	echo "BENCH_KS='${BENCH_KS:-16 64 128}'"
} >"$work/bench/bench.conf"
info "bench: reps ${BENCH_REPS:-100}, N ${BENCH_NS:-1 16 64 256}, M ${BENCH_MS:-1 16 64}"
rc=0
"$REPO/scripts/qemu-run.sh" --module "$REPO/vfio_ap.ko" --tests "$work/bench" \
	--out "$work/guest" --timeout 5400 --test-timeout 5000 || rc=$?
grep '^# bench ' "$work/guest/results.txt" | sed 's/^# bench //' >"$out/raw.txt" || true
python3 "$REPO/scripts/bench-report.py" "$out/raw.txt" "$out" | tee "$out/bench.txt"
[ "$rc" = 0 ] || die "the benchmark run failed (exit $rc): see $work/guest/console.log"
info "bench: results in $out (guest logs in $work/guest)"
