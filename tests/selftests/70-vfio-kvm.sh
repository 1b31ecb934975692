#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The module's VFIO device and KVM attach, on the AP simulator and the KVM test mode: what
# QEMU does (tests/progs/vfio-ap-attach) programs the VM's CRYCB from guest_matrix, every
# hot plug and unplug (sysfs, queue binding, host configuration) reaches it at once and
# fires the configuration-change eventfd, unplugged queues are reset, closing clears the
# CRYCB, and removing an attached mdev asks userspace to let go through the request eventfd.
. "$KTAP_LIB"
. "$(dirname "$KTAP_LIB")/ap-sim.sh"
. "$(dirname "$KTAP_LIB")/attach.sh"

U=5a1d0c2e-0000-4000-8000-000000000070
U2=5a1d0c2e-0000-4000-8000-000000000071
M=$MATRIX/$U
M2=$MATRIX/$U2
PLAN=54

ktap_header
ktap_plan $PLAN
sim_require $PLAN
kvm_require $PLAN

matches() { test "$(crycb a apm-ids)|$(crycb a aqm-ids)" = "$(guest_ids $M)" -a "$(crycb_ids a)" = "$1"; }
events() { ask a "events $1" > /dev/null && answer a "events $1 " | cut -d' ' -f3; }
fired() { test "$(events 1)" -ge 1; }
zapped() { for q in "$@"; do test "$(sim_count $q zapq)" -ge 1 || return 1; done; }
status_is() { test "$(cat $AP/devices/$1/status)" = "$2"; }
refused() { test "$(ask a "$1")" = "err $1 $2"; }

# Adapters 1-3 and domains 6-7 for vfio_ap; U holds 02-03 x 0006-0007 and control domain 9,
# U2 holds 01 x 0006.
masks_default
sim_standard
modprobe zcrypt_cex4
modprobe vfio_ap
mdevs_for_vm $U $U2

ktap_check "each mdev has a VFIO device in an IOMMU group" \
	test -e /sys/bus/mdev/devices/$U/iommu_group -a -d /sys/bus/mdev/devices/$U/vfio-dev
attach_start a $U
ktap_check "QEMU's open of the mdev for a VM succeeds (group/container path)" \
	grep -q '^ready$' "$(attach_out a)"
ktap_check "CRYCB format 2 (MSAX3 + APXA)" test "$(crycb a format)" = 2
ktap_check "CRYCB APM/AQM equal guest_matrix" matches "02 03|0006 0007"
ktap_check "CRYCB ADM holds control domain 9" test "$(crycb a adm-ids)" = 0009
ktap_check "raw APM bits are MSB-0 (adapters 2, 3 = 0x30...)" \
	test "$(crycb a apm)" = 0x3000000000000000000000000000000000000000000000000000000000000000
ktap_check "the guest's queues are 'in use'" status_is 02.0006 "in use"
ktap_check "a queue of an mdev without a guest is only 'assigned'" status_is 01.0006 assigned
helper a info
ktap_check "GET_INFO: flags AP|RESET (0x21), 0 regions, 2 irqs" \
	test "$(answer a 'info ')" = "info flags 0x21 regions 0 irqs 2"
helper a "irqinfo 0"; helper a "irqinfo 1"
ktap_check "GET_IRQ_INFO 0 and 1: one eventfd each" \
	test "$(answer a 'irqinfo 0 ')$(answer a 'irqinfo 1 ')" = "irqinfo 0 flags 0x1 count 1irqinfo 1 flags 0x1 count 1"
ktap_check "GET_IRQ_INFO 2: EINVAL" refused "irqinfo 2" 22
ktap_check "SET_IRQS: eventfd for config changes" helper a "eventfd 1"
ktap_check "SET_IRQS: eventfd for device requests" helper a "eventfd 0"
ktap_check "SET_IRQS with a short argsz: EINVAL" refused "setirqs 16 0x24 1 0 1 5" 22
ktap_check "SET_IRQS with count 0: EINVAL" refused "setirqs 24 0x24 1 0 0 5" 22
ktap_check "SET_IRQS without TRIGGER: EINVAL" refused "setirqs 24 0x04 1 0 1 5" 22
ktap_check "SET_IRQS with fd -2: EINVAL" refused "setirqs 24 0x24 1 0 1 -2" 22
ktap_check "SET_IRQS with a closed fd: EBADF" refused "setirqs 24 0x24 1 0 1 999" 9
ktap_check "an unknown device ioctl: EOPNOTSUPP" refused "ioctl 3b70" 95
ktap_check "VFIO_DEVICE_FEATURE migration: ENOTTY (not migratable)" refused "feature 1" 25
ktap_check "a second mdev for the same VM: EPERM" refused "second $U2" 1
events 1 > /dev/null

sim clear-counters
echo 7 > $M/unassign_domain
ktap_check "unassign_domain hot-unplugs the domain from the CRYCB" matches "02 03|0006"
ktap_check "... fires the config-change eventfd" fired
ktap_check "... and resets the unplugged queues" zapped 02.0007 03.0007
echo 7 > $M/assign_domain
ktap_check "assign_domain hot-plugs it back" matches "02 03|0006 0007"
ktap_check "... fires the config-change eventfd" fired
echo 9 > $M/unassign_control_domain
ktap_check "unassign_control_domain empties the CRYCB ADM" test -z "$(crycb a adm-ids)"
echo 0x0c00000000000000000000000000000000000000000000000000000000000000,0x0300000000000000000000000000000000000000000000000000000000000000,0x0040000000000000000000000000000000000000000000000000000000000000 > $M/ap_config
ktap_check "an ap_config write reaches the CRYCB (adapters 4-5 absent: filtered)" \
	test "$(crycb_ids a)" = "|0006 0007" -a "$(crycb a adm-ids)" = 0009
echo 0x3000000000000000000000000000000000000000000000000000000000000000,0x0300000000000000000000000000000000000000000000000000000000000000,0x0040000000000000000000000000000000000000000000000000000000000000 > $M/ap_config
ktap_check "ap_config back to adapters 2-3" matches "02 03|0006 0007"

sim clear-counters
DBF=/sys/kernel/debug/s390dbf/vfio_ap
echo 6 > $DBF/level
sim del-adapter 3
ktap_check "host config removal of adapter 3 reaches the CRYCB" matches "02|0006 0007"
# The AP bus zeroizes a queue when it removes its device; the driver adds no reset of its own
# (the adapter is gone from the host: a reset would only answer "not available").
wait_until 30 test ! -e $AP/devices/03.0006 -a ! -e $AP/devices/03.0007
ktap_check "... and its queues get no reset beyond the AP bus's own at their removal" \
	test "$(sim_count 03.0006 zapq)$(sim_count 03.0007 zapq)" = 11
ktap_check "... and s390dbf records the guest's new AP configuration" \
	grep -q "mdev $U: guest AP configuration: 1 adapters, 2 domains, 1 control domains" $DBF/sprintf
echo 4 > $DBF/level
sim add-adapter 3/cex7c
ktap_check "adding it back hot-plugs it" matches "02 03|0006 0007"
sim clear-counters
echo 03.0006 > $AP/drivers/vfio_ap/unbind
ktap_check "unbinding queue 03.0006 takes adapter 3 from the guest" matches "02|0006 0007"
ktap_check "... and resets the adapter's other queue" zapped 03.0007
echo 03.0006 > $AP/drivers/vfio_ap/bind
ktap_check "binding it again gives adapter 3 back" matches "02 03|0006 0007"

sim clear-counters
ktap_check "VFIO_DEVICE_RESET succeeds" helper a reset
ktap_check "... and zeroizes every queue of the mdev" zapped 02.0006 02.0007 03.0006 03.0007
ktap_check "... leaving the CRYCB as it was" matches "02 03|0006 0007"

sim clear-counters
ktap_check "closing the device succeeds" helper a close
ktap_check "closing cleared the CRYCB" test -z "$(crycb a apm-ids)$(crycb a aqm-ids)$(crycb a adm-ids)"
ktap_check "closing reset the queues" zapped 02.0006 02.0007 03.0006 03.0007
ktap_check "the queues are 'assigned' after close" status_is 02.0006 assigned
ktap_check "opening again succeeds" helper a open
ktap_check "... and programs the CRYCB from guest_matrix" matches "02 03|0006 0007"
ktap_check "100 close/open cycles" helper a "cycle 100"
ktap_check "... end with the CRYCB equal to guest_matrix" matches "02 03|0006 0007"

# Removing the attached mdev blocks until QEMU lets go; meanwhile the guest loses its AP
# resources and the request eventfd fires.
helper a "eventfd 0"
echo 1 > $M/remove &
RM=$!
requested() { ask a "events 0" > /dev/null && test "$(answer a 'events 0 ' | cut -d' ' -f3)" -ge 1; }
ktap_check "removing the attached mdev fires the request eventfd" wait_until 10 requested
ktap_check "... and empties the guest's CRYCB at once" \
	test -z "$(crycb a apm-ids)$(crycb a aqm-ids)$(crycb a adm-ids)"
helper a close
wait $RM
ktap_check "once QEMU closes the device, the mdev is gone" test ! -e $M
attach_stop a

attach_start a --no-kvm $U2
ktap_check "open without a KVM: EINVAL" grep -q '^open-failed 22$' "$(attach_out a)"
attach_stop a

if [ -c /dev/iommu ]; then
	attach_start a --iommufd $U2
	ktap_check "iommufd cdev path: bind + attach open the device" grep -q '^ready$' "$(attach_out a)"
	M=$M2
	ktap_check "... and program the CRYCB" matches "01|0006"
	helper a close
	ktap_check "... closing clears it" test -z "$(crycb a apm-ids)"
	attach_stop a
else
	ktap_skip "iommufd cdev path" "no /dev/iommu"
	ktap_skip "iommufd CRYCB" "no /dev/iommu"
	ktap_skip "iommufd close" "no /dev/iommu"
fi

ours_unload
ktap_finish
