#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# A host configuration change that concerns many guests at once: 20 VMs of the KVM test mode
# each hold an mdev with adapters 1-2 and a domain of its own; the simulator removes adapter 2
# from the host configuration and adds it back. The driver programs the guests in sets of up
# to 16 under one hold of its mdevs lock (several kvm->locks held at once; the runner fails the
# run on any lockdep report), so 20 guests take two sets. vfio-ap-bench's config workload
# drives it and fails unless every VM's CRYCB loses the adapter and gets it back.
. "$KTAP_LIB"
. "$(dirname "$KTAP_LIB")/ap-sim.sh"
. "$(dirname "$KTAP_LIB")/attach.sh"

GUESTS=20
PLAN=5

ktap_header
ktap_plan $PLAN
sim_require $PLAN
kvm_require $PLAN
command -v vfio-ap-bench > /dev/null || ktap_skip_all $PLAN "no vfio-ap-bench program"

uuid() { printf '5a1d0c2e-0000-4000-8000-%012x' $((0x720 + $1)); }
# mask ID...: a 0x + 64-digit mask with the given bits (MSB first) set
mask() {
	awk -v ids="$*" 'BEGIN {
		n = split(ids, a, " ")
		split("8 4 2 1", bit, " ")
		for (k = 1; k <= n; k++) nib[int(a[k] / 4)] += bit[a[k] % 4 + 1]
		s = "0x"
		for (i = 0; i < 64; i++) s = s sprintf("%x", nib[i])
		print s
	}'
}

masks_default
sim_standard
modprobe zcrypt_cex4
modprobe vfio_ap
sim "del-adapter 0-255; del-domain 0-255; del-cdom 0-255; clear-faults; reset-polls 0"
sim "add-adapter 1-2/cex8a; add-domain 0-$((GUESTS - 1)); clear-counters"
echo 0x0000000000000000000000000000000000000000000000000000000000000000 > $AP/apmask
ap_reprobe
wait_until 60 bindings_complete

i=0
set --
created=0
while [ $i -lt $GUESTS ]; do
	u=$(uuid $i)
	echo $u > $MDEV_TYPE/create &&
		echo "$(mask 1 2),$(mask $i),$(mask)" > $MATRIX/$u/ap_config &&
		created=$((created + 1))
	set -- "$@" $u
	i=$((i + 1))
done
ktap_check "$GUESTS mdevs, each with adapters 1-2 and its own domain" test $created = $GUESTS

out=$(vfio-ap-bench config 2 2 cex8a "$@" 2>&1)
rc=$?
[ $rc = 0 ] || echo "$out" | sed 's/^/# /'
ktap_check "removing adapter 2 from the host reaches all $GUESTS guests' CRYCBs, adding it back too (twice)" \
	test $rc = 0

# Each guest's view is its own again: adapters 1-2 and its domain.
bad=0
i=0
while [ $i -lt $GUESTS ]; do
	want=$(printf '01.%04x\n02.%04x' $i $i)
	[ "$(cat $MATRIX/$(uuid $i)/guest_matrix)" = "$want" ] || bad=$((bad + 1))
	i=$((i + 1))
done
ktap_check "every guest_matrix holds adapters 1-2 and its own domain afterwards ($bad differ)" \
	test $bad = 0

for m in "$MATRIX"/*-*-*-*-*; do [ -e "$m/remove" ] && echo 1 > "$m/remove"; done
masks_default
ktap_check "the mdevs are gone" test -z "$(ls $MATRIX | grep -- -)"
ktap_check "the module unloads" rmmod vfio_ap
sim_standard
ktap_finish
