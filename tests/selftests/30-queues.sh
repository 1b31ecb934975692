#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The module's AP queue driver on the test kernel's AP simulator: host reservations
# (apmask/aqmask), queue binding and status, over-provisioning, guest_matrix filtering, and
# host configuration changes. Skipped without the simulator.
. "$KTAP_LIB"
. "$(dirname "$KTAP_LIB")/ap-sim.sh"

TYPE=$MDEV_TYPE
A=7d1e2c3b-4a59-4687-9a0b-1c2d3e4f5a01
MA=$MATRIX/$A
ALL=0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff

ktap_header
if [ ! -d $SIM ]; then
	echo "1..0 # SKIP no AP simulator in this kernel"
	exit 4
fi
ktap_plan 28

same() { [ "$(cat "$1")" = "$(printf "$2")" ]; }
driver_of() { basename "$(readlink $AP/devices/$1/driver 2>/dev/null)" 2>/dev/null; }
logged() { dmesg | grep -q "$1"; }

# Adapters 0-3 (two CEX8A, a CEX7C, a CEX6P), usage domains 4-8; host drivers bound.
sim "del-adapter 0-255; del-domain 0-255; clear-faults; reset-polls 0; events on"
sim "add-adapter 0-1/cex8a,2/cex7c,3/cex6p; add-domain 4-8; add-cdom 4-9"
modprobe zcrypt_cex4
ktap_check "vfio_ap loads with its AP queue driver" \
	sh -c "modprobe vfio_ap && test -d $AP/drivers/vfio_ap"
ktap_check "with the default masks the host keeps every queue" \
	test "$(driver_of 01.0005)" = cex4queue
echo $A >$TYPE/create

write_ok 5 $MA/assign_domain
write_expect EADDRNOTAVAIL 1 $MA/assign_adapter
ktap_check "the refusal names the host-reserved queue" logged "queue 01.0005 is reserved for the host"

ktap_check "releasing adapters 1 and 2 binds their queues to vfio_ap" \
	sh -c "echo -1,-2 > $AP/apmask && test \"\$(readlink $AP/devices/01.0005/driver)\" != '' && \
	       test $(echo vfio_ap) = \$(basename \$(readlink $AP/devices/01.0005/driver))"
ktap_check "lszcrypt shows vfio_ap as the queue's driver" \
	sh -c "lszcrypt -V 01.0005 | grep -q 'vfio_ap *\$'"
ktap_check "an unassigned queue's status is 'unassigned'" same $AP/devices/01.0005/status unassigned
write_ok 1 $MA/assign_adapter
ktap_check "matrix and guest_matrix show 01.0005" \
	sh -c "test \"\$(cat $MA/matrix)\" = 01.0005 && test \"\$(cat $MA/guest_matrix)\" = 01.0005"
ktap_check "an assigned queue's status is 'assigned'" same $AP/devices/01.0005/status assigned

write_ok 0x10 $MA/assign_domain
ktap_check "over-provisioned domain 0x10 is in matrix, not in guest_matrix" \
	sh -c "same() { [ \"\$(cat \$1)\" = \"\$(printf \"\$2\")\" ]; }; \
	       same $MA/matrix '01.0005\n01.0010' && same $MA/guest_matrix '01.0005'"
sim "add-domain 0x10"
ktap_check "when the host adds domain 0x10 the guest gets it" same $MA/guest_matrix '01.0005\n01.0010'

ktap_check "reserving assigned adapter 1 for the host is refused with EBUSY" \
	sh -c "! echo +1 > $AP/apmask 2>/tmp/err && grep -q 'resource busy' /tmp/err"
ktap_check "the refusal names the queue and says it is in use" \
	logged "Can not reserve queue 01.0005 for host driver: in use by mdev"
ktap_check "the queue stayed with vfio_ap" test "$(driver_of 01.0005)" = vfio_ap
ktap_check "reserving unassigned adapter 2 for the host works" \
	sh -c "echo +2 > $AP/apmask && test \"\$(basename \$(readlink $AP/devices/02.0005/driver))\" = cex4queue"

# A withheld adapter leaves only the domains: guest_matrix then lists '.dddd' lines.
ktap_check "unbinding 01.0005 withholds adapter 1 from the guest" \
	sh -c "echo 01.0005 > $AP/drivers/vfio_ap/unbind && test \"\$(cat $MA/guest_matrix | tr '\n' ' ')\" = '.0005 .0010 '"
ktap_check "binding it again gives adapter 1 back" \
	sh -c "echo 01.0005 > $AP/drivers/vfio_ap/bind && test -n \"\$(cat $MA/guest_matrix)\""
# A queue leaving vfio_ap is reset first; a reset that never completes is waited for a
# bounded time, then reported, and the unbind goes on.
sim "reset-hang 01.0006 on"
t0=$(date +%s)
echo 01.0006 >$AP/drivers/vfio_ap/unbind
t1=$(date +%s)
ktap_check "unbinding a queue whose reset hangs returns within 10 s ($((t1 - t0)) s)" \
	test $((t1 - t0)) -le 10
ktap_check "the stuck reset is logged" logged "reset of queue 01.0006 did not complete in time"
sim "reset-hang 01.0006 off"
sim "clear-counters"
echo 01.0006 >$AP/drivers/vfio_ap/bind
echo 01.0007 >$AP/drivers/vfio_ap/unbind
ktap_check "unbinding a queue resets it (ZAPQ, then TAPQ until done)" \
	test "$(sim_count 01.0007 zapq)" -ge 1 -a "$(sim_count 01.0007 tapq)" -ge 1
echo 01.0007 >$AP/drivers/vfio_ap/bind

write_ok 0x10 $MA/unassign_domain
sim "del-adapter 1"
ktap_check "when the host removes adapter 1 the guest loses it; the assignment stays" \
	sh -c "test \"\$(cat $MA/guest_matrix)\" = .0005 && test \"\$(cat $MA/matrix)\" = 01.0005"
sim "add-adapter 1/cex8a"
ktap_check "when it comes back (queues bound again) so does the guest's view" \
	sh -c "test \"\$(cat $MA/guest_matrix)\" = 01.0005"

echo 1 >$MA/remove
ktap_check "after the mdev is gone the host may reserve adapter 1 again" \
	sh -c "echo $ALL > $AP/apmask && test \"\$(basename \$(readlink $AP/devices/01.0005/driver))\" = cex4queue"
ktap_check "vfio_ap unloads" rmmod vfio_ap
ktap_finish
