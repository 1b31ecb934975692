#!/usr/bin/env bash
# Host test of the console scanner: clean logs pass, logs with kernel reports fail.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
scan() { python3 "$here/../../scripts/parse-results.py" --scan-console "$1" >/dev/null; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
check() { # check NAME EXPECTED_RC TEXT
	printf '%s\n' "$3" >"$tmp/log"
	scan "$tmp/log"
	local rc=$?
	if [ "$rc" = "$2" ]; then echo "ok - $1"; else echo "not ok - $1 (scanner exit $rc)"; fails=$((fails + 1)); fi
}
check "clean boot log passes" 0 "[    1.0] vfio_ap matrix: MDEV: Registered
[    1.2] ap: The hardware system does not support AP instructions"
check "WARNING fails" 1 "[    2.0] ------------[ cut here ]------------
[    2.0] WARNING: CPU: 0 PID: 1 at drivers/misc/lkdtm/bugs.c:100 lkdtm_WARNING+0x1a/0x20"
check "lockdep splat fails" 1 "[    3.0] WARNING: possible circular locking dependency detected"
check "BUG fails" 1 "[    4.0] BUG: sleeping function called from invalid context"
check "hung task fails" 1 "[  125.0] INFO: task sh:42 blocked for more than 120 seconds."
check "Rust panic fails" 1 "[    5.0] rust_kernel: panicked at src/state.rs:10:5"
check "KASAN fails" 1 "[    6.0] BUG: KASAN: slab-use-after-free in foo+0x1/0x2"
echo "# host console scanner: $fails failed"
[ $fails = 0 ]
