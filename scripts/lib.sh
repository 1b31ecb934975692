# Shared settings and helpers for scripts/*.sh. Sourced, never run.
# shellcheck shell=bash

KVER_MAJOR=${KVER_MAJOR:-7.3}
CACHE_ROOT=${VFIO_AP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vfio-ap-rs}
KSRC=${KSRC:-$CACHE_ROOT/linux-source-$KVER_MAJOR}
TOOLS_DIR=$CACHE_ROOT/tools
GUEST_DIR=$CACHE_ROOT/guest
export PATH="$TOOLS_DIR/bin:$PATH"

info() { printf '[vfio-ap-rs] %s\n' "$*" >&2; }
die() { printf '[vfio-ap-rs] error: %s\n' "$*" >&2; exit 1; }

# kernel_image_base KERNEL_DIR: where the test kernel's image runs (KASLR is off there)
kernel_image_base() {
	local base
	base=$(sed -n 's/^CONFIG_KERNEL_IMAGE_BASE=//p' "$1/build/.config")
	[ -n "$base" ] || die "no CONFIG_KERNEL_IMAGE_BASE in $1/build/.config"
	echo "$base"
}

# kernel_sym_addr SYSTEM_MAP BASE NAME: the run address of a kernel symbol, in hex
kernel_sym_addr() {
	local a
	a=$(awk -v s="$3" '$3 == s { print $1; exit }' "$1")
	[ -n "$a" ] || die "no symbol $3 in $1"
	printf '%x' $((0x$a + $2))
}

# run_step DESCRIPTION FUNCTION: announce, time, and name the step if it fails.
run_step() {
	local what=$1 fn=$2 t0 rc
	t0=$(date +%s)
	info "step: $what ..."
	set +e
	( set -e; "$fn" )
	rc=$?
	set -e
	[ $rc = 0 ] || die "step failed: $what (exit $rc)"
	info "step: $what: done in $(( $(date +%s) - t0 ))s"
}
