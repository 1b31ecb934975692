#!/usr/bin/env bash
# Host test of scripts/parse-results.py, no QEMU needed: the console scanner passes clean
# logs and fails logs with kernel reports; the results parser counts KTAP lines, skips,
# exit codes and a lost guest as documented. Prints TAP; exits non-zero on any failure.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
parser=$here/../../scripts/parse-results.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=tap.sh
. "$(dirname "$0")/tap.sh"

# scan DESC EXPECTED_EXIT LOG_TEXT
scan() {
	local out rc
	printf '%s\n' "$3" >"$tmp/console"
	out=$(python3 "$parser" --scan-console "$tmp/console" 2>&1)
	rc=$?
	if [ "$rc" = "$2" ]; then result 1 "console: $1"; else result 0 "console: $1 (scanner exit $rc)" "$out"; fi
}

# Lines a clean boot of the test kernel prints, some of which look alarming at a glance.
clean_boot="Lock dependency validator: Copyright (c) 2006 Red Hat, Inc., Ingo Molnar
... MAX_LOCKDEP_SUBCLASSES:  8
 memory used by lock dependency info: 6429 kB
rcu: 	RCU lockdep checking is enabled.
Running RCU synchronous self tests
ap: The hardware system does not support AP instructions
vfio-ap-test: 01-selftests/10-skeleton.sh
vfio_ap: loading out-of-tree module taints kernel.
vfio_ap matrix: MDEV: Registered
vfio_ap: no AP configuration information (QCI): no queue can reach a guest"

scan "a clean boot log passes" 0 "$clean_boot"
scan "a WARNING splat fails" 1 "$clean_boot
------------[ cut here ]------------
WARNING: drivers/misc/lkdtm/bugs.c:164 at lkdtm_WARNING+0xe/0x20 [lkdtm], CPU#1: sh/51"
scan "a circular locking report fails" 1 "[    3.0] WARNING: possible circular locking dependency detected"
scan "a recursive locking report fails" 1 "WARNING: possible recursive locking detected"
scan "an inconsistent lock state fails" 1 "WARNING: inconsistent lock state"
scan "suspicious RCU usage fails" 1 "WARNING: suspicious RCU usage"
scan "a lockdep INFO report fails" 1 "INFO: trying to register non-static key."
scan "an RCU stall fails" 1 "[   30.1] INFO: rcu_sched self-detected stall on CPU"
scan "a BUG fails" 1 "BUG: sleeping function called from invalid context at kernel/locking/mutex.c:580"
scan "a SLUB BUG fails" 1 "BUG kmalloc-64 (Tainted: G O): Object already free"
scan "a hung task fails" 1 "INFO: task sh:42 blocked for more than 120 seconds."
scan "a Rust panic fails" 1 "rust_kernel: panicked at src/state.rs:10:5:"
scan "KASAN fails" 1 "BUG: KASAN: slab-use-after-free in foo+0x1/0x2"
scan "UBSAN fails" 1 "UBSAN: shift-out-of-bounds in drivers/s390/crypto/x.c:1:2"
scan "a kmemleak report fails" 1 "kmemleak: 2 new suspected memory leaks (see /sys/kernel/debug/kmemleak)"
scan "an oops fails" 1 "Oops: 0004 ilc:3 [#1] PREEMPT SMP"
scan "a kernel address fault fails" 1 "Unable to handle kernel pointer dereference in virtual kernel address space"
scan "a panic fails" 1 "Kernel panic - not syncing: Fatal exception"
scan "a stack overflow fails" 1 "Kernel stack overflow."

# A splat is one report, attributed to the test that was running.
printf '%s\n' "vfio-ap-test: 01-x/20-y.sh" "------------[ cut here ]------------" \
	"WARNING: at foo" "CPU: 1 PID: 5" "Call Trace:" >"$tmp/console"
out=$(python3 "$parser" --scan-console "$tmp/console")
echo "$out" | grep -q "shows 1 kernel report(s)" && echo "$out" | grep -q "during 01-x/20-y.sh"
result $((!$?)) "console: one splat is one report, attributed to its test" "$out"

# judge DESC EXPECTED_EXIT EXPECTED_GUEST_LINE RESULTS_TEXT [CONSOLE_TEXT]
judge() {
	local out rc
	printf '%s\n' "$4" >"$tmp/results"
	printf '%s\n' "${5:-$clean_boot}" >"$tmp/console"
	out=$(python3 "$parser" "$tmp/results" "$tmp/console" 2>&1)
	rc=$?
	if [ "$rc" = "$2" ] && [ "$(echo "$out" | tail -n1)" = "$3" ]; then
		result 1 "results: $1"
	else
		result 0 "results: $1 (exit $rc)" "$out"
	fi
}
B="# vfio-ap-test-begin 01-s/t.sh"
E="# vfio-ap-test-end 01-s/t.sh"
S="# vfio-ap-guest-start 7.3.4"
D="# vfio-ap-guest-done"

judge "passes and skips count separately" 0 "guest: 2 passed, 0 failed, 1 skipped" "$S
$B
KTAP version 1
1..3
ok 1 a
ok 2 b # SKIP no AP bus
ok 3 c
    ok 1 nested subtest lines are not counted
$E exit=0
$D"
judge "a not ok fails" 1 "guest: 1 passed, 1 failed, 0 skipped" "$S
$B
ok 1 a
not ok 2 b
$E exit=1
$D"
judge "exit 4 with no results is one skip" 0 "guest: 0 passed, 0 failed, 1 skipped" "$S
$B
# nothing to do here
$E exit=4
$D"
judge "a non-zero exit without not ok is one failure" 1 "guest: 1 passed, 1 failed, 0 skipped" "$S
$B
ok 1 a
$E exit=2
$D"
judge "a test killed by its timeout is one failure" 1 "guest: 0 passed, 1 failed, 0 skipped" "$S
$B
$E exit=143
$D"
judge "no result lines is one failure" 1 "guest: 0 passed, 1 failed, 0 skipped" "$S
$B
$E exit=0
$D"
judge "a guest that never finished fails" 1 "guest: 1 passed, 2 failed, 0 skipped" "$S
$B
ok 1 a"
judge "a dirty console fails a clean TAP run" 1 "guest: 1 passed, 1 failed, 0 skipped" "$S
$B
ok 1 a
$E exit=0
$D" "WARNING: CPU: 0 PID: 1 at x.c:1 f+0x0/0x0"
judge "a report only in the guest's dmesg fails" 1 "guest: 1 passed, 1 failed, 0 skipped" "$S
$B
ok 1 a
$E exit=0
# vfio-ap-dmesg-begin
[    9.1] BUG: sleeping function called from invalid context
# vfio-ap-dmesg-end
$D"
judge "no results file at all fails" 1 "guest: 0 passed, 1 failed, 0 skipped" ""

echo "# host console scanner and results parser: $fails failed"
tap_done
