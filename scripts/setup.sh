#!/usr/bin/env bash
# Install everything the build and the QEMU tests need on a Debian 12 (bookworm) x86_64 host.
# Idempotent: every step checks first and does nothing when its result is already there.
# Usage: scripts/setup.sh            (as root, or a user with sudo)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

SUDO=""
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null || die "setup needs root (or sudo) to install packages"
	SUDO="sudo"
fi

apt_updated=0
apt_update() {
	[ "$apt_updated" = 1 ] && return 0
	# One retry: a mirror caught mid-sync answers with a size mismatch that fixes itself.
	$SUDO apt-get update -qq || { sleep 10; $SUDO apt-get update -qq; } \
		|| die "apt-get update failed: is the Debian mirror reachable?"
	apt_updated=1
}

# Extra suites, pinned low so that nothing on the machine upgrades from them unasked:
# bookworm-backports for QEMU 10 (s390x TCG), trixie-backports for linux-source-7.3.
step_sources() {
	local f=/etc/apt/sources.list.d/vfio-ap-rs.sources p=/etc/apt/preferences.d/vfio-ap-rs
	if [ -f "$f" ] && grep -q '^Architectures: amd64' "$f" && [ -f "$p" ] && dpkg --print-foreign-architectures | grep -qx s390x; then
		return 0
	fi
	$SUDO tee "$f" >/dev/null <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports trixie-backports
Components: main
Architectures: amd64
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	$SUDO tee "$p" >/dev/null <<'PIN'
Package: *
Pin: release n=bookworm-backports
Pin-Priority: 90

Package: *
Pin: release n=trixie-backports
Pin-Priority: 50
PIN
	$SUDO dpkg --add-architecture s390x
	apt_updated=0
}

HOST_PKGS=(rustc-web rust-web-src cargo-web rustfmt-web rust-web-clippy
	clang-19 llvm-19 lld-19 libclang-19-dev
	flex bison bc libelf-dev libssl-dev cpio kmod xz-utils make python3 python3-docutils rsync
	gcc-s390x-linux-gnu libc6-dev-s390x-cross)

step_packages() {
	local missing=()
	for p in "${HOST_PKGS[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
	done
	if [ ${#missing[@]} != 0 ]; then
		apt_update
		info "installing: ${missing[*]}"
		DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" \
			|| die "apt-get install failed for: ${missing[*]}"
	fi
	# QEMU 10 with its matching data packages from bookworm-backports (bookworm's 7.2 is too old).
	if ! dpkg-query -W -f='${Status}' qemu-system-s390x 2>/dev/null | grep -q "ok installed"; then
		apt_update
		info "installing: qemu-system-s390x from bookworm-backports"
		DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
			-t bookworm-backports qemu-system-s390x || die "apt-get install qemu-system-s390x failed"
	fi
}

step_bindgen() {
	if command -v bindgen >/dev/null && bindgen --version | grep -q '^bindgen 0\.7[1-9]'; then
		return 0
	fi
	# Debian's cargo 1.96 builds it; the result lands in ~/.cargo/bin.
	/usr/bin/cargo install --quiet --locked bindgen-cli --version '^0.72' --root "$TOOLS_DIR" \
		|| die "cargo install bindgen-cli failed (crates.io reachable?)"
}

step_kernel_source() {
	[ -f "$KSRC/Makefile" ] && return 0
	apt_update
	local tmp
	tmp=$(mktemp -d)
	chmod 755 "$tmp" # apt downloads as user _apt
	(cd "$tmp" && apt-get download -qq "linux-source-$KVER_MAJOR") \
		|| die "apt-get download linux-source-$KVER_MAJOR failed (trixie-backports source set up?)"
	dpkg-deb -x "$tmp"/linux-source-*.deb "$tmp/x"
	mkdir -p "$(dirname "$KSRC")"
	rm -rf "$KSRC.partial"
	mkdir -p "$KSRC.partial"
	tar -xf "$tmp"/x/usr/src/linux-source-"$KVER_MAJOR".tar.xz -C "$KSRC.partial" --strip-components=1
	dpkg-deb -f "$tmp"/linux-source-*.deb Version >"$KSRC.partial/.debian-version"
	mv "$KSRC.partial" "$KSRC"
	rm -rf "$tmp"
}

# s390x userland for the guest: static busybox (bookworm), and from Debian 13 (trixie)
# lszcrypt of s390-tools 2.35 (it shows vfio_ap's queue status) and mdevctl 1.4 (modify
# --live), with trixie's glibc 2.41 and libgcc_s from the arch-all cross packages (the tools
# need glibc >= 2.39; bookworm's cross glibc is 2.36). Trixie is read through a private apt
# state under the cache, so the host's apt configuration is left alone.
GUEST_USERLAND=2:busybox-bookworm:s390-tools-trixie:mdevctl-trixie:glibc-trixie
step_guest_userland() {
	[ "$(cat "$GUEST_DIR/.userland" 2>/dev/null)" = "$GUEST_USERLAND" ] && return 0
	apt_update
	local tmp apt_dir=$CACHE_ROOT/apt-trixie opts
	tmp=$(mktemp -d)
	chmod 755 "$tmp" # apt downloads as user _apt
	(cd "$tmp" && apt-get download -qq busybox-static:s390x) \
		|| die "apt-get download busybox-static:s390x failed"
	mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
	cat >"$apt_dir/trixie.sources" <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Architectures: amd64 s390x
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	opts=(-o Dir::Etc::sourcelist="$apt_dir/trixie.sources" -o Dir::Etc::sourceparts=/nonexistent
		-o Dir::State::Lists="$apt_dir/lists" -o Dir::Cache="$apt_dir/cache")
	$SUDO apt-get "${opts[@]}" update -qq || die "apt-get update of trixie (private state) failed"
	(cd "$tmp" && apt-get "${opts[@]}" download -qq s390-tools:s390x mdevctl:s390x \
		libc6-s390x-cross libgcc-s1-s390x-cross) \
		|| die "apt-get download of trixie's s390-tools, mdevctl and cross glibc failed"
	local deb
	for deb in "$tmp"/*.deb; do dpkg-deb -x "$deb" "$tmp/x"; done
	local new=$GUEST_DIR.partial lib
	rm -rf "$new"
	mkdir -p "$new/lib"
	install -m 0755 "$tmp/x/bin/busybox" "$new/busybox"
	install -m 0755 "$tmp/x/usr/sbin/lszcrypt" "$new/lszcrypt"
	install -m 0755 "$tmp/x/usr/bin/mdevctl" "$new/mdevctl"
	for lib in ld64.so.1 libc.so.6 libgcc_s.so.1; do
		install -m 0755 "$tmp/x/usr/s390x-linux-gnu/lib/$lib" "$new/lib/$lib"
	done
	for deb in "$tmp"/*.deb; do dpkg-deb -f "$deb" Package Version | paste -sd' '; done >"$new/versions"
	echo "$GUEST_USERLAND" >"$new/.userland"
	rm -rf "$GUEST_DIR"
	mv "$new" "$GUEST_DIR"
	rm -rf "$tmp"
}

run_step "apt sources (bookworm-backports, trixie-backports, s390x arch)" step_sources
run_step "host packages (Debian rustc 1.96, LLVM 19, QEMU, s390x cross gcc)" step_packages
run_step "bindgen-cli 0.72" step_bindgen
run_step "linux-source-$KVER_MAJOR into $KSRC" step_kernel_source
run_step "guest userland (busybox, lszcrypt, mdevctl for s390x)" step_guest_userland
info "setup complete"
