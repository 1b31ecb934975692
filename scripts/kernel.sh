#!/usr/bin/env bash
# Build (or reuse) the s390x test kernel in the cache, keyed by everything that goes into it.
#
#   scripts/kernel.sh build     build if missing, print nothing but progress
#   scripts/kernel.sh kdir      build if missing, then print the kernel build directory (KDIR)
#   scripts/kernel.sh dir       build if missing, then print the cache entry (kdir, modroot, uapi, ...)
#   scripts/kernel.sh key       print the cache key and what went into it
#
# Inputs of the key: the Debian source package version, the config fragment, every test patch,
# the versions of rustc, clang and bindgen, and RECIPE (bump it when this script changes how
# the kernel is built). VFIO_AP_KERNEL selects a variant, each with its own key (the default
# kernel's key is unchanged by them): "debug", the sanitizer kernel (tests/kernel/debug.config
# on top), and "bench", the benchmark kernel without lock debugging (tests/kernel/bench.config
# on top).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

RECIPE=1
REPO=$(cd "$here/.." && pwd)
FRAGMENT=$REPO/tests/kernel/test-kernel.config
VARIANT=${VFIO_AP_KERNEL:-default}
case $VARIANT in
default) FRAGMENTS=("$FRAGMENT") ;;
debug) FRAGMENTS=("$FRAGMENT" "$REPO/tests/kernel/debug.config") ;;
bench) FRAGMENTS=("$FRAGMENT" "$REPO/tests/kernel/bench.config") ;;
*) die "VFIO_AP_KERNEL=$VARIANT: the variants are default, debug and bench" ;;
esac
PATCH_DIR=$REPO/tests/kernel/patches

key_inputs() {
	[ -f "$KSRC/.debian-version" ] || die "kernel source missing at $KSRC: run scripts/setup.sh"
	echo "recipe $RECIPE"
	echo "source linux-source-$KVER_MAJOR $(cat "$KSRC/.debian-version")"
	echo "rustc $($RUSTC --version)"
	echo "clang $(clang-19 --version | head -n1)"
	echo "bindgen $(bindgen --version)"
	echo "fragment $(sha256sum <"$FRAGMENT" | cut -c1-64)"
	if [ "$VARIANT" != default ]; then
		echo "variant $VARIANT $(sha256sum <"${FRAGMENTS[1]}" | cut -c1-64)"
	fi
	local p
	for p in "$PATCH_DIR"/*.patch; do
		[ -e "$p" ] || continue
		echo "patch $(basename "$p") $(sha256sum <"$p" | cut -c1-64)"
	done
}

cache_key() { key_inputs | sha256sum | cut -c1-16; }

# make arguments for the kernel and for modules built against it
kmake_args() {
	echo "ARCH=s390 LLVM=-19 RUSTC=$RUSTC RUSTDOC=$RUSTDOC BINDGEN=$(command -v bindgen)"
}

prepare_source() {
	local entry=$1 patches=("$PATCH_DIR"/*.patch)
	if [ ! -e "${patches[0]}" ]; then
		ln -sfn "$KSRC" "$entry/src"
		return 0
	fi
	# A hard-linked copy is cheap; patch(1) writes new files, so the pristine tree stays intact.
	rm -rf "$entry/src.partial"
	cp -al "$KSRC" "$entry/src.partial"
	local p
	for p in "${patches[@]}"; do
		info "applying $(basename "$p")"
		patch -s -p1 -d "$entry/src.partial" <"$p" || die "test patch $(basename "$p") does not apply to linux-source-$KVER_MAJOR"
	done
	mv "$entry/src.partial" "$entry/src"
}

configure() {
	local src=$1 build=$2
	# shellcheck disable=SC2046
	make -s -C "$src" O="$build" $(kmake_args) tinyconfig >/dev/null
	"$src/scripts/kconfig/merge_config.sh" -m -O "$build" "$build/.config" "${FRAGMENTS[@]}" >/dev/null
	# shellcheck disable=SC2046
	make -s -C "$src" O="$build" $(kmake_args) olddefconfig >/dev/null
	# Every option the fragments ask for must have survived olddefconfig (a missing dependency
	# silently drops it otherwise). A later fragment overrides an earlier one, as in
	# merge_config.sh.
	local line opt got bad=0
	local -A want=()
	local order=()
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*) opt=${line%%=*}; [ -n "${want[$opt]:-}" ] || order+=("$opt"); want[$opt]=${line#*=} ;;
		"# CONFIG_"*" is not set") opt=${line#\# }; opt=${opt%% *}; [ -n "${want[$opt]:-}" ] || order+=("$opt"); want[$opt]=n ;;
		*) continue ;;
		esac
	done < <(cat "${FRAGMENTS[@]}")
	for opt in "${order[@]}"; do
		got=$(grep -E "^$opt=" "$build/.config" | cut -d= -f2- || true)
		[ -n "$got" ] || got=n
		if [ "$got" != "${want[$opt]}" ]; then
			info "config: $opt: fragment wants '${want[$opt]}', kernel config has '$got'"
			bad=1
		fi
	done
	[ $bad = 0 ] || die "the config fragments ${FRAGMENTS[*]} do not apply cleanly (dependencies above)"
}

build_kernel() {
	local key entry
	key=$(cache_key)
	entry=$CACHE_ROOT/kernel/$key
	if [ -f "$entry/.complete" ]; then
		echo "$entry"
		return 0
	fi
	info "building test kernel $key (a few minutes on 2 cores; cached for later runs)"
	mkdir -p "$entry"
	key_inputs >"$entry/inputs"
	[ -e "$entry/src" ] || prepare_source "$entry"
	local src=$entry/src build=$entry/build jobs
	jobs=$(( $(nproc) + 1 ))
	mkdir -p "$build"
	configure "$src" "$build"
	# shellcheck disable=SC2046
	make -s -C "$src" O="$build" $(kmake_args) -j"$jobs" bzImage modules \
		|| die "kernel build failed in $build"
	rm -rf "$entry/modroot" "$entry/uapi"
	# shellcheck disable=SC2046
	make -s -C "$src" O="$build" $(kmake_args) INSTALL_MOD_PATH="$entry/modroot" \
		DEPMOD=/bin/true modules_install >/dev/null
	# shellcheck disable=SC2046
	make -s -C "$src" O="$build" $(kmake_args) INSTALL_HDR_PATH="$entry/uapi" headers_install >/dev/null
	make -s -C "$build" kernelrelease >"$entry/kernelrelease"
	touch "$entry/.complete"
	echo "$entry"
}

RUSTC=${RUSTC:-/usr/bin/rustc}
RUSTDOC=${RUSTDOC:-/usr/bin/rustdoc}
case "${1:-build}" in
build) t0=$(date +%s); build_kernel >/dev/null; info "test kernel ready ($(( $(date +%s) - t0 ))s)" ;;
kdir) echo "$(build_kernel)/build" ;;
dir) build_kernel ;;
key) key_inputs; echo "key $(cache_key)" ;;
args) kmake_args ;;
*) die "usage: $0 build|kdir|dir|key|args" ;;
esac
