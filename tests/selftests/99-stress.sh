#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Concurrent stress (tests/progs/vfio-ap-stress.c): eight writers at once doing random
# assign/unassign, ap_config writes, mdev create/remove, apmask/aqmask flips, queue
# unbind/bind, simulated host configuration changes, and a VM opening and closing an mdev.
# Four times a second the checker takes the writers' lock and asserts the promise: no APQN in
# two mdevs' matrix, a guest_matrix only inside its matrix and never holding a queue reserved
# for the host, the VM's CRYCB equal to its mdev's guest_matrix while it holds the device, and
# no queue bound to a host (zcrypt) driver in the CRYCB.
# Bounded: STRESS_SECONDS (default 60) or, in long mode (make check-long), 100000 operations.
. "$KTAP_LIB"
. "$(dirname "$KTAP_LIB")/ap-sim.sh"
. "$(dirname "$KTAP_LIB")/attach.sh"

A=5a1d0c2e-0000-4000-8000-0000000000a1
B=5a1d0c2e-0000-4000-8000-0000000000b2
C=5a1d0c2e-0000-4000-8000-0000000000c3
D=5a1d0c2e-0000-4000-8000-0000000000d4
SEED=${STRESS_SEED:-0x5eed57e55}
if [ "${VFIO_AP_LONG:-0}" = 1 ]; then
	LIMITS="--seconds ${STRESS_SECONDS:-10000} --ops ${STRESS_OPS:-100000}"
	MIN_OPS=${STRESS_OPS:-100000}
else
	LIMITS="--seconds ${STRESS_SECONDS:-60}"
	MIN_OPS=200
fi
PLAN=7
OUT=/tmp/stress.out

ktap_header
ktap_plan $PLAN
sim_require $PLAN
kvm_require $PLAN
command -v vfio-ap-stress > /dev/null || ktap_skip_all $PLAN "no vfio-ap-stress program"

ours_load
echo -1,-2,-3 > $AP/apmask
echo -5,-6,-7,-8 > $AP/aqmask
for m in $A $B $C; do echo $m > $MDEV_TYPE/create; done
echo 1 > $MATRIX/$A/assign_adapter
echo 5 > $MATRIX/$A/assign_domain

# shellcheck disable=SC2086
vfio-ap-stress --seed "$SEED" $LIMITS $A $B $C $D > $OUT 2>&1
RC=$?
sed 's/^/# /' $OUT
TOTAL=$(sed -n 's/^stress: \([0-9]*\) operations.*/\1/p' $OUT)
CHECKS=$(sed -n 's/.* \([0-9]*\) checks, .*/\1/p' $OUT)
VIOLATIONS=$(sed -n 's/.* checks, \([0-9]*\) violations$/\1/p' $OUT)

ktap_check "the stress program ran to its limit (exit $RC, seed $SEED)" test "$RC" = 0
ktap_check "the writers did at least $MIN_OPS operations (${TOTAL:-none})" \
	test "${TOTAL:-0}" -ge $MIN_OPS
ktap_check "every writer got work done" \
	sh -c "test \$(grep -c '^stress: writer .*: [1-9][0-9]* operations' $OUT) = 8"
ktap_check "the checker ran during the stress (${CHECKS:-0} times)" test "${CHECKS:-0}" -ge 10
ktap_check "no violation of the ownership rules (${VIOLATIONS:-?} in ${CHECKS:-0} checks)" \
	test "${VIOLATIONS:-1}" = 0
attach_start a $A
ktap_check "after the stress a VM can open the mdev and sees its guest_matrix" \
	test "$(crycb_ids a)" = "$(guest_ids $MATRIX/$A)"
attach_stop a
for m in "$MATRIX"/*-*-*-*-*; do [ -e "$m/remove" ] && echo 1 > "$m/remove"; done
masks_default
ktap_check "the module unloads after the stress" rmmod vfio_ap
sim_standard
rm -f $OUT
ktap_finish
