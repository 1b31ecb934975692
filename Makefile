# SPDX-License-Identifier: GPL-2.0
#
# vfio-ap-rs: build the vfio_ap module and run it in an s390x guest under QEMU.
#
#   make            build vfio_ap.ko against the cached test kernel (built on first use)
#   make demo       boot the guest and walk through the vfio-ap example scenario
#   make check      all tests: host unit tests, then the kselftests in the guest
#   make check-long the guest tests in long mode (long stress, full fuzzing; an hour or more)
#   make check-debug the guest tests on the sanitizer kernel (VFIO_AP_KERNEL=debug)
#   make bench      control-plane benchmarks: the in-tree C driver and ours, one guest boot
#   make profile    instruction-exact profile of one benchmark path in both drivers
#   make path-cost  wall-clock split and page footprint of the config path (TCG plugins)
#   make qemu-shell interactive guest shell with the module loaded
#   make KDIR=...   build against your own kernel build tree instead
#   make CLIPPY=1   build with clippy as the Rust compiler driver's linter
#
# The first run installs what is missing (scripts/setup.sh) and builds the test kernel into
# the cache (~/.cache/vfio-ap-rs, or $VFIO_AP_CACHE); later runs reuse both.

REPO := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
RUSTC ?= /usr/bin/rustc
RUSTDOC ?= /usr/bin/rustdoc
SCRIPTS := $(REPO)/scripts

# The kernel to build against: yours (KDIR=...) or the cached test kernel. Expanded only by
# the targets that need it, so `make clean` does not build a kernel.
ifeq ($(origin KDIR),undefined)
KDIR_CMD = $(shell $(SCRIPTS)/kernel.sh kdir)
KMAKE_ARGS = $(shell $(SCRIPTS)/kernel.sh args)
else
KDIR_CMD = $(KDIR)
KMAKE_ARGS = ARCH=s390 LLVM=$(or $(LLVM),1) RUSTC=$(RUSTC) RUSTDOC=$(RUSTDOC)
endif

# $(call on_kernel_variant,VARIANT,COMMAND): rebuilds the module against kernel variant
# VARIANT (scripts/kernel.sh), runs COMMAND on that kernel, and cleans the module again so
# that the next plain build is against the default kernel; exits with COMMAND's status.
define on_kernel_variant
	@$(MAKE) --no-print-directory clean >/dev/null
	@VFIO_AP_KERNEL=$(1) $(MAKE) --no-print-directory modules
	@VFIO_AP_KERNEL=$(1) $(2); rc=$$?; \
	$(MAKE) --no-print-directory clean >/dev/null; exit $$rc
endef

.PHONY: all modules setup kernel check check-host check-guest check-long check-debug demo bench \
	profile path-cost qemu-shell clippy fmt \
	fmt-check clean

all: modules

setup:
	@$(SCRIPTS)/setup.sh

kernel: setup
	@$(SCRIPTS)/kernel.sh build

modules: setup
	@kdir='$(KDIR_CMD)'; [ -n "$$kdir" ] || { echo "error: no kernel build tree" >&2; exit 1; }; \
	$(SCRIPTS)/check-kdir.sh "$$kdir" && \
	$(MAKE) -C "$$kdir" M=$(REPO) $(KMAKE_ARGS) $(if $(CLIPPY),CLIPPY=1) modules

clippy:
	@$(MAKE) --no-print-directory clean
	@$(MAKE) --no-print-directory modules CLIPPY=1

fmt:
	rustfmt --edition 2021 --config-path $(REPO)/.rustfmt.toml $(REPO)/src/vfio_ap_rs.rs

fmt-check:
	rustfmt --check --edition 2021 --config-path $(REPO)/.rustfmt.toml $(REPO)/src/vfio_ap_rs.rs

check: modules
	@$(SCRIPTS)/check.sh

check-host: setup
	@$(SCRIPTS)/check.sh --host-only

check-guest: modules
	@$(SCRIPTS)/check.sh --guest-only

check-long: modules
	@VFIO_AP_LONG=1 $(SCRIPTS)/check.sh --guest-only

# The guest tests on the sanitizer kernel (KASAN, kmemleak, debug lists/objects, Rust debug
# assertions and overflow checks), with the module rebuilt against it.
check-debug:
	$(call on_kernel_variant,debug,$(SCRIPTS)/check.sh --guest-only)

demo: modules
	@$(SCRIPTS)/demo.sh

# Control-plane benchmarks, the in-tree C driver against ours in one guest boot, on the
# benchmark kernel (lock debugging off, as in production; BENCH_KERNEL=default for the test
# kernel), with the module rebuilt against it.
BENCH_KERNEL ?= bench
bench:
	$(call on_kernel_variant,$(BENCH_KERNEL),$(SCRIPTS)/bench.sh)

# Instruction-exact profile of one benchmark path in both drivers (scripts/insn-profile.sh).
profile:
	$(call on_kernel_variant,$(BENCH_KERNEL),$(SCRIPTS)/insn-profile.sh)

# Where the wall clock goes on the config path, seen from the host (scripts/path-cost.sh).
path-cost:
	$(call on_kernel_variant,$(BENCH_KERNEL),$(SCRIPTS)/path-cost.sh)

qemu-shell: modules
	@$(SCRIPTS)/qemu-run.sh --shell --module $(REPO)/vfio_ap.ko

clean:
	rm -rf $(REPO)/target
	find $(REPO) \( -name '*.o' -o -name '*.ko' -o -name '*.mod' -o -name '*.mod.c' \
		-o -name '.*.cmd' -o -name '*.rmeta' -o -name '.*.d' \) -not -path '*/.git/*' -delete
	rm -f $(REPO)/Module.symvers $(REPO)/modules.order $(REPO)/src/sys/bindings_generated.rs
