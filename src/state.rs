// SPDX-License-Identifier: GPL-2.0

//! The driver's shared state and its rules: which mdev holds which queues, which queues are
//! bound to this driver, the host's AP configuration, and every guest's view.
//!
//! The one promise: no AP queue (APQN) is ever in two mdevs, nor in an mdev while the host
//! reserves it for its own drivers, because a queue can hold another tenant's secret keys.
//! The claim table ([`Claims`]) records, per adapter, the domains some mdev holds; with the
//! promise kept, each bit has exactly one holder, so claims are added and dropped per change
//! and a conflict check costs the same however many mdevs exist.

use kernel::{
    device::Device,
    fmt,
    prelude::*,
    str::CStrExt,
    sync::aref::ARef, //
};

use crate::{
    ap_bus::{
        ApPermsGuard,
        Apqn,
        HostConfig, //
    },
    dbf::{
        self,
        uuid_args,
        uuid_fmt,
        Level, //
    },
    model::{
        claims::{
            added_apqns,
            Claims,
            Edit,
            OutOfRange, //
        },
        format::Uuid,
        guest_view::{
            guest_view,
            UsableQueues, //
        },
        mask::ApMask,
        matrix::Matrix,
    },
};

// The kernel's formatting macros take `kernel::fmt::Display`; the model, compiled on the
// host too, implements `core::fmt::Display`.
impl fmt::Display for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        core::fmt::Display::fmt(self, f)
    }
}

/// The attribute of an edit and its ID, for s390dbf (which keeps only string pointers).
fn edit_name(edit: Edit) -> (&'static CStr, c_long) {
    let (name, id) = match edit {
        Edit::AssignAdapter(id) => (c"assign_adapter", id),
        Edit::UnassignAdapter(id) => (c"unassign_adapter", id),
        Edit::AssignDomain(id) => (c"assign_domain", id),
        Edit::UnassignDomain(id) => (c"unassign_domain", id),
        Edit::AssignControlDomain(id) => (c"assign_control_domain", id),
        Edit::UnassignControlDomain(id) => (c"unassign_control_domain", id),
        Edit::Replace(_) => (c"ap_config", 0),
    };
    (name, id as c_long)
}

/// s390dbf: an event about an edit of mdev `uuid`. `fmt` starts with the UUID's six longs
/// and the attribute's name; `rest` follows them (two longs at most).
fn dbf_edit(level: Level, fmt: &'static CStr, uuid: &Uuid, edit: Edit, rest: &[c_long]) {
    let (name, _) = edit_name(edit);
    let [u0, u1, u2, u3, u4, u5] = uuid_args(uuid);
    let mut args = [u0, u1, u2, u3, u4, u5, name.as_char_ptr() as c_long, 0, 0];
    for (dst, src) in args.iter_mut().skip(7).zip(rest) {
        *dst = *src;
    }
    dbf::event(level, fmt, &args);
}

const DBF_APPLIED: &CStr = kernel::c_str!(concat!("mdev ", uuid_fmt!(), ": %s %#lx\n"));
const DBF_OUT_OF_RANGE: &CStr = kernel::c_str!(concat!(
    "mdev ",
    uuid_fmt!(),
    ": %s %#lx refused: out of range\n"
));
const DBF_RESERVED: &CStr = kernel::c_str!(concat!(
    "mdev ",
    uuid_fmt!(),
    ": %s refused: queue %02lx.%04lx is reserved for the host\n"
));
const DBF_SHARED: &CStr = kernel::c_str!(concat!(
    "mdev ",
    uuid_fmt!(),
    ": %s refused: queue %02lx.%04lx belongs to another mdev\n"
));
const DBF_IN_USE: &CStr = kernel::c_str!(concat!(
    "host reservation refused: queue %02lx.%04lx is assigned to mdev ",
    uuid_fmt!(),
    "\n"
));

/// At most this many queues are named in one refusal; the rest are counted.
const MAX_LOGGED_APQNS: usize = 16;

/// State guarded by the guests lock. The VFIO attach adds each guest's KVM here.
pub(crate) struct Guests {}

impl Guests {
    /// Nothing attached.
    pub(crate) const fn new() -> Self {
        Self {}
    }
}

/// Index of an mdev in [`Mdevs`], stable for the mdev's life.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct MdevId(usize);

/// One mdev's configuration.
pub(crate) struct MdevState {
    uuid: Uuid,
    dev: ARef<Device>,
    /// What root assigned.
    assigned: Matrix,
    /// What its guest may see: always `guest_view(assigned, host, usable)`.
    guest: Matrix,
}

impl MdevState {
    /// The assigned adapters, domains and control domains.
    pub(crate) fn assigned(&self) -> &Matrix {
        &self.assigned
    }

    /// The guest's view.
    pub(crate) fn guest(&self) -> &Matrix {
        &self.guest
    }
}

impl fmt::Display for Edit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (what, id) = match *self {
            Edit::AssignAdapter(id) => ("assign_adapter", id),
            Edit::UnassignAdapter(id) => ("unassign_adapter", id),
            Edit::AssignDomain(id) => ("assign_domain", id),
            Edit::UnassignDomain(id) => ("unassign_domain", id),
            Edit::AssignControlDomain(id) => ("assign_control_domain", id),
            Edit::UnassignControlDomain(id) => ("unassign_control_domain", id),
            Edit::Replace(_) => return f.write_str("ap_config"),
        };
        write!(f, "{what} {id:#x}")
    }
}

/// Everything the mdevs lock guards.
pub(crate) struct Mdevs {
    slots: KVec<Option<MdevState>>,
    /// The queues the mdevs hold (each by exactly one).
    claims: Claims,
    /// Per adapter, the domains whose queue is bound to this driver and may reach a guest.
    usable: UsableQueues,
    /// The host's AP configuration; `None` without the QCI facility.
    host: Option<HostConfig>,
}

impl Mdevs {
    /// No mdevs, no queues.
    pub(crate) const fn new() -> Self {
        Self {
            slots: KVec::new(),
            claims: Claims::new(),
            usable: [ApMask::new(); 256],
            host: None,
        }
    }

    /// Highest adapter and domain IDs: the machine's, or 63 and 15 without QCI.
    fn max_ids(&self) -> (u8, u8) {
        self.host.map_or((63, 15), |h| (h.max_apid, h.max_apqi))
    }

    /// The configured adapters and domains; nothing without QCI, so nothing reaches a guest.
    fn host_masks(&self) -> Matrix {
        self.host.map(|h| h.masks).unwrap_or_default()
    }

    /// Records the host's AP configuration and updates every guest view.
    pub(crate) fn set_host(&mut self, host: Option<HostConfig>) {
        let m = host.map(|h| h.masks).unwrap_or_default();
        dbf::event(
            Level::Info,
            c"host AP configuration: %lu adapters, %lu domains, %lu control domains\n",
            &[
                m.apm.count() as c_long,
                m.aqm.count() as c_long,
                m.adm.count() as c_long,
            ],
        );
        self.host = host;
        self.refresh_all();
    }

    fn refresh_all(&mut self) {
        let host = self.host_masks();
        for state in self.slots.iter_mut().flatten() {
            state.guest = guest_view(&state.assigned, &host, &self.usable);
        }
    }

    /// Adds a new, empty mdev.
    pub(crate) fn add(&mut self, uuid: Uuid, dev: ARef<Device>) -> Result<MdevId> {
        let state = MdevState {
            uuid,
            dev,
            assigned: Matrix::default(),
            guest: Matrix::default(),
        };
        if let Some(i) = self.slots.iter().position(Option::is_none) {
            if let Some(slot) = self.slots.get_mut(i) {
                *slot = Some(state);
                return Ok(MdevId(i));
            }
        }
        self.slots.push(Some(state), GFP_KERNEL)?;
        Ok(MdevId(self.slots.len() - 1))
    }

    /// Removes an mdev and releases its queues.
    pub(crate) fn remove(&mut self, id: MdevId) {
        if let Some(state) = self.slots.get_mut(id.0).and_then(Option::take) {
            self.claims.update(&state.assigned, &Matrix::default());
        }
    }

    /// The state of mdev `id`.
    pub(crate) fn get(&self, id: MdevId) -> Option<&MdevState> {
        self.slots.get(id.0).and_then(Option::as_ref)
    }

    /// The mdev holding `apqn`, if any.
    fn holder(&self, apqn: Apqn) -> Option<(MdevId, &MdevState)> {
        self.slots.iter().enumerate().find_map(|(i, s)| {
            s.as_ref()
                .filter(|s| s.assigned.apm.test(apqn.apid) && s.assigned.aqm.test(apqn.apqi))
                .map(|s| (MdevId(i), s))
        })
    }

    /// Applies `edit` to mdev `id`, or refuses it and changes nothing.
    ///
    /// Assignments need `perms` (`ap_attr_mutex` held) to check the host's reservations.
    /// Checks run in the C driver's order: range, host reservations, sharing; for
    /// `ap_config` the range comes last.
    pub(crate) fn change(
        &mut self,
        id: MdevId,
        edit: Edit,
        perms: Option<&ApPermsGuard>,
    ) -> Result {
        let (max_apid, max_apqi) = self.max_ids();
        let state = self.get(id).ok_or(ENODEV)?;
        let dev = state.dev.clone();
        let uuid = state.uuid;
        let current = state.assigned;
        let out_of_range = |which: OutOfRange| {
            let (kind, max) = match which {
                OutOfRange::Adapter => ("adapter", max_apid),
                OutOfRange::Domain => ("domain", max_apqi),
            };
            dev_warn!(
                dev,
                "{edit} refused: {kind} ID out of range (this host's highest is {max:#x})\n"
            );
            dbf_edit(
                Level::Warn,
                DBF_OUT_OF_RANGE,
                &uuid,
                edit,
                &[edit_name(edit).1],
            );
            ENODEV
        };
        let next = edit
            .apply(&current, max_apid, max_apqi)
            .map_err(out_of_range)?;
        if next == current {
            return Ok(());
        }
        if let Some(perms) = perms {
            self.check_host_reservations(&dev, &uuid, edit, &current, &next, perms)?;
        }
        self.check_sharing(&dev, &uuid, edit, &current, &next)?;
        if let Edit::Replace(_) = edit {
            Edit::check_range(&next, max_apid, max_apqi).map_err(out_of_range)?;
        }

        self.claims.update(&current, &next);
        let guest = guest_view(&next, &self.host_masks(), &self.usable);
        if let Some(state) = self.slots.get_mut(id.0).and_then(Option::as_mut) {
            state.assigned = next;
            state.guest = guest;
        }
        dbf_edit(Level::Info, DBF_APPLIED, &uuid, edit, &[edit_name(edit).1]);
        Ok(())
    }

    fn check_host_reservations(
        &self,
        dev: &Device,
        uuid: &Uuid,
        edit: Edit,
        current: &Matrix,
        next: &Matrix,
        perms: &ApPermsGuard,
    ) -> Result {
        let mut refused = 0usize;
        for (apid, apqi) in added_apqns(current, next) {
            if perms.owned_by_host(Apqn { apid, apqi }) {
                if refused == 0 {
                    dbf_edit(
                        Level::Warn,
                        DBF_RESERVED,
                        uuid,
                        edit,
                        &Apqn { apid, apqi }.dbf_args(),
                    );
                }
                if refused < MAX_LOGGED_APQNS {
                    dev_warn!(
                        dev,
                        "{edit} refused: queue {apid:02x}.{apqi:04x} is reserved for the host's crypto drivers (release it in /sys/bus/ap/apmask or aqmask first)\n"
                    );
                }
                refused += 1;
            }
        }
        if refused > MAX_LOGGED_APQNS {
            dev_warn!(
                dev,
                "{edit} refused: {refused} host-reserved queues in all\n"
            );
        }
        if refused > 0 {
            return Err(EADDRNOTAVAIL);
        }
        Ok(())
    }

    fn check_sharing(
        &self,
        dev: &Device,
        uuid: &Uuid,
        edit: Edit,
        current: &Matrix,
        next: &Matrix,
    ) -> Result {
        let mut shared = 0usize;
        for (apid, apqi) in self.claims.conflicts(current, next) {
            if shared == 0 {
                dbf_edit(
                    Level::Warn,
                    DBF_SHARED,
                    uuid,
                    edit,
                    &Apqn { apid, apqi }.dbf_args(),
                );
            }
            if shared < MAX_LOGGED_APQNS {
                if let Some((_, holder)) = self.holder(Apqn { apid, apqi }) {
                    dev_warn!(
                        dev,
                        "Userspace may not assign queue {apid:02x}.{apqi:04x} to mdev: already assigned to {}\n",
                        holder.uuid
                    );
                }
            }
            shared += 1;
        }
        if shared > MAX_LOGGED_APQNS {
            dev_warn!(
                dev,
                "{edit} refused: {shared} queues held by other mdevs in all\n"
            );
        }
        if shared > 0 {
            return Err(EADDRINUSE);
        }
        Ok(())
    }

    /// Would reserving `apm` x `aqm` for the host take queues an mdev holds? Names each one.
    pub(crate) fn in_use(&self, apm: &ApMask, aqm: &ApMask) -> bool {
        let mut found = 0usize;
        for (apid, apqi) in self.claims.held_in(apm, aqm) {
            if found < MAX_LOGGED_APQNS {
                if let Some((_, holder)) = self.holder(Apqn { apid, apqi }) {
                    if found == 0 {
                        let u = uuid_args(&holder.uuid);
                        dbf::event(
                            Level::Warn,
                            DBF_IN_USE,
                            &[
                                c_long::from(apid),
                                c_long::from(apqi),
                                u[0],
                                u[1],
                                u[2],
                                u[3],
                                u[4],
                                u[5],
                            ],
                        );
                    }
                    dev_warn!(
                        holder.dev,
                        "Can not reserve queue {apid:02x}.{apqi:04x} for host driver: in use by mdev\n"
                    );
                }
            }
            found += 1;
        }
        if found > MAX_LOGGED_APQNS {
            pr_warn!("host reservation refused: {found} queues are assigned to mdevs\n");
        }
        found > 0
    }

    /// A queue was bound to this driver (it may now reach its mdev's guest), or is leaving
    /// it (withdraw it from the guest).
    pub(crate) fn set_queue_bound(&mut self, apqn: Apqn, bound: bool) {
        let fmt = if bound {
            c"queue %02lx.%04lx bound to vfio_ap\n"
        } else {
            c"queue %02lx.%04lx unbound from vfio_ap\n"
        };
        dbf::event(Level::Info, fmt, &apqn.dbf_args());
        if let Some(u) = self.usable.get_mut(usize::from(apqn.apid)) {
            if bound {
                u.set(apqn.apqi);
            } else {
                u.clear(apqn.apqi);
            }
        }
        self.refresh_holder(apqn);
    }

    fn refresh_holder(&mut self, apqn: Apqn) {
        let Some((id, _)) = self.holder(apqn) else {
            return;
        };
        let host = self.host_masks();
        let usable = &self.usable;
        if let Some(state) = self.slots.get_mut(id.0).and_then(Option::as_mut) {
            state.guest = guest_view(&state.assigned, &host, usable);
        }
    }

    /// Whether the host's AP configuration has `apqn` (adapter and usage domain).
    pub(crate) fn in_host_config(&self, apqn: Apqn) -> bool {
        let host = self.host_masks();
        host.apm.test(apqn.apid) && host.aqm.test(apqn.apqi)
    }

    /// The queue's `status` attribute text.
    pub(crate) fn queue_status(&self, apqn: Apqn) -> &'static str {
        // "in use" needs an attached guest: that comes with the VFIO attach.
        match self.holder(apqn) {
            Some(_) => "assigned",
            None => "unassigned",
        }
    }
}
