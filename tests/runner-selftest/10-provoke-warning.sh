#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Not a test of the driver: provokes a kernel WARNING on purpose and reports success, so
# scripts/runner-selftest.sh can check that the runner fails such a run anyway.
. "$KTAP_LIB"
ktap_header
ktap_plan 1
modprobe lkdtm
echo WARNING > /sys/kernel/debug/provoke-crash/DIRECT
ktap_pass "a WARNING was provoked (the runner must still fail this run)"
ktap_finish
