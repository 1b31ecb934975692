#!/usr/bin/env bash
# The runner must fail a run whose tests all pass but whose kernel console shows a WARNING.
# Boots the guest with tests/runner-selftest only; exits 0 if the runner caught it.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$here/.." && pwd)
log=$(mktemp)
VFIO_AP_EXTRA_TESTS= "$here/qemu-run.sh" --tests "$REPO/tests/runner-selftest" >"$log" 2>&1
rc=$?
cat "$log"
if [ $rc != 0 ] && grep -q "WARNING:" "$log" && grep -q "01-runner-selftest/10-provoke-warning.sh: 1 passed" "$log"; then
	echo "ok: the runner failed a run with a kernel WARNING although its test passed"
	exit 0
fi
echo "not ok: the runner did not fail a run with a kernel WARNING (exit $rc)"
exit 1
