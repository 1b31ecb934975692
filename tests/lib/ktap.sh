# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# KTAP output for the guest's shell tests (busybox ash). Source it, then:
#
#   ktap_header; ktap_plan N
#   ktap_pass DESC | ktap_fail DESC | ktap_skip DESC REASON
#   ktap_check DESC CMD...               pass if CMD succeeds
#   write_expect ERRNO VALUE FILE        pass if writing VALUE to FILE fails with ERRNO
#   write_ok VALUE FILE                  pass if writing VALUE to FILE succeeds
#   ktap_finish                          totals; exit 1 on any failure, 4 if all skipped
#
# Counters live in shell variables: call these from the test's own shell, not a subshell.

KTAP_N=0
KTAP_PASS=0
KTAP_FAIL=0
KTAP_SKIP=0

ktap_header() { echo "KTAP version 1"; }
ktap_plan() { echo "1..$1"; }

ktap_pass() {
	KTAP_N=$((KTAP_N + 1)); KTAP_PASS=$((KTAP_PASS + 1))
	echo "ok $KTAP_N $1"
}

ktap_fail() {
	KTAP_N=$((KTAP_N + 1)); KTAP_FAIL=$((KTAP_FAIL + 1))
	echo "not ok $KTAP_N $1"
}

ktap_skip() {
	KTAP_N=$((KTAP_N + 1)); KTAP_SKIP=$((KTAP_SKIP + 1))
	echo "ok $KTAP_N $1 # SKIP $2"
}

# ktap_check DESC CMD...: runs CMD, shows its output as diagnostics when it fails.
ktap_check() {
	_desc=$1; shift
	if _out=$("$@" 2>&1); then
		ktap_pass "$_desc"
	else
		ktap_fail "$_desc"
		[ -n "$_out" ] && echo "$_out" | sed 's/^/# /'
		echo "# command: $*"
	fi
}

# errno_text NAME: the C library's message for an errno name (glibc wording).
errno_text() {
	case $1 in
	EPERM) echo "Operation not permitted" ;;
	ENOENT) echo "No such file or directory" ;;
	EIO) echo "Input/output error" ;;
	EBADF) echo "Bad file descriptor" ;;
	EACCES) echo "Permission denied" ;;
	EBUSY) echo "Device or resource busy" ;;
	EEXIST) echo "File exists" ;;
	ENODEV) echo "No such device" ;;
	EINVAL) echo "Invalid argument" ;;
	EFBIG) echo "File too large" ;;
	ERANGE) echo "Numerical result out of range" ;;
	EUSERS) echo "Too many users" ;;
	EOPNOTSUPP) echo "Operation not supported" ;;
	EADDRINUSE) echo "Address already in use" ;;
	EADDRNOTAVAIL) echo "Cannot assign requested address" ;;
	*) echo "unknown errno name $1" ;;
	esac
}

# write_expect ERRNO VALUE FILE: one write(2) of VALUE (no newline added) must fail with
# ERRNO. busybox's echo reports write errors with strerror; its printf stays silent.
# busybox echo knows -n, the only flag used here.
# shellcheck disable=SC3037
write_expect() {
	_want=$(errno_text "$1")
	if _err=$( { echo -n "$2" >"$3"; } 2>&1); then
		ktap_fail "write '$2' to ${3##*/} fails with $1"
		echo "# the write succeeded"
	elif echo "$_err" | grep -q "$_want"; then
		ktap_pass "write '$2' to ${3##*/} fails with $1"
	else
		ktap_fail "write '$2' to ${3##*/} fails with $1"
		echo "# got: $_err"
	fi
}

# write_ok VALUE FILE: one write of VALUE must succeed.
# shellcheck disable=SC3037
write_ok() {
	if _err=$( { echo -n "$1" >"$2"; } 2>&1); then
		ktap_pass "write '$1' to ${2##*/}"
	else
		ktap_fail "write '$1' to ${2##*/}"
		echo "# got: $_err"
	fi
}

# ktap_skip_all N REASON: skip the N planned tests for REASON and finish
ktap_skip_all() {
	_i=0
	while [ $_i -lt "$1" ]; do
		ktap_skip "test $((_i + 1))" "$2"
		_i=$((_i + 1))
	done
	ktap_finish
}

ktap_finish() {
	echo "# Totals: pass:$KTAP_PASS fail:$KTAP_FAIL skip:$KTAP_SKIP"
	[ "$KTAP_FAIL" = 0 ] || exit 1
	[ "$KTAP_PASS" = 0 ] && [ "$KTAP_SKIP" != 0 ] && exit 4
	exit 0
}
