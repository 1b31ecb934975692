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

struct ap_driver;
struct bus_type;

/* The bus a registered AP driver is on (the AP bus type is not exported). */
const struct bus_type *vfio_ap_rs_ap_driver_bus(struct ap_driver *drv);

/* Whether any device on BUS has a driver_override (a static inline under a spinlock). */
bool vfio_ap_rs_bus_any_driver_override(const struct bus_type *bus);

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

/*
 * linux/kvm_host.h: the VM's reference count and its crypto control block (kvm->lock and
 * kvm_arch_crypto_set_masks() are reached from Rust directly, see bindings_helper.h).
 */
void vfio_ap_rs_kvm_get(struct kvm *kvm);
void vfio_ap_rs_kvm_put(struct kvm *kvm);
u32 vfio_ap_rs_kvm_crycbd(struct kvm *kvm);
/*
 * Several VMs' kvm->lock held at once (one holder at a time: the driver's guests lock) under
 * lockdep: begin, lock each, end, as one nested set (each lock is released with
 * mutex_unlock()). Without lockdep the driver takes each with mutex_lock().
 */
void vfio_ap_rs_kvm_set_begin(void);
void vfio_ap_rs_kvm_lock_in_set(struct kvm *kvm);
void vfio_ap_rs_kvm_set_end(void);
void vfio_ap_rs_kvm_clear_masks(struct kvm *kvm);

/* linux/vfio.h: the KVM that VFIO associated with an open device, and the last put. */
struct kvm *vfio_ap_rs_vfio_device_kvm(struct vfio_device *vdev);
void vfio_ap_rs_vfio_put_device(struct vfio_device *vdev);

struct kvm_vcpu;

/*
 * The PQAP(AQIC) intercept: the VM's hook (under its pqap_hook_rwsem; -EBUSY if another
 * driver's hook is set), the intercepting vCPU's registers and facilities, the VM's GISA
 * and guest interruption subclasses, its memory slots.
 */
int vfio_ap_rs_kvm_set_pqap_hook(struct kvm *kvm, int (**hook)(struct kvm_vcpu *));
void vfio_ap_rs_kvm_clear_pqap_hook(struct kvm *kvm);
struct kvm *vfio_ap_rs_vcpu_kvm(struct kvm_vcpu *vcpu);
u64 vfio_ap_rs_vcpu_gpr(struct kvm_vcpu *vcpu, int n);
void vfio_ap_rs_vcpu_set_gpr(struct kvm_vcpu *vcpu, int n, u64 value);
bool vfio_ap_rs_vcpu_has_aiv(struct kvm_vcpu *vcpu);
bool vfio_ap_rs_vcpu_is_protected(struct kvm_vcpu *vcpu);
u64 vfio_ap_rs_kvm_gisa_phys(struct kvm *kvm);
bool vfio_ap_rs_kvm_gpa_in_memslot(struct kvm *kvm, u64 gpa);
int vfio_ap_rs_kvm_gisc_register(struct kvm *kvm, u32 gisc);
int vfio_ap_rs_kvm_gisc_unregister(struct kvm *kvm, u32 gisc);

/* asm/ap.h: PQAP(AQIC) with the interruption controls in GR1; the queue status word. */
u32 vfio_ap_rs_ap_aqic(u32 qid, u64 qirqctrl, u64 nib_phys);

/*
 * linux/vfio.h, asm/uv.h: pin (read/write) the page of one guest address through the
 * device's DMA space; 0 and the host physical address of iova, or -errno. Unpin it again.
 * Share a pinned page with the ultravisor (protected guests).
 */
int vfio_ap_rs_vfio_pin_page(struct vfio_device *vdev, u64 iova, u64 *phys);
void vfio_ap_rs_vfio_unpin_page(struct vfio_device *vdev, u64 iova);
int vfio_ap_rs_uv_pin_shared(u64 phys);

/* linux/eventfd.h: signal an eventfd (a static inline). */
void vfio_ap_rs_eventfd_signal(struct eventfd_ctx *ctx);

#endif
