#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Debian's mdevctl drives the module unchanged: define a vfio_ap-passthrough mdev with
# attributes, start it, list it, stop and undefine it; a refused attribute write makes the
# start fail and leaves no half-made mdev behind.
. "$KTAP_LIB"

MATRIX=/sys/devices/vfio_ap/matrix
U=3dc7a11e-0000-4000-8000-000000000001
V=3dc7a11e-0000-4000-8000-000000000002

ktap_header
if ! command -v mdevctl >/dev/null; then
	echo "1..0 # SKIP no mdevctl in the guest"
	exit 4
fi
ktap_plan 10
modprobe vfio_ap
[ -w /sys/bus/ap/apmask ] && modprobe zcrypt_cex4 && echo -1,-2 >/sys/bus/ap/apmask

ktap_check "mdevctl types lists vfio_ap-passthrough" \
	sh -c "mdevctl types | grep -q vfio_ap-passthrough"
ktap_check "mdevctl define with attributes" sh -c \
	"mdevctl define -u $U -p matrix -t vfio_ap-passthrough && \
	 mdevctl modify -u $U --addattr=assign_adapter --value=1 && \
	 mdevctl modify -u $U --addattr=assign_domain --value=5 && \
	 mdevctl modify -u $U --addattr=assign_control_domain --value=6"
ktap_check "mdevctl start creates the mdev and writes its attributes" \
	sh -c "mdevctl start -u $U && test \"\$(cat $MATRIX/$U/matrix)\" = 01.0005 && \
	       test \"\$(cat $MATRIX/$U/control_domains)\" = 0006"
ktap_check "mdevctl list shows it active" sh -c "mdevctl list | grep -q $U"
ktap_check "mdevctl list --defined shows its attributes" \
	sh -c "mdevctl list --defined --dumpjson | grep -q assign_adapter"

# A second definition whose adapter conflicts with the running one: start must fail cleanly.
mdevctl define -u $V -p matrix -t vfio_ap-passthrough
mdevctl modify -u $V --addattr=assign_domain --value=5
mdevctl modify -u $V --addattr=assign_adapter --value=1
if mdevctl start -u $V 2>/tmp/mdevctl.err; then
	ktap_fail "starting a conflicting definition fails"
else
	ktap_pass "starting a conflicting definition fails"
fi
ktap_check "it leaves no half-made mdev behind" test ! -e $MATRIX/$V
ktap_check "the kernel log says why" \
	sh -c "dmesg | grep -q 'queue 01.0005 to mdev: already assigned to $U'"
mdevctl undefine -u $V

ktap_check "mdevctl stop removes the mdev" sh -c "mdevctl stop -u $U && test ! -e $MATRIX/$U"
ktap_check "mdevctl undefine forgets it" \
	sh -c "mdevctl undefine -u $U && ! mdevctl list --defined | grep -q $U"
[ -w /sys/bus/ap/apmask ] && echo +1,+2 >/sys/bus/ap/apmask
rmmod vfio_ap
ktap_finish
