// SPDX-License-Identifier: GPL-2.0

//! s390 AP crypto pass-through for KVM guests (`vfio_ap`), in Rust.
//!
//! The module gives root a `matrix` device under `/sys/devices/vfio_ap` whose mdev type
//! `vfio_ap-passthrough` creates one mediated device per guest; QEMU hands that device to a
//! KVM guest. Layout:
//!
//! - [`sys`]: raw C bindings; [`driver_core`], [`sysfs`], [`mdev`], [`vfio`], [`kvm`],
//!   [`eventfd`], [`ap_bus`], [`dbf`], [`locks`]: the only modules with `unsafe`, thin
//!   safe abstractions over the C APIs;
//! - [`matrix_dev`], [`matrix_mdev`], [`vfio_device`], [`queue_driver`], [`state`]: the
//!   driver, safe Rust;
//! - [`model`]: pure logic (masks, parsing, formatting), also unit-tested on the host.
//!
//! The four functions of the host-change path (`config_changed_callback`, `update_host`,
//! `Mdevs::program`, `program_stale`) sit in `.text.hot`, which the module linker script
//! folds into `.text`: executable code like the rest, so the `unsafe` attribute is sound as a
//! placement. It keeps the path on few code pages, each a cost under TCG
//! (Documentation/performance.rst, step 13).

mod ap_bus;
#[deny(unsafe_code)]
mod aqic;
mod dbf;
mod driver_core;
mod eventfd;
mod kvm;
mod locks;
#[deny(unsafe_code)]
mod matrix_dev;
#[deny(unsafe_code)]
mod matrix_mdev;
mod mdev;
#[deny(unsafe_code)]
#[allow(dead_code, reason = "some helpers serve host tests and later features")]
mod model;
mod mutex;
#[deny(unsafe_code)]
mod queue_driver;
#[deny(unsafe_code)]
mod state;
mod sys;
mod sysfs;
mod vfio;
#[deny(unsafe_code)]
mod vfio_device;

use kernel::prelude::*;

module! {
    type: VfioAp,
    name: "vfio_ap",
    authors: ["vfio-ap-rs developers"],
    description: "VFIO AP device driver (Rust implementation)",
    license: "GPL v2",
}

/// The loaded module: everything it registered, torn down in reverse on unload.
struct VfioAp {
    _matrix: matrix_dev::MatrixDevice,
    // After the devices: frees what the driver's state still holds.
    _storage: state::StateStorage,
    // Last: the debug area outlives everything that logs to it.
    _dbf: dbf::Registration,
}

impl kernel::Module for VfioAp {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let dbf = dbf::Registration::register().inspect_err(|_| {
            pr_err!("cannot register the s390dbf area vfio_ap\n");
        })?;
        let matrix = matrix_dev::MatrixDevice::create(module)?;
        Ok(Self {
            _matrix: matrix,
            _storage: state::StateStorage,
            _dbf: dbf,
        })
    }
}
