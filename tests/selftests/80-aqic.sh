#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest AP interruptions: PQAP(AQIC) as KVM intercepts it, run through the KVM test mode's
# debugfs file "pqap" on vCPU 0 of a VM that has the mdev (tests/progs/vfio-ap-attach over
# iommufd, with guest memory mapped for DMA, as QEMU maps guest RAM). The group/container
# path pins the same way (75-kvm-differential.sh); its dma_unmap is not run here because
# VFIO's type1 IOMMU calls dma_unmap under a lock that its own unpinning nests the other way
# (lockdep reports it for any mdev driver that unpins there, the in-tree C driver too). The AP simulator shows what reached
# the real queue (IRQ enabled, ISC, NIB); resets, unmapping and closing must take the
# interruptions away and give back what enabling took (a leaked GISC registration makes KVM
# warn when the VM goes, which fails the run).
. "$KTAP_LIB"
. "$(dirname "$KTAP_LIB")/ap-sim.sh"
. "$(dirname "$KTAP_LIB")/attach.sh"

U=5a1d0c2e-0000-4000-8000-000000000080
U2=5a1d0c2e-0000-4000-8000-000000000081
M=$MATRIX/$U
PLAN=23

ktap_header
ktap_plan $PLAN
sim_require $PLAN
kvm_require $PLAN

answers() {
	local want=$1 got
	shift
	got=$("$@")
	[ "$got" = "$want" ] || { echo "got: $got"; return 1; }
}
# KVM answers by itself when no driver hook is installed, with the status word in the high
# half of GR1 (where its memcpy puts it) and condition code 3.
kvm_answers_01() {
	local out
	aqic_on a 0x0206 3 0x1000 > /dev/null
	out=$(cat "$(dirname "$(attach_crycb_path a)")/pqap")
	echo "$out" | grep -q '^ret 0 cc 3 gr1 0x00010000' || { echo "got: $out"; return 1; }
}
irq() { sim_qfield $1 irq; }
irq_on() { test "$(irq $1)" = 1 -a "$(sim_qfield $1 nib)" != 0x0; }
irq_off() { test "$(irq $1)" = 0; }

masks_default
sim_standard
modprobe zcrypt_cex4
modprobe vfio_ap
mdevs_for_vm $U $U2
attach_start a --iommufd $U
ktap_check "the VM has the mdev and a pqap trigger" \
	test -w "$(dirname "$(attach_crycb_path a)")/pqap" -a "$(crycb_ids a)" = "02 03|0006 0007"
ktap_check "guest memory is mapped for DMA into the device's IOAS" helper a memory

ktap_check "AQIC enable for 02.0006 (ISC 3, NIB 0x1000): rc 00, cc 0" \
	answers "ret 0 cc 0 rc 00" aqic_on a 0x0206 3 0x1000
ktap_check "... reaches the real queue: interruptions on, a host NIB" irq_on 02.0006
ktap_check "enabling again: rc 07 (already enabled), cc 3" \
	answers "ret 0 cc 3 rc 07" aqic_on a 0x0206 3 0x1000
ktap_check "... the queue keeps its interruptions" irq_on 02.0006
ktap_check "AQIC disable: rc 00, cc 0" answers "ret 0 cc 0 rc 00" aqic_off a 0x0206
ktap_check "... interruptions are off in the real queue" irq_off 02.0006
ktap_check "NIB 0: rc 06 (invalid address)" answers "ret 0 cc 3 rc 06" aqic_on a 0x0206 3 0
ktap_check "NIB outside guest memory: rc 06" answers "ret 0 cc 3 rc 06" aqic_on a 0x0206 3 0x200000
ktap_check "... and nothing reached the queue" irq_off 02.0006
ktap_check "another guest's queue (01.0006 of mdev $U2): rc 01" \
	answers "ret 0 cc 3 rc 01" aqic_on a 0x0106 3 0x1000
ktap_check "... untouched" irq_off 01.0006
ktap_check "a queue outside the guest's CRYCB (04.0006): rc 01" \
	answers "ret 0 cc 3 rc 01" aqic_on a 0x0406 3 0x1000
ktap_check "the refusal is in s390dbf" \
	grep -q "queue 02.0006 refused: the notification byte is not in guest memory" \
	/sys/kernel/debug/s390dbf/vfio_ap/sprintf

aqic_on a 0x0207 2 0x2000 > /dev/null
echo 7 > $M/unassign_domain
ktap_check "unassigning the domain resets the queue: interruptions off" irq_off 02.0007
echo 7 > $M/assign_domain
ktap_check "enabling works again after the hot plug" answers "ret 0 cc 0 rc 00" aqic_on a 0x0207 2 0x2000
helper a unmap
ktap_check "unmapping guest memory (dma_unmap) disables the queue's interruptions" irq_off 02.0007
helper a memory
aqic_on a 0x0306 1 0x3000 > /dev/null
helper a reset
ktap_check "VFIO_DEVICE_RESET takes the interruptions away" irq_off 03.0006
aqic_on a 0x0306 1 0x3000 > /dev/null
ktap_check "closing the device succeeds" helper a close
ktap_check "... and reset the interrupting queue" irq_off 03.0006
ktap_check "without the device open there is no hook: KVM answers rc 01 itself" kvm_answers_01
helper a open
helper a memory
aqic_on a 0x0206 3 0x1000 > /dev/null
# The VM goes with interruptions enabled: closing must give back the GISC registration,
# or KVM warns about the GISA's alert mask when the VM is destroyed.
attach_stop a
ktap_check "the VM went with the device open and interruptions enabled: queue reset" irq_off 02.0006

ours_unload
ktap_finish
