#!/usr/bin/env bash
# Instruction-exact profile of one benchmark path, the in-tree C driver against ours: boots
# the guest under QEMU's instruction-count clock with a gdb stub, runs tests/bench/bench.sh
# (by default the config workload at M = 1, three reps, halves "c ours"), and single-steps
# the vCPU from each entry of PROFILE_FROM to PROFILE_TO. Prints, per driver, the
# instructions of the last (steady-state) trace by function and both side by side.
#
#   make profile                     (builds the module against the benchmark kernel)
#   PROFILE_FROM=sym PROFILE_TO=sym  kernel symbols (default: from the AP bus's call of a
#                                    driver's on_config_changed, __drv_notify_config_changed,
#                                    to KVM's CRYCB update, kvm_arch_crypto_set_masks)
#   PROFILE_LAST=1                   count to the last PROFILE_TO of each entry, not the
#                                    first (e.g. the last guest's CRYCB at M > 1)
#   BENCH_*                          as for make bench, to pick the workload
#   PROFILE_OUT                      where traces and the report go (default profile-results)
#
# The report ends with the storage-to-storage instructions (MVC, CLC, XC, EXRL, ...) of the
# same traces: one instruction each here, but a helper call each under TCG's wall clock.
# Needs gdb-multiarch (installed if missing). A step costs about a millisecond: a path of
# 5,000 instructions traces in seconds, the whole run takes some minutes. Calls of schedule()
# run untraced (a sleeping path would step the idle loop) and count as one instruction.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=SCRIPTDIR/lib.sh
. "$here/lib.sh"
REPO=$(cd "$here/.." && pwd)

from=${PROFILE_FROM:-__drv_notify_config_changed}
to=${PROFILE_TO:-kvm_arch_crypto_set_masks}
out=${PROFILE_OUT:-$REPO/profile-results}

if ! command -v gdb-multiarch >/dev/null; then
	sudo=""
	[ "$(id -u)" = 0 ] || sudo=sudo
	info "profile: installing gdb-multiarch"
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
		gdb-multiarch >/dev/null 2>&1 || die "profile: gdb-multiarch is needed (apt-get install gdb-multiarch)"
fi

entry=$("$here/kernel.sh" dir)
map=$entry/build/System.map
base=$(kernel_image_base "$entry")
addr() { kernel_sym_addr "$map" "$base" "$1"; }

rm -rf "$out"
mkdir -p "$out/traces" "$out/bench"
cp "$REPO/tests/bench/"*.sh "$out/bench/"
{
	echo "BENCH_REPS='${BENCH_REPS:-3}'"
	echo "BENCH_NS='${BENCH_NS:-1}'"
	echo "BENCH_MS='${BENCH_MS:-1}'"
	echo "BENCH_KS='${BENCH_KS:-16}'"
	echo "BENCH_WORKLOADS='${BENCH_WORKLOADS:-config}'"
	echo "BENCH_CONFIG_REPS='${BENCH_CONFIG_REPS:-3}'"
	echo "BENCH_ORDER='${BENCH_ORDER:-c ours}'"
	echo "BENCH_KSYMS=1"
} >"$out/bench/bench.conf"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

info "profile: $from -> $to, ${BENCH_WORKLOADS:-config} workload, kernel $(basename "$entry"), gdb stub on port $port"
VFIO_AP_QEMU_ICOUNT=1 VFIO_AP_QEMU_GDB=$port "$here/qemu-run.sh" --module "$REPO/vfio_ap.ko" \
	--tests "$out/bench" --out "$out/guest" --timeout 5400 --test-timeout 5000 >/dev/null &
qemu=$!
to_addr=$(addr "$to")
TRACE_SKIP=$(addr schedule) TRACE_LAST=${PROFILE_LAST:-} TRACE_PORT=$port TRACE_FROM=$(addr "$from") TRACE_TO=$to_addr TRACE_MARK=$(addr __s390x_sys_sync) \
	TRACE_OUT=$out/traces gdb-multiarch -batch -nx -x "$here/insn-trace.py" >"$out/gdb.log" 2>&1 &
gdb=$!
rc=0
wait $qemu || rc=$?
wait $gdb || true
[ "$rc" = 0 ] || die "profile: the guest run failed (exit $rc): see $out/guest/console.log"
python3 "$here/insn-report.py" "$map" "$base" "$out/guest/results.txt" "$out/traces" \
	${PROFILE_LAST:+"$to_addr"} --vmlinux "$entry/build/vmlinux" \
	--ko "c=$entry/build/drivers/s390/crypto/vfio_ap.ko" --ko "ours=$REPO/vfio_ap.ko" | tee "$out/profile.txt"
info "profile: report in $out/profile.txt"
