#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Control-plane benchmarks, the in-tree C driver and ours in the same boot on the same
# simulated hardware (load one, run, unload, load the other). Run by `make bench`
# (scripts/bench.sh), which turns the "# bench" lines into tables, JSON and CSV.
#
# Simulated LPAR: adapters 1-2 (CEX8A) x domains 0-255, every adapter released to vfio_ap,
# resets complete at once. Workloads (tests/progs/vfio-ap-bench.c does the timing):
#   floor          a write to /sys/bus/ap/drivers_autoprobe (stores a flag, nothing else)
#   pair N         assign_adapter 2 + unassign_adapter 2 on an mdev holding domain 0, while
#                  N other mdevs hold 01.0000 ... 01.(N-1): the queue 02.0000 enters the
#                  mdev's guest view and leaves it again (so it is reset)
#   matrix-writes K  a KxK matrix by 2K assign writes; matrix-config K: by one ap_config write
#   hotplug        assign_domain 1 to an mdev a VM holds, until the VM's CRYCB has it
#   config M       M VMs each hold an mdev with adapters 1-2 and its own domain; the simulator
#                  removes adapter 2 from the host configuration, until no CRYCB has it;
#                  config-driver: the drivers' share, from the AP bus's QCI that saw the change
#   memory         per mdev over creating 256 mdevs: memory-alloc, bytes /proc/allocinfo counts
#                  (exact); memory, Slab growth; memory-free, MemFree drop
# Reps: BENCH_REPS (default 100) for the short writes, fewer for the long workloads.
# BENCH_WORKLOADS picks some of "floor pair matrix hotplug memory config" (default: all);
# BENCH_CONFIG_REPS (default 15) sets the config reps; BENCH_DIAG=1 has vfio-ap-bench print
# per-rep details on stderr. BENCH_ORDER (default "c ours ours c") is the sequence of halves:
# each driver runs twice, mirrored, so that TCG's speed drifting through the boot weighs on
# both drivers alike; bench-report.py pools a driver's halves. BENCH_KSYMS=1 (set by
# scripts/insn-profile.sh) prints each half's module symbols and marks the half with a sync.
. "$KTAP_LIB"
. "$(dirname "$KTAP_LIB")/ap-sim.sh"

# scripts/bench.sh passes its settings in bench.conf beside this file
[ ! -r "$(dirname "$0")/bench.conf" ] || . "$(dirname "$0")/bench.conf"
[ -z "${BENCH_DIAG:-}" ] || export BENCH_DIAG
REPS=${BENCH_REPS:-100}
NS=${BENCH_NS:-"1 16 64 256"}
MS=${BENCH_MS:-"1 16 64"}
KS=${BENCH_KS:-"16 64 128"}
CONFIG_REPS=${BENCH_CONFIG_REPS:-15}
WORKLOADS=${BENCH_WORKLOADS:-"floor pair matrix hotplug memory config"}
DRIVERS=${BENCH_ORDER:-c ours ours c}
T=be4c0000-0000-4000-8000-0000000000ff
# one check per half (a driver loaded, every workload run, unloaded)
PLAN=$(echo $DRIVERS | wc -w)

ktap_header
ktap_plan $PLAN
sim_require $PLAN
command -v vfio-ap-bench > /dev/null || ktap_skip_all $PLAN "no vfio-ap-bench program"

# uuid I: the UUID of the I-th helper mdev
uuid() { printf 'be4c0001-0000-4000-8000-%012x' "$1"; }
Z=0000000000000000000000000000000000000000000000000000000000000000
F=ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
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

bench_setup() {
	sim "del-adapter 0-255; del-domain 0-255; del-cdom 0-255; clear-faults; reset-polls 0"
	sim "events on; add-adapter 1-2/cex8a; add-domain 0-255; add-cdom 0-255; clear-counters"
	echo 0x$Z > $AP/apmask
	ap_reprobe
	wait_until 60 bindings_complete
}

load() {
	masks_default
	sim_standard
	case $1 in
	c) ref_load ;;
	ours) modprobe zcrypt_cex4 && modprobe vfio_ap ;;
	esac
	bench_setup
	# scripts/insn-profile.sh: the module's symbols, then a sync the tracer marks the half by
	if [ -n "${BENCH_KSYMS:-}" ]; then
		grep '\[' /proc/kallsyms | sed "s/^/# ksym $half $1 /"
		sync
	fi
}

# either driver: remove the mdevs, give the queues back, unload, restore the standard LPAR
unload() { ref_unload && sim_standard; }

# want WORKLOAD: whether BENCH_WORKLOADS selects it
want() { case " $WORKLOADS " in *" $1 "*) true ;; *) false ;; esac; }

# out DRIVER WORKLOAD N CMD...: run a measurement, print its "# bench HALF DRIVER WORKLOAD N
# REPS MEDIAN P10 P90 MIN MAX" line and, for pooling a driver's halves, its "# samples HALF
# DRIVER WORKLOAD N V..." line (a "result:PART ..." line is the workload WORKLOAD-PART)
failures=0
out() {
	local drv=$1 w=$2 n=$3 r line part
	shift 3
	if r=$(vfio-ap-bench "$@"); then
		echo "$r" | while read -r part line; do
			case $part in
			result) echo "# bench $half $drv $w $n $line" ;;
			result:*) echo "# bench $half $drv $w-${part#result:} $n $line" ;;
			samples) echo "# samples $half $drv $w $n $line" ;;
			samples:*) echo "# samples $half $drv $w-${part#samples:} $n $line" ;;
			esac
		done
	else
		echo "# bench $half $drv $w $n failed"
		failures=$((failures + 1))
	fi
}

mdev_new() { echo "$1" > $MDEV_TYPE/create && echo "$2" > $MATRIX/$1/ap_config; }
# ap_config of the mdevs: adapter and domain masks, no control domains
cfg() { echo "$1,$2,0x$Z"; }

run_driver() {
	local drv=$1 n have i m
	load $drv
	! want floor || out $drv floor 0 write $REPS $AP/drivers_autoprobe 1

	# pair N: T holds domain 0; helper mdev i holds 01.i
	if want pair; then
		echo $T > $MDEV_TYPE/create
		echo 0 > $MATRIX/$T/assign_domain
		A1=$(mask 1)
		have=0
		for n in $NS; do
			while [ $have -lt "$n" ]; do
				mdev_new "$(uuid $have)" "$(cfg "$A1" "$(mask $have)")"
				have=$((have + 1))
			done
			out $drv pair "$n" pair $REPS $MATRIX/$T/assign_adapter 2 \
				$MATRIX/$T/unassign_adapter 2
		done
		for m in "$MATRIX"/*-*-*-*-*; do echo 1 > "$m/remove"; done
	fi

	# KxK matrices: the C driver's cost per assign write grows with |APM|*|AQM| (a 256x256
	# build by attribute writes takes it over a quarter of an hour under TCG), so its largest
	# per-attribute size is 128 with one rep; ours also builds the full 256x256 one.
	if want matrix; then
		echo $T > $MDEV_TYPE/create
		for k in $KS 256; do
			case $drv/$k in
			c/256) ;;
			*/128 | */256) out $drv matrix-writes $k matrix-writes 1 $T $k ;;
			*) out $drv matrix-writes $k matrix-writes 3 $T $k ;;
			esac
			out $drv matrix-config $k matrix-config 3 $T $k
		done
		echo 1 > $MATRIX/$T/remove
	fi

	# hot plug: T holds 01.0000; a VM holds T; domain 1 comes and goes
	if want hotplug; then
		mdev_new $T "$(cfg "$(mask 1)" "$(mask 0)")"
		out $drv hotplug 0 hotplug $((REPS / 2)) $T 1
		echo 1 > $MATRIX/$T/remove
	fi

	if want memory; then
		out $drv memory-alloc 256 memory 3 256 Alloc
		out $drv memory 256 memory 5 256 Slab
		out $drv memory-free 256 memory 5 256 MemFree
	fi
	# host configuration change: M mdevs with adapters 1-2 and their own domain, each in a
	# VM. Each rep adds the adapter back, one queue probe per domain in the configuration,
	# so the host keeps only the domains the largest M uses (with all 256 a rep took ~15 s
	# under TCG).
	if want config; then
		A12=$(mask 1 2)
		m=1
		for n in $MS; do [ "$n" -le $m ] || m=$n; done
		[ $m -ge 256 ] || sim "del-domain $m-255"
		have=0
		for n in $MS; do
			while [ $have -lt "$n" ]; do
				mdev_new "$(uuid $have)" "$(cfg "$A12" "$(mask $have)")"
				have=$((have + 1))
			done
			i=0
			set --
			while [ $i -lt "$n" ]; do set -- "$@" "$(uuid $i)"; i=$((i + 1)); done
			out $drv config "$n" config $CONFIG_REPS 2 cex8a "$@"
		done
	fi
	# The floor again: TCG's speed can drift within a boot, and a half that ends slower than
	# it began, or slower than the other half, makes its ratios suspect (bench-report says so).
	! want floor || out $drv floor-end 0 write $REPS $AP/drivers_autoprobe 1
	unload
}

half=0
for d in $DRIVERS; do
	half=$((half + 1))
	run_driver $d
	ktap_check "half $half, the $d driver: its workloads ran ($failures failed so far)" \
		test $failures = 0
done
ktap_finish
