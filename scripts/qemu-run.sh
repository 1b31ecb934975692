#!/usr/bin/env bash
# Boot the s390x test kernel under qemu-system-s390x with the module and run tests in it.
#
#   scripts/qemu-run.sh [options]
#     --module PATH      module under test (default: ./vfio_ap.ko); installed as the guest's
#                        vfio_ap, the in-tree C module goes to /opt/reference/vfio_ap.ko
#     --tests DIR        a test directory (repeatable); giving any replaces the default
#                        tests/selftests (copied into the guest as /tests/<n>-<basename>)
#     --append ARGS      extra kernel command line
#     --timeout SECS     whole-run limit, boot to poweroff (default 1800); hitting it fails
#     --test-timeout S   per-test limit inside the guest (default 300)
#     --out DIR          where console.log, results.txt and the initramfs go (default: a
#                        new mktemp directory under $TMPDIR or /tmp, printed)
#     --shell            interactive shell on the console instead of tests
#
#   VFIO_AP_EXTRA_TESTS=dir1:dir2  more test directories, from anywhere, run after the rest
#   VERBOSE=1                      show the console while the tests run
#   VFIO_AP_QEMU_MONITOR=PATH      a QEMU monitor on the unix socket PATH (e.g. to read the
#                                  vCPUs' PSWs with "info registers -a" when a guest hangs)
#   VFIO_AP_QEMU_ICOUNT=1          run the guest with "-icount shift=0,sleep=off": its clocks
#                                  count executed instructions, so timings do not follow the
#                                  host's load (make bench: BENCH_CLOCK=icount)
#   VFIO_AP_QEMU_GDB=PORT          a gdb stub on 127.0.0.1:PORT (scripts/insn-profile.sh)
#   VFIO_AP_QEMU_SMP=N             N guest CPUs (default 2)
#   VFIO_AP_QEMU_PLUGIN=SPEC         a TCG plugin, "PATH.so,ARG=VALUE,..." (scripts/path-cost.sh)
#   VFIO_AP_QEMU_HOST_CPUS=LIST    run QEMU on these host CPUs only (taskset -c LIST)
#
# In the guest, scripts/guest/init runs each test file and frames its output on the virtio
# serial port "results" (<out>/results.txt) with "# vfio-ap-test-begin <dir>/<file>" and
# "# vfio-ap-test-end <dir>/<file> exit=<status>", then the guest's dmesg, then
# "# vfio-ap-guest-done". scripts/parse-results.py judges results.txt and console.log.
#
# Exit status: 0 only if every test passed (skips allowed), the guest finished, and the
# kernel console is free of warnings, BUGs, lockdep and other reports.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=SCRIPTDIR/lib.sh
. "$here/lib.sh"
REPO=$(cd "$here/.." && pwd)

module=$REPO/vfio_ap.ko
tests=()
append=""
timeout=1800
test_timeout=300
out=""
shell=0
while [ $# -gt 0 ]; do
	case $1 in
	--module | --tests | --append | --timeout | --test-timeout | --out)
		[ $# -ge 2 ] || die "$1 needs a value (see the top of $0)" ;;
	esac
	case $1 in
	--module) module=$2; shift 2 ;;
	--tests) [ -d "$2" ] || die "--tests $2: not a directory"; tests+=("$(cd "$2" && pwd)"); shift 2 ;;
	--append) append="$append $2"; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--test-timeout) test_timeout=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--shell) shell=1; shift ;;
	*) die "unknown option $1 (see the top of $0)" ;;
	esac
done
# Default: the simulator's fidelity tests (they use the in-tree C driver), then ours.
[ ${#tests[@]} -gt 0 ] || tests=("$REPO/tests/selftests-sim" "$REPO/tests/selftests")
if [ -n "${VFIO_AP_EXTRA_TESTS:-}" ]; then
	IFS=: read -r -a extra <<<"$VFIO_AP_EXTRA_TESTS"
	for d in "${extra[@]}"; do
		[ -n "$d" ] || continue
		[ -d "$d" ] || die "VFIO_AP_EXTRA_TESTS: $d is not a directory"
		tests+=("$(cd "$d" && pwd)")
	done
fi
[ -n "$out" ] || out=$(mktemp -d "${TMPDIR:-/tmp}/vfio-ap-run.XXXXXX")
mkdir -p "$out"
out=$(cd "$out" && pwd)

entry=$("$here/kernel.sh" dir)
rel=$(cat "$entry/kernelrelease")
# Boot arguments the test kernel wants (e.g. the AP simulator's configuration), if any.
[ -f "$REPO/tests/kernel/cmdline" ] && append="$(grep -v '^#' "$REPO/tests/kernel/cmdline" | tr '\n' ' ') $append"

build_initramfs() {
	local root=$out/root mods
	rm -rf "$root"
	mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,opt/reference,tests}
	install -m 0755 "$GUEST_DIR/busybox" "$root/bin/busybox"
	install -m 0755 "$REPO/scripts/guest/init" "$root/init"
	mods=$root/lib/modules/$rel
	mkdir -p "$root/lib/modules"
	cp -a "$entry/modroot/lib/modules/$rel" "$mods"
	rm -f "$mods/build" "$mods/source"
	# Two modules cannot share the name vfio_ap in one depmod tree: the in-tree C driver is
	# kept aside as the reference, so `modprobe vfio_ap` loads the module under test.
	if [ -f "$mods/kernel/drivers/s390/crypto/vfio_ap.ko" ]; then
		mv "$mods/kernel/drivers/s390/crypto/vfio_ap.ko" "$root/opt/reference/vfio_ap.ko"
	fi
	if [ -f "$module" ]; then
		install -D -m 0644 "$module" "$mods/extra/vfio_ap.ko"
	else
		info "module under test not found: $module; booting without it"
	fi
	depmod -b "$root" "$rel"
	cp -a "$REPO/tests/lib" "$root/tests/lib"
	# Guest programs (tests/progs/*.c): static, against the test kernel's own UAPI headers
	# (the cross toolchain's are older than 7.3).
	local prog
	for prog in "$REPO"/tests/progs/*.c; do
		[ -e "$prog" ] || continue
		s390x-linux-gnu-gcc -static -O2 -Wall -I"$entry/uapi/include" "$prog" \
			-o "$root/bin/$(basename "$prog" .c)" || die "cannot build guest program $prog"
	done
	# lszcrypt (Debian's s390-tools) and mdevctl, with the loader and libraries they link
	# against (trixie's glibc: scripts/setup.sh, step_guest_userland).
	mkdir -p "$root/lib" "$root/etc/mdevctl.d/scripts.d/callouts" "$root/etc/mdevctl.d/scripts.d/notifiers" \
		"$root/usr/lib/mdevctl/scripts.d/callouts" "$root/usr/lib/mdevctl/scripts.d/notifiers"
	cp -L "$GUEST_DIR"/lib/{ld64.so.1,libc.so.6,libgcc_s.so.1} "$root/lib/"
	local tool
	for tool in lszcrypt mdevctl; do
		if [ -x "$GUEST_DIR/$tool" ]; then
			install -m 0755 "$GUEST_DIR/$tool" "$root/sbin/$tool"
		fi
	done
	local i=0 d
	for d in "${tests[@]}"; do
		i=$((i + 1))
		cp -a "$d" "$root/tests/$(printf %02d "$i")-$(basename "$d")"
	done
	(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) >"$out/initrd.gz"
}

run_step "initramfs for kernel $rel" build_initramfs

qemu=(qemu-system-s390x -M s390-ccw-virtio -cpu max -m 1024 -smp "${VFIO_AP_QEMU_SMP:-2}" -nographic -no-reboot
	-kernel "$entry/build/arch/s390/boot/bzImage" -initrd "$out/initrd.gz")
cmdline="console=ttysclp0 panic=-1 vfio_ap_test.timeout=$test_timeout $append"

if [ $shell = 1 ]; then
	exec "${qemu[@]}" -append "$cmdline vfio_ap_test.shell"
fi

rm -f "$out/results.txt"
# shellcheck disable=SC2054 # commas belong to QEMU's option syntax
qemu+=(-device virtio-serial-ccw -chardev "file,id=results,path=$out/results.txt"
	-device virtserialport,chardev=results,name=results -append "$cmdline")
[ "${VFIO_AP_QEMU_ICOUNT:-0}" = 0 ] || qemu+=(-icount shift=0,sleep=off)
[ -z "${VFIO_AP_QEMU_MONITOR:-}" ] || qemu+=(-monitor "unix:$VFIO_AP_QEMU_MONITOR,server,nowait")
[ -z "${VFIO_AP_QEMU_GDB:-}" ] || qemu+=(-gdb "tcp:127.0.0.1:$VFIO_AP_QEMU_GDB")
[ -z "${VFIO_AP_QEMU_PLUGIN:-}" ] || qemu+=(-plugin "$VFIO_AP_QEMU_PLUGIN")
[ -z "${VFIO_AP_QEMU_HOST_CPUS:-}" ] || qemu=(taskset -c "$VFIO_AP_QEMU_HOST_CPUS" "${qemu[@]}")
info "booting the guest (limit ${timeout}s); logs in $out"
t0=$(date +%s)
set +e
if [ "${VERBOSE:-0}" = 1 ]; then
	timeout "$timeout" "${qemu[@]}" </dev/null 2>&1 | tee "$out/console.log"
	rc=${PIPESTATUS[0]}
else
	timeout "$timeout" "${qemu[@]}" </dev/null >"$out/console.log" 2>&1
	rc=$?
fi
set -e
info "guest ran $(( $(date +%s) - t0 ))s"
case $rc in
0) ;;
124) info "timeout: the guest did not finish within ${timeout}s (--timeout)" ;;
*) info "qemu-system-s390x exited with status $rc (see $out/console.log)" ;;
esac
python3 "$here/parse-results.py" "$out/results.txt" "$out/console.log"
