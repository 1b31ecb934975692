#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Differential test of the VFIO/KVM side: one QEMU-like scenario (tests/progs/vfio-ap-attach)
# against the in-tree C vfio_ap ($REFERENCE_MODULE) and against the module under test, one
# loaded at a time in the same boot. Each step's answer (ok or errno), the VM's CRYCB after
# it, guest_matrix and whether the config-change eventfd fired must be the same.
# Left out, because this module differs on purpose (Documentation/admin-guide.rst):
# SET_IRQS with count 0, VFIO_DEVICE_RESET of checkstopped queues, removal while open.
. "$KTAP_LIB"
. "$(dirname "$KTAP_LIB")/ap-sim.sh"
. "$(dirname "$KTAP_LIB")/attach.sh"

U=0d1f0000-0000-4000-8000-000000000075
U2=0d1f0000-0000-4000-8000-000000000076
M=$MATRIX/$U

ktap_header
if [ ! -d $SIM ] || [ ! -f "$REFERENCE_MODULE" ] || [ ! -c /dev/kvm ]; then
	echo "1..0 # SKIP needs the AP simulator, the reference C module and /dev/kvm"
	exit 4
fi
ktap_plan 4

# step CMD: ask the helper and record the answer, the CRYCB and guest_matrix
step() {
	echo "$1: $(ask a "$1" | cut -d' ' -f1,$(( $(echo "$1" | wc -w) + 2 )))"
	state
}
state() {
	echo "  crycb $(crycb_ids a) adm $(crycb a adm-ids)"
	echo "  guest_matrix $(guest_ids $M)"
}
# fired: whether the config-change eventfd fired since the last look
fired() {
	ask a "events 1" > /dev/null
	if [ "$(answer a 'events 1 ' | cut -d' ' -f3)" -ge 1 ]; then echo "  fired"; else echo "  quiet"; fi
}
# sysfs WHAT VALUE FILE: a write outside the helper, then the state
sysfs() {
	echo "$1 $2: $( { echo "$2" > "$3"; } 2>&1 && echo ok)"
	state
	fired
}
# simulate CMD: a simulated host configuration change, then the state
simulate() {
	sim "$1"
	echo "sim $1"
	state
	fired
}

scenario() {
	masks_default
	sim_standard
	modprobe zcrypt_cex4
	"$@" || return 1
	mdevs_for_vm $U $U2
	attach_start a $U
	echo "open: $(grep -E '^(ready|open-failed)' "$(attach_out a)")"
	state
	echo "status $(cat $AP/devices/02.0006/status)"
	step info
	answer a "info "
	step "irqinfo 0"
	answer a "irqinfo 0 "
	step "irqinfo 1"
	answer a "irqinfo 1 "
	step "irqinfo 2"
	step "eventfd 1"
	step "setirqs 16 0x24 1 0 1 5"
	step "setirqs 24 0x04 1 0 1 5"
	step "setirqs 24 0x24 1 0 1 -2"
	step "setirqs 24 0x24 1 0 1 999"
	step "setirqs 24 0x24 2 0 1 5"
	step "ioctl 3b70"
	step "feature 1"
	step "second $U2"
	fired
	step memory
	echo "aqic on 02.0006: $(aqic_on a 0x0206 3 0x1000)  irq $(sim_qfield 02.0006 irq)"
	echo "aqic on again: $(aqic_on a 0x0206 3 0x1000)  irq $(sim_qfield 02.0006 irq)"
	echo "aqic off: $(aqic_off a 0x0206)  irq $(sim_qfield 02.0006 irq)"
	echo "aqic nib 0: $(aqic_on a 0x0206 3 0)"
	echo "aqic nib outside memory: $(aqic_on a 0x0206 3 0x200000)"
	echo "aqic other guest's queue: $(aqic_on a 0x0106 3 0x1000)"
	echo "aqic queue not assigned: $(aqic_on a 0x0406 3 0x1000)"
	echo "aqic on 03.0007: $(aqic_on a 0x0307 1 0x2000)  irq $(sim_qfield 03.0007 irq)"
	sysfs unassign_domain 7 $M/unassign_domain
	sysfs assign_domain 7 $M/assign_domain
	sysfs unassign_adapter 3 $M/unassign_adapter
	sysfs assign_adapter 3 $M/assign_adapter
	sysfs assign_adapter 4 $M/assign_adapter
	sysfs unassign_control_domain 9 $M/unassign_control_domain
	sysfs assign_control_domain 9 $M/assign_control_domain
	simulate "del-adapter 3"
	simulate "add-adapter 3/cex7c"
	simulate "del-domain 7"
	simulate "add-domain 7"
	# A change that concerns another mdev's adapter only: this guest's CRYCB stays, and
	# its config-change eventfd stays quiet (ours programs every guest on a host change,
	# and must find nothing to do for this one).
	simulate "del-adapter 1"
	simulate "add-adapter 1/cex8a"
	step reset
	echo "irq after reset $(sim_qfield 03.0007 irq)"
	# Release the trigger as QEMU does before closing: the C driver never drops one left set,
	# not even when the mdev is removed, so it would leak (ours drops it at close).
	step "noeventfd 1"
	step close
	echo "status $(cat $AP/devices/02.0006/status)"
	step open
	step "cycle 10"
	step close
	attach_stop a
	attach_start a --no-kvm $U
	echo "open without kvm: $(grep -E '^(ready|open-failed)' "$(attach_out a)")"
	attach_stop a
	for m in "$MATRIX"/*-*-*-*-*; do [ -e "$m/remove" ] && echo 1 > "$m/remove"; done
	masks_default
	rmmod vfio_ap
}

load_ref() { modprobe mdev && insmod "$REFERENCE_MODULE"; }
load_ours() { modprobe vfio_ap; }

[ ! -d /sys/module/vfio_ap ] || rmmod vfio_ap
scenario load_ref > /tmp/kvm-ref.txt 2>&1
ktap_check "scenario ran on the in-tree C driver" grep -q '^open: ready$' /tmp/kvm-ref.txt
scenario load_ours > /tmp/kvm-ours.txt 2>&1
ktap_check "scenario ran on this module" grep -q '^open: ready$' /tmp/kvm-ours.txt
ktap_check "the scenario covers 25 steps or more" test "$(grep -c '^  crycb' /tmp/kvm-ours.txt)" -ge 25
ktap_check "every answer, CRYCB, guest_matrix and eventfd is the same" \
	diff -u /tmp/kvm-ref.txt /tmp/kvm-ours.txt
sim_standard
ktap_finish
