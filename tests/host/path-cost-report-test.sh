#!/usr/bin/env bash
# Host test of scripts/path-cost-report.py, no QEMU needed: synthetic plugin output and guest
# logs for two drivers, one whose re-adding of the adapter updates no CRYCB before the scan
# completes (the C driver's way) and one whose does (ours'), checked for the right removals,
# splits and modes, and for refusing input that does not line up. Prints TAP.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
report=$here/../../scripts/path-cost-report.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=tap.sh
. "$(dirname "$0")/tap.sh"

printf '%s\n' "ap_scan_bus a0" "__drv_notify_config_changed b0" \
	"kvm_arch_crypto_set_masks c0" "__drv_notify_scan_complete d0" >"$tmp/syms"
t=1000000
# stamp ROLE_ADDR STEP_US: a stamp STEP_US after the last one
stamp() { t=$((t + $2 * 1000)); echo "0 0 $t $1" >>"$tmp/stamps"; }
# change NOTIFY_US CRYCB_US PER_GUEST_US M [FIRST_STEP_US]: one host configuration change;
# the step from the first guest's CRYCB to the second's takes FIRST_STEP_US if given
change() {
	stamp a0 100
	stamp b0 1
	stamp b0 "$1"
	local i=0
	if [ "$4" -gt 0 ]; then
		stamp c0 "$2"
		while [ $((i += 1)) -lt "$4" ]; do
			if [ $i = 1 ]; then stamp c0 "${5:-$3}"; else stamp c0 "$3"; fi
		done
	fi
	stamp d0 500
}
: >"$tmp/stamps"
: >"$tmp/results"
# set-up changes of a half: no guest attached, no CRYCB
half() { change 50 0 0 0; change 50 0 0 0; }
diag() { echo "diag config m $1 rep $2 cpu 0 0 floor $3 share $4 qci->first 1 first->last 1 us" >>"$tmp/results"; }

# the C driver: M = 1 then M = 3, two reps each; its re-adding updates no CRYCB in the window
half
for rep in 0 1; do change 60 20 0 1; change 60 0 0 0; diag 1 $rep 80 70; done
for rep in 0 1; do change 60 20 10 3; change 60 0 0 0; diag 3 $rep 160 100; done
echo "ok 1 half 1, the c driver: its workloads ran (0 failed so far)" >>"$tmp/results"
# ours: the re-adding updates CRYCBs before the scan completes
half
for rep in 0 1; do change 60 15 0 1; change 60 900 5 1; diag 1 $rep 80 60; done
for rep in 0 1; do change 60 15 8 3 12; change 60 900 5 3; diag 3 $rep 80 90; done
echo "ok 2 half 2, the ours driver: its workloads ran (0 failed so far)" >>"$tmp/results"

out=$(python3 "$report" wall "$tmp/stamps" "$tmp/results" "$tmp/syms" 2>&1)
rc=$?
result "$([ $rc = 0 ] && echo 1 || echo 0)" "wall: a consistent run is reported" "$out"
has "wall: M = 1, fast reps: scan 61, to CRYCB 20 (C) and 15 (ours)" \
	'^ +1 fast +1/1 +70\.0/60\.0 +61\.0/61\.0 +20\.0/15\.0 ' "$out"
has "wall: M = 3: per further guest 10 (C) and 10 (ours)" \
	'^ +3 all +1/1 .* 20\.0/15\.0 +10\.0/10\.0 ' "$out"
has "wall: M = 3: step 1 and the later steps apart" \
	'^ +3 all +1/1 .* 10\.0/12\.0 +10\.0/8\.0 *$' "$out"
has "wall: M = 1 has no steps" '^ +1 all +1/1 .* nan/nan +nan/nan *$' "$out"
has "wall: a rep with twice the lowest floor is slow mode" '^ +3 slow +1/0 ' "$out"
has "wall: first reps listed apart" 'first rep of each M.*c M=1 20, c M=3 20, ours M=1 15' "$out"

# one rep too many in the guest's log: the removals no longer line up
sed -i '$d' "$tmp/results"
diag 1 9 80 60
echo "ok 2 half 2, the ours driver: its workloads ran (0 failed so far)" >>"$tmp/results"
out=$(python3 "$report" wall "$tmp/stamps" "$tmp/results" "$tmp/syms" 2>&1)
rc=$?
result "$([ $rc != 0 ] && echo 1 || echo 0)" "wall: a rep without its removal is refused" "$out"
has "wall: the refusal counts both sides" '8 removals in the stamps, 9 reps' "$out"

# pages: windows from the notify to the first CRYCB (ended-by stop) or to the scan's end
w() { printf 'window %s ended-by %s tbs %s distinct-tbs 1 code-pages %s accesses 9 data-pages %s\n  code%s\n  data%s\n' "$@"; }
{
	w 0 end 5 1 1 " 100000@100010" " 2000@100010"
	w 1 stop 184 2 1 " 100000@100010 3ff60000000@3ff60000010" " 5000@3ff60000020"
	w 2 end 900 1 1 " 100000@100010" " 2000@100010"
	w 3 stop 126 1 2 " 3ff60001000@3ff60001008" " 6000@100010 7000@3ff60001008"
	w 4 stop 99999 1 1 " 100000@100010" " 2000@100010"
} >"$tmp/windows"
printf '0000000000100000 T ap_scan_bus\n' >"$tmp/System.map"
rep_line="diag config m 1 rep 0 cpu 0 0 floor 80 share 70 qci->first 1 first->last 1 us"
{
	echo "$rep_line"
	echo "# ksym 1 c 3ff60000000 t vfio_ap_on_cfg_changed [vfio_ap]"
	echo "ok 1 half 1, the c driver: its workloads ran (0 failed so far)"
	echo "$rep_line"
	echo "# ksym 2 ours 3ff60001000 t update_host [vfio_ap]"
	echo "ok 2 half 2, the ours driver: its workloads ran (0 failed so far)"
} >"$tmp/results-pages"
out=$(python3 "$report" pages "$tmp/windows" "$tmp/results-pages" "$tmp/System.map" 0 2>&1)
result "$([ $? = 0 ] && echo 1 || echo 0)" "pages: a consistent run is reported" "$out"
has "pages: C's removal, not its re-adding" '^ +c +M = 1 +2 \+ +1 = +3$' "$out"
has "pages: ours' removal, not its re-adding that updates CRYCBs" '^ +ours +M = 1 +1 \+ +2 = +3$' "$out"
has "pages: a page is named by the module function that touched it first" \
	'^ +7000 +update_host$' "$out"
has "pages: and a kernel page by the kernel's" '^ +6000 +ap_scan_bus$' "$out"

# step: one window per arming (the notify), from the first CRYCB to the second; changes
# without a guest (set-up) have none, and a re-adding may or may not have one
{
	echo arm; echo arm; echo end; echo end
	echo arm; echo arm
	w 0 stop 40 1 1 " 100000@100010" " 5000@3ff60000020"
	echo end; echo end
	echo arm; echo arm
	w 1 stop 99999 1 1 " 100000@100010" " 2000@100010"
	echo end; echo end
	echo arm; echo end
	echo arm
	w 2 stop 30 2 2 " 100000@100010 3ff60001000@3ff60001008" " 6000@100010 7000@3ff60001008"
	echo end
	echo arm; echo end
	echo arm; echo end
	echo arm
	w 3 stop 30 3 3 " 100000@100010" " 2000@100010"
	echo end
	echo arm; echo end
} >"$tmp/windows-step"
{
	echo "${rep_line/m 1 rep 0/m 16 rep 0}"
	echo "ok 1 half 1, the c driver: its workloads ran (0 failed so far)"
	echo "${rep_line/m 1 rep 0/m 16 rep 0}"
	echo "${rep_line/m 1 rep 0/m 16 rep 1}"
	echo "ok 2 half 2, the ours driver: its workloads ran (0 failed so far)"
} >"$tmp/results-step"
out=$(python3 "$report" step "$tmp/windows-step" "$tmp/results-step" "$tmp/System.map" 0 2>&1)
result "$([ $? = 0 ] && echo 1 || echo 0)" "step: a consistent run is reported" "$out"
has "step: C's removal, not its re-adding nor its set-up" '^ +c +M = 16 +1 \+ +1 = +2$' "$out"
has "step: ours' last removal, after a re-adding without a step and a set-up" \
	'^ +ours +M = 16 +3 \+ +3 = +6$' "$out"

out=$(python3 "$report" bogus 2>&1)
result "$([ $? != 0 ] && echo 1 || echo 0)" "an unknown mode prints the usage" "$out"
tap_done
