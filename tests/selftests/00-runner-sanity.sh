#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The guest environment the other tests rely on.
. "$KTAP_LIB"

ktap_header
ktap_plan 4
ktap_check "sysfs and procfs are mounted" test -d /sys/devices -a -f /proc/cmdline
ktap_check "debugfs is mounted" test -d /sys/kernel/debug/block -o -d /sys/kernel/debug/s390dbf
ktap_check "modules.dep exists for $(uname -r)" test -f "/lib/modules/$(uname -r)/modules.dep"
ktap_check "the reference C module is kept aside" test -f "$REFERENCE_MODULE"
ktap_finish
