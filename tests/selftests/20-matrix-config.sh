#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Building an mdev's matrix through sysfs: ID parsing, ranges, formats, idempotence,
# sharing between mdevs, ap_config, and that a refused write changes nothing.
# Needs no AP queues: without the QCI facility the highest IDs are 63 (adapters) and 15
# (domains); with it, the AP bus's limits apply.
. "$KTAP_LIB"

MATRIX=/sys/devices/vfio_ap/matrix
TYPE=$MATRIX/mdev_supported_types/vfio_ap-passthrough
A=5a0c4a3e-0c6f-4a5e-8e6b-2f4c6d8e0a01
B=5a0c4a3e-0c6f-4a5e-8e6b-2f4c6d8e0a02
MA=$MATRIX/$A
MB=$MATRIX/$B

modprobe vfio_ap
# With an AP bus, the host reserves every queue by default: release them all to vfio_ap
# (host drivers loaded, so they take the queues back at the end).
if [ -w /sys/bus/ap/apmask ]; then
	modprobe zcrypt_cex4
	echo 0x0 >/sys/bus/ap/apmask
fi
echo $A >$TYPE/create
echo $B >$TYPE/create
if [ -r /sys/bus/ap/ap_max_adapter_id ]; then
	MAXA=$(cat /sys/bus/ap/ap_max_adapter_id)
	MAXD=$(cat /sys/bus/ap/ap_max_domain_id)
else
	MAXA=63
	MAXD=15
fi

# same FILE EXPECTED: the file's content equals EXPECTED (printf-style escapes allowed)
same() { [ "$(cat "$1")" = "$(printf "$2")" ]; }
mode() { stat -c %a "$1"; }
# mask_with ID: an ap_config mask with only ID set (MSB-0: ID 0 is the first hex digit's 8)
mask_with() {
	m=0x
	i=0
	while [ $i -lt $(($1 / 4)) ]; do m=${m}0; i=$((i + 1)); done
	echo "$m$(printf %x $((8 >> ($1 % 4))))"
}
# mask_upto MAX: IDs 0..MAX set (MAX + 1 a multiple of 4)
mask_upto() {
	m=0x
	i=0
	while [ $i -lt $((($1 + 1) / 4)) ]; do m=${m}f; i=$((i + 1)); done
	echo "$m"
}
snapshot() { cat $MA/ap_config $MA/matrix $MA/control_domains $MB/ap_config; }

ktap_header
ktap_plan 47

ktap_check "features reads as the C driver's: guest_matrix hotplug ap_config" \
	test "$(cat $MATRIX/features)" = "guest_matrix hotplug ap_config"
for f in assign_adapter unassign_adapter assign_domain unassign_domain \
	assign_control_domain unassign_control_domain; do
	ktap_check "$f is write-only for root (0200)" test "$(mode $MA/$f)" = 200
done
for f in matrix guest_matrix control_domains; do
	ktap_check "$f is read-only (0444)" test "$(mode $MA/$f)" = 444
done
ktap_check "ap_config is 0644" test "$(mode $MA/ap_config)" = 644
ktap_check "a new mdev has an empty matrix" test -z "$(cat $MA/matrix $MA/control_domains)"

write_ok 5 $MA/assign_adapter
ktap_check "adapter only: matrix shows '05.'" same $MA/matrix '05.'
write_ok 0x4 $MA/assign_domain
write_ok "010
" $MA/assign_domain
ktap_check "octal 010 is domain 8; lines are adapter.domain" same $MA/matrix '05.0004\n05.0008'
write_ok 5 $MA/assign_adapter
ktap_check "assigning again changes nothing" same $MA/matrix '05.0004\n05.0008'
write_ok 3 $MA/unassign_adapter
ktap_check "unassigning an unassigned adapter changes nothing" same $MA/matrix '05.0004\n05.0008'

write_expect ENODEV $((MAXA + 1)) $MA/assign_adapter
write_expect ENODEV 256 $MA/assign_adapter
write_expect ENODEV $((MAXD + 1)) $MA/assign_domain
write_expect ENODEV $((MAXA + 1)) $MA/unassign_adapter
write_expect EINVAL xyz $MA/assign_adapter
write_expect EINVAL 08 $MA/assign_adapter
write_expect EINVAL -1 $MA/assign_domain
write_expect EINVAL " 1" $MA/assign_domain
write_expect EINVAL 0x $MA/assign_domain
write_expect ERANGE 99999999999999999999 $MA/assign_adapter
ktap_check "refused writes left the matrix alone" same $MA/matrix '05.0004\n05.0008'

write_ok 1 $MA/assign_control_domain
write_ok 0xb $MA/assign_control_domain
ktap_check "control_domains lists %04x lines" same $MA/control_domains '0001\n000b'
write_ok 1 $MA/unassign_control_domain
ktap_check "unassign_control_domain removes one" same $MA/control_domains '000b'

before=$(snapshot)
write_ok 4 $MB/assign_domain
write_expect EADDRINUSE 5 $MB/assign_adapter
ktap_check "the refusal names the queue and its holder in the log" \
	sh -c "dmesg | grep -q 'queue 05.0004 to mdev: already assigned to $A'"
write_expect EADDRINUSE "0x0400000000000000000000000000000000000000000000000000000000000000,0x08,0x" \
	$MB/ap_config
write_ok 6 $MB/assign_adapter
ktap_check "a disjoint adapter is fine for the second mdev" same $MB/matrix '06.0004'
ktap_check "domain-only matrix shows '.dddd' lines" \
	sh -c "echo 6 > $MB/unassign_adapter && test \"\$(cat $MB/matrix)\" = .0004"

cfg=$(cat $MA/ap_config)
ktap_check "ap_config reads 201 bytes" test "$(wc -c <$MA/ap_config)" = 201
ktap_check "ap_config reads the matrix as masks" test "$cfg" = \
"0x0400000000000000000000000000000000000000000000000000000000000000,0x0880000000000000000000000000000000000000000000000000000000000000,0x0010000000000000000000000000000000000000000000000000000000000000"
write_ok "$cfg" $MA/ap_config
ktap_check "writing ap_config back changes nothing" test "$(cat $MA/ap_config)" = "$cfg"
before=$(snapshot)
write_expect EINVAL "0X04,0x08,0x" $MA/ap_config
write_expect EINVAL "0x04,0x08" $MA/ap_config
if [ "$MAXA" -lt 255 ]; then
	write_expect ENODEV "$(mask_with $((MAXA + 1))),0x,0x" $MA/ap_config
else
	ktap_skip "ap_config with an adapter above the maximum" "this host supports all 256 adapters"
fi
ktap_check "refused ap_config writes changed nothing" test "$(snapshot)" = "$before"
write_ok "0x03,0x4,0x" $MA/ap_config
ktap_check "ap_config replaces the whole matrix at once" same $MA/matrix '06.0001\n07.0001'
ktap_check "guest_matrix is empty while the host configures nothing" \
	sh -c "test -n \"\$(ls /sys/bus/ap 2>/dev/null)\" || test -z \"\$(cat $MA/guest_matrix)\""

# More queues than one page lists: whole lines only, and a log line says so.
echo "$(mask_upto $MAXA),$(mask_upto $MAXD),0x" >$MA/ap_config
n=$(wc -l <$MA/matrix)
bytes=$(wc -c <$MA/matrix)
ktap_check "a large matrix is listed in whole lines within one page ($n lines, $bytes bytes)" \
	test "$n" -gt 0 -a "$bytes" -lt 4096 -a "$bytes" = $((n * 8))
ktap_check "a truncated listing is logged" sh -c "dmesg | grep -q 'read ap_config for the complete matrix'"

echo 1 >$MA/remove
echo 1 >$MB/remove
[ -w /sys/bus/ap/apmask ] && echo 0x$(mask_upto 255 | cut -c3-) >/sys/bus/ap/apmask
ktap_check "unload after configuring" rmmod vfio_ap
ktap_finish
