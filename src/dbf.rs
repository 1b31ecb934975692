// SPDX-License-Identifier: GPL-2.0

//! The s390 debug feature area `vfio_ap` (`/sys/kernel/debug/s390dbf/vfio_ap/`), where s390
//! administrators look first: one page, sprintf view, level 4 (warnings) by default, as the
//! C driver has it. `echo 6 > .../level` records every change as well.
//!
//! C header: [`arch/s390/include/asm/debug.h`](srctree/arch/s390/include/asm/debug.h)

use core::ptr::{
    self,
    NonNull, //
};

use kernel::{
    prelude::*,
    str::CStrExt,
    sync::atomic::{
        Acquire,
        Atomic,
        Release, //
    },
};

use crate::{model::format::Uuid, sys};

/// Event levels, as s390dbf numbers them.
#[derive(Clone, Copy)]
pub(crate) enum Level {
    /// Something went wrong: a reset failed or timed out.
    Error = 3,
    /// A request was refused.
    Warn = 4,
    /// A change: an edit, a queue bound or unbound, a host configuration change.
    Info = 5,
}

/// The registered area, or null. Set by [`Registration::register`], cleared by its drop.
static AREA: Atomic<*mut sys::debug_info_t> = Atomic::new(ptr::null_mut());

/// The `vfio_ap` debug area, registered while this object lives.
///
/// # Invariants
///
/// `id` is a registered area, also published in [`AREA`]. It is dropped after every other
/// part of the module (declared last in the module), so no event can race with its removal.
pub(crate) struct Registration {
    id: NonNull<sys::debug_info_t>,
}

// SAFETY: s390dbf serialises access to an area internally.
unsafe impl Send for Registration {}
// SAFETY: No methods; see `Send`.
unsafe impl Sync for Registration {}

impl Registration {
    /// Registers `/sys/kernel/debug/s390dbf/vfio_ap`.
    pub(crate) fn register() -> Result<Self> {
        // One page, one area, entries of ten longs (a format pointer and nine arguments).
        // SAFETY: The name is a static NUL-terminated string.
        let id = unsafe {
            sys::debug_register(
                c"vfio_ap".as_char_ptr(),
                1,
                1,
                10 * size_of::<c_long>() as c_int,
            )
        };
        let id = NonNull::new(id).ok_or(ENOMEM)?;
        // SAFETY: `id` is a registered area; the sprintf view is a static of the kernel.
        unsafe {
            sys::debug_register_view(id.as_ptr(), &raw mut sys::debug_sprintf_view);
            sys::debug_set_level(id.as_ptr(), Level::Warn as c_int);
        }
        AREA.store(id.as_ptr(), Release);
        // INVARIANT: registered and published above.
        Ok(Self { id })
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        AREA.store(ptr::null_mut(), Release);
        // SAFETY: By the type invariant the area is registered and nothing logs any more.
        unsafe { sys::debug_unregister(self.id.as_ptr()) };
    }
}

/// Records an event. `fmt` is a printf format of at most nine `%lx`/`%lu`/`%s` conversions;
/// s390dbf keeps only the pointer, hence `'static`, and `%s` arguments must point to static
/// strings too.
pub(crate) fn event(level: Level, fmt: &'static CStr, args: &[c_long]) {
    let id = AREA.load(Acquire);
    if id.is_null() {
        return;
    }
    let mut all = [0 as c_long; 9];
    for (dst, src) in all.iter_mut().zip(args) {
        *dst = *src;
    }
    // SAFETY: `id` is registered while published (see `Registration`); `fmt` is static and
    // NUL-terminated; `all` holds the nine longs the helper reads.
    unsafe { sys::vfio_ap_rs_dbf_event(id, level as c_int, fmt.as_char_ptr(), all.as_ptr()) };
}

/// A UUID as the six longs of the format `UUID_FMT`: s390dbf keeps `%s` as a pointer, which
/// would outlive an mdev, so the UUID travels by value.
pub(crate) fn uuid_args(uuid: &Uuid) -> [c_long; 6] {
    let b = uuid.0;
    let be = |range: core::ops::Range<usize>| -> c_long {
        b.get(range)
            .unwrap_or(&[])
            .iter()
            .fold(0, |acc, byte| (acc << 8) | c_long::from(*byte))
    };
    [
        be(0..4),
        be(4..6),
        be(6..8),
        be(8..10),
        be(10..12),
        be(12..16),
    ]
}

/// printf conversions for the six longs of [`uuid_args`].
macro_rules! uuid_fmt {
    () => {
        "%08lx-%04lx-%04lx-%04lx-%04lx%08lx"
    };
}
pub(crate) use uuid_fmt;
