# SPDX-License-Identifier: GPL-2.0
#
# Helpers for tests that drive the test kernel's AP simulator (tests/selftests-sim and our
# own queue tests); sourced, not a test itself.
# The simulator is CONFIG_AP_SIM; see Documentation/ap-sim.rst.

SIM=/sys/kernel/debug/ap_sim
AP=/sys/bus/ap
REF=${REFERENCE_MODULE:-/opt/reference/vfio_ap.ko}
MATRIX=/sys/devices/vfio_ap/matrix
MDEV_TYPE=$MATRIX/mdev_supported_types/vfio_ap-passthrough

# sim CMD...: run simulator commands (';' separates them); waits for the AP bus rescan
sim() { printf '%s\n' "$*" > $SIM/control; }

# The configuration every test starts from: 4 adapters of 3 kinds, usage domains 4-8,
# control domains 4-9, resets that complete at once, no faults, counters zeroed.
SIM_STANDARD="del-adapter 0-255; del-domain 0-255; del-cdom 0-255; clear-faults; reset-polls 0"
SIM_STANDARD="$SIM_STANDARD; events on; add-adapter 0-1/cex8a,2/cex7c,3/cex6p"
SIM_STANDARD="$SIM_STANDARD; add-domain 4-8; add-cdom 4-9; clear-counters"
sim_standard() { sim "$SIM_STANDARD" && ap_reprobe; }

# Probe every AP device that has no driver. The AP bus does not do it when apmask/aqmask
# change: __ap_revise_reserved() reads the flags of an unbound queue's (NULL) driver, from
# the lowcore, instead of skipping it (see Documentation/ap-sim.rst).
ap_reprobe() {
	local d
	for d in $AP/devices/*; do
		[ -e "$d/driver" ] || echo "${d##*/}" > $AP/drivers_probe 2>/dev/null
	done
	return 0
}

# sim_count APQN INSN: how often INSN was issued to APQN since the counters were cleared
sim_count() {
	local n
	n=$(awk -v q="$1" -v i="$2" \
		'$1 == q { for (k = 2; k < NF; k += 2) if ($k == i) print $(k + 1) }' $SIM/counters)
	echo "${n:-0}"
}

# sim_qfield APQN FIELD: a field of the queue's line in the simulator's queue view
sim_qfield() {
	awk -v q="$1" -v f="$2" '$1 == q { for (k = 2; k < NF; k += 2) if ($k == f) print $(k + 1) }' \
		$SIM/queues
}

# sim_qci_changed: the simulator's ktime of the first QCI that showed the last change
sim_qci_changed() { sed -n 's/^qci-changed-ns //p' $SIM/config; }

# drv DEVICE: the AP driver a card or queue device is bound to (empty if none)
drv() {
	local l
	l=$(readlink "$AP/devices/$1/driver") || return 0
	basename "$l"
}

# wait_until SECONDS CMD...: poll CMD every 0.1 s
wait_until() {
	local n=$(($1 * 10))
	shift
	while ! "$@"; do
		n=$((n - 1))
		[ $n -gt 0 ] || return 1
		sleep 0.1
	done
}

bindings_complete() { grep -q complete $AP/bindings; }

# The in-tree C vfio_ap (the reference), after zcrypt's default drivers and mdev.
ref_load() {
	if [ -d /sys/module/vfio_ap ]; then
		rmmod vfio_ap || return 1
	fi
	modprobe zcrypt_cex4 && modprobe mdev && insmod "$REF"
}

# Remove the mdevs and give the queues back to zcrypt *before* unloading: unloading first
# would leave them without a driver, and the AP bus does not reprobe those (see ap_reprobe).
ref_unload() {
	local m
	for m in "$MATRIX"/*-*-*-*-*; do
		[ -e "$m/remove" ] && echo 1 > "$m/remove"
	done
	masks_default
	[ ! -d /sys/module/vfio_ap ] || rmmod vfio_ap
}

# Give every queue back to the default drivers.
masks_default() {
	echo 0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff > $AP/apmask
	echo 0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff > $AP/aqmask
}

# sim_require N: without the simulator, skip the N planned tests and finish
sim_require() {
	[ -w $SIM/control ] || ktap_skip_all "$1" "kernel without CONFIG_AP_SIM"
}

# ref_mdev_2x2 UUID: the standard configuration with the in-tree C driver loaded, adapters
# 2-3 and domains 6-7 released to it, and mdev UUID holding 02-03 x 0006-0007 plus control
# domain 9.
ref_mdev_2x2() {
	local m=$MATRIX/$1 a d
	ref_unload 2>/dev/null
	masks_default
	sim_standard
	ref_load
	wait_until 10 bindings_complete
	echo -2,-3 > $AP/apmask
	echo -6,-7 > $AP/aqmask
	echo "$1" > $MDEV_TYPE/create
	for a in 2 3; do echo $a > $m/assign_adapter; done
	for d in 6 7; do echo $d > $m/assign_domain; done
	echo 9 > $m/assign_control_domain
}

# ours_load: the standard configuration with zcrypt's default drivers and the module under
# test loaded, every queue bound.
ours_load() {
	masks_default
	sim_standard
	modprobe zcrypt_cex4
	modprobe vfio_ap
	wait_until 10 bindings_complete
}

# ours_unload: remove every mdev, give the queues back to the host, unload the module and
# restore the standard configuration.
ours_unload() {
	local m
	for m in "$MATRIX"/*-*-*-*-*; do
		[ -e "$m/remove" ] && echo 1 > "$m/remove"
	done
	masks_default
	rmmod vfio_ap
	sim_standard
}
