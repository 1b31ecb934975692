// SPDX-License-Identifier: GPL-2.0

//! Eventfds that userspace hands the driver (VFIO `SET_IRQS`), to be signalled later.
//!
//! C header: [`include/linux/eventfd.h`](srctree/include/linux/eventfd.h)

use core::ptr::NonNull;

use kernel::{
    error::from_err_ptr,
    prelude::*, //
};

use crate::sys;

/// A reference to an eventfd context.
///
/// # Invariants
///
/// `ctx` is an eventfd context on which this object holds one reference.
pub(crate) struct EventFd {
    ctx: NonNull<sys::eventfd_ctx>,
}

// SAFETY: Eventfd contexts are reference counted atomically and may be signalled from any
// thread.
unsafe impl Send for EventFd {}
// SAFETY: `&EventFd` only signals; see `Send`.
unsafe impl Sync for EventFd {}

impl EventFd {
    /// The eventfd behind file descriptor `fd` of the calling process: EBADF if `fd` is not
    /// open, EINVAL if it is not an eventfd.
    pub(crate) fn from_fd(fd: i32) -> Result<Self> {
        // SAFETY: Any value may be passed; the call looks `fd` up in the caller's table.
        let ctx = from_err_ptr(unsafe { sys::eventfd_ctx_fdget(fd) })?;
        let ctx = NonNull::new(ctx).ok_or(EINVAL)?;
        // INVARIANT: `eventfd_ctx_fdget` returned a reference.
        Ok(Self { ctx })
    }

    /// Adds one to the eventfd's counter, waking its readers.
    pub(crate) fn signal(&self) {
        // SAFETY: The context is alive (type invariant).
        unsafe { sys::vfio_ap_rs_eventfd_signal(self.ctx.as_ptr()) };
    }
}

impl Drop for EventFd {
    fn drop(&mut self) {
        // SAFETY: We hold one reference (type invariant) and give it back.
        unsafe { sys::eventfd_ctx_put(self.ctx.as_ptr()) };
    }
}
