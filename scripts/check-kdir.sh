#!/usr/bin/env bash
# Check that a kernel build tree can build this module, and say what is missing if not.
# Usage: scripts/check-kdir.sh KDIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

kdir=${1:?usage: check-kdir.sh KDIR}
RUSTC=${RUSTC:-/usr/bin/rustc}
[ -d "$kdir" ] || die "KDIR=$kdir: no such directory"
[ -f "$kdir/.config" ] || die "KDIR=$kdir: no .config: point KDIR at a configured, built kernel tree"
srctree=$kdir
[ -e "$kdir/source" ] && srctree=$(cd "$kdir/source" && pwd)

problems=()
grep -q '^CONFIG_RUST=y' "$kdir/.config" || problems+=("CONFIG_RUST is not enabled (needs CONFIG_EXPOLINE=n on s390)")
grep -q '^CONFIG_S390=y' "$kdir/.config" || problems+=("not an s390 kernel (CONFIG_S390 unset)")
grep -Eq '^CONFIG_VFIO_MDEV=(y|m)' "$kdir/.config" || problems+=("CONFIG_VFIO_MDEV is not enabled")
grep -Eq '^CONFIG_AP=(y|m)' "$kdir/.config" || problems+=("CONFIG_AP (the AP bus) is not enabled")
[ -f "$srctree/drivers/s390/crypto/ap_bus.h" ] \
	|| problems+=("$srctree/drivers/s390/crypto/ap_bus.h missing: the module needs the full kernel source, not a headers package")
[ -f "$kdir/rust/libkernel.rmeta" ] || problems+=("$kdir/rust/libkernel.rmeta missing: build the kernel first (make vmlinux modules)")
[ -f "$kdir/Module.symvers" ] || problems+=("$kdir/Module.symvers missing: build the kernel first")
if grep -q '^CONFIG_RUSTC_VERSION_TEXT=' "$kdir/.config"; then
	built_with=$(sed -n 's/^CONFIG_RUSTC_VERSION_TEXT="\(.*\)"/\1/p' "$kdir/.config")
	have=$("$RUSTC" --version 2>/dev/null || echo "no rustc at $RUSTC")
	[ "$built_with" = "$have" ] \
		|| problems+=("the kernel was built with '$built_with' but RUSTC=$RUSTC is '$have': Rust modules must be built by the same compiler (set RUSTC=...)")
fi
if [ ${#problems[@]} != 0 ]; then
	for p in "${problems[@]}"; do info "KDIR=$kdir: $p"; done
	die "this kernel tree cannot build vfio_ap (see above)"
fi
