// SPDX-License-Identifier: GPL-2.0

//! The driver's lock hierarchy, in types.
//!
//! Order, outermost first (as in the C driver's `vfio-ap-locking.rst`):
//!
//! 1. the AP bus's `ap_attr_mutex` (host reservations, `apmask`/`aqmask`);
//! 2. the guests lock: which mdevs exist and which guest each is attached to;
//! 3. one guest's `kvm->lock`, which guards its crypto control block (CRYCB);
//! 4. the mdevs lock: every mdev's matrix and guest view, the queue bindings.
//!
//! The guests lock guards which mdev is attached to which VM, so holding it keeps every
//! attachment, and thus every `kvm->lock` a path may need, fixed. A path that programs a
//! guest's CRYCB takes that guest's `kvm->lock` below the guests lock, then the mdevs lock
//! to read the view. A path that programs many guests takes the `kvm->lock` of up to
//! [`KVM_SET_MAX`](crate::kvm::KVM_SET_MAX) of them at once ([`GuestsLevel::kvm_set`]), so that one hold of the mdevs
//! lock serves them all; holding the guests lock makes it the only thread holding more than
//! one `kvm->lock`, so two such paths never wait on each other.
//!
//! Every entry point (a sysfs callback, an AP bus or mdev callback) starts from one
//! [`LockCtx`]. Each level is reached only from the level above, and each guard mutably
//! borrows the level it came from, so taking an outer lock while an inner one is held, or the
//! same lock twice, does not compile. Readers that need only the innermost lock take it
//! directly from the context, and can then take nothing else.

use core::marker::PhantomData;

use kernel::{
    c_str,
    static_lock_class, //
};

use crate::{
    ap_bus::{
        ApPermsGuard,
        ApPermsLock, //
    },
    kvm::{
        Crycb,
        KvmRef,
        KvmSet,
        KvmSetGuard, //
    },
    mutex::{
        RawMutexGuard,
        StaticGuard,
        StaticMutex, //
    },
    state::{
        Guests,
        MdevId,
        Mdevs, //
    },
};

static GUESTS: StaticMutex<Guests> = StaticMutex::new(Guests::new());

static MDEVS: StaticMutex<Mdevs> = StaticMutex::new(Mdevs::new());

/// Sets up the driver's locks. Called once from module init, before anything can lock.
pub(crate) fn init_locks() {
    // SAFETY: Called exactly once, at module init, before any other use of the locks.
    unsafe {
        GUESTS.init(c_str!("vfio_ap_rs guests"), static_lock_class!().get_ref());
        MDEVS.init(c_str!("vfio_ap_rs mdevs"), static_lock_class!().get_ref());
    }
}

/// The start of every locking path: holds no lock, and lends itself to the first one.
///
/// Only entry points create one; code reached from an entry point takes it (or a guard) as a
/// parameter.
pub(crate) struct LockCtx {
    // Not `Send`: a context belongs to the thread that entered.
    _not_send: PhantomData<*mut ()>,
}

impl LockCtx {
    /// Enters the driver from a C callback that holds none of its locks.
    pub(crate) fn enter() -> Self {
        Self {
            _not_send: PhantomData,
        }
    }

    /// Takes `ap_attr_mutex`, the outermost lock.
    pub(crate) fn perms(&mut self) -> PermsLevel<'_> {
        PermsLevel {
            perms: ApPermsLock::lock(),
            _ctx: PhantomData,
        }
    }

    /// Takes the guests lock without `ap_attr_mutex`.
    pub(crate) fn guests(&mut self) -> GuestsLevel<'_> {
        GuestsLevel {
            guests: GUESTS.lock(),
            perms: None,
        }
    }

    /// Takes only the mdevs lock, for readers.
    pub(crate) fn mdevs(&mut self) -> MdevsGuard<'_> {
        MdevsGuard {
            mdevs: MDEVS.lock(),
            _outer: PhantomData,
        }
    }
}

/// `ap_attr_mutex` held.
pub(crate) struct PermsLevel<'a> {
    perms: ApPermsGuard,
    _ctx: PhantomData<&'a mut LockCtx>,
}

impl PermsLevel<'_> {
    /// Takes the guests lock under `ap_attr_mutex`.
    pub(crate) fn guests(&mut self) -> GuestsLevel<'_> {
        GuestsLevel {
            guests: GUESTS.lock(),
            perms: Some(&self.perms),
        }
    }
}

/// The guests lock held (and `ap_attr_mutex` if reached through [`PermsLevel`]).
pub(crate) struct GuestsLevel<'a> {
    guests: StaticGuard<Guests>,
    perms: Option<&'a ApPermsGuard>,
}

impl<'a> GuestsLevel<'a> {
    /// Takes the mdevs lock; also returns the `ap_attr_mutex` proof if this path holds it.
    pub(crate) fn mdevs(&mut self) -> (MdevsGuard<'_>, Option<&'a ApPermsGuard>) {
        (
            MdevsGuard {
                mdevs: MDEVS.lock(),
                _outer: PhantomData,
            },
            self.perms,
        )
    }

    /// The attachments, which the guests lock guards.
    pub(crate) fn state(&mut self) -> &mut Guests {
        &mut self.guests
    }

    /// The attachments and the mdevs lock at once.
    pub(crate) fn state_and_mdevs(&mut self) -> (&mut Guests, MdevsGuard<'_>) {
        let (guests, mdevs, _) = self.state_mdevs_perms();
        (guests, mdevs)
    }

    /// The attachments, the mdevs lock and, if this path holds it, the `ap_attr_mutex` proof.
    pub(crate) fn state_mdevs_perms(
        &mut self,
    ) -> (&mut Guests, MdevsGuard<'_>, Option<&'a ApPermsGuard>) {
        (
            &mut self.guests,
            MdevsGuard {
                mdevs: MDEVS.lock(),
                _outer: PhantomData,
            },
            self.perms,
        )
    }

    /// Takes `kvm->lock` of one guest. The mdevs lock comes from the result.
    pub(crate) fn kvm<'b>(&'b mut self, kvm: &'b KvmRef) -> KvmLevel<'b> {
        KvmLevel {
            kvm,
            _guard: kvm.lock(),
            guests: &self.guests,
            perms: self.perms,
        }
    }

    /// Takes `kvm->lock` of the guest `mdev` is attached to, if it is. The attachment's own
    /// VM reference is borrowed for as long as the lock is held: no reference is taken and
    /// dropped (under TCG a VM reference round trip is two more kernel pages to touch).
    pub(crate) fn attached_kvm(&mut self, mdev: MdevId) -> Option<KvmLevel<'_>> {
        let guests: &Guests = &self.guests;
        let kvm = guests.vm_ref_of(mdev)?;
        Some(KvmLevel {
            kvm,
            _guard: kvm.lock(),
            guests,
            perms: self.perms,
        })
    }
}

impl GuestsLevel<'_> {
    /// Takes `kvm->lock` of every guest `choose` puts in a set, from the attachments it is
    /// shown, which lend their VM references for as long as the locks are held. The mdevs
    /// lock comes from the result.
    pub(crate) fn kvm_set<'b, T: Copy>(
        &'b mut self,
        choose: impl FnOnce(&'b Guests, &mut KvmSet<'b, T>),
    ) -> KvmSetLevel<'b, T> {
        let guests: &'b Guests = &self.guests;
        let mut set = KvmSet::new();
        choose(guests, &mut set);
        KvmSetLevel {
            crycbs: set.lock(),
            guests,
        }
    }
}

/// The guests lock and the `kvm->lock` of each guest in a [`KvmSet`] held.
pub(crate) struct KvmSetLevel<'a, T: Copy> {
    crycbs: KvmSetGuard<'a, T>,
    /// Shared: the attachments lend the set's VMs; they only change their stale marks here.
    guests: &'a Guests,
}

impl<'a, T: Copy> KvmSetLevel<'a, T> {
    /// Takes the mdevs lock; returns with it the attachments and the guests' CRYCBs.
    pub(crate) fn state_mdevs_crycbs(
        &mut self,
    ) -> (&Guests, MdevsGuard<'_>, &mut KvmSetGuard<'a, T>) {
        let mdevs = MdevsGuard {
            mdevs: MDEVS.lock(),
            _outer: PhantomData,
        };
        (self.guests, mdevs, &mut self.crycbs)
    }
}

/// The guests lock and one guest's `kvm->lock` held.
pub(crate) struct KvmLevel<'a> {
    kvm: &'a KvmRef,
    _guard: RawMutexGuard<'a>,
    /// Shared: the attachments may lend `kvm`; they only change their stale marks here.
    guests: &'a Guests,
    perms: Option<&'a ApPermsGuard>,
}

impl KvmLevel<'_> {
    /// Takes the mdevs lock; also returns the guest's CRYCB, which `kvm->lock` guards.
    pub(crate) fn mdevs(&mut self) -> (MdevsGuard<'_>, Crycb<'_>) {
        let (_, mdevs, crycb, _) = self.state_mdevs_crycb();
        (mdevs, crycb)
    }

    /// Takes the mdevs lock; returns with it the attachments, the guest's CRYCB and, if this
    /// path holds it, the `ap_attr_mutex` proof.
    pub(crate) fn state_mdevs_crycb(
        &mut self,
    ) -> (&Guests, MdevsGuard<'_>, Crycb<'_>, Option<&ApPermsGuard>) {
        let mdevs = MdevsGuard {
            mdevs: MDEVS.lock(),
            _outer: PhantomData,
        };
        // SAFETY: `self` holds `kvm->lock` of `self.kvm` for as long as it is borrowed.
        let crycb = unsafe { Crycb::new(self.kvm) };
        (self.guests, mdevs, crycb, self.perms)
    }
}

/// The mdevs lock held: derefs to the state it guards.
pub(crate) struct MdevsGuard<'a> {
    mdevs: StaticGuard<Mdevs>,
    _outer: PhantomData<&'a mut ()>,
}

impl core::ops::Deref for MdevsGuard<'_> {
    type Target = Mdevs;

    fn deref(&self) -> &Mdevs {
        &self.mdevs
    }
}

impl core::ops::DerefMut for MdevsGuard<'_> {
    fn deref_mut(&mut self) -> &mut Mdevs {
        &mut self.mdevs
    }
}
