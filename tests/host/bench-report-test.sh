#!/usr/bin/env bash
# Host test of scripts/bench-report.py, no QEMU needed: a driver's halves are pooled over
# every rep, the verdict follows the pooled medians, failures and drift are reported, and
# the JSON/CSV files hold the pooled and the per-half rows. Prints TAP; exits non-zero on
# any failure.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
report=$here/../../scripts/bench-report.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=tap.sh
. "$(dirname "$0")/tap.sh"

# row SET HALF DRIVER WORKLOAD N V...: puts one measurement into $tmp/raw$SET (with the
# statistics vfio-ap-bench prints) and its reps into $tmp/samples$SET, in place of the row
# of the same half, driver, workload and N if there is one
row() {
	local set=$1 key="$2 $3 $4 $5"
	shift 5
	put_line "$tmp/raw$set" "$key" "$(printf '%s\n' "$@" | sort -g | awk '{ v[NR - 1] = $1 } END {
		printf "%d %.1f %.1f %.1f %.1f %.1f", NR, v[int(NR / 2)], v[int(NR / 10)],
			v[NR - 1 - int(NR / 10)], v[0], v[NR - 1] }')"
	put_line "$tmp/samples$set" "$key" "$*"
}
# put_line FILE KEY REST: the line "KEY REST" replaces FILE's line starting with KEY, or is appended
put_line() {
	if grep -q "^$2 " "$1"; then sed -i "s/^$2 .*/$2 $3/" "$1"; else echo "$2 $3" >>"$1"; fi
}

# Halves c, ours, ours, c. config M=1: C's reps are 100..104 and 200..204, pooled median
# v[5] = 200; ours' 150..154 and 90..94, pooled median 150. Half by half ours would lose the
# first pair (150 > 102) and win the second (92 < 202).
cat >"$tmp/raw" <<'RAW'
1 c floor 0 5 1000.0 1000.0 1000.0 1000.0 1000.0
1 c config 1 5 102.0 100.0 104.0 100.0 104.0
2 ours floor 0 5 1100.0 1100.0 1100.0 1100.0 1100.0
2 ours config 1 5 152.0 150.0 154.0 150.0 154.0
3 ours floor 0 5 1000.0 1000.0 1000.0 1000.0 1000.0
3 ours config 1 5 92.0 90.0 94.0 90.0 94.0
4 c floor 0 5 1000.0 1000.0 1000.0 1000.0 1000.0
4 c config 1 5 202.0 200.0 204.0 200.0 204.0
RAW
cat >"$tmp/samples" <<'RAW'
1 c floor 0 1000 1000 1000 1000 1000
1 c config 1 100 101 102 103 104
2 ours floor 0 1100 1100 1100 1100 1100
2 ours config 1 150 151 152 153 154
3 ours floor 0 1000 1000 1000 1000 1000
3 ours config 1 90 91 92 93 94
4 c floor 0 1000 1000 1000 1000 1000
4 c config 1 200 201 202 203 204
RAW
mkdir "$tmp/out"
out=$(python3 "$report" "$tmp/raw" "$tmp/samples" "$tmp/out" 2>&1)
rc=$?
if [ $rc = 0 ]; then result 1 "report runs"; else result 0 "report runs (exit $rc)" "$out"; fi
has "pooled medians: C 0.20 ms over 10 reps, ours 0.15 ms, ratio 0.75x" \
	'^ +1 +0\.20 \(0\.10-0\.20\) +0\.15 \(0\.09-0\.15\) +0\.75x' "$out"
has "each half's median in run order" 'halves: c 0\.10, ours 0\.15, ours 0\.09, c 0\.20' "$out"
has "verdict from the pooled medians" '^ours <= C on every workload: yes' "$out"
has "a 90% CI of ours/C from the pooled reps" '^ +1 +0\.20 \(0\.10-0\.20\) +0\.15 \(0\.09-0\.15\) +0\.75x +0\.[0-9]{2}-1\.[0-9]{2} ' "$out"
has "nothing slower beyond the noise (the floors differ by 1.10x)" '^ours slower than C beyond this run.s noise \(90% CI of ours/C above 1\.10, .*\): none$' "$out"
if grep -q warning <<<"$out"; then
	result 0 "no drift warning for floors within 25%" "$out"
else
	result 1 "no drift warning for floors within 25%"
fi
json=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); r=[x for x in d["results"] if x["workload"]=="config" and x["driver"]=="ours"][0]; print(r["reps"], r["median"], r["halves"], len(d["halves"]))' "$tmp/out/bench.json" 2>&1)
has "JSON: ours pooled over halves 2 and 3, 8 per-half rows" '^10 150\.0 \[2, 3\] 8$' "$json"
csvout=$(cat "$tmp/out/bench.csv")
has "CSV: pooled row" '^all,ours,config,1,10,150\.0,' "$csvout"
has "CSV: per-half row" '^3,ours,config,1,5\.0,92\.0,' "$csvout"

# A loss in the pooled medians, a failed half and a drifting floor.
row "" 3 ours config 1 300 301 302 303 304
row "" 3 ours floor 0 2000 2000 2000 2000 2000
echo "4 c pair 1 failed" >>"$tmp/raw"
row "" 2 ours pair 1 10 10 10 10 10
out=$(python3 "$report" "$tmp/raw" "$tmp/samples" "$tmp/out" 2>&1)
has "a pooled loss: ratio above 1" '^ +1 +0\.20 \(0\.10-0\.20\) +0\.30 \(0\.15-0\.30\) +1\.50x' "$out"
has "verdict NO on a loss, which it names" '^ours <= C on every workload: NO: config N=1 1\.50x \(not judged' "$out"
# C's reps 100..104 and 200..204 against ours' 150..154 and 300..304: a resample can draw
# mostly C's high half and ours' low one, so the CI reaches below 1.
has "a loss within the noise is not called slower" '^ours slower than C beyond this run.s noise .*: none$' "$out"
has "a failed half shows as failed" '^ +1 +failed +0\.01' "$out"
has "drift warning when the floors differ by more than 25%" '^warning: the floor ranged from 1\.00 to 2\.00 ms' "$out"

# A loss beyond the noise: every one of ours' reps above every one of C's.
# The floors of both drivers agree here (1.00 ms), so the bound is 1.
cp "$tmp/raw" "$tmp/raw2"
cp "$tmp/samples" "$tmp/samples2"
row 2 2 ours floor 0 1000 1000 1000 1000 1000
row 2 3 ours floor 0 1000 1000 1000 1000 1000
row 2 1 c hotplug 0 100 101 102 103 104
row 2 2 ours hotplug 0 120 121 122 123 124
out=$(python3 "$report" "$tmp/raw2" "$tmp/samples2" "$tmp/out" 2>&1)
has "a loss beyond the noise: CI above 1" '^ +0 +0\.10 \(0\.10-0\.10\) +0\.12 \(0\.12-0\.12\) +1\.20x +1\.1[0-9]-1\.2[0-9] ' "$out"
has "a loss beyond the noise is named" '^ours slower than C beyond this run.s noise .*: hotplug N=0 \(1\.20x, 90% CI 1\.1[0-9]-1\.2[0-9]\)$' "$out"
ci=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); r=[x for x in d["results"] if x["workload"]=="hotplug" and x["driver"]=="ours"][0]; print(r["ratio_ci90"], "values" in r)' "$tmp/out/bench.json" 2>&1)
has "JSON: the CI on ours' row, no per-rep values" '^\[1\.1[0-9]*, 1\.2[0-9]*\] False$' "$ci"

# The same loss when the floor itself read 1.30x between the halves: within the drift.
row 2 2 ours floor 0 1300 1300 1300 1300 1300
row 2 3 ours floor 0 1300 1300 1300 1300 1300
out=$(python3 "$report" "$tmp/raw2" "$tmp/samples2" "$tmp/out" 2>&1)
has "a loss within the floor's drift between halves is not called slower" '^ours slower than C beyond this run.s noise \(90% CI of ours/C above 1\.30, .*\): none$' "$out"

# A half of ours that failed is a loss too.
sed -i 's/^2 ours hotplug 0 .*/2 ours hotplug 0 failed/' "$tmp/raw2"
out=$(python3 "$report" "$tmp/raw2" "$tmp/samples2" "$tmp/out" 2>&1)
has "ours failing is named in the verdict" '^ours <= C on every workload: NO: hotplug N=0 failed, config N=1 1\.50x ' "$out"

# On the instruction-counting clock: said so, times in us with one decimal, clock in the JSON.
out=$(BENCH_CLOCK=icount python3 "$report" "$tmp/raw" "$tmp/samples" "$tmp/out" 2>&1)
has "icount: the clock is named" '^guest clock: icount' "$out"
has "icount: times in us" '^ +1 +200\.0 \(101\.0-203\.0\) +300\.0 \(151\.0-303\.0\) +1\.50x' "$out"
has "icount: a floor that differs is not blamed on TCG's speed" '^warning: the floor ranged from 1000\.0 to 2000\.0 us in this run: on the instruction clock' "$out"
clock=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["clock"])' "$tmp/out/bench.json" 2>&1)
has "icount: JSON names the clock" '^icount$' "$clock"

# The kernel variant: named in the report and the JSON.
out=$(VFIO_AP_KERNEL=bench python3 "$report" "$tmp/raw" "$tmp/samples" "$tmp/out" 2>&1)
has "kernel: the variant is named" '^kernel: bench \(lock debugging off\)' "$out"
kernel=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["kernel"])' "$tmp/out/bench.json" 2>&1)
has "kernel: JSON names the variant" '^bench$' "$kernel"

# The config share per floor: its own unit, judged like the rest.
cp "$tmp/raw2" "$tmp/raw3"
cp "$tmp/samples2" "$tmp/samples3"
row 3 1 c config-driver-per-floor 1 590 595 600 605 610
row 3 2 ours config-driver-per-floor 1 540 545 550 555 560
out=$(python3 "$report" "$tmp/raw3" "$tmp/samples3" "$tmp/out" 2>&1)
has "share per floor: titled, in percent of the floor" "^the drivers' share of each rep over the floor timed just before it \[% of floor" "$out"
has "share per floor: ratio" '^ +1 +600 \(590-610\) +550 \(540-560\) +0\.92x' "$out"
# Slower per floor while the floors themselves drift 1.30x: the drift is divided out already.
row 3 2 ours config-driver-per-floor 1 650 655 660 665 670
out=$(python3 "$report" "$tmp/raw3" "$tmp/samples3" "$tmp/out" 2>&1)
has "share per floor: slower beyond the noise whatever the floors' drift" '^ours slower than C beyond this run.s noise .*: config-driver-per-floor N=1 \(1\.10x' "$out"

# Samples missing for a pooled half: refuse rather than pool the medians.
sed -i '/^2 ours config/d' "$tmp/samples"
out=$(python3 "$report" "$tmp/raw" "$tmp/samples" "$tmp/out" 2>&1)
rc=$?
if [ $rc != 0 ] && grep -q "no samples for half 2" <<<"$out"; then
	result 1 "missing samples: refused"
else
	result 0 "missing samples: refused (exit $rc)" "$out"
fi

# scripts/bench-pool.sh: two runs of halves c, ours pooled as four halves. Run A alone has
# ours slower (150 > 102), run B alone faster; pooled, C's median is v[5] of 100..104 and
# 200..204 = 200, ours' of 90..94 and 150..154 = 150 (us; the wall report shows ms).
pool=$here/../../scripts/bench-pool.sh
for set in A B; do
	row "$set" 1 c floor 0 1000 1000 1000 1000 1000
	row "$set" 2 ours floor 0 1000 1000 1000 1000 1000
done
row A 1 c config 1 100 101 102 103 104
row A 2 ours config 1 150 151 152 153 154
row B 1 c config 1 200 201 202 203 204
row B 2 ours config 1 90 91 92 93 94
for set in A B; do
	mkdir -p "$tmp/run$set"
	mv "$tmp/raw$set" "$tmp/run$set/raw.txt"
	mv "$tmp/samples$set" "$tmp/run$set/samples.txt"
	VFIO_AP_KERNEL=bench python3 "$report" "$tmp/run$set/raw.txt" "$tmp/run$set/samples.txt" "$tmp/run$set" >/dev/null 2>&1
done
out=$("$pool" "$tmp/pooled" "$tmp/runA" "$tmp/runB" 2>&1)
has "pool: every rep of both runs, one ratio" '^ +1 +0\.20 \(0\.10-0\.20\) +0\.15 \(0\.09-0\.15\) +0\.75x' "$out"
has "pool: the second run's halves numbered on" '^ +halves: c 0\.10, ours 0\.15, c 0\.20, ours 0\.09$' "$out"
has "pool: the runs' kernel variant is kept" '^kernel: bench ' "$out"
has "pool: verdict on the pooled medians" '^ours <= C on every workload: yes' "$out"
# Runs on different clocks (or kernels) do not pool.
BENCH_CLOCK=icount VFIO_AP_KERNEL=bench python3 "$report" "$tmp/runB/raw.txt" "$tmp/runB/samples.txt" "$tmp/runB" >/dev/null 2>&1
out=$("$pool" "$tmp/pooled" "$tmp/runA" "$tmp/runB" 2>&1)
rc=$?
if [ $rc != 0 ] && grep -q "not comparable" <<<"$out"; then
	result 1 "pool: runs on different clocks refused"
else
	result 0 "pool: runs on different clocks refused (exit $rc)" "$out"
fi

tap_done
