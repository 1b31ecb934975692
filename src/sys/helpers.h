/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Out-of-line wrappers for static inline functions and macros that Rust cannot call
 * directly. Each one only forwards; the logic stays in Rust.
 */
#ifndef VFIO_AP_RS_HELPERS_H
#define VFIO_AP_RS_HELPERS_H

#include <linux/types.h>

/* asm/ap.h: probes the AP facility with TAPQ (static inline with an exception fixup). */
bool vfio_ap_rs_ap_instructions_available(void);

struct ap_config_info;

/* asm/ap.h: Query AP Configuration Information; 0 or -EOPNOTSUPP. */
int vfio_ap_rs_ap_qci(struct ap_config_info *info);

/* asm/ap.h: ZAPQ (reset and zeroize, F bit 0) and TAPQ; the queue status word. */
u32 vfio_ap_rs_ap_zapq(u32 qid);
u32 vfio_ap_rs_ap_tapq(u32 qid);

struct debug_info;

/*
 * asm/debug.h: record an s390dbf sprintf event (a macro over a variadic function). The
 * format must live as long as the area; the arguments are longs, unused ones are ignored.
 */
void vfio_ap_rs_dbf_event(struct debug_info *id, int level, const char *fmt,
			  const long args[9]);

struct kvm;
struct mutex;
struct vfio_device;
struct eventfd_ctx;

/* linux/kvm_host.h: the VM's reference count, its lock, its crypto control block. */
void vfio_ap_rs_kvm_get(struct kvm *kvm);
void vfio_ap_rs_kvm_put(struct kvm *kvm);
struct mutex *vfio_ap_rs_kvm_lock(struct kvm *kvm);
u32 vfio_ap_rs_kvm_crycbd(struct kvm *kvm);
/* kvm->lock held; each mask is 256 bits, MSB-0 (4 unsigned longs). */
void vfio_ap_rs_kvm_set_masks(struct kvm *kvm, unsigned long *apm, unsigned long *aqm,
			      unsigned long *adm);
void vfio_ap_rs_kvm_clear_masks(struct kvm *kvm);

/* linux/vfio.h: the KVM that VFIO associated with an open device, and the last put. */
struct kvm *vfio_ap_rs_vfio_device_kvm(struct vfio_device *vdev);
void vfio_ap_rs_vfio_put_device(struct vfio_device *vdev);

/* linux/eventfd.h: signal an eventfd (a static inline). */
void vfio_ap_rs_eventfd_signal(struct eventfd_ctx *ctx);

#endif
