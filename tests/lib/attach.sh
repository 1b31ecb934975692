# SPDX-License-Identifier: GPL-2.0
#
# Driving tests/progs/vfio-ap-attach (a QEMU stand-in that gives an mdev to a VM of the KVM
# test mode) from shell tests; sourced, not a test itself.
#
#   attach_start NAME [OPTIONS] UUID   start it; NAME keys its files (several may run)
#   ask NAME CMD                       send CMD, print its answer ("ok CMD" / "err CMD ERRNO")
#   helper NAME CMD                    ask, and succeed if the answer is "ok CMD"
#   answer NAME PREFIX                 the newest output line starting with PREFIX
#   crycb NAME FIELD                   a field of the VM's CRYCB view (apm-ids, aqm-ids, ...)
#   crycb_ids NAME                     "APIDS|APQIS" of the CRYCB
#   guest_ids MDEV_DIR                 "APIDS|APQIS" of the mdev's guest_matrix
#   attach_pid NAME                    its process ID (KVM names the VM's debug files by it)
#   attach_stop NAME                   quit it and wait
#   pqap NAME GR0 GR1 GR2             run PQAP on the VM's vCPU 0 (KVM test mode debugfs
#                                      file "pqap"); prints "ret R cc C rc RC"
#   aqic_on NAME 0xAAQQ ISC NIB        the guest's PQAP(AQIC) enabling interruptions of AA.QQQQ
#   aqic_off NAME 0xAAQQ               ... disabling them
#   kvm_require N                      without /dev/kvm or the helper, skip the N planned tests
#   mdevs_for_vm U U2                  the standard simulator setup with the driver loaded:
#                                      U holds 02-03 x 0006-0007 and control domain 9,
#                                      U2 holds 01 x 0006

attach_out() { echo "/tmp/attach-$1.out"; }

attach_start() {
	local name=$1 fifo
	shift
	fifo=/tmp/attach-$name.cmd
	rm -f "$fifo" "$(attach_out "$name")"
	mkfifo "$fifo"
	vfio-ap-attach "$@" < "$fifo" > "$(attach_out "$name")" 2>&1 &
	eval "ATTACH_PID_$name=$!"
	eval "exec $(attach_fd "$name")> $fifo"
	wait_until 20 grep -qE '^(ready|open-failed|error)' "$(attach_out "$name")"
}

# Each helper instance writes to its own file descriptor (3, 4, ...), named by its NAME.
attach_fd() {
	case $1 in
	a) echo 3 ;;
	b) echo 4 ;;
	*) echo 5 ;;
	esac
}

ask() {
	local name=$1 cmd=$2 out n i=200 a
	out=$(attach_out "$name")
	n=$(wc -l < "$out")
	echo "$cmd" >&"$(attach_fd "$name")"
	while [ $i -gt 0 ]; do
		a=$(tail -n +$((n + 1)) "$out" |
			awk -v c="$cmd" '$0 == "ok " c || index($0, "err " c " ") == 1 { print; exit }')
		if [ -n "$a" ]; then
			echo "$a"
			return 0
		fi
		i=$((i - 1))
		sleep 0.1
	done
	echo "no answer to '$cmd'"
	return 1
}

helper() { test "$(ask "$1" "$2")" = "ok $2"; }

answer() { grep "^$2" "$(attach_out "$1")" | tail -n1; }

attach_pid() { eval "echo \$ATTACH_PID_$1"; }

attach_crycb_path() { sed -n 's/^crycb //p' "$(attach_out "$1")"; }

crycb() { sed -n "s/^$2 //p" "$(attach_crycb_path "$1")"; }

crycb_ids() { echo "$(crycb "$1" apm-ids)|$(crycb "$1" aqm-ids)"; }

guest_ids() {
	local a q
	a=$(cut -d. -f1 "$1/guest_matrix" | grep . | sort -u | tr '\n' ' ')
	q=$(cut -d. -f2 "$1/guest_matrix" | grep . | sort -u | tr '\n' ' ')
	echo "${a% }|${q% }"
}

attach_stop() {
	local pid
	eval "pid=\$ATTACH_PID_$1"
	echo quit >&"$(attach_fd "$1")"
	eval "exec $(attach_fd "$1")>&-"
	wait "$pid"
	rm -f "/tmp/attach-$1.cmd"
}

mdevs_for_vm() {
	local m=$MATRIX/$1 a d
	wait_until 10 bindings_complete
	echo -1,-2,-3 > $AP/apmask
	echo -6,-7 > $AP/aqmask
	echo "$1" > $MDEV_TYPE/create
	echo "$2" > $MDEV_TYPE/create
	for a in 2 3; do echo $a > $m/assign_adapter; done
	for d in 6 7; do echo $d > $m/assign_domain; done
	echo 9 > $m/assign_control_domain
	echo 1 > $MATRIX/$2/assign_adapter
	echo 6 > $MATRIX/$2/assign_domain
}

pqap() {
	local f out gr1
	f=$(dirname "$(attach_crycb_path "$1")")/pqap
	printf '%x %x %x\n' "$2" "$3" "$4" > "$f" || return 1
	out=$(cat "$f")
	gr1=$(echo "$out" | sed -n 's/.* gr1 0x\([0-9a-f]*\)$/\1/p')
	echo "$out" | sed -n "s/^ret \([-0-9]*\) cc \([0-9]\) .*/ret \1 cc \2 rc $(printf %02x $(( (0x$gr1 >> 16) & 0xff )))/p"
}

aqic_on() { pqap "$1" $((0x03000000 | $2)) $(( (1 << 47) | $3 )) "$4"; }
aqic_off() { pqap "$1" $((0x03000000 | $2)) 0 0; }

kvm_require() {
	if [ ! -c /dev/kvm ] || ! command -v vfio-ap-attach > /dev/null; then
		ktap_skip_all "$1" "no /dev/kvm or no vfio-ap-attach helper"
	fi
}
