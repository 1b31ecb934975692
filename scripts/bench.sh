#!/usr/bin/env bash
# Control-plane benchmarks: boots the guest once and runs tests/bench/bench.sh there, which
# measures the in-tree C driver and ours one after the other on the same simulated hardware.
# Prints a table per workload and writes bench-results/{bench.json,bench.csv,bench.txt}
# and bench.png (python3-matplotlib is installed for it if missing).
#
# Settings (environment): BENCH_REPS (default 100), BENCH_NS (default "1 16 64 256"),
# BENCH_MS (default "1 16 64"), BENCH_KS (default "16 64 128"), BENCH_WORKLOADS (default
# all: "floor pair matrix hotplug memory config"), BENCH_CONFIG_REPS (default 15),
# BENCH_DIAG=1 (per-rep details in the guest log), BENCH_ORDER (default "c ours ours c": the
# halves, in order; each loads one driver and runs every workload; a driver's halves are
# pooled), BENCH_OUT (default bench-results), BENCH_CLOCK (default "wall"; "icount" runs
# the guest with QEMU's -icount, whose clock counts instructions: deterministic, free of the
# host's load, and blind to what an instruction costs), BENCH_GUEST_DIR (where the guest's
# logs go; default: a new directory under TMPDIR).
# The guest runs the kernel variant VFIO_AP_KERNEL names (make bench sets "bench": lock
# debugging off), which the module must have been built against.
# Measure on an otherwise idle machine: TCG timing follows the host's load.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=SCRIPTDIR/lib.sh
. "$here/lib.sh"
REPO=$(cd "$here/.." && pwd)
order=${BENCH_ORDER:-c ours ours c}
for d in $order; do
	case $d in
	c | ours) ;;
	*) die "BENCH_ORDER: '$d' is not a driver (c or ours)" ;;
	esac
done
[ -n "$order" ] || die "BENCH_ORDER is empty"
clock=${BENCH_CLOCK:-wall}
case $clock in
wall) export VFIO_AP_QEMU_ICOUNT=0 ;;
icount) export VFIO_AP_QEMU_ICOUNT=1 ;;
*) die "BENCH_CLOCK: '$clock' is neither wall nor icount" ;;
esac
export BENCH_CLOCK=$clock
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
	echo "BENCH_WORKLOADS='${BENCH_WORKLOADS:-floor pair matrix hotplug memory config}'"
	echo "BENCH_CONFIG_REPS='${BENCH_CONFIG_REPS:-15}'"
	echo "BENCH_DIAG='${BENCH_DIAG:-}'"
	echo "BENCH_ORDER='$order'"
	echo "BENCH_KSYMS='${BENCH_KSYMS:-}'"
} >"$work/bench/bench.conf"
info "bench: reps ${BENCH_REPS:-100}, N ${BENCH_NS:-1 16 64 256}, M ${BENCH_MS:-1 16 64}, workloads ${BENCH_WORKLOADS:-all}, halves $order, clock $clock, kernel ${VFIO_AP_KERNEL:-default}"
rc=0
guest=${BENCH_GUEST_DIR:-$work/guest}
"$REPO/scripts/qemu-run.sh" --module "$REPO/vfio_ap.ko" --tests "$work/bench" \
	--out "$guest" --timeout 5400 --test-timeout 5000 || rc=$?
grep '^# bench ' "$guest/results.txt" | sed 's/^# bench //' >"$out/raw.txt" || true
grep '^# samples ' "$guest/results.txt" | sed 's/^# samples //' >"$out/samples.txt" || true
# The plot needs matplotlib: take a python3 that has it (a pyenv shim on PATH may not, while
# Debian's does once python3-matplotlib is installed, which is tried once; no plot otherwise).
py=python3
has_mpl() { "$1" -c 'import matplotlib' 2>/dev/null; }
if ! has_mpl python3; then
	if ! has_mpl /usr/bin/python3; then
		sudo=""
		[ "$(id -u)" = 0 ] || sudo=sudo
		info "bench: installing python3-matplotlib for the plot"
		DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
			python3-matplotlib >/dev/null 2>&1 || info "bench: python3-matplotlib not installed: no plot"
	fi
	! has_mpl /usr/bin/python3 || py=/usr/bin/python3
fi
"$py" "$REPO/scripts/bench-report.py" "$out/raw.txt" "$out/samples.txt" "$out" | tee "$out/bench.txt"
[ "$rc" = 0 ] || die "the benchmark run failed (exit $rc): see $guest/console.log"
info "bench: results in $out (guest logs in $guest)"
