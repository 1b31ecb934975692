// SPDX-License-Identifier: GPL-2.0
/*
 * Out-of-line wrappers for static inline functions and macros used from Rust.
 * See helpers.h; bindgen generates their Rust declarations.
 */
#include <asm/ap.h>
#include <asm/debug.h>
#include <linux/eventfd.h>
#include <linux/kvm_host.h>
#include <linux/vfio.h>

#include "helpers.h"

bool vfio_ap_rs_ap_instructions_available(void)
{
	return ap_instructions_available();
}

int vfio_ap_rs_ap_qci(struct ap_config_info *info)
{
	return ap_qci(info);
}

u32 vfio_ap_rs_ap_zapq(u32 qid)
{
	return ap_zapq(qid, 0).value;
}

u32 vfio_ap_rs_ap_tapq(u32 qid)
{
	return ap_tapq(qid, NULL).value;
}

void vfio_ap_rs_dbf_event(struct debug_info *id, int level, const char *fmt,
			  const long args[9])
{
	debug_sprintf_event(id, level, (char *)fmt, args[0], args[1], args[2], args[3],
			    args[4], args[5], args[6], args[7], args[8]);
}

void vfio_ap_rs_kvm_get(struct kvm *kvm)
{
	kvm_get_kvm(kvm);
}

void vfio_ap_rs_kvm_put(struct kvm *kvm)
{
	kvm_put_kvm(kvm);
}

struct mutex *vfio_ap_rs_kvm_lock(struct kvm *kvm)
{
	return &kvm->lock;
}

u32 vfio_ap_rs_kvm_crycbd(struct kvm *kvm)
{
	return kvm->arch.crypto.crycbd;
}

void vfio_ap_rs_kvm_set_masks(struct kvm *kvm, unsigned long *apm, unsigned long *aqm,
			      unsigned long *adm)
{
	kvm_arch_crypto_set_masks(kvm, apm, aqm, adm);
}

void vfio_ap_rs_kvm_clear_masks(struct kvm *kvm)
{
	kvm_arch_crypto_clear_masks(kvm);
}

struct kvm *vfio_ap_rs_vfio_device_kvm(struct vfio_device *vdev)
{
	return vdev->kvm;
}

void vfio_ap_rs_vfio_put_device(struct vfio_device *vdev)
{
	vfio_put_device(vdev);
}

void vfio_ap_rs_eventfd_signal(struct eventfd_ctx *ctx)
{
	eventfd_signal(ctx);
}
