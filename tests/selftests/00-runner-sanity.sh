#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The guest environment the other tests rely on (see scripts/guest/init and
# scripts/qemu-run.sh). Needs no vfio_ap module: it only says whether one was installed.
# shellcheck source=tests/lib/ktap.sh
. "$KTAP_LIB"

# shellcheck disable=SC2317 # called through ktap_check
mounted() { grep -q "^[^ ]* $1 $2 " /proc/mounts; }
rel=$(uname -r)

ktap_header
ktap_plan 10
ktap_check "procfs is mounted on /proc" test -f /proc/cmdline
ktap_check "sysfs is mounted on /sys" mounted /sys sysfs
ktap_check "devtmpfs is mounted on /dev" mounted /dev devtmpfs
ktap_check "debugfs is mounted on /sys/kernel/debug" mounted /sys/kernel/debug debugfs
ktap_check "tmpfs is mounted on /tmp" mounted /tmp tmpfs
ktap_check "modules.dep exists for $rel" test -f "/lib/modules/$rel/modules.dep"
ktap_check "modprobe mdev resolves and loads mdev.ko" modprobe mdev
ktap_check "the in-tree C module is kept aside at $REFERENCE_MODULE" test -f "$REFERENCE_MODULE"
if [ -f "/lib/modules/$rel/extra/vfio_ap.ko" ]; then
	# modprobe finds modules through modules.dep: exactly one vfio_ap, ours.
	ktap_check "modules.dep names extra/vfio_ap.ko as the only vfio_ap" \
		test "$(grep -cE '(^|/)vfio_ap\.ko:' "/lib/modules/$rel/modules.dep")" = 1 -a \
		-n "$(grep '^extra/vfio_ap\.ko:' "/lib/modules/$rel/modules.dep")"
else
	ktap_skip "modules.dep names extra/vfio_ap.ko as the only vfio_ap" \
		"no /lib/modules/$rel/extra/vfio_ap.ko: the runner booted without it"
fi
ktap_check "no hwrng is selected (see the guest's /init)" \
	sh -c "test ! -e /sys/class/misc/hw_random/rng_current || grep -qx none /sys/class/misc/hw_random/rng_current"
ktap_finish
