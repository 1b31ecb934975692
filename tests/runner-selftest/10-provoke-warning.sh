#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Not a test of the driver: provokes a kernel WARNING on purpose (lkdtm) and reports
# success, so scripts/runner-selftest.sh can check that the runner fails such a run anyway.
# shellcheck source=tests/lib/ktap.sh
. "$KTAP_LIB"
ktap_header
ktap_plan 2
ktap_check "modprobe lkdtm" modprobe lkdtm
ktap_check "a WARNING was provoked (the runner must still fail this run)" \
	sh -c "echo WARNING > /sys/kernel/debug/provoke-crash/DIRECT"
ktap_finish
