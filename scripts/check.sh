#!/usr/bin/env bash
# All tests: host unit tests, then the kselftests in the s390x guest, then the runner's own
# self-test (a run with a kernel WARNING must fail). Ends with one line "N passed, N failed"
# over everything and exits non-zero on any failure.
#
# Usage: scripts/check.sh [--host-only | --guest-only]
# Extra guest test directories: VFIO_AP_EXTRA_TESTS=dir1:dir2 (see README).
# Long mode (make check-long): VFIO_AP_LONG=1 runs the tests' long variants.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
REPO=$(cd "$here/.." && pwd)

mode=${1:-all}
start=$(date +%s)
passed=0
failed=0
skipped=0
log_dir=$(mktemp -d "${TMPDIR:-/tmp}/vfio-ap-check.XXXXXX")

# add P F [S]: fold one suite's counts into the totals
add() { passed=$((passed + $1)); failed=$((failed + $2)); skipped=$((skipped + ${3:-0})); }

host_tests() {
	info "host: cargo test (pure logic in src/model)"
	(cd "$REPO" && cargo test 2>&1) | tee "$log_dir/cargo.log"
	local p f
	p=$(sed -n 's/^test result: .* \([0-9]\+\) passed; \([0-9]\+\) failed.*/\1/p' "$log_dir/cargo.log" | paste -sd+ | bc)
	f=$(sed -n 's/^test result: .* \([0-9]\+\) passed; \([0-9]\+\) failed.*/\2/p' "$log_dir/cargo.log" | paste -sd+ | bc)
	if [ -z "$p" ]; then
		info "host: cargo test produced no result line"
		add 0 1
	else
		add "$p" "${f:-0}"
	fi

	info "host: console scanner verdicts"
	if "$REPO/tests/host/check-console-test.sh"; then add 1 0; else add 0 1; fi
	info "host: bench report pooling and verdict"
	if "$REPO/tests/host/bench-report-test.sh"; then add 1 0; else add 0 1; fi
	info "host: path-cost report (removals, splits, modes)"
	if "$REPO/tests/host/path-cost-report-test.sh"; then add 1 0; else add 0 1; fi
	info "host: documentation parses (docutils), README's commands exist"
	if "$REPO/tests/host/docs-test.sh"; then add 1 0; else add 0 1; fi
}

guest_tests() {
	local ko=$REPO/vfio_ap.ko out line
	out=$log_dir/guest
	info "guest: kselftests under qemu-system-s390x"
	local long=()
	if [ "${VFIO_AP_LONG:-0}" = 1 ]; then
		info "guest: long mode (vfio_ap_test.long): long stress, full fuzzing"
		long=(--append vfio_ap_test.long --timeout 14400 --test-timeout 10800)
	elif [ "${VFIO_AP_KERNEL:-default}" != default ]; then
		info "guest: kernel variant ${VFIO_AP_KERNEL}: slower, longer limits"
		long=(--timeout 5400 --test-timeout 1500)
	fi
	"$REPO/scripts/qemu-run.sh" --module "$ko" --out "$out" "${long[@]}" 2>&1 | tee "$log_dir/guest.log"
	local rc=${PIPESTATUS[0]}
	line=$(grep -E '^guest: [0-9]+ passed, [0-9]+ failed' "$log_dir/guest.log" | tail -n1)
	if [ -n "$line" ]; then
		# shellcheck disable=SC2046
		add $(echo "$line" | sed -E 's/^guest: ([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?.*/\1 \2 \4/')
	fi
	# A clean TAP count with a dirty console or a lost guest is still a failure.
	if [ "$rc" != 0 ]; then
		info "guest: runner failed (exit $rc): see $out/console.log"
		[ -n "$line" ] && echo "$line" | grep -q ' 0 failed' && add 0 1
		[ -n "$line" ] || add 0 1
	fi

	info "guest: runner self-test (a kernel WARNING must fail the run)"
	if "$REPO/scripts/runner-selftest.sh" >"$log_dir/runner-selftest.log" 2>&1; then
		add 1 0
		info "guest: runner self-test: ok"
	else
		add 0 1
		tail -n 30 "$log_dir/runner-selftest.log"
		info "guest: runner self-test: FAILED (log: $log_dir/runner-selftest.log)"
	fi
}

case "$mode" in
--host-only) host_tests ;;
--guest-only) guest_tests ;;
all) host_tests; guest_tests ;;
*) die "usage: $0 [--host-only|--guest-only]" ;;
esac

info "logs: $log_dir; took $(( $(date +%s) - start ))s"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
