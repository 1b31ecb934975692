#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The module skeleton: loading, the matrix device, the mdev type and its attributes,
# creating and removing mdevs, a refused second load, and clean unloads.
. "$KTAP_LIB"

MATRIX=/sys/devices/vfio_ap/matrix
TYPE=$MATRIX/mdev_supported_types/vfio_ap-passthrough
UUID=6c1b8a1e-2f0d-4c8e-9a55-0b7e3f2d1a01
UUID_UPPER=6C1B8A1E-2F0D-4C8E-9A55-0B7E3F2D1A02
OURS=/lib/modules/$(uname -r)/extra/vfio_ap.ko

# mode FILE: octal permission bits of FILE
mode() { stat -c %a "$1"; }

ktap_header
ktap_plan 27

ktap_check "modprobe vfio_ap loads the module under test" modprobe vfio_ap
ktap_check "the loaded vfio_ap is the out-of-tree module (taint O)" grep -q O /sys/module/vfio_ap/taint
ktap_check "root device /sys/devices/vfio_ap exists" test -d /sys/devices/vfio_ap
ktap_check "matrix device exists under the root device" test -d "$MATRIX"
ktap_check "matrix device is on bus matrix" test "$(readlink -f $MATRIX/subsystem)" = /sys/bus/matrix
ktap_check "matrix device is bound to driver vfio_ap" \
	test "$(readlink -f $MATRIX/driver)" = /sys/bus/matrix/drivers/vfio_ap
ktap_check "matrix driver has no bind/unbind files" \
	test ! -e /sys/bus/matrix/drivers/vfio_ap/bind -a ! -e /sys/bus/matrix/drivers/vfio_ap/unbind
ktap_check "features is read-only (0444)" test "$(mode $MATRIX/features)" = 444
ktap_check "mdev_bus class link for the parent" test -e /sys/class/mdev_bus/matrix
ktap_check "mdev driver vfio_ap_mdev is registered" test -d /sys/bus/mdev/drivers/vfio_ap_mdev
ktap_check "type name is 'VFIO AP Passthrough Device'" \
	test "$(cat $TYPE/name)" = "VFIO AP Passthrough Device"
ktap_check "type device_api is vfio-ap" test "$(cat $TYPE/device_api)" = vfio-ap
ktap_check "available_instances starts at 65536" test "$(cat $TYPE/available_instances)" = 65536
ktap_check "create is write-only for root (0200)" test "$(mode $TYPE/create)" = 200

ktap_check "create an mdev by UUID" sh -c "echo $UUID > $TYPE/create"
ktap_check "the mdev is a child of the matrix device and on the mdev bus" \
	test -d "$MATRIX/$UUID" -a -e "/sys/bus/mdev/devices/$UUID"
ktap_check "the mdev is bound to vfio_ap_mdev with type vfio_ap-passthrough" \
	test "$(basename "$(readlink $MATRIX/$UUID/driver)")" = vfio_ap_mdev \
	-a "$(basename "$(readlink $MATRIX/$UUID/mdev_type)")" = vfio_ap-passthrough
ktap_check "available_instances drops to 65535" test "$(cat $TYPE/available_instances)" = 65535
write_expect EEXIST "$UUID" "$TYPE/create"
write_expect EINVAL "not-a-uuid" "$TYPE/create"
ktap_check "an upper-case UUID creates a lower-case mdev" \
	sh -c "echo $UUID_UPPER > $TYPE/create && test -d $MATRIX/$(echo $UUID_UPPER | tr A-F a-f)"
ktap_check "remove deletes the mdevs" sh -c \
	"echo 1 > $MATRIX/$UUID/remove && echo 1 > $MATRIX/$(echo $UUID_UPPER | tr A-F a-f)/remove && test ! -e $MATRIX/$UUID"
ktap_check "available_instances is back to 65536" test "$(cat $TYPE/available_instances)" = 65536

if insmod "$OURS" 2>/tmp/insmod.err; then
	ktap_fail "a second load while loaded is refused"
else
	ktap_check "a second load while loaded is refused with EEXIST" grep -q "File exists" /tmp/insmod.err
fi

ktap_check "unload with an mdev present removes it and everything else" sh -c \
	"echo $UUID > $TYPE/create && rmmod vfio_ap && test ! -e /sys/devices/vfio_ap -a ! -e /sys/bus/matrix"

cycles=0
while [ $cycles -lt 10 ]; do
	modprobe vfio_ap && echo $UUID > $TYPE/create && echo 1 > "$MATRIX/$UUID/remove" \
		&& rmmod vfio_ap || break
	cycles=$((cycles + 1))
done
ktap_check "10 load/create/remove/unload cycles" test $cycles = 10
ktap_check "loads again afterwards" modprobe vfio_ap

ktap_finish
