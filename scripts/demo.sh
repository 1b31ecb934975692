#!/usr/bin/env bash
# `make demo`: boot the s390x guest with the module and walk through the vfio-ap example
# scenario (scripts/guest/demo/demo.sh), printing what happens at each step.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
REPO=$(cd "$here/.." && pwd)
out=$(mktemp -d "${TMPDIR:-/tmp}/vfio-ap-demo.XXXXXX")

VFIO_AP_EXTRA_TESTS= "$here/qemu-run.sh" --module "$REPO/vfio_ap.ko" \
	--tests "$REPO/scripts/guest/demo" --out "$out" >"$out/runner.log" 2>&1
echo "=== vfio_ap demo in an s390x guest (kernel $(cat "$("$here/kernel.sh" dir)/kernelrelease"), QEMU TCG) ==="
awk '/^# vfio-ap-test-begin/{on=1; next} /^# vfio-ap-test-end/{on=0} on' "$out/results.txt"
echo
if ! grep -q "^# vfio-ap-guest-done" "$out/results.txt" 2>/dev/null; then
	echo "demo: the guest did not finish; console log: $out/console.log"
	exit 1
fi
if ! python3 "$here/parse-results.py" --scan-console "$out/console.log"; then
	echo "demo: the kernel console shows the reports above; console log: $out/console.log"
	exit 1
fi
echo "demo: done; kernel console clean (log: $out/console.log)"
