#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# KVM test mode (CONFIG_KVM_S390_TEST_NO_SIE) with the simulator: an mdev of the in-tree
# vfio_ap attached to a VM that never runs programs the VM's CRYCB from guest_matrix,
# follows configuration changes, and closing clears it and resets the queues.
# Needs the static helper vfio-ap-attach (built from vfio-ap-attach.c) in PATH.
. "$KTAP_LIB"
. "$(dirname "$KTAP_LIB")/ap-sim.sh"
. "$(dirname "$KTAP_LIB")/attach.sh"

U=5a1d0c2e-0000-4000-8000-000000000050
M=$MATRIX/$U
PLAN=22

run_refused() { test "$(ask a run)" = "err run 95"; }
info_ok() { helper a info && test "$(answer a 'info ')" = "info flags 0x21 regions 0 irqs 2"; }
reopen_matches() { helper a open && test "$(crycb_ids a)" = "$(guest_ids $M)"; }

ktap_header
ktap_plan $PLAN
sim_require $PLAN
kvm_require $PLAN

ref_mdev_2x2 $U

attach_start a $U
ktap_check "a VM with a vCPU gets the mdev (vfio-ap-attach ready)" grep -q '^ready$' "$(attach_out a)"
CRYCB=$(attach_crycb_path a)
PID=$(attach_pid a)
ktap_check "the VM has a CRYCB view in debugfs" test -r "$CRYCB"
ktap_check "CRYCB format 2 (MSAX3 + APXA from the simulated QCI)" test "$(crycb a format)" = 2
ktap_check "CRYCB APM/AQM match guest_matrix" test "$(crycb_ids a)" = "$(guest_ids $M)" \
	-a "$(crycb_ids a)" = "02 03|0006 0007"
ktap_check "CRYCB ADM has control domain 9" test "$(crycb a adm-ids)" = 0009
ktap_check "the raw APM bits are MSB-0 (adapters 2 and 3 = 0x30...)" \
	test "$(crycb a apm)" = 0x3000000000000000000000000000000000000000000000000000000000000000
ktap_check "the queues are 'in use'" \
	test "$(cat $AP/devices/02.0006/status $AP/devices/03.0007/status)" = "$(printf 'in use\nin use')"
ktap_check "KVM's per-VM s390dbf area logged SET CRYCB" \
	grep -q "SET CRYCB: apm 3000000000000000" /sys/kernel/debug/s390dbf/kvm-$PID/sprintf
ktap_check "VFIO_DEVICE_GET_INFO: flags 0x21, no regions, 2 irqs" info_ok
ktap_check "KVM_RUN fails with EOPNOTSUPP (no SIE)" run_refused

changed0=$(crycb a changed-ns)
sim del-adapter 3
ktap_check "config removal of adapter 3 reaches the CRYCB" test "$(crycb a apm-ids)" = 02 \
	-a "$(crycb_ids a)" = "$(guest_ids $M)"
changed1=$(crycb a changed-ns)
ktap_check "the view's changed-ns moved on, after the AP bus saw the change" \
	test "$changed1" -gt "$changed0" -a "$changed1" -ge "$(sim_qci_changed)"
echo 1 > $AP/scans
ktap_check "a scan that changes nothing leaves changed-ns alone" \
	test "$(crycb a changed-ns)" = "$changed1"
sim add-adapter 3/cex7c
ktap_check "adding it back hot-plugs it into the CRYCB" test "$(crycb a apm-ids)" = "02 03" \
	-a "$(crycb_ids a)" = "$(guest_ids $M)"
echo 9 > $M/unassign_control_domain
ktap_check "unassigning a control domain updates the CRYCB ADM" test -z "$(crycb a adm-ids)"

sim clear-counters
ktap_check "VFIO_DEVICE_RESET succeeds" helper a reset
ktap_check "the reset zeroized every queue of the mdev" \
	test "$(sim_count 02.0006 zapq)" -ge 1 -a "$(sim_count 03.0007 zapq)" -ge 1

sim clear-counters
ktap_check "closing the device fd succeeds" helper a close
ktap_check "closing cleared the CRYCB masks" \
	test -z "$(crycb a apm-ids)$(crycb a aqm-ids)$(crycb a adm-ids)"
ktap_check "closing zeroized the queues" \
	test "$(sim_count 02.0007 zapq)" -ge 1 -a "$(sim_count 03.0006 zapq)" -ge 1
ktap_check "the queues are 'assigned' after close" test "$(cat $AP/devices/02.0006/status)" = assigned
ktap_check "opening again programs the CRYCB from guest_matrix" reopen_matches

attach_stop a
ref_unload
masks_default
sim_standard
ktap_finish
