#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Simulator fidelity: the stock AP bus and zcrypt see the simulated configuration
# (QCI masks, card types and modes, queue depth) as they would see real cards.
. "$KTAP_LIB"
. "$(dirname "$KTAP_LIB")/ap-sim.sh"

ktap_header
ktap_plan 22
sim_require 22

ref_unload 2>/dev/null
masks_default
ktap_check "standard configuration set through debugfs" sim_standard
ktap_check "AP bus shows cards 00-03 and no other" \
	test "$(cd $AP/devices && echo card*)" = "card00 card01 card02 card03"
ktap_check "AP bus shows 20 queues (4 adapters x usage domains 4-8)" \
	test "$(cd $AP/devices && ls -d ??.???? | wc -l)" = 20
ktap_check "no queue for control-only domain 9" test ! -e $AP/devices/00.0009
ktap_check "ap_adapter_mask is the QCI APM" test "$(cat $AP/ap_adapter_mask)" = \
	0xf000000000000000000000000000000000000000000000000000000000000000
ktap_check "ap_usage_domain_mask is the QCI AQM" test "$(cat $AP/ap_usage_domain_mask)" = \
	0x0f80000000000000000000000000000000000000000000000000000000000000
ktap_check "ap_control_domain_mask is the QCI ADM" test "$(cat $AP/ap_control_domain_mask)" = \
	0x0fc0000000000000000000000000000000000000000000000000000000000000
ktap_check "hwtype: CEX8 = 14, CEX7 = 13, CEX6 = 12" test \
	"$(cat $AP/devices/card00/hwtype $AP/devices/card02/hwtype $AP/devices/card03/hwtype)" = \
	"$(printf '14\n13\n12')"
ktap_check "ap_functions: accelerator, CCA and EP11 mode bits (with APXA)" test \
	"$(cat $AP/devices/card01/ap_functions $AP/devices/card02/ap_functions \
	$AP/devices/card03/ap_functions)" = "$(printf '0x6A000000\n0x72000000\n0x06000000')"
ktap_check "queue depth 8 (TAPQ qd 7)" test "$(cat $AP/devices/card00/depth)" = 8
ktap_check "a queue has the card's functions" \
	test "$(cat $AP/devices/02.0005/ap_functions)" = "$(cat $AP/devices/card02/ap_functions)"

modprobe zcrypt_cex4
ktap_check "zcrypt_cex4 binds all cards and queues (bindings complete)" wait_until 10 bindings_complete
ktap_check "cards are bound to cex4card" \
	test "$(drv card00)$(drv card02)$(drv card03)" = cex4cardcex4cardcex4card
ktap_check "queues are bound to cex4queue" \
	test "$(drv 00.0004)$(drv 02.0008)$(drv 03.0006)" = cex4queuecex4queuecex4queue
ktap_check "zcrypt names the cards CEX8A, CEX7C, CEX6P" \
	test "$(cat $AP/devices/card00/type $AP/devices/card02/type $AP/devices/card03/type)" = \
	"$(printf 'CEX8A\nCEX7C\nCEX6P')"
ktap_check "queues are online, configured, not checkstopped" test \
	"$(cat $AP/devices/01.0007/online $AP/devices/01.0007/config $AP/devices/01.0007/chkstop)" = \
	"$(printf '1\n1\n0')"
ktap_check "the initial reset of each queue was a RAPQ seen by the simulator" \
	test "$(sim_count 01.0007 rapq)" -ge 1
# A CCA card answers a serial number request with an error reply: the request goes
# through NQAP/DQAP and comes back without taking the queue offline.
cat $AP/devices/card02/serialnr > /dev/null 2>&1
ktap_check "a CCA request goes through NQAP and DQAP" \
	test "$(($(sim_count 02.0004 nqap) + $(sim_count 02.0005 nqap) + $(sim_count 02.0006 nqap) \
	+ $(sim_count 02.0007 nqap) + $(sim_count 02.0008 nqap)))" -ge 1
ktap_check "the CCA queues stay online after the error reply" \
	test "$(cat $AP/devices/card02/online)" = 1

# An adapter type newer than the AP bus knows is mapped down with PQAP(QACT).
sim "add-adapter 5/cex9a"
ktap_check "a CEX9 adapter (raw type 15) is mapped to CEX8 through QACT" \
	test "$(cat $AP/devices/card05/raw_hwtype 2>/dev/null)-$(cat $AP/devices/card05/hwtype 2>/dev/null)" = 15-14 \
	-a "$(sim_count 05.0004 qact)" -ge 1

if command -v lszcrypt > /dev/null; then
	ktap_check "lszcrypt lists the cards with their types and modes" sh -c \
		"lszcrypt | grep -q '^00  *CEX8A *Accelerator *online' && \
		 lszcrypt | grep -q '^02  *CEX7C *CCA-Coproc *online' && \
		 lszcrypt | grep -q '^03\.0008  *CEX6P *EP11-Coproc *online'"
	ktap_check "lszcrypt -d shows usage (B) and control-only (C) domains" \
		sh -c "lszcrypt -d | grep -q '^ *00  *\.  *\.  *\.  *\.  *B  *B  *B  *B  *B  *C  *\.'"
else
	ktap_skip "lszcrypt lists the cards with their types and modes" "no lszcrypt in the guest"
	ktap_skip "lszcrypt -d shows usage (B) and control-only (C) domains" "no lszcrypt in the guest"
fi

sim_standard
ktap_finish
