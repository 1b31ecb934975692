#!/usr/bin/env bash
# The runner must fail a run whose tests all pass but whose kernel console shows a WARNING.
#
# Boots the guest with tests/runner-selftest only (giving --tests replaces the default
# tests/selftests; VFIO_AP_EXTRA_TESTS is cleared), where 10-provoke-warning.sh makes lkdtm
# raise a WARNING and reports "ok". Prints "ok"/"not ok" and exits 0 only if the runner
# exited non-zero, its TAP count for the test was clean, and its output names the WARNING.
# Extra arguments go to qemu-run.sh (e.g. --out DIR).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$here/.." && pwd)
log=$(mktemp "${TMPDIR:-/tmp}/vfio-ap-runner-selftest.XXXXXX")

echo "runner-selftest: running scripts/qemu-run.sh --tests tests/runner-selftest $*"
set +e
VFIO_AP_EXTRA_TESTS='' "$here/qemu-run.sh" --tests "$REPO/tests/runner-selftest" "$@" >"$log" 2>&1
rc=$?
set -e
cat "$log"

problems=()
[ "$rc" != 0 ] || problems+=("the runner exited 0")
grep -q "WARNING:" "$log" || problems+=("the runner's output does not show the WARNING")
grep -Eq "10-provoke-warning\.sh: [1-9][0-9]* passed, 0 failed" "$log" \
	|| problems+=("the provoking test itself did not pass, so the check proves nothing")
grep -Eq "^guest: [0-9]+ passed, [1-9][0-9]* failed" "$log" \
	|| problems+=("the final 'guest:' line does not count a failure")
rm -f "$log"

if [ ${#problems[@]} = 0 ]; then
	echo "ok 1 runner fails a run with a kernel WARNING although its test passed (runner exit $rc)"
	exit 0
fi
echo "not ok 1 runner fails a run with a kernel WARNING although its test passed (runner exit $rc)"
printf '# %s\n' "${problems[@]}"
exit 1
