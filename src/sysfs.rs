// SPDX-License-Identifier: GPL-2.0

//! Device sysfs attributes defined in Rust.
//!
//! An attribute is a zero-sized type implementing [`AttributeOps`]; [`Attribute`] turns it into
//! a C `struct device_attribute` in a `static`, and [`attribute_groups!`] collects statics into
//! the NULL-terminated group list that `struct device_driver::dev_groups` takes. The driver core
//! creates the files when a device binds and removes them (waiting for running callbacks)
//! before the driver's remove runs, which is what lets [`AttributeOwner`] hand out references.
//!
//! C header: [`include/linux/sysfs.h`](srctree/include/linux/sysfs.h)

use core::{
    marker::PhantomData,
    ptr,
    slice, //
};

use kernel::{
    page::PAGE_SIZE,
    prelude::*,
    str::{
        as_char_ptr_in_const_context,
        Formatter, //
    },
    types::Opaque, //
};

use crate::sys;

/// What a sysfs callback of a device works on.
///
/// # Safety
///
/// For every device that carries an attribute with this owner, [`AttributeOwner::data`] must
/// return a reference that stays valid while a sysfs callback of that attribute runs.
pub(crate) unsafe trait AttributeOwner {
    /// The state the callbacks see.
    type Data: ?Sized;

    /// Finds the state of `dev`.
    ///
    /// # Safety
    ///
    /// `dev` is a device that carries an attribute with this owner, inside one of its sysfs
    /// callbacks; the result is not used after the callback returns.
    unsafe fn data<'a>(dev: *mut sys::device) -> &'a Self::Data;
}

/// Owner of attributes that need no per-device state.
pub(crate) struct Stateless;

// SAFETY: `()` needs no backing storage, so the reference is always valid.
unsafe impl AttributeOwner for Stateless {
    type Data = ();

    unsafe fn data<'a>(_dev: *mut sys::device) -> &'a () {
        &()
    }
}

/// The behaviour of one sysfs attribute.
pub(crate) trait AttributeOps: 'static {
    /// Where the state comes from.
    type Owner: AttributeOwner;
    /// Readable (mode 0444) through [`AttributeOps::show`].
    const READABLE: bool = false;
    /// Writable by root (mode 0200) through [`AttributeOps::store`].
    const WRITABLE: bool = false;

    /// Writes the attribute's text to `out` (one page at most).
    fn show(_data: &<Self::Owner as AttributeOwner>::Data, _out: &mut Formatter<'_>) -> Result {
        Err(EIO)
    }

    /// Applies `input`, exactly what userspace wrote. `Ok` consumes all of it.
    fn store(_data: &<Self::Owner as AttributeOwner>::Data, _input: &[u8]) -> Result {
        Err(EIO)
    }
}

/// A `struct device_attribute` whose callbacks are `A`'s.
///
/// # Invariants
///
/// The C callbacks installed are exactly those `A` declares with `READABLE`/`WRITABLE`, and
/// the mode matches them.
#[repr(transparent)]
pub(crate) struct Attribute<A: AttributeOps>(Opaque<sys::device_attribute>, PhantomData<A>);

// SAFETY: After construction the C side only reads the attribute, apart from lockdep's key
// bookkeeping which the kernel synchronises itself.
unsafe impl<A: AttributeOps> Sync for Attribute<A> {}

impl<A: AttributeOps> Attribute<A> {
    /// An attribute file called `name`.
    pub(crate) const fn new(name: &'static CStr) -> Self {
        let mode = if A::READABLE { 0o444 } else { 0 } | if A::WRITABLE { 0o200 } else { 0 };
        // INVARIANT: callbacks and mode both follow `READABLE` and `WRITABLE`.
        // `struct attribute` has lockdep fields only with CONFIG_DEBUG_LOCK_ALLOC; without
        // them the struct update below has nothing left to fill.
        #[allow(clippy::needless_update)]
        Self(
            Opaque::new(sys::device_attribute {
                attr: sys::attribute {
                    name: as_char_ptr_in_const_context(name),
                    mode,
                    ..pin_init::zeroed()
                },
                __bindgen_anon_1: sys::device_attribute__bindgen_ty_1 {
                    show: if A::READABLE { Some(Self::show) } else { None },
                },
                __bindgen_anon_2: sys::device_attribute__bindgen_ty_2 {
                    store: if A::WRITABLE { Some(Self::store) } else { None },
                },
            }),
            PhantomData,
        )
    }

    /// The embedded `struct attribute`, for an attribute list.
    pub(crate) const fn as_raw(&'static self) -> *mut sys::attribute {
        // CAST: `attr` is the first field of the `#[repr(C)]` `device_attribute`.
        self.0.get().cast()
    }

    /// `device_attribute::show`.
    ///
    /// # Safety
    ///
    /// Called by sysfs with a device carrying this attribute and a page-sized buffer.
    unsafe extern "C" fn show(
        dev: *mut sys::device,
        _attr: *mut sys::device_attribute,
        buf: *mut c_char,
    ) -> isize {
        // SAFETY: sysfs hands `show` a zeroed buffer of one page, ours until we return.
        let page = unsafe { slice::from_raw_parts_mut(buf.cast::<u8>(), PAGE_SIZE) };
        let mut out = Formatter::new(page);
        // SAFETY: `dev` carries this attribute and we are inside its callback.
        let data = unsafe { A::Owner::data(dev) };
        match A::show(data, &mut out) {
            Ok(()) => out.bytes_written().min(PAGE_SIZE) as isize,
            Err(e) => e.to_errno() as isize,
        }
    }

    /// `device_attribute::store`.
    ///
    /// # Safety
    ///
    /// Called by sysfs with a device carrying this attribute and `count` readable bytes.
    unsafe extern "C" fn store(
        dev: *mut sys::device,
        _attr: *mut sys::device_attribute,
        buf: *const c_char,
        count: usize,
    ) -> isize {
        // SAFETY: sysfs passes `count` readable bytes (a copy of what userspace wrote).
        let input = unsafe { slice::from_raw_parts(buf.cast::<u8>(), count) };
        // SAFETY: `dev` carries this attribute and we are inside its callback.
        let data = unsafe { A::Owner::data(dev) };
        match A::store(data, input) {
            Ok(()) => count as isize,
            Err(e) => e.to_errno() as isize,
        }
    }
}

/// A NULL-terminated array of attribute pointers, in writable memory as C expects.
#[doc(hidden)]
#[repr(transparent)]
pub(crate) struct AttributeList<const N: usize>(Opaque<[*mut sys::attribute; N]>);

// SAFETY: Only C reads the list after construction.
unsafe impl<const N: usize> Sync for AttributeList<N> {}

impl<const N: usize> AttributeList<N> {
    #[doc(hidden)]
    pub(crate) const fn new(attrs: [*mut sys::attribute; N]) -> Self {
        Self(Opaque::new(attrs))
    }
}

/// One unnamed attribute group and the NULL-terminated list of groups holding it.
#[doc(hidden)]
pub(crate) struct GroupStorage {
    group: Opaque<sys::attribute_group>,
}

// SAFETY: Only C reads the group after construction.
unsafe impl Sync for GroupStorage {}

impl GroupStorage {
    #[doc(hidden)]
    pub(crate) const fn new<const N: usize>(attrs: &'static AttributeList<N>) -> Self {
        Self {
            group: Opaque::new(sys::attribute_group {
                __bindgen_anon_2: sys::attribute_group__bindgen_ty_2 {
                    attrs: attrs.0.get().cast(),
                },
                ..pin_init::zeroed()
            }),
        }
    }
}

/// The attribute groups of a device, as `dev_groups` takes them.
pub(crate) struct AttributeGroups(Opaque<[*const sys::attribute_group; 2]>);

// SAFETY: Only C reads the list after construction.
unsafe impl Sync for AttributeGroups {}

impl AttributeGroups {
    #[doc(hidden)]
    pub(crate) const fn new(group: &'static GroupStorage) -> Self {
        Self(Opaque::new([group.group.get().cast_const(), ptr::null()]))
    }

    /// The NULL-terminated group list.
    pub(crate) const fn as_raw(&'static self) -> *mut *const sys::attribute_group {
        self.0.get().cast()
    }
}

/// Declares `static $name: AttributeGroups` holding the given `static` [`Attribute`]s.
macro_rules! attribute_groups {
    ($vis:vis static $name:ident = [$($attr:path),+ $(,)?];) => {
        $vis static $name: $crate::sysfs::AttributeGroups = {
            const N: usize = [$(stringify!($attr)),+].len() + 1;
            static LIST: $crate::sysfs::AttributeList<N> =
                $crate::sysfs::AttributeList::new([$($attr.as_raw(),)+ ::core::ptr::null_mut()]);
            static GROUP: $crate::sysfs::GroupStorage = $crate::sysfs::GroupStorage::new(&LIST);
            $crate::sysfs::AttributeGroups::new(&GROUP)
        };
    };
}
pub(crate) use attribute_groups;
