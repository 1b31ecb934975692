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
