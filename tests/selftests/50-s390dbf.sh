#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The s390dbf area vfio_ap: present while loaded, warnings by default (refusals with the
# mdev's UUID, the attribute and the queue), every change at level 6.
. "$KTAP_LIB"

DBF=/sys/kernel/debug/s390dbf/vfio_ap
MATRIX=/sys/devices/vfio_ap/matrix
TYPE=$MATRIX/mdev_supported_types/vfio_ap-passthrough
A=4db4f000-0000-4000-8000-00000000000a
B=4db4f000-0000-4000-8000-00000000000b

ktap_header
ktap_plan 9
modprobe vfio_ap
[ -w /sys/bus/ap/apmask ] && modprobe zcrypt_cex4 && echo 0x0 >/sys/bus/ap/apmask
ktap_check "the area exists with a sprintf view" test -r $DBF/sprintf -a -w $DBF/level
ktap_check "its level is 4 (warnings), as with the C driver" test "$(cat $DBF/level)" = 4
echo $A >$TYPE/create
echo $B >$TYPE/create
echo 5 >$MATRIX/$A/assign_adapter
echo 4 >$MATRIX/$A/assign_domain
echo 4 >$MATRIX/$B/assign_domain
echo 5 >$MATRIX/$B/assign_adapter 2>/dev/null
ktap_check "a sharing refusal is recorded with the UUID and the queue" \
	grep -q "mdev $B: assign_adapter refused: queue 05.0004 belongs to another mdev" $DBF/sprintf
echo 256 >$MATRIX/$B/assign_domain 2>/dev/null
ktap_check "an out-of-range refusal is recorded" \
	grep -q "mdev $B: assign_domain 0x100 refused: out of range" $DBF/sprintf
ktap_check "at level 4 applied edits are not recorded" sh -c "! grep -q 'mdev $A: assign_domain 0x4\$' $DBF/sprintf"
echo 6 >$DBF/level
echo 6 >$MATRIX/$A/assign_domain
ktap_check "at level 6 applied edits are recorded" grep -q "mdev $A: assign_domain 0x6\$" $DBF/sprintf
if [ -w /sys/bus/ap/apmask ]; then
	echo 1 >$MATRIX/$A/remove
	echo 1 >$MATRIX/$B/remove
	echo 0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff >/sys/bus/ap/apmask
	ktap_check "queues moving between drivers are recorded" grep -q "unbound from vfio_ap" $DBF/sprintf
else
	echo 1 >$MATRIX/$A/remove
	echo 1 >$MATRIX/$B/remove
	ktap_skip "queues moving between drivers are recorded" "no AP bus"
fi
ktap_check "unload" rmmod vfio_ap
ktap_check "the area is gone after unload" test ! -e $DBF
ktap_finish
