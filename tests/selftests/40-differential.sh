#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Differential test: one scenario of sysfs writes and reads, run against the in-tree C
# vfio_ap ($REFERENCE_MODULE) and against the module under test, one loaded at a time in
# the same boot. Every read and every write's outcome (success or errno text) must match.
# Kernel log lines are not compared: this module logs more on purpose.
. "$KTAP_LIB"
. "$(dirname "$KTAP_LIB")/ap-sim.sh"

TYPE=$MDEV_TYPE
U1=0d1f0000-0000-4000-8000-000000000001
U2=0d1f0000-0000-4000-8000-000000000002
ALL=0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff

ktap_header
if [ ! -d $SIM ] || [ ! -f "$REFERENCE_MODULE" ]; then
	echo "1..0 # SKIP needs the AP simulator and the reference C module"
	exit 4
fi
ktap_plan 4

# w VALUE FILE: write and record the outcome
w() {
	if err=$( { echo -n "$1" >"$2"; } 2>&1); then r=ok; else r=${err##*: }; fi
	echo "write '$1' > ${2#$MATRIX/}: $r"
}
# r FILE: record a read
r() { echo "read ${1#$MATRIX/}:"; sed 's/^/  /' "$1"; }

scenario() {
	echo $U1 >$TYPE/create
	echo $U2 >$TYPE/create
	r $TYPE/available_instances
	M1=$MATRIX/$U1
	M2=$MATRIX/$U2
	for v in 1 0x2 03 010 08 -1 " 2" 0x 256 255 99999999999999999999 "3
"; do
		w "$v" $M1/assign_adapter
	done
	for v in 4 0x5 0x10 0xff 256 abc; do w "$v" $M1/assign_domain; done
	for v in 4 7 0xff 256; do w "$v" $M1/assign_control_domain; done
	r $M1/matrix; r $M1/guest_matrix; r $M1/control_domains; r $M1/ap_config
	w 5 $M2/assign_domain
	w 1 $M2/assign_adapter
	w 0xa $M2/assign_adapter
	w 4 $M2/assign_domain
	r $M2/matrix; r $M2/guest_matrix
	w 9 $M1/unassign_adapter
	w 0x10 $M1/unassign_domain
	w 300 $M1/unassign_domain
	w 7 $M1/unassign_control_domain
	r $M1/matrix; r $M1/control_domains
	w "0x1" $M1/ap_config
	w "0X4,0x8,0x" $M1/ap_config
	w "0x20,0x0c,0x08" $M1/ap_config
	r $M1/ap_config; r $M1/matrix; r $M1/guest_matrix
	w "0x40,0x04,0x" $M1/ap_config
	r $M1/ap_config
	for q in 01.0004 02.0005 02.0006 03.0004; do r $AP/devices/$q/status; done
	w "+2" $AP/apmask
	w "+1" $AP/apmask
	r $AP/apmask
	sim "del-adapter 2"
	r $M1/guest_matrix
	sim "add-adapter 2/cex7c"
	r $M1/guest_matrix
	echo 1 >$M1/remove
	echo 1 >$M2/remove
}

setup() {
	sim "del-adapter 0-255; del-domain 0-255; del-cdom 0-255; clear-faults; reset-polls 0"
	sim "events on; add-adapter 0-1/cex8a,2/cex7c,3/cex6p; add-domain 4-8; add-cdom 4-9"
	echo $ALL >$AP/apmask
	echo $ALL >$AP/aqmask
	echo -1,-2,-3 >$AP/apmask
}

teardown() {
	echo $ALL >$AP/apmask
	echo $ALL >$AP/aqmask
}

modprobe zcrypt_cex4
modprobe mdev
setup
if insmod "$REFERENCE_MODULE"; then
	scenario >/tmp/diff-c.txt 2>&1
	teardown
	rmmod vfio_ap
	ktap_pass "scenario ran on the in-tree C driver"
else
	ktap_fail "scenario ran on the in-tree C driver"
fi
setup
if modprobe vfio_ap; then
	scenario >/tmp/diff-rust.txt 2>&1
	teardown
	rmmod vfio_ap
	ktap_pass "scenario ran on the module under test"
else
	ktap_fail "scenario ran on the module under test"
fi
ktap_check "the scenario exercised $(wc -l </tmp/diff-c.txt) lines of output" \
	test "$(wc -l </tmp/diff-c.txt)" -gt 60
if diff -u /tmp/diff-c.txt /tmp/diff-rust.txt >/tmp/diff.txt; then
	ktap_pass "identical sysfs outputs and errnos"
else
	ktap_fail "identical sysfs outputs and errnos"
	sed 's/^/# /' /tmp/diff.txt
fi
ktap_finish
