// SPDX-License-Identifier: GPL-2.0

//! One guest's mediated device (`/sys/devices/vfio_ap/matrix/<uuid>`) and its state.

use kernel::{
    prelude::*,
    sync::Arc, //
};

use crate::mdev::{
    Mdev,
    MdevDriver, //
};

/// The state of one mdev.
pub(crate) struct MatrixMdev {
    /// The mdev's UUID, for log lines.
    #[expect(dead_code, reason = "read by the matrix configuration, which comes next")]
    uuid: [u8; 16],
}

/// The mdev driver `vfio_ap_mdev`.
pub(crate) struct MatrixMdevDriver;

impl MdevDriver for MatrixMdevDriver {
    type Data = MatrixMdev;

    fn probe(mdev: &Mdev) -> Result<Arc<MatrixMdev>> {
        Ok(Arc::new(MatrixMdev { uuid: mdev.uuid() }, GFP_KERNEL)?)
    }

    fn remove(_mdev: &Mdev, _data: Arc<MatrixMdev>) {}
}
