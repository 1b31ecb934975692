#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Lifecycle: load/unload cycles with mdevs, unloading with mdevs left (as the C driver, the
# module removes them), checkstopped and deconfigured cards under an attached guest, and a
# queue reset that never completes while a guest lets go of its queues.
. "$KTAP_LIB"
. "$(dirname "$KTAP_LIB")/ap-sim.sh"
. "$(dirname "$KTAP_LIB")/attach.sh"

U=5a1d0c2e-0000-4000-8000-000000000090
U2=5a1d0c2e-0000-4000-8000-000000000091
M=$MATRIX/$U
CYCLES=${LIFECYCLE_CYCLES:-100}
PLAN=14

ktap_header
ktap_plan $PLAN
sim_require $PLAN

masks_default
sim_standard
modprobe zcrypt_cex4
[ ! -d /sys/module/vfio_ap ] || rmmod vfio_ap
echo -1,-2,-3 > $AP/apmask
echo -6,-7 > $AP/aqmask

cycles() {
	local i=0
	while [ $i -lt "$CYCLES" ]; do
		modprobe vfio_ap || return 1
		echo $U > $MDEV_TYPE/create && echo $U2 > $MDEV_TYPE/create || return 1
		echo 2 > $M/assign_adapter && echo 6 > $M/assign_domain || return 1
		echo 1 > $MATRIX/$U2/remove || return 1
		echo 1 > $M/remove || return 1
		rmmod vfio_ap || return 1
		i=$((i + 1))
	done
}
ktap_check "$CYCLES load / create 2 mdevs / assign / remove / unload cycles" cycles
ktap_check "... the queues are back with no driver bound twice" \
	test "$(drv 02.0006)" = "" -o "$(drv 02.0006)" = cex4queue
wait_until 10 bindings_complete

modprobe vfio_ap
echo $U > $MDEV_TYPE/create
echo 2 > $M/assign_adapter
echo 6 > $M/assign_domain
ktap_check "unloading with an mdev left succeeds and removes it (as the C driver)" \
	sh -c "rmmod vfio_ap && test ! -d $MATRIX"
ktap_check "... leaving the queue unbound from vfio_ap" test "$(drv 02.0006)" != vfio_ap

modprobe vfio_ap
mdevs_for_vm $U $U2
attach_start a $U
ktap_check "a guest has the mdev" test "$(crycb_ids a)" = "02 03|0006 0007"
sim "checkstop 3 on"
ktap_check "checkstopping card 3 keeps it in the guest (the guest sees rc 04 itself)" \
	test "$(crycb_ids a)" = "02 03|0006 0007"
sim "checkstop 3 off"
sim "config 3 off"
ktap_check "deconfiguring card 3 keeps the guest consistent with guest_matrix" \
	test "$(crycb_ids a)" = "$(guest_ids $M)"
sim "config 3 on"
wait_until 10 bindings_complete
ktap_check "configuring it again: the CRYCB equals guest_matrix" \
	wait_until 10 sh -c "test \"\$(sed -n 's/^apm-ids //p' $(attach_crycb_path a))\" = '02 03'"

sim "reset-hang 02.0007 on"
T0=$(date +%s)
ktap_check "closing with a queue whose reset never completes returns" helper a close
ktap_check "... within 10 s (the wait is bounded)" test $(( $(date +%s) - T0 )) -le 10
ktap_check "... the stuck queue is kept from every guest (adapter 2 withheld)" \
	test "$(guest_ids $M)" = "03|0006 0007"
ktap_check "... and the kernel log says so" \
	sh -c "dmesg | grep -q 'queue 02.0007 did not reset; no guest gets it'"
sim "reset-hang 02.0007 off"
echo 02.0007 > $AP/drivers/vfio_ap/unbind
echo 02.0007 > $AP/drivers/vfio_ap/bind
ktap_check "unbinding and binding it again gives the adapter back" \
	test "$(guest_ids $M)" = "02 03|0006 0007"
helper a open
ktap_check "a new open gets the whole view" test "$(crycb_ids a)" = "02 03|0006 0007"
attach_stop a

ours_unload
ktap_finish
