#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Concurrent stress: writers at once doing random assign/unassign, ap_config writes, mdev
# create/remove, apmask/aqmask flips, queue unbind/bind, simulated host configuration changes,
# and a VM opening and closing an mdev. Every few seconds the writers pause and the checker
# asserts the promise: no APQN in two mdevs' matrix, none both reserved for the host and in a
# guest_matrix, the VM's CRYCB equal to its mdev's guest_matrix while the device is open, and
# no queue bound to a host (zcrypt) driver in the CRYCB. Bounded: STRESS_SECONDS (default 60)
# or, in long mode (make check-long), until 100000 operations.
. "$KTAP_LIB"
. "$(dirname "$KTAP_LIB")/ap-sim.sh"
. "$(dirname "$KTAP_LIB")/attach.sh"

A=5a1d0c2e-0000-4000-8000-0000000000a1
B=5a1d0c2e-0000-4000-8000-0000000000b2
C=5a1d0c2e-0000-4000-8000-0000000000c3
D=5a1d0c2e-0000-4000-8000-0000000000d4
S=/tmp/stress
if [ "${VFIO_AP_LONG:-0}" = 1 ]; then
	SECONDS_MAX=${STRESS_SECONDS:-7200}
	OPS_MAX=100000
else
	SECONDS_MAX=${STRESS_SECONDS:-60}
	OPS_MAX=1000000000
fi
PLAN=6

ktap_header
ktap_plan $PLAN
sim_require $PLAN

# rnd N: a number in 0..N-1; one LIST...: one of the words
rnd() { echo $((RANDOM % $1)); }
one() { shift $((RANDOM % $#)); echo "$1"; }
mdev() { one $A $B $C; }

op_edit() {
	local m
	m=$MATRIX/$(mdev)
	case $(rnd 6) in
	0) echo "$(one 1 2 3)" > $m/assign_adapter ;;
	1) echo "$(one 1 2 3)" > $m/unassign_adapter ;;
	2) echo "$(one 5 6 7 8)" > $m/assign_domain ;;
	3) echo "$(one 5 6 7 8)" > $m/unassign_domain ;;
	4) echo "$(one 4 9)" > $m/assign_control_domain ;;
	5) echo "$(one 4 9)" > $m/unassign_control_domain ;;
	esac
}
Z=00000000000000000000000000000000000000000000000000000000000000
op_ap_config() {
	# adapters among 1-3 (0x40, 0x20, 0x10 in the first byte), domains among 5-8
	echo "0x$(one 40 20 10 60 30 00)$Z,0x0$(one 4 2 1 6 3 0)$Z,0x$(one 08 00)$Z" \
		> $MATRIX/$(one $B $C)/ap_config
}
op_mdev() {
	if [ -d $MATRIX/$D ]; then
		echo 1 > $MATRIX/$D/remove
	else
		echo $D > $MDEV_TYPE/create && echo "$(one 1 2 3)" > $MATRIX/$D/assign_adapter &&
			echo "$(one 5 6 7 8)" > $MATRIX/$D/assign_domain
	fi
}
op_masks() {
	case $(rnd 4) in
	0) echo "+$(one 1 2 3)" > $AP/apmask ;;
	1) echo "-$(one 1 2 3)" > $AP/apmask ;;
	2) echo "+$(one 5 6 7 8)" > $AP/aqmask ;;
	3) echo "-$(one 5 6 7 8)" > $AP/aqmask ;;
	esac
	ap_reprobe
}
op_bind() {
	local q
	q=0$(one 1 2 3).000$(one 5 6 7 8)
	if [ "$(drv $q)" = vfio_ap ]; then
		echo $q > $AP/drivers/vfio_ap/unbind
	else
		echo $q > $AP/drivers/vfio_ap/bind
	fi
}
op_config() {
	if [ -d $AP/card03 ]; then sim "del-adapter 3"; else sim "add-adapter 3/cex6p"; fi
}
op_vm() {
	if [ -e $S.open ]; then
		helper a close && rm -f $S.open
	else
		helper a open && touch $S.open
	fi
}

# writer ID OP: run OP until told to stop, pausing when asked
writer() {
	local n=0
	while [ ! -e $S.stop ]; do
		if [ -e $S.pause ]; then
			touch $S.paused.$1
			while [ -e $S.pause ]; do sleep 0.05; done
			rm -f $S.paused.$1
			continue
		fi
		$2 > /dev/null 2>&1
		n=$((n + 1))
		echo $n > $S.ops.$1
	done
}
WRITERS="1:op_edit 2:op_edit 3:op_ap_config 4:op_mdev 5:op_masks 6:op_bind 7:op_config 8:op_vm"

# mask_has MASK ID: whether bit ID (MSB-0) is set in a 0x + 64-digit hex mask
mask_has() {
	local d
	d=$(echo "$1" | cut -c$(($2 / 4 + 3)))
	[ $(((0x$d >> (3 - $2 % 4)) & 1)) = 1 ]
}
apqns() { grep -hE '^[0-9a-f]{2}\.[0-9a-f]{4}$' "$@" 2>/dev/null; }
violations=0
violation() { violations=$((violations + 1)); echo "# violation: $*"; }
check() {
	local am qm line a q d
	am=$(cat $AP/apmask)
	qm=$(cat $AP/aqmask)
	d=$(apqns $MATRIX/*-*-*-*-*/matrix | sort | uniq -d)
	[ -z "$d" ] || violation "in two mdevs: $d"
	for line in $(apqns $MATRIX/*-*-*-*-*/guest_matrix); do
		a=$((0x${line%.*}))
		q=$((0x${line#*.}))
		if mask_has "$am" $a && mask_has "$qm" $q; then
			violation "$line is reserved for the host and in a guest_matrix"
		fi
	done
	if [ -e $S.open ]; then
		[ "$(crycb_ids a)" = "$(guest_ids $MATRIX/$A)" ] ||
			violation "CRYCB $(crycb_ids a) but guest_matrix $(guest_ids $MATRIX/$A)"
		for a in $(crycb a apm-ids); do
			for q in $(crycb a aqm-ids); do
				case $(drv $a.$q) in
				cex4queue) violation "$a.$q is bound to cex4queue and in the CRYCB" ;;
				esac
			done
		done
	fi
}
quiesce() {
	local w n=0
	touch $S.pause
	for w in $WRITERS; do
		while [ ! -e $S.paused.${w%%:*} ] && [ $n -lt 600 ]; do
			sleep 0.05
			n=$((n + 1))
		done
	done
}
ops() { cat $S.ops.* 2>/dev/null | awk '{ n += $1 } END { print n + 0 }'; }

ours_load
echo -1,-2,-3 > $AP/apmask
echo -5,-6,-7,-8 > $AP/aqmask
for m in $A $B $C; do echo $m > $MDEV_TYPE/create; done
echo 1 > $MATRIX/$A/assign_adapter
echo 5 > $MATRIX/$A/assign_domain
rm -f $S.*
attach_start a $A
touch $S.open

PIDS=
for w in $WRITERS; do
	writer ${w%%:*} ${w#*:} &
	PIDS="$PIDS $!"
done
T0=$(date +%s)
checks=0
while [ $(($(date +%s) - T0)) -lt "$SECONDS_MAX" ] && [ "$(ops)" -lt $OPS_MAX ]; do
	sleep 3
	quiesce
	check
	checks=$((checks + 1))
	rm -f $S.pause
done
touch $S.stop
rm -f $S.pause
# shellcheck disable=SC2086
wait $PIDS
check
TOTAL=$(ops)
echo "# $TOTAL operations by $(echo $WRITERS | wc -w) writers in $(($(date +%s) - T0)) s, $checks checks, $violations violations"

ktap_check "the writers ran ($TOTAL operations)" test "$TOTAL" -gt 100
ktap_check "every writer got work done" \
	sh -c "for f in $S.ops.*; do test \$(cat \$f) -gt 0 || exit 1; done; test \$(ls $S.ops.* | wc -l) = 8"
ktap_check "the checker ran during the stress ($checks times)" test $checks -ge 2
ktap_check "no violation of the ownership rules (0 of $checks checks)" test $violations = 0
[ -e $S.open ] || helper a open
ktap_check "after the stress the VM can still open the mdev and sees its guest_matrix" \
	test "$(crycb_ids a)" = "$(guest_ids $MATRIX/$A)"
attach_stop a
for m in "$MATRIX"/*-*-*-*-*; do [ -e "$m/remove" ] && echo 1 > "$m/remove"; done
masks_default
ktap_check "the module unloads after the stress" rmmod vfio_ap
sim_standard
rm -f $S.*
ktap_finish
