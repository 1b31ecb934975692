// SPDX-License-Identifier: GPL-2.0

//! KVM guests as this driver sees them: a counted reference to a VM, its `kvm->lock`, and
//! the AP masks of its crypto control block (CRYCB), which decide the adapters, usage
//! domains and control domains the guest's AP instructions reach.
//!
//! C header: [`arch/s390/include/asm/kvm_host_s390.h`](srctree/arch/s390/include/asm/kvm_host_s390.h)

use core::ptr::NonNull;

use kernel::prelude::*;

use crate::{
    model::matrix::Matrix,
    mutex::RawMutexGuard,
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

    /// Where the VM's `kvm->lock` is.
    fn mutex_ptr(&self) -> *mut sys::mutex {
        // The offset comes from the C compiler (bindings_helper.h); finding the lock without
        // a call keeps the module's C helpers off the hot paths.
        let offset = sys::vfio_ap_rs_kvm_layout_VFIO_AP_RS_KVM_LOCK_OFFSET as usize;
        // SAFETY: `offset` is where `struct kvm` holds `lock`, within the VM's allocation,
        // which is alive (type invariant).
        unsafe { self.kvm.as_ptr().cast::<u8>().add(offset).cast() }
    }

    /// Takes the VM's `kvm->lock`.
    pub(crate) fn lock(&self) -> RawMutexGuard<'_> {
        // SAFETY: `kvm->lock` is an initialised mutex that lives as long as the VM, which our
        // reference keeps alive for the lifetime of `&self`.
        unsafe { RawMutexGuard::lock(self.mutex_ptr()) }
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
        // SAFETY: `kvm->lock` is held (type invariant); each mask is 4 longs in the kernel's
        // MSB-0 bit order (`ApMask`'s words), which KVM only reads, copying them into the
        // CRYCB, while `m` is borrowed: its prototype lacks the `const`, nothing is written.
        unsafe {
            sys::kvm_arch_crypto_set_masks(
                self.kvm.kvm.as_ptr(),
                m.apm.as_words().as_ptr().cast_mut().cast(),
                m.aqm.as_words().as_ptr().cast_mut().cast(),
                m.adm.as_words().as_ptr().cast_mut().cast(),
            )
        };
    }

    /// Takes every AP resource away from the guest.
    pub(crate) fn clear_masks(&mut self) {
        // SAFETY: `kvm->lock` is held (type invariant).
        unsafe { sys::vfio_ap_rs_kvm_clear_masks(self.kvm.kvm.as_ptr()) };
    }
}

/// How many VMs one [`KvmSet`] holds at most: the set lives on the stack.
pub(crate) const KVM_SET_MAX: usize = 16;

/// Up to [`KVM_SET_MAX`] distinct VMs, each with the caller's tag, whose `kvm->lock` can be
/// taken together ([`KvmSet::lock`]), so that one hold of an inner lock serves all of them.
/// The VMs are borrowed (from the attachments that hold their references): building and
/// locking a set takes no VM reference.
///
/// # Invariants
///
/// `vms[..len]` are `Some` and refer to distinct VMs, whose identities are `ids[..len]`; the
/// rest are `None`. `filter` has the [`VmId::filter_bit`] of each of `ids[..len]`.
pub(crate) struct KvmSet<'v, T: Copy> {
    vms: [Option<(T, &'v KvmRef)>; KVM_SET_MAX],
    /// The members' identities, apart: the check for a VM already in the set compares
    /// plain words.
    ids: [VmId; KVM_SET_MAX],
    /// A bit per member, [`VmId::filter_bit`]: a VM whose bit is clear is not in the set,
    /// which spares the scan of `ids` for almost every VM added.
    filter: u64,
    len: usize,
}

impl<'v, T: Copy> KvmSet<'v, T> {
    /// An empty set.
    pub(crate) fn new() -> Self {
        // INVARIANT: No VM, every slot `None`.
        Self {
            vms: [const { None }; KVM_SET_MAX],
            ids: [VmId(0); KVM_SET_MAX],
            filter: 0,
            len: 0,
        }
    }

    /// Whether another VM fits.
    pub(crate) fn is_full(&self) -> bool {
        self.len >= KVM_SET_MAX
    }

    /// The VMs in the set, in the order they were added.
    fn members(&self) -> impl Iterator<Item = &(T, &'v KvmRef)> {
        self.vms
            .get(..self.len)
            .unwrap_or_default()
            .iter()
            .flatten()
    }

    /// Adds `kvm` with `tag`; false if the set is full or already holds that VM (its lock
    /// cannot be taken twice).
    pub(crate) fn push(&mut self, tag: T, kvm: &'v KvmRef) -> bool {
        let id = kvm.id();
        let bit = id.filter_bit();
        if self.filter & bit != 0 && self.ids.get(..self.len).unwrap_or_default().contains(&id) {
            return false;
        }
        match (self.vms.get_mut(self.len), self.ids.get_mut(self.len)) {
            (Some(slot), Some(slot_id)) => {
                // INVARIANT: The slot after the last member takes a VM not in the set (a
                // member's bit is in `filter`, so a clear bit rules the VM out), and `filter`
                // gets its bit.
                *slot = Some((tag, kvm));
                *slot_id = id;
                self.filter |= bit;
                self.len += 1;
                true
            }
            _ => false,
        }
    }

    /// Takes the `kvm->lock` of every VM in the set, in set order.
    ///
    /// Only [`crate::locks`] calls this, with the driver's guests lock held: the one holder
    /// of several `kvm->lock`s at a time, so two sets never wait on each other.
    pub(crate) fn lock(self) -> KvmSetGuard<'v, T> {
        // Lockdep needs the nesting, which only the C helpers can express; without it each
        // VM is a plain mutex_lock(), with no call into the module's C on the way.
        #[cfg(CONFIG_DEBUG_LOCK_ALLOC)]
        // SAFETY: No precondition: the begin of a lockdep-only nesting.
        unsafe {
            sys::vfio_ap_rs_kvm_set_begin()
        };
        for (_, kvm) in self.members() {
            #[cfg(CONFIG_DEBUG_LOCK_ALLOC)]
            // SAFETY: The VM is alive (`KvmRef` invariant); the set holds each VM once.
            unsafe {
                sys::vfio_ap_rs_kvm_lock_in_set(kvm.kvm.as_ptr())
            };
            #[cfg(not(CONFIG_DEBUG_LOCK_ALLOC))]
            // SAFETY: As above; `mutex_ptr` is the VM's initialised `kvm->lock`, alive while
            // the set borrows the VM.
            unsafe {
                crate::mutex::lock_raw(kvm.mutex_ptr())
            };
        }
        // INVARIANT: Every VM of the set was locked above, nested in the set's lockdep map.
        KvmSetGuard { set: self }
    }
}

/// The `kvm->lock` of every VM in a [`KvmSet`], held.
///
/// # Invariants
///
/// This thread holds `kvm->lock` of each VM in `set`, taken by [`KvmSet::lock`], and the
/// set's lockdep nesting.
pub(crate) struct KvmSetGuard<'v, T: Copy> {
    set: KvmSet<'v, T>,
}

impl<T: Copy> KvmSetGuard<'_, T> {
    /// Calls `f` with each VM's tag and CRYCB, in set order.
    pub(crate) fn for_each_crycb(&mut self, mut f: impl FnMut(T, &mut Crycb<'_>)) {
        for (tag, kvm) in self.set.members() {
            // SAFETY: `kvm->lock` of `kvm` is held while `self` lives (type invariant), and
            // the `Crycb` does not outlive this iteration.
            let mut crycb = unsafe { Crycb::new(kvm) };
            f(*tag, &mut crycb);
        }
    }
}

impl<T: Copy> Drop for KvmSetGuard<'_, T> {
    fn drop(&mut self) {
        for (_, kvm) in self.set.members() {
            // SAFETY: This thread holds the VM's `kvm->lock` (type invariant).
            unsafe { sys::mutex_unlock(kvm.mutex_ptr()) };
        }
        #[cfg(CONFIG_DEBUG_LOCK_ALLOC)]
        // SAFETY: Ends the nesting begun by `KvmSet::lock`; no VM of the set is locked now.
        unsafe {
            sys::vfio_ap_rs_kvm_set_end()
        };
    }
}

/// An identity of a VM, for finding the mdev attached to it; not a reference.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct VmId(usize);

impl VmId {
    /// One of 64 bits, the same for equal ids: the address bits above a cache line, folded,
    /// so that two VMs rarely share one (then the set scans its members).
    fn filter_bit(self) -> u64 {
        let a = self.0 >> 6;
        1 << ((a ^ (a >> 6) ^ (a >> 12) ^ (a >> 18)) % 64)
    }
}

impl KvmRef {
    /// The VM's identity.
    pub(crate) fn id(&self) -> VmId {
        VmId(self.kvm.as_ptr() as usize)
    }

    /// Installs the driver's PQAP hook, so KVM hands the guest's PQAP(AQIC) instructions to
    /// [`crate::aqic::handle_pqap`]. EBUSY if another driver's hook is installed.
    ///
    /// Takes the VM's `pqap_hook_rwsem` for writing: call it with `kvm->lock` held but not
    /// the mdevs lock, which the hook takes inside that rwsem.
    pub(crate) fn set_pqap_hook(&self) -> Result {
        // SAFETY: The VM is alive (type invariant). `PQAP_HOOK` is a static the C side only
        // reads; the hook is removed before the module can go (`clear_pqap_hook` on detach,
        // and every mdev is detached before the module unloads).
        kernel::error::to_result(unsafe {
            sys::vfio_ap_rs_kvm_set_pqap_hook(
                self.kvm.as_ptr(),
                (&raw const PQAP_HOOK.0).cast_mut().cast(),
            )
        })
    }

    /// Removes the PQAP hook; waits for hooks running on the VM's vCPUs to return.
    pub(crate) fn clear_pqap_hook(&self) {
        // SAFETY: The VM is alive (type invariant).
        unsafe { sys::vfio_ap_rs_kvm_clear_pqap_hook(self.kvm.as_ptr()) };
    }

    /// Unregisters a guest ISC registered with [`Vcpu::gisc_register`].
    pub(crate) fn gisc_unregister(&self, guest_isc: u8) {
        // SAFETY: The VM is alive (type invariant); the ISC was registered by this driver.
        unsafe { sys::vfio_ap_rs_kvm_gisc_unregister(self.kvm.as_ptr(), u32::from(guest_isc)) };
    }
}

/// The hook KVM calls: a function pointer, referenced by pointer from `kvm->arch.crypto`.
#[repr(transparent)]
struct Hook(Option<unsafe extern "C" fn(*mut sys::kvm_vcpu) -> c_int>);

// SAFETY: A function pointer that never changes.
unsafe impl Sync for Hook {}

static PQAP_HOOK: Hook = Hook(Some(pqap_trampoline));

/// `crypto_hook`: KVM intercepted a PQAP of a guest whose VM has our hook.
///
/// # Safety
///
/// Called by KVM with a vCPU of the VM, on that vCPU's thread, with the VM's
/// `pqap_hook_rwsem` held for reading.
unsafe extern "C" fn pqap_trampoline(vcpu: *mut sys::kvm_vcpu) -> c_int {
    let Some(vcpu) = NonNull::new(vcpu) else {
        return EINVAL.to_errno();
    };
    // INVARIANT: KVM passes a live vCPU, used on its own thread for the call.
    let vcpu = Vcpu { vcpu };
    match crate::aqic::handle_pqap(&vcpu) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// A vCPU whose intercepted PQAP the driver handles, for the duration of the hook.
///
/// # Invariants
///
/// `vcpu` is a live vCPU, used from its own thread with its registers stable.
pub(crate) struct Vcpu {
    vcpu: NonNull<sys::kvm_vcpu>,
}

impl Vcpu {
    fn kvm(&self) -> *mut sys::kvm {
        // SAFETY: The vCPU is alive (type invariant) and belongs to one VM for its life.
        unsafe { sys::vfio_ap_rs_vcpu_kvm(self.vcpu.as_ptr()) }
    }

    /// The identity of the vCPU's VM.
    pub(crate) fn vm(&self) -> VmId {
        VmId(self.kvm() as usize)
    }

    /// General register `n` (0-15) of the guest.
    pub(crate) fn gpr(&self, n: u8) -> u64 {
        // SAFETY: The vCPU is alive and its registers are ours during the intercept.
        unsafe { sys::vfio_ap_rs_vcpu_gpr(self.vcpu.as_ptr(), c_int::from(n)) }
    }

    /// Sets general register `n` (0-15) of the guest.
    pub(crate) fn set_gpr(&self, n: u8, value: u64) {
        // SAFETY: As in `gpr`.
        unsafe { sys::vfio_ap_rs_vcpu_set_gpr(self.vcpu.as_ptr(), c_int::from(n), value) }
    }

    /// Whether adapter interruption virtualisation (AIV, a GISA) is on for the vCPU.
    pub(crate) fn has_aiv(&self) -> bool {
        // SAFETY: The vCPU is alive (type invariant).
        unsafe { sys::vfio_ap_rs_vcpu_has_aiv(self.vcpu.as_ptr()) }
    }

    /// Whether the guest is a protected (secure execution) guest.
    pub(crate) fn is_protected(&self) -> bool {
        // SAFETY: The vCPU is alive (type invariant).
        unsafe { sys::vfio_ap_rs_vcpu_is_protected(self.vcpu.as_ptr()) }
    }

    /// Whether guest address `gpa` lies in one of the VM's memory slots.
    pub(crate) fn gpa_in_memslot(&self, gpa: u64) -> bool {
        // SAFETY: The VM is alive while its vCPU runs the intercept.
        unsafe { sys::vfio_ap_rs_kvm_gpa_in_memslot(self.kvm(), gpa) }
    }

    /// The host physical address of the VM's GISA; `None` without one.
    pub(crate) fn gisa_phys(&self) -> Option<u64> {
        // SAFETY: As in `gpa_in_memslot`.
        let phys = unsafe { sys::vfio_ap_rs_kvm_gisa_phys(self.kvm()) };
        (phys != 0).then_some(phys)
    }

    /// Registers guest ISC `guest_isc` with the VM's GISA; the host ISC its interruptions
    /// arrive on.
    pub(crate) fn gisc_register(&self, guest_isc: u8) -> Result<u8> {
        // SAFETY: As in `gpa_in_memslot`.
        let nisc = unsafe { sys::vfio_ap_rs_kvm_gisc_register(self.kvm(), u32::from(guest_isc)) };
        kernel::error::to_result(nisc)?;
        u8::try_from(nisc).map_err(|_| EINVAL)
    }
}

/// Shares a pinned page (host physical address `phys`) of a protected guest with the
/// ultravisor, so the machine may write the guest's notification byte into it.
pub(crate) fn share_with_ultravisor(phys: u64) -> Result {
    // SAFETY: Any address may be passed; the ultravisor refuses pages it does not know.
    kernel::error::to_result(unsafe { sys::vfio_ap_rs_uv_pin_shared(phys) })
}
