// SPDX-License-Identifier: GPL-2.0

//! Mediated devices: the mdev driver, the parent device with its types, and the mdevs
//! themselves.
//!
//! The mdev core creates an mdev when userspace writes a UUID to a type's `create` file and
//! calls [`MdevDriver::probe`]; it removes it through `remove` and calls
//! [`MdevDriver::remove`]. The state `probe` returns lives in the device's drvdata in between.
//!
//! C header: [`include/linux/mdev.h`](srctree/include/linux/mdev.h)

use core::marker::PhantomData;

use kernel::{
    device::Device,
    error::to_result,
    prelude::*,
    str::CStrExt,
    sync::Arc,
    types::Opaque, //
};

use crate::{
    driver_core::BusDevice,
    sys,
    sysfs::{
        AttributeGroups,
        AttributeOwner, //
    },
    vfio::{
        self,
        VfioDriver, //
    },
};

/// A mediated device, borrowed from the mdev core for the duration of a callback.
///
/// # Invariants
///
/// The wrapped `struct mdev_device` is alive for the lifetime of the reference.
#[repr(transparent)]
pub(crate) struct Mdev(Opaque<sys::mdev_device>);

impl Mdev {
    /// # Safety
    ///
    /// `ptr` is a valid `struct mdev_device` for `'a`.
    unsafe fn from_raw<'a>(ptr: *mut sys::mdev_device) -> &'a Self {
        // SAFETY: `Mdev` is a transparent wrapper; validity is the caller's promise.
        unsafe { &*ptr.cast::<Self>() }
    }

    /// The mdev's `struct device`, for the C APIs that take it.
    pub(crate) fn raw_device(&self) -> *mut sys::device {
        // SAFETY: By the type invariant the mdev is valid, so its embedded device is too.
        unsafe { &raw mut (*self.0.get()).dev }
    }

    /// The mdev's `struct device`, for logging.
    pub(crate) fn device(&self) -> &Device {
        // SAFETY: The embedded device lives as long as the mdev (type invariant).
        unsafe { Device::from_raw(self.raw_device()) }
    }

    /// The mdev's UUID, bytes in the order of its text form.
    pub(crate) fn uuid(&self) -> [u8; 16] {
        // SAFETY: By the type invariant the mdev is valid; the UUID is fixed at creation.
        let g = unsafe { (*self.0.get()).uuid.b };
        // The mdev core keeps a `guid_t`, whose first three fields are little-endian (it
        // prints them with `%pUl`); the text form has them big-endian.
        [
            g[3], g[2], g[1], g[0], g[5], g[4], g[7], g[6], g[8], g[9], g[10], g[11], g[12], g[13],
            g[14], g[15],
        ]
    }
}

/// The operations of an mdev driver.
pub(crate) trait MdevDriver: 'static {
    /// Per-mdev state, shared with sysfs callbacks and the mdev's VFIO device.
    type Data: VfioDriver;

    /// A new mdev: set up its state. Its VFIO device is registered next.
    fn probe(mdev: &Mdev) -> Result<Arc<Self::Data>>;

    /// The mdev is going away and its VFIO device is gone (closed and unregistered): tear
    /// down what `probe` set up.
    fn remove(mdev: &Mdev, data: Arc<Self::Data>);
}

/// What a bound mdev's drvdata points to.
struct Bound<T: MdevDriver> {
    data: Arc<T::Data>,
    vfio: vfio::Registration<T::Data>,
}

/// An mdev driver registered with the mdev core.
///
/// # Invariants
///
/// `drv` is registered for as long as the object lives, with `T`'s callbacks.
#[pin_data(PinnedDrop)]
pub(crate) struct DriverRegistration<T: MdevDriver> {
    #[pin]
    drv: Opaque<sys::mdev_driver>,
    _ops: PhantomData<T>,
}

// SAFETY: The mdev and driver cores synchronise all access to a registered driver.
unsafe impl<T: MdevDriver> Send for DriverRegistration<T> {}
// SAFETY: `&DriverRegistration` only hands out the raw pointer; see `Send`.
unsafe impl<T: MdevDriver> Sync for DriverRegistration<T> {}

impl<T: MdevDriver> DriverRegistration<T> {
    /// Registers driver `name` for mdevs of VFIO API `device_api`, at most `max_instances` of
    /// them; each mdev gets the sysfs attributes in `groups`.
    pub(crate) fn new(
        name: &'static CStr,
        device_api: &'static CStr,
        max_instances: u32,
        groups: Option<&'static AttributeGroups>,
        module: &'static ThisModule,
    ) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            drv <- Opaque::try_ffi_init(move |slot: *mut sys::mdev_driver| {
                // SAFETY: `slot` is valid for writes and pinned for the object's lifetime.
                unsafe {
                    slot.write(sys::mdev_driver {
                        device_api: device_api.as_char_ptr(),
                        max_instances,
                        probe: Some(Self::probe_callback),
                        remove: Some(Self::remove_callback),
                        driver: sys::device_driver {
                            name: name.as_char_ptr(),
                            owner: module.as_ptr(),
                            dev_groups: groups.map_or(core::ptr::null(), |g| g.as_raw().cast_const()),
                            ..pin_init::zeroed()
                        },
                        ..pin_init::zeroed()
                    })
                };
                // SAFETY: Initialised above and pinned until `drop` unregisters it.
                to_result(unsafe { sys::mdev_register_driver(slot) })
            }),
            _ops: PhantomData,
        })
    }

    fn as_raw(&self) -> *mut sys::mdev_driver {
        self.drv.get()
    }

    /// `mdev_driver::probe`.
    ///
    /// # Safety
    ///
    /// Called by the mdev core with a live mdev being bound to this driver.
    unsafe extern "C" fn probe_callback(mdev: *mut sys::mdev_device) -> c_int {
        // SAFETY: The mdev core passes a live mdev for the duration of probe.
        let mdev = unsafe { Mdev::from_raw(mdev) };
        let data = match T::probe(mdev) {
            Ok(data) => data,
            Err(e) => return e.to_errno(),
        };
        let bound = vfio::Registration::register(mdev, data.clone()).and_then(|vfio| {
            KBox::new(
                Bound::<T> {
                    data: data.clone(),
                    vfio,
                },
                GFP_KERNEL,
            )
            .map_err(Into::into)
        });
        match bound {
            Ok(bound) => {
                // SAFETY: The device is live; its drvdata is ours while it is bound to us.
                unsafe { sys::dev_set_drvdata(mdev.raw_device(), KBox::into_raw(bound).cast()) };
                0
            }
            Err(e) => {
                T::remove(mdev, data);
                e.to_errno()
            }
        }
    }

    /// `mdev_driver::remove`.
    ///
    /// # Safety
    ///
    /// Called by the mdev core with a live mdev bound to this driver, after `probe_callback` succeeded for it.
    unsafe extern "C" fn remove_callback(mdev: *mut sys::mdev_device) {
        // SAFETY: The mdev core passes a live mdev for the duration of remove.
        let mdev = unsafe { Mdev::from_raw(mdev) };
        let dev = mdev.raw_device();
        // SAFETY: The device is live and bound to us.
        let ptr = unsafe { sys::dev_get_drvdata(dev) };
        // SAFETY: `probe_callback` stored a `KBox<Bound<T>>` here with `into_raw`, and this
        // is the one place that takes it back. Sysfs files are gone by now.
        let bound = unsafe { KBox::from_raw(ptr.cast::<Bound<T>>()) };
        let Bound { data, vfio } = KBox::into_inner(bound);
        // Blocks until userspace has closed the VFIO device (asking it to, meanwhile).
        drop(vfio);
        // SAFETY: As above; nothing reads drvdata once the driver is unbinding.
        unsafe { sys::dev_set_drvdata(dev, core::ptr::null_mut()) };
        T::remove(mdev, data);
    }
}

#[pinned_drop]
impl<T: MdevDriver> PinnedDrop for DriverRegistration<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: By the type invariant the driver is registered.
        unsafe { sys::mdev_unregister_driver(self.drv.get()) };
    }
}

/// Owner of attributes on mdevs bound to `T`: the callbacks see `T::Data`.
pub(crate) struct MdevAttributes<T: MdevDriver>(PhantomData<T>);

// SAFETY: Attributes of this owner are only in the groups of `DriverRegistration<T>`. The
// driver core creates those files after `probe_callback` stored the `Bound` in drvdata and
// removes them (draining running callbacks) before `remove_callback` takes it back.
unsafe impl<T: MdevDriver> AttributeOwner for MdevAttributes<T> {
    type Data = T::Data;

    unsafe fn data<'a>(dev: *mut sys::device) -> &'a T::Data {
        // SAFETY: See the `unsafe impl`: drvdata holds a live `Bound<T>` (from
        // `KBox::into_raw`) throughout every callback.
        unsafe { &(*sys::dev_get_drvdata(dev).cast::<Bound<T>>()).data }
    }
}

/// Storage of a parent registration; pinned in a box because the mdev core links to it.
struct ParentStorage {
    parent: Opaque<sys::mdev_parent>,
    mtype: Opaque<sys::mdev_type>,
    types: Opaque<[*mut sys::mdev_type; 1]>,
}

/// A device registered as an mdev parent with one mdev type.
///
/// # Invariants
///
/// `storage.parent` is registered with the mdev core for as long as the object lives.
pub(crate) struct ParentRegistration {
    storage: Pin<KBox<ParentStorage>>,
}

// SAFETY: The mdev core synchronises all access to a registered parent.
unsafe impl Send for ParentRegistration {}
// SAFETY: No methods; see `Send`.
unsafe impl Sync for ParentRegistration {}

impl ParentRegistration {
    /// Makes `dev` an mdev parent for `driver` with one type, shown as
    /// `mdev_supported_types/<driver name of dev>-<sysfs_name>`.
    ///
    /// Drop the registration before `dev` is unregistered and `driver` is dropped: the owner
    /// declares it before both.
    pub(crate) fn register<T: MdevDriver>(
        dev: &BusDevice,
        driver: &DriverRegistration<T>,
        sysfs_name: &'static CStr,
        pretty_name: &'static CStr,
    ) -> Result<Self> {
        let storage = KBox::pin(
            ParentStorage {
                parent: Opaque::zeroed(),
                mtype: Opaque::new(sys::mdev_type {
                    sysfs_name: sysfs_name.as_char_ptr(),
                    pretty_name: pretty_name.as_char_ptr(),
                    ..pin_init::zeroed()
                }),
                types: Opaque::zeroed(),
            },
            GFP_KERNEL,
        )?;
        // SAFETY: `storage` is pinned and exclusively ours; the type list points into it.
        unsafe { (*storage.types.get())[0] = storage.mtype.get() };
        // SAFETY: All pointers stay valid while registered: `storage` is pinned and dropped
        // only after `mdev_unregister_parent`; `dev` and the driver are registered and stay so
        // until after the parent is dropped (see above).
        to_result(unsafe {
            sys::mdev_register_parent(
                storage.parent.get(),
                dev.as_raw(),
                driver.as_raw(),
                storage.types.get().cast(),
                1,
            )
        })?;
        // INVARIANT: registered above.
        Ok(Self { storage })
    }
}

impl Drop for ParentRegistration {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the parent is registered. This removes every mdev
        // of the parent first.
        unsafe { sys::mdev_unregister_parent(self.storage.parent.get()) };
    }
}
