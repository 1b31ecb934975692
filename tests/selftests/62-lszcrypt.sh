#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Debian's lszcrypt (s390-tools 2.35) reads the module unchanged: the simulated cards and
# queues, vfio_ap as the driver of the queues released to it, and the STATUS column that
# lszcrypt takes from our queue `status` attribute: unassigned, assigned once an mdev holds
# the queue, in use while a VM holds the mdev (including a domain hot plugged then), and back.
# The same story on the in-tree C driver must print the same lszcrypt output at every step.
. "$KTAP_LIB"
. "$(dirname "$KTAP_LIB")/ap-sim.sh"
. "$(dirname "$KTAP_LIB")/attach.sh"

U=62c0ffee-0000-4000-8000-000000000001
PLAN=10
ktap_header
ktap_plan $PLAN
command -v lszcrypt > /dev/null || ktap_skip_all $PLAN "no lszcrypt in the guest"
sim_require $PLAN
kvm_require $PLAN

# status Q: the STATUS column of queue Q in `lszcrypt -V` ("in use" is two words)
status() {
	lszcrypt -V "$1" | awk -v q="$1" '$1 == q { s = $4; if (s == "in") s = s " " $5; print s }'
}
# driver Q: the DRIVER column (the last one)
driver() { lszcrypt -V "$1" | awk -v q="$1" '$1 == q { print $NF }'; }

# story OUT: the scenario, with a `lszcrypt -V` snapshot per step in OUT.N and each step's
# status of 01.0005 and 01.0006 in OUT.status
story() {
	local out=$1 m=$MATRIX/$U
	rm -f "$out".*
	wait_until 10 bindings_complete
	echo -1,-2 > $AP/apmask
	ap_reprobe
	lszcrypt -V > "$out.1"
	echo "$U" > $MDEV_TYPE/create
	echo 1 > $m/assign_adapter
	echo 5 > $m/assign_domain
	lszcrypt -V > "$out.2"
	attach_start a "$U"
	lszcrypt -V > "$out.3"
	echo 6 > $m/assign_domain
	lszcrypt -V > "$out.4"
	{ status 01.0005; status 01.0006; } > "$out.attached"
	attach_stop a
	lszcrypt -V > "$out.5"
	{ status 01.0005; status 01.0006; } > "$out.closed"
	echo 1 > $m/unassign_adapter
	lszcrypt -V > "$out.6"
	echo 1 > $m/remove
}

ours_load
ktap_check "lszcrypt lists the simulated cards 00-03 as CEX8A, CEX8A, CEX7C, CEX6P" \
	test "$(lszcrypt | awk '$1 ~ /^0[0-3]$/ { printf "%s %s ", $1, $2 }')" = \
	"00 CEX8A 01 CEX8A 02 CEX7C 03 CEX6P "
echo -1,-2 > $AP/apmask
ap_reprobe
ktap_check "queues released to vfio_ap show the driver vfio_ap, the host's cex4queue" \
	test "$(driver 01.0005) $(driver 02.0004) $(driver 00.0005) $(driver 03.0008)" = \
	"vfio_ap vfio_ap cex4queue cex4queue"
ktap_check "a queue no mdev holds is 'unassigned'" test "$(status 01.0005)" = unassigned
masks_default
story /tmp/lsz-ours
ktap_check "an assigned queue is 'assigned', its neighbours stay 'unassigned'" \
	test "$(awk '$1 == "01.0005" { print $4 } $1 == "01.0004" { print $4 }' /tmp/lsz-ours.2 | paste -sd' ')" = \
	"unassigned assigned"
ktap_check "while a VM holds the mdev its queue is 'in use'" \
	grep -q '^01\.0005 .* in use ' /tmp/lsz-ours.3
ktap_check "a domain hot plugged into the running VM is 'in use' at once" \
	test "$(paste -sd, /tmp/lsz-ours.attached)" = "in use,in use"
ktap_check "after the VM closes the queues are 'assigned' again" \
	test "$(paste -sd, /tmp/lsz-ours.closed)" = "assigned,assigned"
ktap_check "after unassign_adapter they are 'unassigned'" \
	test "$(awk '$1 ~ /^01\.000[56]$/ { print $4 }' /tmp/lsz-ours.6 | paste -sd' ')" = \
	"unassigned unassigned"
ktap_check "the host's queues stay 'online' with cex4queue through it all" \
	sh -c "! grep -hE '^0[03]\.' /tmp/lsz-ours.[1-6] | grep -v ' online .*cex4queue *\$'"
ours_unload

ref_load && sim_standard && wait_until 10 bindings_complete
story /tmp/lsz-ref
ref_unload
same=0
for n in 1 2 3 4 5 6; do
	if ! cmp -s /tmp/lsz-ours.$n /tmp/lsz-ref.$n; then
		same=1
		echo "# step $n differs (ours, then the C driver):"
		diff /tmp/lsz-ours.$n /tmp/lsz-ref.$n | sed 's/^/# /'
	fi
done
ktap_check "lszcrypt prints the same at every step on the in-tree C driver" test $same = 0
sim_standard
rm -f /tmp/lsz-ours.* /tmp/lsz-ref.*
ktap_finish
