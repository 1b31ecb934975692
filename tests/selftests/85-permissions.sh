#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Permissions: no attribute of the module is writable by anyone but root, none is
# world-writable, and a write by an unprivileged user is refused and changes nothing.
. "$KTAP_LIB"
. "$(dirname "$KTAP_LIB")/ap-sim.sh"

U=5a1d0c2e-0000-4000-8000-000000000085
M=$MATRIX/$U
PLAN=9

ktap_header
ktap_plan $PLAN
sim_require $PLAN

ours_load
echo -2 > $AP/apmask
echo -6 > $AP/aqmask
echo $U > $MDEV_TYPE/create
echo 2 > $M/assign_adapter
echo 6 > $M/assign_domain

# Every regular file the module adds: the matrix device's, the mdev type's, the mdev's and
# the queue status attribute.
files() {
	find $MATRIX -maxdepth 1 -type f
	find $MDEV_TYPE -maxdepth 1 -type f
	find $M -maxdepth 1 -type f
	echo $AP/devices/02.0006/status
}
# loose FILE...: the files with a group or world write bit, or writable without owner read
# where they can be read
loose() {
	for f in $(files); do
		m=$(stat -c %a "$f")
		case $m in
		*[2367]? | *[2367]) echo "$f $m" ;;
		esac
	done
}
# owner_writable: the files root may write (the driver core's uevent files aside)
owner_writable() {
	for f in $(files | grep -v '/uevent$'); do
		m=$(stat -c %a "$f")
		case $m in 2?? | 6??) echo "$f" ;; esac
	done
}
as_user() { run-as 1000 1000 sh -c "$1" 2>&1; }
refused() { as_user "echo $1 > $2" | grep -q 'Permission denied'; }
create_remove_refused() {
	refused 5a1d0c2e-0000-4000-8000-0000000000ff $MDEV_TYPE/create && refused 1 $M/remove
}
snapshot() { cat $M/matrix $M/ap_config $M/control_domains $MDEV_TYPE/available_instances; }

ktap_check "the module's attributes are there" test "$(files | wc -l)" -ge 14
ktap_check "no attribute is writable by group or others" test -z "$(loose)"
ktap_check "the writable ones are exactly the mdev's edits, ap_config, create and remove" \
	test "$(owner_writable | sed 's|.*/||' | sort | tr '\n' ' ')" = \
	"ap_config assign_adapter assign_control_domain assign_domain create remove unassign_adapter unassign_control_domain unassign_domain "
BEFORE=$(snapshot)
ktap_check "an unprivileged assign_domain is refused" refused 7 $M/assign_domain
ktap_check "an unprivileged unassign_adapter is refused" refused 2 $M/unassign_adapter
ktap_check "an unprivileged ap_config write is refused" refused 0x,0x,0x $M/ap_config
ktap_check "an unprivileged create and remove are refused" create_remove_refused
ktap_check "reads are allowed unprivileged (matrix, guest_matrix)" \
	test "$(as_user "cat $M/matrix $M/guest_matrix")" = "$(cat $M/matrix $M/guest_matrix)"
ktap_check "the refused writes changed nothing" test "$(snapshot)" = "$BEFORE"

echo 1 > $M/remove
masks_default
rmmod vfio_ap
sim_standard
ktap_finish
