#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Simulator fidelity: queue resets (RAPQ/ZAPQ, reset in progress for a set number of
# TAPQ polls, a reset that never completes), injected response codes and the per-APQN
# instruction counters.
. "$KTAP_LIB"
. "$(dirname "$KTAP_LIB")/ap-sim.sh"

U=5a1d0c2e-0000-4000-8000-000000000040
M=$MATRIX/$U

reset_state() { cat $AP/devices/$1/reset; }
reset_done() { test "$(reset_state $1)" != "Reset in progress."; }

ktap_header
ktap_plan 17
sim_require 17

ref_unload 2>/dev/null
masks_default
sim_standard
modprobe zcrypt_cex4
wait_until 10 bindings_complete

sim clear-counters
echo 1 > $AP/devices/00.0004/reset
ktap_check "the queue's reset attribute issues one RAPQ" wait_until 5 \
	test "$(sim_count 00.0004 rapq)" = 1
ktap_check "no other queue was reset" test "$(sim_count 00.0005 rapq)$(sim_count 01.0004 rapq)" = 00
ktap_check "the reset completes (queue idle, online)" wait_until 5 reset_done 00.0004

sim "reset-polls 3; clear-counters"
echo 1 > $AP/devices/00.0005/reset
wait_until 5 reset_done 00.0005
ktap_check "with reset-polls 3, the AP bus polled with TAPQ until the reset completed" \
	test "$(sim_count 00.0005 tapq)" -ge 4
ktap_check "the queue is usable afterwards" test "$(sim_qfield 00.0005 rc)" = 00
sim reset-polls 0

sim "reset-hang 00.0006 on"
echo 1 > $AP/devices/00.0006/reset
sleep 1
ktap_check "a hanging reset keeps the queue in 'Reset in progress.'" \
	test "$(reset_state 00.0006)" = "Reset in progress."
ktap_check "the simulator reports rc 02 for it" test "$(sim_qfield 00.0006 rc)" = 02
sim "reset-hang 00.0006 off"
ktap_check "released, the reset completes" wait_until 5 reset_done 00.0006

# One-shot response codes.
# (the first TAPQ of a scan probes the adapter, the second the queue)
sim "clear-counters; inject 01.0004 0x01 tapq 2"
ktap_check "an injected fault is pending" test "$(sim_qfield 01.0004 inject)" = yes
echo 1 > $AP/scans
ktap_check "TAPQ rc 01 (not available) makes the AP bus drop the queue" test ! -e $AP/devices/01.0004
ktap_check "the fault was consumed" test "$(sim_qfield 01.0004 inject)" = no
echo 1 > $AP/scans
ktap_check "the next scan finds the queue again" test -e $AP/devices/01.0004

sim "inject 01.0005 0x05 rapq"
echo 1 > $AP/devices/01.0005/reset
ktap_check "RAPQ rc 05 (busy) puts the queue in the error state (online stays 1)" \
	wait_until 5 test "$(sim_qfield 01.0005 inject)" = no

# vfio_ap resets with ZAPQ when a queue leaves an mdev.
ref_load
echo -3 > $AP/apmask
echo $U > $MDEV_TYPE/create
echo 3 > $M/assign_adapter
echo 4 > $M/assign_domain
echo 5 > $M/assign_domain
sim clear-counters
echo 3 > $M/unassign_adapter
ktap_check "unassigning an adapter zeroizes its queues in guest_matrix (ZAPQ)" \
	test "$(sim_count 03.0004 zapq)" -ge 1 -a "$(sim_count 03.0005 zapq)" -ge 1
echo 3 > $M/assign_adapter
sim "clear-counters; reset-polls 2"
echo 1 > $M/remove
ktap_check "removing the mdev zeroizes its queues (ZAPQ)" \
	test "$(sim_count 03.0004 zapq)" -ge 1 -a "$(sim_count 03.0005 zapq)" -ge 1
ktap_check "vfio_ap polled the resets to completion (TAPQ)" \
	test "$(sim_count 03.0004 tapq)" -ge 3 -a "$(sim_qfield 03.0004 rc)" = 00
ktap_check "queues outside the mdev were not reset" test "$(sim_count 03.0006 zapq)" = 0

ref_unload
masks_default
sim_standard
ktap_finish
