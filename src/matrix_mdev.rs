// SPDX-License-Identifier: GPL-2.0

//! One guest's mediated device (`/sys/devices/vfio_ap/matrix/<uuid>`): its lifetime and its
//! sysfs interface for building the guest's AP matrix.

use kernel::{
    device::Device,
    page::PAGE_SIZE,
    prelude::*,
    str::Formatter,
    sync::{
        aref::ARef,
        Arc, //
    },
};

use crate::{
    locks::LockCtx,
    mdev::{
        Mdev,
        MdevAttributes,
        MdevDriver, //
    },
    model::{
        claims::Edit,
        format::{
            write_ap_config,
            write_control_domains,
            write_matrix,
            Uuid,
            WholeLines, //
        },
        matrix::Matrix,
        parse::{
            parse_ap_config,
            parse_id,
            ParseError, //
        },
    },
    state::{
        change_and_sync,
        drain_resets,
        MdevId,
        MdevState,
        Reach, //
    },
    sysfs::{
        attribute_groups,
        Attribute,
        AttributeOps, //
    },
};

/// The state of one mdev that lives outside the locks: its identity.
pub(crate) struct MatrixMdev {
    pub(crate) id: MdevId,
    pub(crate) dev: ARef<Device>,
}

/// The mdev driver `vfio_ap_mdev`.
pub(crate) struct MatrixMdevDriver;

impl MdevDriver for MatrixMdevDriver {
    type Data = MatrixMdev;

    fn probe(mdev: &Mdev) -> Result<Arc<MatrixMdev>> {
        let dev: ARef<Device> = mdev.device().into();
        let mut ctx = LockCtx::enter();
        let mut guests = ctx.guests();
        let (mut mdevs, _) = guests.mdevs();
        let id = mdevs.add(Uuid(mdev.uuid()), dev.clone())?;
        match Arc::new(MatrixMdev { id, dev }, GFP_KERNEL) {
            Ok(data) => Ok(data),
            Err(e) => {
                mdevs.remove(id);
                Err(e.into())
            }
        }
    }

    fn remove(_mdev: &Mdev, data: Arc<MatrixMdev>) {
        let mut ctx = LockCtx::enter();
        let mut guests = ctx.guests();
        let (mut mdevs, _) = guests.mdevs();
        mdevs.remove(data.id);
    }
}

type Owner = MdevAttributes<MatrixMdevDriver>;

/// The errno for a parse failure, with a log line naming the attribute.
fn parse_error(mdev: &MatrixMdev, attr: &str, input: &[u8], e: ParseError) -> Error {
    let shown = core::str::from_utf8(input)
        .unwrap_or("<not text>")
        .trim_end();
    dev_warn!(
        mdev.dev,
        "{attr}: '{shown}' refused: not a valid ID or mask\n"
    );
    match e {
        ParseError::Invalid => EINVAL,
        ParseError::Range => ERANGE,
    }
}

/// Parses an ID and applies one change through the full lock hierarchy.
fn apply(mdev: &MatrixMdev, attr: &str, input: &[u8], edit: fn(u64) -> Edit) -> Result {
    let id = parse_id(input).map_err(|e| parse_error(mdev, attr, input, e))?;
    apply_change(mdev, edit(id))
}

/// Applies one change; an attached guest gets it at once (hot plug and unplug), and queues
/// it lost are reset before anyone else can have them.
fn apply_change(mdev: &MatrixMdev, edit: Edit) -> Result {
    let mut ctx = LockCtx::enter();
    let changed = {
        let mut perms = ctx.perms();
        let mut guests = perms.guests();
        change_and_sync(
            &mut guests,
            Some(mdev.id),
            Reach::Differing,
            |mdevs, perms| mdevs.change(mdev.id, edit, perms),
        )
    };
    drain_resets(&mut ctx);
    changed
}

/// Reads one mdev's state under the mdevs lock.
fn read<R>(mdev: &MatrixMdev, f: impl FnOnce(&MdevState) -> R) -> Result<R> {
    let mut ctx = LockCtx::enter();
    let mdevs = ctx.mdevs();
    mdevs.get(mdev.id).map(f).ok_or(ENODEV)
}

/// Shows a matrix in whole lines; too large for a page, it says so in the log.
fn show_matrix(mdev: &MatrixMdev, attr: &str, m: &Matrix, out: &mut Formatter<'_>) -> Result {
    let mut lines = WholeLines::new(out, PAGE_SIZE - 1);
    write_matrix(&mut lines, &m.apm, &m.aqm).map_err(|_| EFBIG)?;
    if lines.truncated() {
        dev_warn!(
            mdev.dev,
            "{attr}: more queues than one page lists; read ap_config for the complete matrix\n"
        );
    }
    Ok(())
}

macro_rules! id_attribute {
    ($ty:ident, $static:ident, $name:literal, $change:path) => {
        #[doc = concat!("`", $name, "`: write an adapter or domain ID.")]
        struct $ty;

        impl AttributeOps for $ty {
            type Owner = Owner;
            const WRITABLE: bool = true;

            fn store(mdev: &MatrixMdev, input: &[u8]) -> Result {
                apply(mdev, $name, input, $change)
            }
        }

        static $static: Attribute<$ty> = Attribute::new(kernel::c_str!($name));
    };
}

id_attribute!(
    AssignAdapter,
    ASSIGN_ADAPTER,
    "assign_adapter",
    Edit::AssignAdapter
);
id_attribute!(
    UnassignAdapter,
    UNASSIGN_ADAPTER,
    "unassign_adapter",
    Edit::UnassignAdapter
);
id_attribute!(
    AssignDomain,
    ASSIGN_DOMAIN,
    "assign_domain",
    Edit::AssignDomain
);
id_attribute!(
    UnassignDomain,
    UNASSIGN_DOMAIN,
    "unassign_domain",
    Edit::UnassignDomain
);
id_attribute!(
    AssignControlDomain,
    ASSIGN_CONTROL_DOMAIN,
    "assign_control_domain",
    Edit::AssignControlDomain
);
id_attribute!(
    UnassignControlDomain,
    UNASSIGN_CONTROL_DOMAIN,
    "unassign_control_domain",
    Edit::UnassignControlDomain
);

/// `matrix`: the assigned queues, adapter-major.
struct MatrixAttr;

impl AttributeOps for MatrixAttr {
    type Owner = Owner;
    const READABLE: bool = true;

    fn show(mdev: &MatrixMdev, out: &mut Formatter<'_>) -> Result {
        let m = read(mdev, |s| *s.assigned())?;
        show_matrix(mdev, "matrix", &m, out)
    }
}

static MATRIX: Attribute<MatrixAttr> = Attribute::new(c"matrix");

/// `guest_matrix`: the queues the guest may see.
struct GuestMatrix;

impl AttributeOps for GuestMatrix {
    type Owner = Owner;
    const READABLE: bool = true;

    fn show(mdev: &MatrixMdev, out: &mut Formatter<'_>) -> Result {
        let m = read(mdev, |s| *s.guest())?;
        show_matrix(mdev, "guest_matrix", &m, out)
    }
}

static GUEST_MATRIX: Attribute<GuestMatrix> = Attribute::new(c"guest_matrix");

/// `control_domains`: the assigned control domains.
struct ControlDomains;

impl AttributeOps for ControlDomains {
    type Owner = Owner;
    const READABLE: bool = true;

    fn show(mdev: &MatrixMdev, out: &mut Formatter<'_>) -> Result {
        let adm = read(mdev, |s| s.assigned().adm)?;
        write_control_domains(out, &adm).map_err(|_| EFBIG)
    }
}

static CONTROL_DOMAINS: Attribute<ControlDomains> = Attribute::new(c"control_domains");

/// `ap_config`: the whole matrix as three masks, read and written atomically.
struct ApConfigAttr;

impl AttributeOps for ApConfigAttr {
    type Owner = Owner;
    const READABLE: bool = true;
    const WRITABLE: bool = true;

    fn show(mdev: &MatrixMdev, out: &mut Formatter<'_>) -> Result {
        // One snapshot under the lock: the three masks always belong together.
        let m = read(mdev, |s| *s.assigned())?;
        write_ap_config(out, &m).map_err(|_| EFBIG)
    }

    fn store(mdev: &MatrixMdev, input: &[u8]) -> Result {
        let m = parse_ap_config(input).map_err(|e| parse_error(mdev, "ap_config", input, e))?;
        apply_change(mdev, Edit::Replace(m))
    }
}

static AP_CONFIG: Attribute<ApConfigAttr> = Attribute::new(c"ap_config");

attribute_groups!(pub(crate) static MDEV_GROUPS = [
    ASSIGN_ADAPTER,
    UNASSIGN_ADAPTER,
    ASSIGN_DOMAIN,
    UNASSIGN_DOMAIN,
    ASSIGN_CONTROL_DOMAIN,
    UNASSIGN_CONTROL_DOMAIN,
    CONTROL_DOMAINS,
    MATRIX,
    GUEST_MATRIX,
    AP_CONFIG,
];);
