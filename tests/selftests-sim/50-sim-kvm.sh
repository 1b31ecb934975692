#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# KVM test mode (CONFIG_KVM_S390_TEST_NO_SIE) with the simulator: an mdev of the in-tree
# vfio_ap attached to a VM that never runs programs the VM's CRYCB from guest_matrix,
# follows configuration changes, and closing clears it and resets the queues.
# Needs the static helper vfio-ap-attach (built from vfio-ap-attach.c) in PATH.
. "$KTAP_LIB"
. "$(dirname "$KTAP_LIB")/ap-sim.sh"

U=5a1d0c2e-0000-4000-8000-000000000050
M=$MATRIX/$U
FIFO=/tmp/sim-kvm.cmd
OUT=/tmp/sim-kvm.out
PLAN=20

# crycb FIELD: a line of the VM's CRYCB view, without its name
crycb() { sed -n "s/^$1 //p" "$CRYCB"; }

# ask CMD: send CMD to vfio-ap-attach and print its answer ("ok CMD" or "err CMD ERRNO")
ask() {
	local n i=100 a
	n=$(wc -l < $OUT)
	echo "$1" >&3
	while [ $i -gt 0 ]; do
		a=$(tail -n +$((n + 1)) $OUT | grep -E "^(ok|err) $1( |\$)")
		if [ -n "$a" ]; then
			echo "$a"
			return 0
		fi
		i=$((i - 1))
		sleep 0.1
	done
	return 1
}
helper() { test "$(ask "$1")" = "ok $1"; }

# guest_ids: "APIDS|APQIS" from guest_matrix, as the CRYCB view prints them
guest_ids() {
	local a q
	a=$(cut -d. -f1 $M/guest_matrix | sort -u | tr '\n' ' ')
	q=$(cut -d. -f2 $M/guest_matrix | grep . | sort -u | tr '\n' ' ')
	echo "${a% }|${q% }"
}
crycb_ids() { echo "$(crycb apm-ids)|$(crycb aqm-ids)"; }
run_refused() { test "$(ask run)" = "err run 95"; }
info_ok() { helper info && grep -q '^info flags 0x21 regions 0 irqs 2$' $OUT; }
reopen_matches() { helper open && test "$(crycb_ids)" = "$(guest_ids)"; }

ktap_header
ktap_plan $PLAN
sim_require $PLAN
if [ ! -c /dev/kvm ] || ! command -v vfio-ap-attach > /dev/null; then
	i=0
	while [ $i -lt $PLAN ]; do
		ktap_skip "KVM attach test $((i + 1))" "no /dev/kvm or no vfio-ap-attach helper"
		i=$((i + 1))
	done
	ktap_finish
	exit 0
fi

ref_mdev_2x2 $U

rm -f $FIFO $OUT
mkfifo $FIFO
vfio-ap-attach $U < $FIFO > $OUT 2>&1 &
PID=$!
exec 3> $FIFO
ktap_check "a VM with a vCPU gets the mdev (vfio-ap-attach ready)" wait_until 20 grep -q '^ready$' $OUT
CRYCB=$(sed -n 's/^crycb //p' $OUT)
ktap_check "the VM has a CRYCB view in debugfs" test -r "$CRYCB"
ktap_check "CRYCB format 2 (MSAX3 + APXA from the simulated QCI)" test "$(crycb format)" = 2
ktap_check "CRYCB APM/AQM match guest_matrix" test "$(crycb_ids)" = "$(guest_ids)" \
	-a "$(crycb_ids)" = "02 03|0006 0007"
ktap_check "CRYCB ADM has control domain 9" test "$(crycb adm-ids)" = 0009
ktap_check "the raw APM bits are MSB-0 (adapters 2 and 3 = 0x30...)" \
	test "$(crycb apm)" = 0x3000000000000000000000000000000000000000000000000000000000000000
ktap_check "the queues are 'in use'" \
	test "$(cat $AP/devices/02.0006/status $AP/devices/03.0007/status)" = "$(printf 'in use\nin use')"
ktap_check "KVM's per-VM s390dbf area logged SET CRYCB" \
	grep -q "SET CRYCB: apm 3000000000000000" /sys/kernel/debug/s390dbf/kvm-$PID/sprintf
ktap_check "VFIO_DEVICE_GET_INFO: flags 0x21, no regions, 2 irqs" info_ok
ktap_check "KVM_RUN fails with EOPNOTSUPP (no SIE)" run_refused

sim del-adapter 3
ktap_check "config removal of adapter 3 reaches the CRYCB" test "$(crycb apm-ids)" = 02 \
	-a "$(crycb_ids)" = "$(guest_ids)"
sim add-adapter 3/cex7c
ktap_check "adding it back hot-plugs it into the CRYCB" test "$(crycb apm-ids)" = "02 03" \
	-a "$(crycb_ids)" = "$(guest_ids)"
echo 9 > $M/unassign_control_domain
ktap_check "unassigning a control domain updates the CRYCB ADM" test -z "$(crycb adm-ids)"

sim clear-counters
ktap_check "VFIO_DEVICE_RESET succeeds" helper reset
ktap_check "the reset zeroized every queue of the mdev" \
	test "$(sim_count 02.0006 zapq)" -ge 1 -a "$(sim_count 03.0007 zapq)" -ge 1

sim clear-counters
ktap_check "closing the device fd succeeds" helper close
ktap_check "closing cleared the CRYCB masks" \
	test -z "$(crycb apm-ids)$(crycb aqm-ids)$(crycb adm-ids)"
ktap_check "closing zeroized the queues" \
	test "$(sim_count 02.0007 zapq)" -ge 1 -a "$(sim_count 03.0006 zapq)" -ge 1
ktap_check "the queues are 'assigned' after close" test "$(cat $AP/devices/02.0006/status)" = assigned
ktap_check "opening again programs the CRYCB from guest_matrix" reopen_matches

echo quit >&3
exec 3>&-
wait $PID
rm -f $FIFO $OUT
ref_unload
masks_default
sim_standard
ktap_finish
