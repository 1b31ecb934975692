#!/usr/bin/env bash
# Where the wall clock goes on the config path (a host configuration change with M guests), in
# both drivers, seen from the host through a TCG plugin (scripts/tcg-plugins/), which the
# guest's own clock cannot split and the instruction clock cannot price:
#
#   make path-cost                   PATH_COST=wall (default): host wall-clock stamps at the
#                                    AP bus's scan start, its notify of each AP driver and
#                                    each guest's kvm_arch_crypto_set_masks(); per M and per
#                                    TCG speed mode, the median split of a rep into the bus's
#                                    part, the driver's way to the first CRYCB and the cost of
#                                    each further guest. Halves "c ours ours c", M = 1 16,
#                                    8 reps (BENCH_* override).
#   PATH_COST=pages make path-cost   the translation blocks and guest pages (code and data)
#                                    from the bus's notify to the first CRYCB, per driver, with
#                                    the function that touched each page first: under TCG each
#                                    page a cold path touches costs about as much as a hundred
#                                    instructions. Halves "c ours", M = 1, 3 reps. Every access
#                                    is instrumented: the guest runs several times slower.
#   PATH_COST=step make path-cost    the same count from the first guest's
#                                    kvm_arch_crypto_set_masks() to the second's: what the
#                                    driver does between two guests. Halves "c ours", M = 16,
#                                    3 reps. PATH_COST_STEP=N: from the N-th to the next.
#
# Needs a host C compiler (the plugins are built into the work directory). PATH_COST_OUT
# (default path-cost-results) gets the report, the plugin's raw output and the guest's logs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=SCRIPTDIR/lib.sh
. "$here/lib.sh"
REPO=$(cd "$here/.." && pwd)
mode=${PATH_COST:-wall}
out=${PATH_COST_OUT:-$REPO/path-cost-results}
command -v cc >/dev/null || die "path-cost: needs a C compiler for the TCG plugins (apt-get install gcc)"

entry=$("$here/kernel.sh" dir)
map=$entry/build/System.map
base=$(kernel_image_base "$entry")
addr() { kernel_sym_addr "$map" "$base" "$1"; }
rm -rf "$out"
mkdir -p "$out"
plugin() {
	cc -O2 -Wall -shared -fPIC -fvisibility=hidden -o "$out/$1.so" "$here/tcg-plugins/$1.c" ||
		die "path-cost: building the $1 plugin failed"
}

export BENCH_DIAG=1 BENCH_GUEST_DIR=$out/guest BENCH_OUT=$out/bench
case $mode in
wall)
	plugin wallstamp
	for s in ap_scan_bus __drv_notify_config_changed kvm_arch_crypto_set_masks \
		__drv_notify_scan_complete; do
		echo "$s $(addr $s)"
	done >"$out/syms.txt"
	export VFIO_AP_QEMU_PLUGIN="$out/wallstamp.so,out=$out/stamps.txt$(awk '{ printf ",pc=%s", $2 }' "$out/syms.txt")"
	export BENCH_ORDER=${BENCH_ORDER:-c ours ours c} BENCH_MS=${BENCH_MS:-1 16}
	export BENCH_WORKLOADS=${BENCH_WORKLOADS:-floor config} BENCH_CONFIG_REPS=${BENCH_CONFIG_REPS:-8}
	export BENCH_REPS=${BENCH_REPS:-20}
	;;
pages)
	plugin pagecount
	export VFIO_AP_QEMU_PLUGIN="$out/pagecount.so,out=$out/windows.txt,start=$(addr __drv_notify_config_changed),stop=$(addr kvm_arch_crypto_set_masks),end=$(addr __drv_notify_scan_complete)"
	export BENCH_ORDER=${BENCH_ORDER:-c ours} BENCH_MS=${BENCH_MS:-1}
	export BENCH_WORKLOADS=${BENCH_WORKLOADS:-config} BENCH_CONFIG_REPS=${BENCH_CONFIG_REPS:-3}
	export BENCH_KSYMS=1
	;;
step)
	plugin pagecount
	crycb=$(addr kvm_arch_crypto_set_masks)
	export VFIO_AP_QEMU_PLUGIN="$out/pagecount.so,out=$out/windows.txt,start=$crycb,stop=$crycb,arm=$(addr __drv_notify_config_changed),end=$(addr __drv_notify_scan_complete),nth=${PATH_COST_STEP:-1}"
	export BENCH_ORDER=${BENCH_ORDER:-c ours} BENCH_MS=${BENCH_MS:-16}
	export BENCH_WORKLOADS=${BENCH_WORKLOADS:-config} BENCH_CONFIG_REPS=${BENCH_CONFIG_REPS:-3}
	export BENCH_KSYMS=1
	;;
*) die "PATH_COST: '$mode' is none of wall, pages, step" ;;
esac
info "path-cost: $mode, halves $BENCH_ORDER, M $BENCH_MS, $BENCH_CONFIG_REPS reps"
"$here/bench.sh" >"$out/bench.txt" || die "path-cost: the benchmark run failed (see $out/bench.txt)"
case $mode in
wall) python3 "$here/path-cost-report.py" wall "$out/stamps.txt" "$out/guest/results.txt" \
	"$out/syms.txt" | tee "$out/report.txt" ;;
pages | step) python3 "$here/path-cost-report.py" "$mode" "$out/windows.txt" \
	"$out/guest/results.txt" "$map" "$base" | tee "$out/report.txt" ;;
esac
info "path-cost: report in $out/report.txt"
