#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Simulator fidelity: run-time configuration changes reach the stock AP bus as on a
# machine (QCI change + AP configuration-change event -> bus rescan), and through it
# the in-tree vfio_ap's on_config_changed/on_scan_complete (seen in guest_matrix).
. "$KTAP_LIB"
. "$(dirname "$KTAP_LIB")/ap-sim.sh"

U=5a1d0c2e-0000-4000-8000-000000000030
M=$MATRIX/$U

ktap_header
ktap_plan 25
sim_require 25

ref_mdev_2x2 $U
ktap_check "guest_matrix starts with 02/03 x 0006/0007" test "$(cat $M/guest_matrix)" = \
	"$(printf '02.0006\n02.0007\n03.0006\n03.0007')"

# Remove an adapter from the configuration.
qci0=$(sim_qci_changed)
ktap_check "del-adapter 3" sim del-adapter 3
qci1=$(sim_qci_changed)
ktap_check "qci-changed-ns moved on: the AP bus's QCI saw the change" test "$qci1" -gt "$qci0"
ktap_check "card03 and its queues are gone" \
	test ! -e $AP/devices/card03 -a ! -e $AP/devices/03.0006
ktap_check "ap_adapter_mask no longer has adapter 3" test "$(cat $AP/ap_adapter_mask)" = \
	0xe000000000000000000000000000000000000000000000000000000000000000
ktap_check "vfio_ap took adapter 3 out of guest_matrix" test "$(cat $M/guest_matrix)" = \
	"$(printf '02.0006\n02.0007')"
ktap_check "the mdev's matrix still has adapter 3 (assignment kept)" grep -q 03.0006 $M/matrix

# Add it back, as a different card type.
ktap_check "add-adapter 3/cex8c" sim add-adapter 3/cex8c
ktap_check "card03 is back as a CEX8 CCA card" \
	test "$(cat $AP/devices/card03/hwtype 2>/dev/null)" = 14 -a "$(drv 03.0006)" = vfio_ap
ktap_check "vfio_ap hot-plugged adapter 3 again (on_scan_complete)" test "$(cat $M/guest_matrix)" = \
	"$(printf '02.0006\n02.0007\n03.0006\n03.0007')"

# Remove and add a usage domain.
sim del-domain 7
ktap_check "del-domain 7: queues ??.0007 are gone" \
	test ! -e $AP/devices/00.0007 -a ! -e $AP/devices/02.0007
ktap_check "del-domain 7: guest_matrix drops domain 7" test "$(cat $M/guest_matrix)" = \
	"$(printf '02.0006\n03.0006')"
sim add-domain 7
ktap_check "add-domain 7: guest_matrix has domain 7 again" test "$(cat $M/guest_matrix)" = \
	"$(printf '02.0006\n02.0007\n03.0006\n03.0007')"

# Without the event, only the bus's own scan notices (periodic or forced).
sim "events off; del-adapter 1"
ktap_check "without the event the AP bus still shows card01" test -e $AP/devices/card01
qci0=$(sim_qci_changed)
echo 1 > $AP/scans
ktap_check "a forced scan (/sys/bus/ap/scans) removes card01" test ! -e $AP/devices/card01
qci1=$(sim_qci_changed)
ktap_check "qci-changed-ns moved on with the forced scan's QCI" test "$qci1" -gt "$qci0"
echo 1 > $AP/scans
ktap_check "a scan without a change leaves qci-changed-ns alone" \
	test "$(sim_qci_changed)" = "$qci1" -a "$(sed -n 's/^qci-count //p' $SIM/config)" -gt 0
sim "events on; add-adapter 1"
ktap_check "card01 comes back" test -e $AP/devices/01.0004

# Checkstop and deconfiguration keep the devices, with their state.
sim checkstop 0 on
ktap_check "checkstop: card00 and its queues report chkstop 1" \
	test "$(cat $AP/devices/card00/chkstop $AP/devices/00.0004/chkstop)" = "$(printf '1\n1')"
ktap_check "checkstop: TAPQ answers rc 04" test "$(sim_qfield 00.0004 rc)" = 04
sim checkstop 0 off
ktap_check "checkstop off: chkstop 0 again" test "$(cat $AP/devices/00.0004/chkstop)" = 0
sim config 1 off
ktap_check "deconfigured adapter: card01 and queues report config 0" \
	test "$(cat $AP/devices/card01/config $AP/devices/01.0005/config)" = "$(printf '0\n0')"
sim config 1 on
# The admin path: the card's config attribute issues SCLP (de)configure commands.
ktap_check "echo 0 > card03/config deconfigures through the simulated SCLP" \
	sh -c "echo 0 > $AP/devices/card03/config && echo 1 > $AP/scans && \
	test \"\$(cat $AP/devices/03.0006/config)\" = 0"
ktap_check "a deconfigured queue stays in guest_matrix (passable, rc 03)" \
	grep -q 03.0006 $M/guest_matrix
ktap_check "echo 1 > card03/config configures it again" \
	sh -c "echo 1 > $AP/devices/card03/config && echo 1 > $AP/scans && \
	test \"\$(cat $AP/devices/03.0006/config)\" = 1"

ref_unload
masks_default
sim_standard
ktap_finish
