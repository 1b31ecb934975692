// SPDX-License-Identifier: GPL-2.0

//! Driver-core objects the module creates itself: a root device, a bus, a device on that bus
//! and a driver for it. They make up `/sys/devices/vfio_ap/matrix` and `/sys/bus/matrix`.
//!
//! C headers: [`include/linux/device.h`](srctree/include/linux/device.h),
//! [`include/linux/device/bus.h`](srctree/include/linux/device/bus.h),
//! [`include/linux/device/driver.h`](srctree/include/linux/device/driver.h)

use core::ptr::NonNull;

use kernel::{
    error::{
        from_err_ptr,
        to_result, //
    },
    prelude::*,
    str::CStrExt,
    types::Opaque, //
};

use crate::{
    sys,
    sysfs::AttributeGroups, //
};

/// A root device, `/sys/devices/<name>`.
///
/// # Invariants
///
/// `dev` came from a successful `__root_device_register` and is unregistered only by `drop`.
pub(crate) struct RootDevice {
    dev: NonNull<sys::device>,
}

// SAFETY: The driver core serialises registration and removal of the device internally; the
// handle only holds a pointer to it.
unsafe impl Send for RootDevice {}
// SAFETY: `&RootDevice` only hands out the raw pointer; see `Send`.
unsafe impl Sync for RootDevice {}

impl RootDevice {
    /// Registers `/sys/devices/<name>`, owned by `module`.
    pub(crate) fn register(name: &'static CStr, module: &'static ThisModule) -> Result<Self> {
        // SAFETY: `name` is NUL-terminated and outlives the call (the core copies it);
        // `module` is this module's `THIS_MODULE`.
        let dev = unsafe { sys::__root_device_register(name.as_char_ptr(), module.as_ptr()) };
        let dev = NonNull::new(from_err_ptr(dev)?).ok_or(ENOMEM)?;
        // INVARIANT: registered successfully just above.
        Ok(Self { dev })
    }

    /// The underlying `struct device`.
    pub(crate) fn as_raw(&self) -> *mut sys::device {
        self.dev.as_ptr()
    }
}

impl Drop for RootDevice {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the device is registered, and only here unregistered.
        unsafe { sys::root_device_unregister(self.dev.as_ptr()) };
    }
}

/// A registered bus type, `/sys/bus/<name>`.
///
/// # Invariants
///
/// `bus` is registered with the driver core for as long as the object lives.
#[pin_data(PinnedDrop)]
pub(crate) struct BusRegistration {
    #[pin]
    bus: Opaque<sys::bus_type>,
}

// SAFETY: The driver core synchronises all access to a registered bus type.
unsafe impl Send for BusRegistration {}
// SAFETY: `&BusRegistration` only hands out the raw pointer; see `Send`.
unsafe impl Sync for BusRegistration {}

impl BusRegistration {
    /// Registers a bus named `name`. It has no match function, so every driver on it binds
    /// every device on it.
    pub(crate) fn new(name: &'static CStr) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            bus <- Opaque::try_ffi_init(move |slot: *mut sys::bus_type| {
                // SAFETY: `slot` is valid for writes and pinned for the object's lifetime.
                unsafe {
                    slot.write(sys::bus_type {
                        name: name.as_char_ptr(),
                        ..pin_init::zeroed()
                    })
                };
                // SAFETY: `slot` is initialised above and stays pinned until `drop`
                // unregisters it.
                to_result(unsafe { sys::bus_register(slot) })
            }),
        })
    }

    /// The underlying `struct bus_type`.
    pub(crate) fn as_raw(&self) -> *mut sys::bus_type {
        self.bus.get()
    }
}

#[pinned_drop]
impl PinnedDrop for BusRegistration {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: By the type invariant the bus is registered.
        unsafe { sys::bus_unregister(self.bus.get()) };
    }
}

/// A device the module allocates and registers on one of its buses.
///
/// # Invariants
///
/// `dev` points to a registered device whose memory is a `KBox<Opaque<sys::device>>`,
/// freed by [`Self::release`] when its last reference goes.
pub(crate) struct BusDevice {
    dev: NonNull<sys::device>,
}

// SAFETY: The device is reference counted and the driver core serialises its registration.
unsafe impl Send for BusDevice {}
// SAFETY: `&BusDevice` only hands out the raw pointer; see `Send`.
unsafe impl Sync for BusDevice {}

impl BusDevice {
    /// Registers a device `name` on `bus`, below `parent`.
    pub(crate) fn register(
        name: &'static CStr,
        bus: &BusRegistration,
        parent: &RootDevice,
    ) -> Result<Self> {
        let boxed = KBox::new(Opaque::<sys::device>::zeroed(), GFP_KERNEL)?;
        let dev = KBox::into_raw(boxed).cast::<sys::device>();
        // SAFETY: `dev` is a zeroed, exclusively owned `struct device`. From
        // `device_initialize` on, its memory belongs to its reference count and `release`
        // frees it; `put_device` is the only way out on failure.
        unsafe {
            sys::device_initialize(dev);
            (*dev).bus = bus.as_raw();
            (*dev).parent = parent.as_raw();
            (*dev).release = Some(Self::release);
            let ret = sys::dev_set_name(dev, c"%s".as_char_ptr(), name.as_char_ptr());
            if ret != 0 {
                sys::put_device(dev);
                return Err(Error::from_errno(ret));
            }
            let ret = sys::device_add(dev);
            if ret != 0 {
                sys::put_device(dev);
                return Err(Error::from_errno(ret));
            }
        }
        let dev = NonNull::new(dev).ok_or(ENOMEM)?;
        // INVARIANT: added successfully above; memory is the box released in `release`.
        Ok(Self { dev })
    }

    /// The underlying `struct device`.
    pub(crate) fn as_raw(&self) -> *mut sys::device {
        self.dev.as_ptr()
    }

    /// `device::release` of devices made by [`BusDevice::register`].
    ///
    /// # Safety
    ///
    /// Called by the driver core, once, when the last reference to such a device goes.
    unsafe extern "C" fn release(dev: *mut sys::device) {
        // SAFETY: `BusDevice::register` allocated every device with this release function as
        // a `KBox<Opaque<sys::device>>`, and the driver core calls it once, last.
        drop(unsafe { KBox::from_raw(dev.cast::<Opaque<sys::device>>()) });
    }
}

impl Drop for BusDevice {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the device is registered; this drops our reference.
        unsafe { sys::device_unregister(self.dev.as_ptr()) };
    }
}

/// A driver on one of the module's buses, with sysfs attributes for the devices it binds.
///
/// # Invariants
///
/// `drv` is registered with the driver core for as long as the object lives.
#[pin_data(PinnedDrop)]
pub(crate) struct BusDriverRegistration {
    #[pin]
    drv: Opaque<sys::device_driver>,
}

// SAFETY: The driver core synchronises all access to a registered driver.
unsafe impl Send for BusDriverRegistration {}
// SAFETY: No methods; see `Send`.
unsafe impl Sync for BusDriverRegistration {}

impl BusDriverRegistration {
    /// Registers driver `name` on `bus`. Manual bind/unbind files are suppressed; the devices
    /// it binds get the attributes in `groups`.
    pub(crate) fn new<'a>(
        name: &'static CStr,
        bus: &'a BusRegistration,
        groups: &'static AttributeGroups,
        module: &'static ThisModule,
    ) -> impl PinInit<Self, Error> + 'a {
        try_pin_init!(Self {
            drv <- Opaque::try_ffi_init(move |slot: *mut sys::device_driver| {
                // SAFETY: `slot` is valid for writes and pinned for the object's lifetime.
                unsafe {
                    slot.write(sys::device_driver {
                        name: name.as_char_ptr(),
                        bus: bus.as_raw(),
                        owner: module.as_ptr(),
                        suppress_bind_attrs: true,
                        dev_groups: groups.as_raw(),
                        ..pin_init::zeroed()
                    })
                };
                // SAFETY: `slot` is initialised above and stays pinned until `drop`
                // unregisters it; the bus outlives the driver (declared after it in the
                // module, so dropped later).
                to_result(unsafe { sys::driver_register(slot) })
            }),
        })
    }
}

#[pinned_drop]
impl PinnedDrop for BusDriverRegistration {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: By the type invariant the driver is registered.
        unsafe { sys::driver_unregister(self.drv.get()) };
    }
}
