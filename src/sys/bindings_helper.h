/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Input to bindgen for src/sys/bindings_generated.rs: the C APIs this module uses that the
 * kernel's own `bindings` crate does not cover.
 */
#include <linux/device.h>
#include <linux/mdev.h>
#include <linux/vfio.h>
#include <linux/eventfd.h>
#include <asm/zcrypt.h>
#include <asm/debug.h>
#include <linux/kvm_host.h>
#include "ap_bus.h"
#include "helpers.h"

/*
 * Where the hot path finds kvm->lock: computed here, so that locking a VM is a call of
 * mutex_lock() and not first one into this module's C helpers (under TCG each further code
 * page a path touches costs about as much as a hundred instructions).
 */
enum vfio_ap_rs_kvm_layout {
	VFIO_AP_RS_KVM_LOCK_OFFSET = offsetof(struct kvm, lock),
};
