# SPDX-License-Identifier: GPL-2.0
# TAP helpers for the host tests (sourced): result, has, tap_done.

n=0
fails=0

# result OK DESC [DIAG]: one TAP line; DIAG is printed as comments on failure
result() {
	n=$((n + 1))
	if [ "$1" = 1 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		[ -z "${3:-}" ] || printf '%s\n' "$3" | sed 's/^/# /'
		fails=$((fails + 1))
	fi
}

# has DESC PATTERN TEXT: TEXT has a line matching the extended regex PATTERN
has() { if grep -Eq -- "$2" <<<"$3"; then result 1 "$1"; else result 0 "$1" "$3"; fi; }

# tap_done: the plan line; the exit status says whether every check passed
tap_done() {
	echo "1..$n"
	[ "$fails" = 0 ]
}
