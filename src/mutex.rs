// SPDX-License-Identifier: GPL-2.0

//! The driver's own thin guard over `struct mutex`, for its two statics and for mutexes C
//! owns (a VM's `kvm->lock`, the AP bus's `ap_attr_mutex`).
//!
//! The kernel's `Guard::new` checks, through a C helper, that the lock it wraps is held; the
//! call costs nothing on the machine but, under QEMU's TCG, a page of kernel code that each
//! of the driver's paths would otherwise touch. These guards take and drop the mutex with
//! `mutex_lock()`/`mutex_unlock()` and nothing else; lockdep still sees every acquisition.

use core::{
    cell::UnsafeCell,
    marker::PhantomData,
    ops::{
        Deref,
        DerefMut, //
    },
};

use kernel::{
    prelude::*,
    sync::LockClassKey,
    types::Opaque, //
};

use crate::sys;

/// Takes `mutex` (lockdep sees subclass 0, as for `mutex_lock()`).
///
/// # Safety
///
/// `mutex` is an initialised mutex that outlives the hold.
pub(crate) unsafe fn lock_raw(mutex: *mut sys::mutex) {
    #[cfg(CONFIG_DEBUG_LOCK_ALLOC)]
    // SAFETY: As the caller guarantees.
    unsafe {
        sys::mutex_lock_nested(mutex, 0)
    };
    #[cfg(not(CONFIG_DEBUG_LOCK_ALLOC))]
    // SAFETY: As the caller guarantees.
    unsafe {
        sys::mutex_lock(mutex)
    };
}

/// A mutex in a static, with the data it guards.
///
/// # Invariants
///
/// `data` is only reached through a [`StaticGuard`], which exists only while this thread
/// holds `mutex`; `mutex` is initialised by [`StaticMutex::init`] before the first lock.
pub(crate) struct StaticMutex<T> {
    mutex: Opaque<sys::mutex>,
    data: UnsafeCell<T>,
}

// SAFETY: The data is only reached with the mutex held (type invariant), by one thread at a
// time, so sharing the static is as safe as sending `T`.
unsafe impl<T: Send> Sync for StaticMutex<T> {}

impl<T> StaticMutex<T> {
    /// A mutex not yet initialised: [`Self::init`] must run before the first lock.
    pub(crate) const fn new(data: T) -> Self {
        Self {
            mutex: Opaque::uninit(),
            data: UnsafeCell::new(data),
        }
    }

    /// Initialises the mutex, with `name` and `key` for lockdep.
    ///
    /// # Safety
    ///
    /// Called once, before any [`Self::lock`], while nothing else uses the static.
    pub(crate) unsafe fn init(&'static self, name: &'static CStr, key: &'static LockClassKey) {
        // SAFETY: The mutex lives in a static, so never moves; the caller makes this the one
        // initialisation, before any use.
        unsafe { sys::__mutex_init(self.mutex.get(), name.as_char_ptr(), key.as_ptr()) };
    }

    /// Takes the mutex.
    pub(crate) fn lock(&'static self) -> StaticGuard<T> {
        // SAFETY: The mutex was initialised at module load (type invariant) and lives in a
        // static.
        unsafe { lock_raw(self.mutex.get()) };
        // INVARIANT: The mutex was just taken by this thread.
        StaticGuard {
            lock: self,
            _not_send: PhantomData,
        }
    }
}

/// A [`StaticMutex`] held: derefs to the data.
///
/// # Invariants
///
/// This thread holds `lock.mutex` for as long as the guard lives.
pub(crate) struct StaticGuard<T: 'static> {
    lock: &'static StaticMutex<T>,
    // A mutex is released by the thread that took it.
    _not_send: PhantomData<*mut ()>,
}

impl<T> Deref for StaticGuard<T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: The mutex is held (type invariant), so no other thread reaches the data.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T> DerefMut for StaticGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: As in `deref`; the guard is borrowed mutably.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T> Drop for StaticGuard<T> {
    fn drop(&mut self) {
        // SAFETY: This thread holds the mutex (type invariant).
        unsafe { sys::mutex_unlock(self.lock.mutex.get()) };
    }
}

/// A mutex owned by C (such as `kvm->lock`) held, guarding nothing of ours directly.
///
/// # Invariants
///
/// This thread holds `*mutex` for `'a`, and the mutex outlives `'a`.
pub(crate) struct RawMutexGuard<'a> {
    mutex: *mut sys::mutex,
    _life: PhantomData<&'a ()>,
}

impl RawMutexGuard<'_> {
    /// Takes `mutex`.
    ///
    /// # Safety
    ///
    /// `mutex` is an initialised mutex that lives for `'a`.
    pub(crate) unsafe fn lock<'a>(mutex: *mut sys::mutex) -> RawMutexGuard<'a> {
        // SAFETY: As the caller guarantees.
        unsafe { lock_raw(mutex) };
        // INVARIANT: Taken just above; the caller guarantees the lifetime.
        RawMutexGuard {
            mutex,
            _life: PhantomData,
        }
    }

    /// A guard for `mutex`, which the caller already holds (a C caller that took it before
    /// calling us). Dropping it releases the mutex: wrap it in `ManuallyDrop` when the
    /// caller is to release it.
    ///
    /// # Safety
    ///
    /// `mutex` lives for `'a` and this thread holds it for `'a`.
    pub(crate) unsafe fn held_by_caller<'a>(mutex: *mut sys::mutex) -> RawMutexGuard<'a> {
        // INVARIANT: As the caller guarantees.
        RawMutexGuard {
            mutex,
            _life: PhantomData,
        }
    }
}

impl Drop for RawMutexGuard<'_> {
    fn drop(&mut self) {
        // SAFETY: This thread holds the mutex, which is alive (type invariant).
        unsafe { sys::mutex_unlock(self.mutex) };
    }
}
