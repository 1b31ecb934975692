#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Fuzzing the mdev's sysfs interface (tests/progs/sysfs-fuzz): generated inputs for every
# writable attribute (2000 each; 10000 in long mode, make check-long), each answered with an errno or accepted, and
# every refusal leaving matrix, guest_matrix, control_domains and ap_config as they were.
# The seed is FUZZ_SEED (default fixed) and printed, so a failure reproduces.
. "$KTAP_LIB"
. "$(dirname "$KTAP_LIB")/ap-sim.sh"

U=5a1d0c2e-0000-4000-8000-000000000095
U2=5a1d0c2e-0000-4000-8000-000000000096
SEED=${FUZZ_SEED:-0x5eedfa11}
if [ "${VFIO_AP_LONG:-0}" = 1 ]; then COUNT=10000; else COUNT=2000; fi
COUNT=${FUZZ_COUNT:-$COUNT}
PLAN=3

ktap_header
ktap_plan $PLAN
sim_require $PLAN

ours_load
# Some queues released to vfio_ap and one held by another mdev, so that assignments are
# accepted, refused as host-reserved and refused as shared.
echo -1,-2,-3 > $AP/apmask
echo -6,-7,-8 > $AP/aqmask
echo $U > $MDEV_TYPE/create
echo $U2 > $MDEV_TYPE/create
echo 3 > $MATRIX/$U2/assign_adapter
echo 8 > $MATRIX/$U2/assign_domain
echo 2 > $MATRIX/$U/assign_adapter

# Refusals are logged; keep them off the (slow) console while fuzzing.
LOGLEVEL=$(cut -f1 /proc/sys/kernel/printk)
echo 1 > /proc/sys/kernel/printk
sysfs-fuzz "$SEED" "$COUNT" $MATRIX/$U > /tmp/fuzz.out 2>&1
RC=$?
echo "$LOGLEVEL" > /proc/sys/kernel/printk
sed 's/^/# /' /tmp/fuzz.out
ktap_check "$COUNT inputs per attribute (seed $SEED): no refusal changed the mdev" test $RC = 0
ktap_check "every attribute saw both accepted and refused inputs" \
	sh -c "grep -c ': [1-9][0-9]* accepted, [1-9][0-9]* refused' /tmp/fuzz.out | grep -qx 7"
ktap_check "the other mdev's queues were never taken" \
	test "$(cat $MATRIX/$U2/matrix)" = "03.0008"

ours_unload
ktap_finish
