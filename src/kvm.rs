// SPDX-License-Identifier: GPL-2.0

//! KVM guests as this driver sees them: a counted reference to a VM, its `kvm->lock`, and
//! the AP masks of its crypto control block (CRYCB), which decide the adapters, usage
//! domains and control domains the guest's AP instructions reach.
//!
//! C header: [`arch/s390/include/asm/kvm_host_s390.h`](srctree/arch/s390/include/asm/kvm_host_s390.h)

use core::ptr::NonNull;

use kernel::sync::lock::{
    mutex::MutexBackend,
    Lock, //
};

use crate::{
    model::matrix::Matrix,
    sys, //
};

/// A counted reference to a VM (`kvm_get_kvm`/`kvm_put_kvm`).
///
/// # Invariants
///
/// `kvm` points to a `struct kvm` on which this object holds one reference.
pub(crate) struct KvmRef {
    kvm: NonNull<sys::kvm>,
}

// SAFETY: A VM's reference count is atomic and `struct kvm` may be used from any thread.
unsafe impl Send for KvmRef {}
// SAFETY: `&KvmRef` only reads fixed fields and locks `kvm->lock`; see `Send`.
unsafe impl Sync for KvmRef {}

impl KvmRef {
    /// Takes a reference to `kvm`, or `None` for a null pointer.
    ///
    /// # Safety
    ///
    /// A non-null `kvm` is a live VM whose reference count the caller keeps above zero for
    /// the duration of the call (VFIO holds one while a device of the VM is open).
    pub(crate) unsafe fn get(kvm: *mut sys::kvm) -> Option<Self> {
        let kvm = NonNull::new(kvm)?;
        // SAFETY: Live and referenced, by the caller's promise.
        unsafe { sys::vfio_ap_rs_kvm_get(kvm.as_ptr()) };
        // INVARIANT: The reference was just taken.
        Some(Self { kvm })
    }

    /// Whether both refer to the same VM.
    pub(crate) fn same_vm(&self, other: &Self) -> bool {
        self.kvm == other.kvm
    }

    /// Whether the VM has a crypto control block: without one no AP resource can be given.
    pub(crate) fn has_crycb(&self) -> bool {
        // SAFETY: The VM is alive (type invariant); `crycbd` is set when the VM is created.
        unsafe { sys::vfio_ap_rs_kvm_crycbd(self.kvm.as_ptr()) != 0 }
    }

    /// The VM's `kvm->lock`.
    pub(crate) fn lock(&self) -> &Lock<(), MutexBackend> {
        // SAFETY: `kvm->lock` is an initialised mutex that lives as long as the VM, which our
        // reference keeps alive for the lifetime of `&self`.
        unsafe { Lock::<(), MutexBackend>::from_raw(sys::vfio_ap_rs_kvm_lock(self.kvm.as_ptr())) }
    }
}

impl Clone for KvmRef {
    fn clone(&self) -> Self {
        // SAFETY: The VM is alive and we hold a reference (type invariant).
        unsafe { sys::vfio_ap_rs_kvm_get(self.kvm.as_ptr()) };
        // INVARIANT: The reference was just taken.
        Self { kvm: self.kvm }
    }
}

impl Drop for KvmRef {
    fn drop(&mut self) {
        // SAFETY: We hold one reference (type invariant) and give it back. The last put
        // destroys the VM, which takes locks: owners drop a `KvmRef` outside the driver's
        // locks, or while another reference (VFIO's, the attachment's) is known to exist.
        unsafe { sys::vfio_ap_rs_kvm_put(self.kvm.as_ptr()) };
    }
}

/// A VM's crypto control block, reachable only with `kvm->lock` held.
///
/// # Invariants
///
/// `kvm->lock` of `kvm` is held for `'a` (only [`crate::locks::KvmLevel`] creates one).
pub(crate) struct Crycb<'a> {
    kvm: &'a KvmRef,
}

impl<'a> Crycb<'a> {
    /// # Safety
    ///
    /// `kvm->lock` of `kvm` is held for `'a`.
    pub(crate) unsafe fn new(kvm: &'a KvmRef) -> Self {
        // INVARIANT: The caller holds the lock.
        Self { kvm }
    }

    /// Gives the guest exactly the adapters, usage domains and control domains of `m`.
    pub(crate) fn set_masks(&mut self, m: &Matrix) {
        let mut apm = m.apm.words();
        let mut aqm = m.aqm.words();
        let mut adm = m.adm.words();
        // SAFETY: `kvm->lock` is held (type invariant); each mask is 4 longs in the kernel's
        // MSB-0 bit order (`ApMask`'s words), which KVM copies into the CRYCB.
        unsafe {
            sys::vfio_ap_rs_kvm_set_masks(
                self.kvm.kvm.as_ptr(),
                apm.as_mut_ptr().cast(),
                aqm.as_mut_ptr().cast(),
                adm.as_mut_ptr().cast(),
            )
        };
    }

    /// Takes every AP resource away from the guest.
    pub(crate) fn clear_masks(&mut self) {
        // SAFETY: `kvm->lock` is held (type invariant).
        unsafe { sys::vfio_ap_rs_kvm_clear_masks(self.kvm.kvm.as_ptr()) };
    }
}
