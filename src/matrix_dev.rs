// SPDX-License-Identifier: GPL-2.0

//! The `matrix` device: `/sys/devices/vfio_ap/matrix`, on bus `matrix`, bound to driver
//! `vfio_ap`, and the mdev parent of every guest's mediated device.
//!
//! Names here are ABI: the mdev type directory is `<driver name>-<type name>`, so the matrix
//! driver must be called `vfio_ap` for the type to be `vfio_ap-passthrough`.

use core::fmt::Write;

use kernel::{
    prelude::*,
    str::Formatter, //
};

use crate::{
    ap_bus::{
        self,
        HostConfig, //
    },
    driver_core::{
        BusDevice,
        BusDriverRegistration,
        BusRegistration,
        RootDevice, //
    },
    locks::{
        self,
        LockCtx, //
    },
    matrix_mdev::{
        MatrixMdevDriver,
        MDEV_GROUPS, //
    },
    mdev::{
        DriverRegistration,
        ParentRegistration, //
    },
    queue_driver::QueueDriver,
    state::log_host_config,
    sys,
    sysfs::{
        attribute_groups,
        Attribute,
        AttributeOps,
        Stateless, //
    },
};

/// The optional interfaces, as the C driver of Linux 7.3 lists them: guest views, hot plug
/// into running guests, and the `ap_config` attribute.
const SUPPORTED_FEATURES: &[&str] = &["guest_matrix", "hotplug", "ap_config"];

/// `/sys/devices/vfio_ap/matrix/features`: the optional interfaces this driver implements,
/// space separated, for tools that adapt to the driver version.
struct Features;

impl AttributeOps for Features {
    type Owner = Stateless;
    const READABLE: bool = true;

    fn show((): &(), out: &mut Formatter<'_>) -> Result {
        // Tools look for single words in this list.
        let mut sep = "";
        for feature in SUPPORTED_FEATURES {
            write!(out, "{sep}{feature}").map_err(|_| EFBIG)?;
            sep = " ";
        }
        writeln!(out).map_err(|_| EFBIG)
    }
}

static FEATURES: Attribute<Features> = Attribute::new(c"features");

attribute_groups!(static MATRIX_GROUPS = [FEATURES];);

/// Everything behind `/sys/devices/vfio_ap`, declared in teardown order: fields drop top to
/// bottom, so mdevs go first and the root device last.
pub(crate) struct MatrixDevice {
    _parent: ParentRegistration,
    _mdev_driver: Pin<KBox<DriverRegistration<MatrixMdevDriver>>>,
    _queue_driver: Pin<KBox<ap_bus::DriverRegistration<QueueDriver>>>,
    _driver: Pin<KBox<BusDriverRegistration>>,
    _device: BusDevice,
    _bus: Pin<KBox<BusRegistration>>,
    _root: RootDevice,
}

impl MatrixDevice {
    /// Registers the root device, the `matrix` bus, device and driver, and the mdev parent.
    pub(crate) fn create(module: &'static ThisModule) -> Result<Self> {
        if !ap_bus::instructions_available() {
            pr_err!("AP instructions are not available on this machine: nothing to pass through\n");
            return Err(ENODEV);
        }
        locks::init_locks();
        let host = HostConfig::query();
        if host.is_none() {
            pr_warn!("no AP configuration information (QCI): no queue can reach a guest\n");
        }
        LockCtx::enter().mdevs().set_host(host);
        log_host_config(host.as_ref());
        let root = RootDevice::register(c"vfio_ap", module)?;
        let bus = KBox::pin_init(BusRegistration::new(c"matrix"), GFP_KERNEL)?;
        let device = BusDevice::register(c"matrix", &bus, &root)?;
        let driver = KBox::pin_init(
            BusDriverRegistration::new(c"vfio_ap", &bus, &MATRIX_GROUPS, module),
            GFP_KERNEL,
        )?;
        let queue_driver = KBox::pin_init(
            ap_bus::DriverRegistration::<QueueDriver>::new(c"vfio_ap", module),
            GFP_KERNEL,
        )?;
        let mdev_driver = KBox::pin_init(
            DriverRegistration::<MatrixMdevDriver>::new(
                c"vfio_ap_mdev",
                c"vfio-ap",
                sys::MAX_ZDEV_ENTRIES_EXT,
                Some(&MDEV_GROUPS),
                module,
            ),
            GFP_KERNEL,
        )?;
        let parent = ParentRegistration::register(
            &device,
            &mdev_driver,
            c"passthrough",
            c"VFIO AP Passthrough Device",
        )?;
        Ok(Self {
            _parent: parent,
            _mdev_driver: mdev_driver,
            _queue_driver: queue_driver,
            _driver: driver,
            _device: device,
            _bus: bus,
            _root: root,
        })
    }
}
