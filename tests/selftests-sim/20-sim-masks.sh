#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Simulator fidelity: apmask/aqmask move simulated queues between zcrypt (cex4queue)
# and the in-tree vfio_ap, with the resets the AP bus does on the way.
. "$KTAP_LIB"
. "$(dirname "$KTAP_LIB")/ap-sim.sh"

U=5a1d0c2e-0000-4000-8000-000000000020
M=$MATRIX/$U

# drivers APQN...: the drivers of the queues, separated by blanks
drivers() {
	local q out=
	for q in "$@"; do
		out="$out $(drv "$q")"
	done
	echo $out
}

ktap_header
ktap_plan 16
sim_require 16

ref_unload 2>/dev/null
masks_default
sim_standard
ktap_check "reference vfio_ap loads (after zcrypt_cex4 and mdev)" ref_load
ktap_check "bindings complete with all queues on cex4queue" wait_until 10 bindings_complete
sim clear-counters
ktap_check "apmask -2 is accepted" sh -c "echo -2 > $AP/apmask"
ktap_check "adapter 2's queues move to vfio_ap" test "$(drivers 02.0004 02.0006 02.0008)" = \
	"vfio_ap vfio_ap vfio_ap"
ktap_check "other adapters' queues stay on cex4queue" test "$(drivers 01.0004 03.0008)" = \
	"cex4queue cex4queue"
ktap_check "the card stays on cex4card" test "$(drv card02)" = cex4card
ktap_check "leaving cex4queue, each queue was zeroized (ZAPQ)" \
	test "$(sim_count 02.0004 zapq)" -ge 1 -a "$(sim_count 02.0008 zapq)" -ge 1
ktap_check "queues that did not move were not reset" test "$(sim_count 01.0004 zapq)" = 0
ktap_check "aqmask -5 is accepted" sh -c "echo -5 > $AP/aqmask"
ktap_check "domain 5 queues are on vfio_ap" test "$(drivers 00.0005 01.0005 03.0005)" = \
	"vfio_ap vfio_ap vfio_ap"

echo $U > $MDEV_TYPE/create
echo 2 > $M/assign_adapter
echo 4 > $M/assign_domain
ktap_check "an mdev gets adapter 2 and domain 4" test "$(cat $M/matrix)" = 02.0004
write_expect EBUSY +2 $AP/apmask
ktap_check "the refused apmask leaves adapter 2 with vfio_ap" test "$(drv 02.0004)" = vfio_ap

echo 1 > $M/remove
sim clear-counters
ktap_check "apmask +2 and aqmask +5 give the queues back" \
	sh -c "echo +2 > $AP/apmask && echo +5 > $AP/aqmask"
ktap_check "all moved queues are on cex4queue again" \
	test "$(drivers 02.0004 02.0006 00.0005 03.0005)" = "cex4queue cex4queue cex4queue cex4queue"
ktap_check "leaving vfio_ap, the queues were zeroized" \
	test "$(sim_count 02.0006 zapq)" -ge 1 -a "$(sim_count 03.0005 zapq)" -ge 1

ref_unload
masks_default
ktap_finish
