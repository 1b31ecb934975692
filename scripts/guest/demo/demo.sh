#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The example scenario of the vfio-ap documentation, run in the guest by `make demo`:
# secure queues for vfio_ap with apmask/aqmask, create an mdev, assign an adapter and
# domains, show the matrix, give it to a (test-mode) VM and hot plug a domain, then clean up. Steps that this module version or this test
# kernel cannot do yet are named and skipped, never faked.

MATRIX=/sys/devices/vfio_ap/matrix
TYPE=$MATRIX/mdev_supported_types/vfio_ap-passthrough
UUID=62177883-f1bb-47f0-914d-32a22e3a8804
ADAPTER=0x02
DOMAINS="0x0004 0x0005 0x00ab"

step=0
say() { step=$((step + 1)); printf '\n[%d] %s\n' "$step" "$*"; }
# run CMD: show it, its output, and what the kernel logged meanwhile (refusals say why there).
run() {
	printf '    # %s\n' "$*"
	n=$(dmesg | wc -l)
	sh -c "$*" 2>&1 | sed 's/^/    /'
	dmesg | tail -n +$((n + 1)) | sed 's/^\[[^]]*\] //; s/^/    kernel: /'
}
not_yet() { printf '    not available yet: %s\n' "$*"; }

say "The (simulated) LPAR's crypto cards and domains, as lszcrypt shows them"
if [ -e /sys/bus/ap ]; then
	modprobe zcrypt_cex4
	run "lszcrypt | grep -v '^0[0-3]\\.000[5-8]'"
	run "lszcrypt -d | head -n 3"
else
	not_yet "no AP bus in this guest"
fi

say "Load the module (modprobe finds vfio_ap.ko; its dependencies come with it)"
run "modprobe vfio_ap && grep -q O /sys/module/vfio_ap/taint && echo 'vfio_ap loaded (out-of-tree Rust module)'"

say "The matrix device and its mdev type"
run "ls $MATRIX"
run "cat $TYPE/name $TYPE/device_api $TYPE/available_instances"

say "Secure adapter $ADAPTER and domains $DOMAINS for vfio_ap (take them from the host's zcrypt drivers)"
if [ -e /sys/bus/ap/apmask ]; then
	run "echo -$ADAPTER > /sys/bus/ap/apmask"
	for d in $DOMAINS; do run "echo -$d > /sys/bus/ap/aqmask"; done
	run "cat /sys/bus/ap/apmask /sys/bus/ap/aqmask"
	run "lszcrypt -V | grep -E '^(CARD|02)'"
else
	not_yet "this guest has no AP bus (/sys/bus/ap): QEMU's TCG has no AP instructions and" \
		"the test kernel's AP facility simulator is not built yet"
fi

say "Create a mediated device for a guest"
run "echo $UUID > $TYPE/create && ls $MATRIX/$UUID"

say "Assign adapter $ADAPTER and domains $DOMAINS to it, then show its matrix"
if [ -e "$MATRIX/$UUID/assign_adapter" ]; then
	run "echo $ADAPTER > $MATRIX/$UUID/assign_adapter"
	for d in $DOMAINS; do run "echo $d > $MATRIX/$UUID/assign_domain"; done
	run "cat $MATRIX/$UUID/matrix"
	printf '    # domain 0xab is not in this LPAR: assigned (over-provisioned) but withheld from the guest\n'
	run "cat $MATRIX/$UUID/guest_matrix"
	run "cat /sys/bus/ap/devices/02.0004/status"

	say "A second mdev may not take a queue the first one holds"
	run "echo 62177883-f1bb-47f0-914d-32a22e3a8805 > $TYPE/create"
	run "echo 0x0004 > $MATRIX/62177883-f1bb-47f0-914d-32a22e3a8805/assign_domain"
	run "echo $ADAPTER > $MATRIX/62177883-f1bb-47f0-914d-32a22e3a8805/assign_adapter"
	run "echo 1 > $MATRIX/62177883-f1bb-47f0-914d-32a22e3a8805/remove"

	say "Nor may the host take it back while it is assigned"
	run "echo +$ADAPTER > /sys/bus/ap/apmask"
else
	not_yet "this module version has no matrix configuration (assign_adapter, assign_domain," \
		"matrix, ...): the mdev exists but carries no AP resources"
fi

say "Give the mdev to a guest, the way QEMU does (a VM of the test kernel's KVM test mode)"
if [ -c /dev/kvm ] && command -v vfio-ap-attach > /dev/null && [ -e "$MATRIX/$UUID/guest_matrix" ]; then
	. /tests/lib/ap-sim.sh
	. /tests/lib/attach.sh
	printf '    # vfio-ap-attach %s   (VM + vCPU, KVM-VFIO device, open the mdev)\n' "$UUID"
	attach_start a "$UUID"
	sed 's/^/    /' "$(attach_out a)"
	printf '    # the VM'"'"'s crypto control block (test-only debugfs view):\n'
	grep ids "$(attach_crycb_path a)" | sed 's/^/    /'
	run "cat /sys/bus/ap/devices/02.0004/status"

	say "Hot plug while the guest has the mdev: secure domain 0x0006 and assign it"
	run "echo -0x0006 > /sys/bus/ap/aqmask && echo 0x0006 > $MATRIX/$UUID/assign_domain"
	printf '    # the CRYCB follows at once:\n'
	grep aqm-ids "$(attach_crycb_path a)" | sed 's/^/    /'

	say "QEMU closes the device: the guest loses everything, the queues are reset"
	helper a close
	grep ids "$(attach_crycb_path a)" | sed 's/^/    /'
	attach_stop a
	run "echo 0x0006 > $MATRIX/$UUID/unassign_domain && echo +0x0006 > /sys/bus/ap/aqmask"
else
	not_yet "no /dev/kvm or no vfio-ap-attach in this guest"
fi

say "A real host would start the guest with:"
printf '    qemu-system-s390x -machine s390-ccw-virtio,accel=kvm -cpu host,ap=on,apqci=on,apft=on ... \\\n'
printf '        -device vfio-ap,sysfsdev=%s/%s\n' "$MATRIX" "$UUID"

say "Remove the mdev and unload the module"
run "echo 1 > $MATRIX/$UUID/remove"
if [ -e /sys/bus/ap/apmask ]; then
	run "echo +$ADAPTER > /sys/bus/ap/apmask"
	for d in $DOMAINS; do run "echo +$d > /sys/bus/ap/aqmask"; done
	run "echo 'the host has its queues back:'; lszcrypt | grep '^02\\.'"
fi
run "rmmod vfio_ap && echo 'removed and unloaded'"
run "ls /sys/devices/vfio_ap 2>&1 || true"
