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
#include <asm/uv.h>
#include <linux/device.h>

#include "ap_bus.h"

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

const struct bus_type *vfio_ap_rs_ap_driver_bus(struct ap_driver *drv)
{
	return drv->driver.bus;
}

static int vfio_ap_rs_has_override(struct device *dev, void *data)
{
	return device_has_driver_override(dev) ? 1 : 0;
}

bool vfio_ap_rs_bus_any_driver_override(const struct bus_type *bus)
{
	return bus_for_each_dev(bus, NULL, NULL, vfio_ap_rs_has_override) != 0;
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

/*
 * Several VMs' kvm->lock at once. Every VM's kvm->lock is one lockdep class, so lockdep would
 * take a second one for recursion; holding them nested in this lockdep-only map tells it
 * that one holder of the map takes them together (no code and no data without lockdep).
 */
#ifdef CONFIG_DEBUG_LOCK_ALLOC
static struct vfio_ap_rs_kvm_set {
	struct lockdep_map dep_map;
} kvm_set = {
	.dep_map = STATIC_LOCKDEP_MAP_INIT("vfio_ap_rs_kvm_set", &kvm_set),
};
#endif

void vfio_ap_rs_kvm_set_begin(void)
{
	lock_map_acquire(&kvm_set.dep_map);
}

void vfio_ap_rs_kvm_lock_in_set(struct kvm *kvm)
{
	mutex_lock_nest_lock(&kvm->lock, &kvm_set);
}

void vfio_ap_rs_kvm_set_end(void)
{
	lock_map_release(&kvm_set.dep_map);
}

u32 vfio_ap_rs_kvm_crycbd(struct kvm *kvm)
{
	return kvm->arch.crypto.crycbd;
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

int vfio_ap_rs_kvm_set_pqap_hook(struct kvm *kvm, int (**hook)(struct kvm_vcpu *))
{
	int ret = 0;

	down_write(&kvm->arch.crypto.pqap_hook_rwsem);
	if (kvm->arch.crypto.pqap_hook)
		ret = -EBUSY;
	else
		kvm->arch.crypto.pqap_hook = hook;
	up_write(&kvm->arch.crypto.pqap_hook_rwsem);
	return ret;
}

void vfio_ap_rs_kvm_clear_pqap_hook(struct kvm *kvm)
{
	down_write(&kvm->arch.crypto.pqap_hook_rwsem);
	kvm->arch.crypto.pqap_hook = NULL;
	up_write(&kvm->arch.crypto.pqap_hook_rwsem);
}

struct kvm *vfio_ap_rs_vcpu_kvm(struct kvm_vcpu *vcpu)
{
	return vcpu->kvm;
}

u64 vfio_ap_rs_vcpu_gpr(struct kvm_vcpu *vcpu, int n)
{
	return vcpu->run->s.regs.gprs[n & 15];
}

void vfio_ap_rs_vcpu_set_gpr(struct kvm_vcpu *vcpu, int n, u64 value)
{
	vcpu->run->s.regs.gprs[n & 15] = value;
}

bool vfio_ap_rs_vcpu_has_aiv(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.sie_block->eca & ECA_AIV;
}

bool vfio_ap_rs_vcpu_is_protected(struct kvm_vcpu *vcpu)
{
	return kvm_s390_pv_cpu_is_protected(vcpu);
}

u64 vfio_ap_rs_kvm_gisa_phys(struct kvm *kvm)
{
	return kvm->arch.gisa_int.origin ? virt_to_phys(kvm->arch.gisa_int.origin) : 0;
}

bool vfio_ap_rs_kvm_gpa_in_memslot(struct kvm *kvm, u64 gpa)
{
	return kvm_s390_is_gpa_in_memslot(kvm, gpa);
}

int vfio_ap_rs_kvm_gisc_register(struct kvm *kvm, u32 gisc)
{
	return kvm_s390_gisc_register(kvm, gisc);
}

int vfio_ap_rs_kvm_gisc_unregister(struct kvm *kvm, u32 gisc)
{
	return kvm_s390_gisc_unregister(kvm, gisc);
}

u32 vfio_ap_rs_ap_aqic(u32 qid, u64 qirqctrl, u64 nib_phys)
{
	union ap_qirq_ctrl ctrl = { .value = qirqctrl };

	return ap_aqic(qid, ctrl, nib_phys).value;
}

int vfio_ap_rs_vfio_pin_page(struct vfio_device *vdev, u64 iova, u64 *phys)
{
	struct page *page;
	int ret;

	ret = vfio_pin_pages(vdev, iova, 1, IOMMU_READ | IOMMU_WRITE, &page);
	if (ret < 0)
		return ret;
	if (ret != 1)
		return -EINVAL;
	*phys = page_to_phys(page) | (iova & ~PAGE_MASK);
	return 0;
}

void vfio_ap_rs_vfio_unpin_page(struct vfio_device *vdev, u64 iova)
{
	vfio_unpin_pages(vdev, iova, 1);
}

int vfio_ap_rs_uv_pin_shared(u64 phys)
{
	return uv_pin_shared(phys & PAGE_MASK);
}
