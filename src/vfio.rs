// SPDX-License-Identifier: GPL-2.0

//! VFIO devices: what userspace (QEMU) opens to hand a device to a guest.
//!
//! Each mdev gets one VFIO device with an emulated IOMMU: there is no DMA, so both the
//! legacy group/container path and the iommufd cdev path (`/dev/vfio/devices/vfioN`) work
//! through VFIO's emulated-IOMMU helpers. The VFIO core calls [`VfioDriver::open`] on the
//! first open of the device, with the KVM that userspace associated with the VFIO file,
//! and [`VfioDriver::close`] on the last close; [`VfioDriver::request`] asks the driver to
//! make userspace let go of the device before it is removed.
//!
//! C header: [`include/linux/vfio.h`](srctree/include/linux/vfio.h)

use core::{
    marker::PhantomData,
    ptr::NonNull, //
};

use kernel::{
    error::{
        from_err_ptr,
        to_result, //
    },
    prelude::*,
    sync::Arc,
    types::Opaque, //
};

use crate::{
    kvm::KvmRef,
    mdev::Mdev,
    sys, //
};

/// The operations of a VFIO device, on the driver's per-device state.
pub(crate) trait VfioDriver: Send + Sync + Sized + 'static {
    /// First open of the device; `kvm` is the VM userspace associated with it, if any.
    /// `device` may be kept until [`Self::close`] returns, not longer.
    fn open(&self, device: OpenDevice, kvm: Option<KvmRef>) -> Result;

    /// Last close of the device.
    fn close(&self);

    /// A device ioctl the VFIO core does not handle itself; `arg` is the user's argument.
    fn ioctl(&self, cmd: u32, arg: usize) -> Result<i64>;

    /// The device is being removed while open: ask userspace to release it. Called again
    /// every 10 seconds (`count` 0, 1, ...) until the last close.
    fn request(&self, count: u32);

    /// Userspace unmapped `[iova, iova + length)` of the device's DMA space: unpin every
    /// page pinned there.
    fn dma_unmap(&self, iova: u64, length: u64);
}

/// An open VFIO device: pins guest pages through its DMA space (the container's or the
/// iommufd access's mappings of guest memory).
///
/// # Invariants
///
/// `vdev` is a registered device of this driver that is open whenever the handle (or a
/// clone) is used: the driver drops its handles by the time its close callback returns
/// (see [`VfioDriver::open`]) and uses clones only where the device cannot close meanwhile.
#[derive(Clone)]
pub(crate) struct OpenDevice {
    vdev: NonNull<sys::vfio_device>,
}

// SAFETY: The VFIO core synchronises pinning internally; the handle is a pointer.
unsafe impl Send for OpenDevice {}
// SAFETY: See `Send`.
unsafe impl Sync for OpenDevice {}

impl OpenDevice {
    /// Pins the page of DMA address `iova` for reading and writing; its host physical
    /// address (with the offset of `iova` in the page).
    pub(crate) fn pin_page(&self, iova: u64) -> Result<u64> {
        let mut phys = 0u64;
        // SAFETY: The device is open (type invariant); `phys` is writable.
        kernel::error::to_result(unsafe {
            sys::vfio_ap_rs_vfio_pin_page(self.vdev.as_ptr(), iova, &mut phys)
        })?;
        Ok(phys)
    }

    /// Unpins a page pinned with [`Self::pin_page`].
    pub(crate) fn unpin_page(&self, iova: u64) {
        // SAFETY: The device is open (type invariant) and the page was pinned through it.
        unsafe { sys::vfio_ap_rs_vfio_unpin_page(self.vdev.as_ptr(), iova) };
    }
}

/// The VFIO core's allocation: `struct vfio_device` first, then the driver's state.
#[repr(C)]
struct Container<T> {
    vdev: Opaque<sys::vfio_device>,
    /// An `Arc<T>` from `Arc::into_raw`; null until `Registration::register` stores it.
    data: *const T,
}

/// A VFIO device registered for `T`'s state.
///
/// # Invariants
///
/// `ptr` came from `_vfio_alloc_device` with `Self::OPS`, holds a non-null `data`, is
/// registered with the VFIO core, and this object owns the allocation's initial reference.
pub(crate) struct Registration<T: VfioDriver> {
    ptr: NonNull<Container<T>>,
    _data: PhantomData<Arc<T>>,
}

// SAFETY: The VFIO core synchronises registration and removal; `T` is `Send + Sync`.
unsafe impl<T: VfioDriver> Send for Registration<T> {}
// SAFETY: `&Registration` has no methods; see `Send`.
unsafe impl<T: VfioDriver> Sync for Registration<T> {}

impl<T: VfioDriver> Registration<T> {
    const OPS: sys::vfio_device_ops = sys::vfio_device_ops {
        release: Some(Self::release_callback),
        open_device: Some(Self::open_callback),
        close_device: Some(Self::close_callback),
        ioctl: Some(Self::ioctl_callback),
        request: Some(Self::request_callback),
        dma_unmap: Some(Self::dma_unmap_callback),
        #[cfg(CONFIG_IOMMUFD)]
        bind_iommufd: Some(sys::vfio_iommufd_emulated_bind),
        #[cfg(CONFIG_IOMMUFD)]
        unbind_iommufd: Some(sys::vfio_iommufd_emulated_unbind),
        #[cfg(CONFIG_IOMMUFD)]
        attach_ioas: Some(sys::vfio_iommufd_emulated_attach_ioas),
        #[cfg(CONFIG_IOMMUFD)]
        detach_ioas: Some(sys::vfio_iommufd_emulated_detach_ioas),
        // SAFETY: All other members are optional pointers or a name, for which null means
        // "none".
        ..unsafe { core::mem::zeroed() }
    };

    /// Creates and registers the VFIO device of mdev `parent` for `data`.
    pub(crate) fn register(parent: &Mdev, data: Arc<T>) -> Result<Self> {
        let size = core::mem::size_of::<Container<T>>();
        // SAFETY: `parent` is a live device; `OPS` is a constant with 'static lifetime, and
        // the allocation is at least a `struct vfio_device` (the container starts with one).
        let vdev = from_err_ptr(unsafe {
            sys::_vfio_alloc_device(size, parent.raw_device(), &Self::OPS)
        })?;
        let ptr = NonNull::new(vdev.cast::<Container<T>>()).ok_or(ENOMEM)?;
        // SAFETY: The allocation is a zeroed `Container<T>` (the core allocates `size` bytes
        // with kvzalloc), ours alone until registered.
        unsafe { (*ptr.as_ptr()).data = Arc::into_raw(data) };
        // SAFETY: Fully initialised above.
        if let Err(e) = to_result(unsafe { sys::vfio_register_emulated_iommu_dev(vdev) }) {
            // SAFETY: Our initial reference; `release_callback` drops `data`.
            unsafe { sys::vfio_ap_rs_vfio_put_device(vdev) };
            return Err(e);
        }
        // INVARIANT: Allocated with `OPS`, `data` set, registered.
        Ok(Self {
            ptr,
            _data: PhantomData,
        })
    }

    /// The driver state of a device of ours.
    ///
    /// # Safety
    ///
    /// `vdev` is a live VFIO device allocated by [`Self::register`] (so `data` is set).
    unsafe fn data<'a>(vdev: *mut sys::vfio_device) -> &'a T {
        // SAFETY: `vdev` is the first member of a `#[repr(C)]` `Container<T>`, and `data`
        // is an `Arc<T>` that lives until `release_callback`, after every other callback.
        unsafe { &*(*vdev.cast::<Container<T>>()).data }
    }

    /// `vfio_device_ops::release`: the last reference is gone.
    ///
    /// # Safety
    ///
    /// Called once by the VFIO core, after every other callback.
    unsafe extern "C" fn release_callback(vdev: *mut sys::vfio_device) {
        // SAFETY: The device is ours (allocated with `OPS`).
        let data = unsafe { (*vdev.cast::<Container<T>>()).data };
        if !data.is_null() {
            // SAFETY: Stored by `register` with `Arc::into_raw`; taken back only here.
            drop(unsafe { Arc::from_raw(data) });
        }
    }

    /// `vfio_device_ops::open_device`.
    ///
    /// # Safety
    ///
    /// Called by the VFIO core on the first open of a registered device of ours.
    unsafe extern "C" fn open_callback(vdev: *mut sys::vfio_device) -> c_int {
        // SAFETY: The device is open, so VFIO holds a reference to its KVM (if any) until
        // the close, which comes after this call.
        let kvm = unsafe { KvmRef::get(sys::vfio_ap_rs_vfio_device_kvm(vdev)) };
        let Some(device) = NonNull::new(vdev) else {
            return EINVAL.to_errno();
        };
        // INVARIANT: The device is being opened; `VfioDriver::open` says how long to keep it.
        let device = OpenDevice { vdev: device };
        // SAFETY: A registered device of ours.
        match unsafe { Self::data(vdev) }.open(device, kvm) {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        }
    }

    /// `vfio_device_ops::close_device`.
    ///
    /// # Safety
    ///
    /// Called by the VFIO core on the last close, after a successful open.
    unsafe extern "C" fn close_callback(vdev: *mut sys::vfio_device) {
        // SAFETY: A registered device of ours.
        unsafe { Self::data(vdev) }.close();
    }

    /// `vfio_device_ops::ioctl`.
    ///
    /// # Safety
    ///
    /// Called by the VFIO core on an open device of ours.
    unsafe extern "C" fn ioctl_callback(
        vdev: *mut sys::vfio_device,
        cmd: c_uint,
        arg: c_ulong,
    ) -> c_long {
        // SAFETY: A registered device of ours.
        match unsafe { Self::data(vdev) }.ioctl(cmd, arg) {
            Ok(v) => v as c_long,
            Err(e) => e.to_errno() as c_long,
        }
    }

    /// `vfio_device_ops::request`.
    ///
    /// # Safety
    ///
    /// Called by `vfio_unregister_group_dev` while the device is still open.
    unsafe extern "C" fn request_callback(vdev: *mut sys::vfio_device, count: c_uint) {
        // SAFETY: A registered device of ours.
        unsafe { Self::data(vdev) }.request(count);
    }
}

impl<T: VfioDriver> Registration<T> {
    /// `vfio_device_ops::dma_unmap`.
    ///
    /// # Safety
    ///
    /// Called by the VFIO core on an open device of ours.
    unsafe extern "C" fn dma_unmap_callback(vdev: *mut sys::vfio_device, iova: u64, length: u64) {
        // SAFETY: A registered device of ours.
        unsafe { Self::data(vdev) }.dma_unmap(iova, length);
    }
}

impl<T: VfioDriver> Drop for Registration<T> {
    fn drop(&mut self) {
        let vdev = self.ptr.as_ptr().cast::<sys::vfio_device>();
        // SAFETY: Registered (type invariant). This blocks until userspace has closed the
        // device, calling `request` meanwhile; no open can start after it.
        unsafe { sys::vfio_unregister_group_dev(vdev) };
        // SAFETY: Our initial reference (type invariant); `release_callback` drops the data
        // once the VFIO core lets go of its own references too.
        unsafe { sys::vfio_ap_rs_vfio_put_device(vdev) };
    }
}
