// SPDX-License-Identifier: GPL-2.0

//! The driver's shared state and its rules: which mdev holds which queues, which queues are
//! bound to this driver, the host's AP configuration, and every guest's view.
//!
//! The one promise: no AP queue (APQN) is ever in two mdevs, nor in an mdev while the host
//! reserves it for its own drivers, because a queue can hold another tenant's secret keys.
//! The claim table ([`Claims`]) records, per adapter, the domains some mdev holds; with the
//! promise kept, each bit has exactly one holder, so claims are added and dropped per change
//! and a conflict check costs the same however many mdevs exist.

use core::cell::Cell;

use kernel::{
    device::Device,
    fmt,
    prelude::*,
    str::CStrExt,
    sync::aref::ARef, //
};

use crate::{
    ap_bus::{
        reset_queues,
        ApPermsGuard,
        Apqn,
        HostConfig,
        ResetOutcome,
        RESET_BATCH, //
    },
    dbf::{
        self,
        uuid_args,
        uuid_fmt,
        Level, //
    },
    eventfd::EventFd,
    kvm::{
        Crycb,
        KvmRef,
        VmId, //
    },
    locks::{
        GuestsLevel,
        LockCtx, //
    },
    model::{
        claims::{
            added_apqns,
            added_within,
            Claims,
            Edit,
            OutOfRange, //
        },
        format::Uuid,
        guest_view::{
            guest_view,
            host_changes,
            host_changes_concern,
            only_removes_adapters_or_control_domains,
            remove_from_view,
            UsableQueues, //
        },
        mask::ApMask,
        matrix::Matrix,
        vfio_abi::Irq,
    },
    vfio::OpenDevice,
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

/// s390dbf: an event about mdev `uuid`. `fmt` starts with the UUID's six longs; `rest`
/// follows them (three longs at most).
fn dbf_mdev(level: Level, fmt: &'static CStr, uuid: &Uuid, rest: &[c_long]) {
    let [u0, u1, u2, u3, u4, u5] = uuid_args(uuid);
    let mut args = [u0, u1, u2, u3, u4, u5, 0, 0, 0];
    for (dst, src) in args.iter_mut().skip(6).zip(rest) {
        *dst = *src;
    }
    dbf::event(level, fmt, &args);
}

/// s390dbf: an event about an edit of mdev `uuid`. `fmt` starts with the UUID's six longs
/// and the attribute's name; `rest` follows them (two longs at most).
fn dbf_edit(level: Level, fmt: &'static CStr, uuid: &Uuid, edit: Edit, rest: &[c_long]) {
    let (name, _) = edit_name(edit);
    let mut args = [name.as_char_ptr() as c_long, 0, 0];
    for (dst, src) in args.iter_mut().skip(1).zip(rest) {
        *dst = *src;
    }
    dbf_mdev(level, fmt, uuid, &args);
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

/// Up to this many added queues inside the host's configuration, the host reservation is
/// asked queue by queue.
const EXACT_RESERVATION_CHECKS: u32 = 4;

/// An mdev attached to a VM: QEMU opened its VFIO device for that guest.
struct Attachment {
    mdev: MdevId,
    kvm: KvmRef,
    /// The guest's CRYCB may differ from its view (set while syncing, see [`sync_guests`]).
    /// A `Cell`: marking happens while the guest's `kvm->lock` is held through a shared
    /// borrow of this attachment's `kvm`.
    stale: Cell<bool>,
}

/// State guarded by the guests lock: which mdev is attached to which VM.
pub(crate) struct Guests {
    attached: KVec<Attachment>,
}

impl Guests {
    /// Nothing attached.
    pub(crate) const fn new() -> Self {
        Self {
            attached: KVec::new(),
        }
    }

    /// The mdev attached to `kvm`, if any.
    pub(crate) fn mdev_of_vm(&self, kvm: &KvmRef) -> Option<MdevId> {
        self.attached
            .iter()
            .find(|a| a.kvm.same_vm(kvm))
            .map(|a| a.mdev)
    }

    /// The VM `mdev` is attached to, if any.
    pub(crate) fn vm_of(&self, mdev: MdevId) -> Option<KvmRef> {
        self.vm_ref_of(mdev).cloned()
    }

    /// Records that `mdev` is attached to `kvm`.
    fn attach(&mut self, mdev: MdevId, kvm: KvmRef) -> Result {
        self.attached.push(
            Attachment {
                mdev,
                kvm,
                stale: Cell::new(true),
            },
            GFP_KERNEL,
        )?;
        Ok(())
    }

    /// Forgets the attachment of `mdev`; returns the VM reference, to be dropped outside the
    /// driver's locks.
    fn detach(&mut self, mdev: MdevId) -> Option<KvmRef> {
        let i = self.attached.iter().position(|a| a.mdev == mdev)?;
        self.attached.remove(i).ok().map(|a| a.kvm)
    }

    /// Marks the attachments whose CRYCB differs from their mdev's view; true if any does.
    fn mark_stale(&self, mdevs: &Mdevs) -> bool {
        let mut any = false;
        for a in self.attached.iter() {
            let stale = mdevs.crycb_stale(a.mdev);
            a.stale.set(stale);
            any |= stale;
        }
        any
    }

    /// Marks every attachment stale but that of `programmed`, and that one too if `again`;
    /// true if any is. For a change that may concern every guest: [`Mdevs::program`]
    /// compares each CRYCB with its view anyway, and comparing them all first costs, under
    /// TCG, the pages of that search before the second guest's update.
    fn mark_all_but(&self, programmed: MdevId, again: bool) -> bool {
        let mut any = false;
        for a in self.attached.iter() {
            let stale = again || a.mdev != programmed;
            a.stale.set(stale);
            any |= stale;
        }
        any
    }

    /// The VM `mdev` is attached to, borrowed: locking it through this costs no reference.
    pub(crate) fn vm_ref_of(&self, mdev: MdevId) -> Option<&KvmRef> {
        self.attached
            .iter()
            .find(|a| a.mdev == mdev)
            .map(|a| &a.kvm)
    }

    /// The first attached mdev, if any.
    pub(crate) fn first_attached(&self) -> Option<MdevId> {
        self.attached.first().map(|a| a.mdev)
    }

    /// Whether an attachment from `i` on is marked stale.
    fn any_stale_from(&self, i: usize) -> bool {
        self.attached.iter().skip(i).any(|a| a.stale.get())
    }

    /// The index of the next attachment from `*i` on whose CRYCB may be stale; clears the
    /// mark.
    fn next_stale(&self, i: &mut usize) -> Option<usize> {
        while let Some(a) = self.attached.get(*i) {
            *i += 1;
            if a.stale.take() {
                return Some(*i - 1);
            }
        }
        None
    }

    /// The attachment at `index`: its mdev and, lent, its VM.
    fn attachment(&self, index: usize) -> Option<(MdevId, &KvmRef)> {
        self.attached.get(index).map(|a| (a.mdev, &a.kvm))
    }
}

/// Frees the storage of the driver's state at module unload, after every registration is
/// gone: the state lives in statics, which are never dropped.
pub(crate) struct StateStorage;

impl Drop for StateStorage {
    fn drop(&mut self) {
        let mut ctx = LockCtx::enter();
        let mut guests = ctx.guests();
        let (g, mut mdevs) = guests.state_and_mdevs();
        g.attached = KVec::new();
        mdevs.slots = KVec::new();
    }
}

/// Records a new host AP configuration in the debug feature. Callers log it once the
/// guests have it: the record is for the administrator, the guests should not wait for it.
pub(crate) fn log_host_config(host: Option<&HostConfig>) {
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
}

/// Brings the CRYCB of every attached guest in line with its mdev's guest view: the hot
/// plug and unplug after any change of assignments, bindings or host configuration.
///
/// Queues that leave a guest are put in quarantine for reset (see
/// [`Mdevs::take_reset_batch`]); the caller resets them with [`drain_resets`] once it has
/// dropped the locks.
pub(crate) fn sync_guests(guests: &mut GuestsLevel<'_>) {
    change_and_sync(guests, None, Reach::Differing, |_, _| ());
}

/// Which guests a change may concern, so which ones [`change_and_sync`] programs after it.
#[derive(Clone, Copy)]
pub(crate) enum Reach {
    /// Those whose CRYCB now differs from their mdev's guest view, found by comparing.
    Differing,
    /// Every attached guest, each compared only when programmed: a host configuration
    /// change, for which the C driver too takes every guest's `kvm->lock`.
    Every,
}

/// Changes the driver's state with `f`, then does what [`sync_guests`] does.
///
/// If `likely` (the mdev the change most likely affects) is attached, `f` runs under its
/// guest's `kvm->lock`, so that reprogramming that guest shares one hold of the mdevs lock
/// with the change; the search for the other guests it affected (as `reach` says)
/// shares it too. Under TCG with lockdep a lock round trip costs about as much as the rest
/// of the path to the first guest's new CRYCB.
pub(crate) fn change_and_sync<R>(
    guests: &mut GuestsLevel<'_>,
    likely: Option<MdevId>,
    reach: Reach,
    f: impl FnOnce(&mut Mdevs, Option<&ApPermsGuard>) -> R,
) -> R {
    let likely = likely.filter(|&id| guests.state().vm_ref_of(id).is_some());
    let (r, mut any) = match likely {
        Some(id) => {
            let Some(mut level) = guests.attached_kvm(id) else {
                // Not reached: checked just above, under the same guests lock. The check
                // stands apart because a level held by the match would keep `guests`
                // borrowed in the arm below.
                return change_and_sync(guests, None, reach, f);
            };
            let (g, mut mdevs, mut crycb, perms) = level.state_mdevs_crycb();
            let r = f(&mut mdevs, perms);
            let again = mdevs.program(id, &mut crycb);
            // Marking every guest covers this one being stale again.
            let any = match reach {
                Reach::Differing => g.mark_stale(&mdevs),
                Reach::Every => g.mark_all_but(id, again),
            };
            if !any {
                mdevs.log_guest_config(id);
            }
            (r, any)
        }
        None => {
            let (g, mut mdevs, perms) = guests.state_mdevs_perms();
            let r = f(&mut mdevs, perms);
            (r, g.mark_stale(&mdevs))
        }
    };
    // Programming a guest can withhold more of its own queues, so look again; two rounds
    // settle it, the third is a bound.
    for _ in 0..3 {
        if !any {
            break;
        }
        any = program_stale(guests);
    }
    r
}

/// Programs every guest marked stale, then records their new CRYCBs in s390dbf; whether
/// programming made any guest stale again (then marked).
///
/// The `kvm->lock` of up to [`crate::kvm::KVM_SET_MAX`] guests is held at once, so that one
/// hold of the mdevs lock programs them all; the last hold also writes the records, once
/// every guest has its CRYCB. A host configuration change concerns every guest, and a round
/// trip of the mdevs lock per guest costs under TCG about a tenth of KVM's own CRYCB update.
// The host-change path's placement: see the crate docs.
#[allow(unsafe_code, reason = "a section name: placement only")]
#[unsafe(link_section = ".text.hot")]
fn program_stale(guests: &mut GuestsLevel<'_>) -> bool {
    let mut i = 0;
    let mut again = false;
    // An attachment that did not fit in the last set (full, or its VM already in it).
    let mut carry: Option<usize> = None;
    loop {
        let mut level = guests.kvm_set(|g, set| {
            while !set.is_full() {
                let Some(index) = carry.take().or_else(|| g.next_stale(&mut i)) else {
                    break;
                };
                let Some((id, kvm)) = g.attachment(index) else {
                    break;
                };
                if !set.push(id, kvm) {
                    carry = Some(index);
                    break;
                }
            }
        });
        let (g, mut mdevs, crycbs) = level.state_mdevs_crycbs();
        crycbs.for_each_crycb(|id, crycb| again |= mdevs.program(id, crycb));
        if carry.is_none() && !g.any_stale_from(i) {
            mdevs.log_guest_configs();
            return again && g.mark_stale(&mdevs);
        }
    }
}

/// Resets the queues in quarantine, a batch at a time, with none of the driver's locks held
/// while waiting, then gives them back to their guests.
pub(crate) fn drain_resets(ctx: &mut LockCtx) {
    let mut release = false;
    loop {
        let mut batch = [Apqn::FILLER; RESET_BATCH];
        let n = {
            let mut mdevs = ctx.mdevs();
            // The last pass takes an empty batch, after every reset_done().
            release |= mdevs.has_reset_irqs();
            mdevs.take_reset_batch(&mut batch)
        };
        let Some(batch) = batch.get(..n).filter(|b| !b.is_empty()) else {
            break;
        };
        let mut outcomes = [ResetOutcome::Done; RESET_BATCH];
        let outcomes = outcomes.get_mut(..n).unwrap_or_default();
        reset_queues(batch, outcomes);
        let mut guests = ctx.guests();
        {
            let (mut mdevs, _) = guests.mdevs();
            for (apqn, outcome) in batch.iter().zip(outcomes.iter()) {
                mdevs.reset_done(*apqn, *outcome);
            }
        }
        sync_guests(&mut guests);
    }
    if release {
        release_reset_irqs(ctx);
    }
}

/// Attaches mdev `id` to the VM `kvm` and gives the guest its view.
///
/// At most one mdev per VM (EPERM otherwise), as the C driver has it: QEMU takes one
/// vfio-ap device per guest.
pub(crate) fn attach(ctx: &mut LockCtx, id: MdevId, device: OpenDevice, kvm: KvmRef) -> Result {
    let mut guests = ctx.guests();
    if let Some(other) = guests.state().mdev_of_vm(&kvm) {
        let (mdevs, _) = guests.mdevs();
        if let (Some(me), Some(them)) = (mdevs.get(id), mdevs.get(other)) {
            dev_warn!(
                me.dev,
                "open refused: the VM already has the AP resources of mdev {}; a guest takes one vfio-ap device\n",
                them.uuid
            );
        }
        return Err(EPERM);
    }
    guests.state().attach(id, kvm.clone())?;
    let hooked = {
        let mut level = guests.kvm(&kvm);
        // Below kvm->lock and above the mdevs lock, as the hook nests them.
        let hooked = kvm.set_pqap_hook();
        if hooked.is_ok() {
            let (mut mdevs, mut crycb) = level.mdevs();
            mdevs.attach(
                id,
                GuestVm {
                    kvm: kvm.clone(),
                    device,
                },
            );
            // Stale again or not, `sync_guests` below settles it.
            let _ = mdevs.program(id, &mut crycb);
            mdevs.log_guest_config(id);
        }
        hooked
    };
    if hooked.is_err() {
        let _ = guests.state().detach(id);
        let (mdevs, _) = guests.mdevs();
        if let Some(me) = mdevs.get(id) {
            dev_warn!(
                me.dev,
                "open refused: another driver handles the VM's AP instructions\n"
            );
        }
        return Err(EPERM);
    }
    sync_guests(&mut guests);
    drop(guests);
    drain_resets(ctx);
    Ok(())
}

/// Detaches mdev `id` from its VM: the guest loses every AP resource, the mdev's queues are
/// reset, and the eventfds userspace registered are released.
pub(crate) fn detach(ctx: &mut LockCtx, id: MdevId) {
    let (kvm, vm, irqs) = {
        let mut guests = ctx.guests();
        let kvm = guests.state().detach(id);
        let mut detached = (None, KVec::new());
        if let Some(kvm) = &kvm {
            let mut level = guests.kvm(kvm);
            // Waits for PQAP intercepts of the guest that are running.
            kvm.clear_pqap_hook();
            let (mut mdevs, mut crycb) = level.mdevs();
            crycb.clear_masks();
            detached = mdevs.detach(id);
        }
        sync_guests(&mut guests);
        (kvm, detached.0, detached.1)
    };
    // Queues with interruptions enabled are reset before their notification pages are
    // unpinned: until the reset the machine may still write to them.
    if let Some(vm) = vm.as_ref().map(GuestVm::handle) {
        for batch in irqs.chunks(RESET_BATCH) {
            let mut apqns = [Apqn::FILLER; RESET_BATCH];
            for (dst, irq) in apqns.iter_mut().zip(batch) {
                *dst = irq.apqn;
            }
            let mut outcomes = [ResetOutcome::Done; RESET_BATCH];
            reset_queues(apqns.get(..batch.len()).unwrap_or_default(), &mut outcomes);
            for irq in batch {
                vm.release(irq);
            }
        }
    }
    drain_resets(ctx);
    // The VM's last references may go here, outside the driver's locks.
    drop(vm);
    drop(kvm);
}

/// Userspace must release mdev `id`, which is being removed: its guest loses every AP
/// resource now, and userspace (QEMU) is told through the request eventfd.
pub(crate) fn withdraw(ctx: &mut LockCtx, id: MdevId, count: u32) {
    {
        let mut guests = ctx.guests();
        match guests.state().vm_of(id) {
            Some(kvm) => {
                let mut level = guests.kvm(&kvm);
                let (mut mdevs, mut crycb) = level.mdevs();
                mdevs.withdraw(id, count);
                // A withdrawn guest wants nothing: it cannot be stale again.
                let _ = mdevs.program(id, &mut crycb);
                mdevs.log_guest_config(id);
            }
            None => {
                let (mut mdevs, _) = guests.mdevs();
                mdevs.withdraw(id, count);
            }
        }
    }
    drain_resets(ctx);
}

/// Interruptions a guest enabled for one of its queues (PQAP(AQIC)): what the driver holds
/// for them until the queue is reset or they are disabled.
#[derive(Clone, Copy, Debug)]
pub(crate) struct QueueIrq {
    /// The queue.
    pub(crate) apqn: Apqn,
    /// The guest ISC, registered with the VM's GISA.
    pub(crate) guest_isc: u8,
    /// The guest address of the notification byte, whose page is pinned.
    pub(crate) nib: u64,
    /// The queue was reset since (interruptions are off): only the resources remain.
    reset: bool,
}

impl QueueIrq {
    /// Interruptions just enabled.
    pub(crate) fn new(apqn: Apqn, guest_isc: u8, nib: u64) -> Self {
        Self {
            apqn,
            guest_isc,
            nib,
            reset: false,
        }
    }
}

/// Moves up to `out.len()` records matching `matches` from `irqs` to `out`; how many.
fn take_matching(
    irqs: &mut KVec<QueueIrq>,
    out: &mut [QueueIrq],
    matches: impl Fn(&QueueIrq) -> bool,
) -> usize {
    let mut n = 0;
    for slot in out.iter_mut() {
        let Some(i) = irqs.iter().position(&matches) else {
            break;
        };
        let Ok(irq) = irqs.remove(i) else {
            break;
        };
        *slot = irq;
        n += 1;
    }
    n
}

/// How many interruption records are released at once.
pub(crate) const IRQ_BATCH: usize = 32;

/// The VM an mdev is attached to, with the mdev's open VFIO device.
pub(crate) struct GuestVm {
    kvm: KvmRef,
    device: OpenDevice,
}

impl GuestVm {
    /// What releasing interruption resources needs, to use without the mdevs lock: pinning
    /// and unpinning take VFIO's locks, under which VFIO calls `dma_unmap`, which takes the
    /// mdevs lock. The device stays open while the caller uses it: it is used in a PQAP
    /// hook (detaching removes the hook first), in `dma_unmap` (VFIO closes no device while
    /// it notifies) or under the guests lock (which detaching takes).
    pub(crate) fn handle(&self) -> VmHandle {
        VmHandle {
            kvm: self.kvm.clone(),
            device: self.device.clone(),
        }
    }
}

/// See [`GuestVm::handle`].
pub(crate) struct VmHandle {
    kvm: KvmRef,
    device: OpenDevice,
}

impl VmHandle {
    /// The VM's open VFIO device of the mdev.
    pub(crate) fn device(&self) -> &OpenDevice {
        &self.device
    }

    /// Gives back what enabling `irq` took: the ISC registration and the pinned page.
    pub(crate) fn release(&self, irq: &QueueIrq) {
        self.kvm.gisc_unregister(irq.guest_isc);
        self.device.unpin_page(irq.nib);
    }
}

/// Releases the interruption resources of queues that were reset, a batch at a time, under
/// the guests lock (so no device closes meanwhile) but not the mdevs lock.
pub(crate) fn release_reset_irqs(ctx: &mut LockCtx) {
    loop {
        let mut guests = ctx.guests();
        let mut batch = [QueueIrq::new(Apqn::FILLER, 0, 0); IRQ_BATCH];
        let taken = {
            let (mut mdevs, _) = guests.mdevs();
            mdevs.take_reset_irqs(&mut batch)
        };
        let Some((vm, n)) = taken else {
            return;
        };
        for irq in batch.iter().take(n) {
            vm.release(irq);
        }
    }
}

/// The eventfds userspace registered for an mdev (VFIO `SET_IRQS`).
#[derive(Default)]
struct Triggers {
    request: Option<EventFd>,
    config_change: Option<EventFd>,
}

/// What the CRYCB of a guest should hold: nothing once its removal was requested, else its view.
fn wanted_crycb(withdrawn: bool, guest: &Matrix) -> &Matrix {
    if withdrawn {
        &Matrix::EMPTY
    } else {
        guest
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
    /// While attached to a VM: what the guest's CRYCB holds.
    crycb: Option<Matrix>,
    /// While attached: the VM and the open device.
    vm: Option<GuestVm>,
    /// Queues of the guest with interruptions enabled.
    irqs: KVec<QueueIrq>,
    /// Removal was requested while attached: the guest keeps nothing.
    withdrawn: bool,
    triggers: Triggers,
    /// The CRYCB changed and s390dbf has no record of it yet ([`Mdevs::log_guest_config`]).
    crycb_unlogged: bool,
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

    /// What the CRYCB of the guest should hold now.
    fn wanted_crycb(&self) -> &Matrix {
        wanted_crycb(self.withdrawn, &self.guest)
    }

    /// After [`Mdevs::program`] changed the CRYCB: a record for s390dbf is due, and the guest
    /// hears of it through the config-change eventfd.
    fn crycb_changed(&mut self) {
        self.crycb_unlogged = true;
        if let Some(config_change) = &self.triggers.config_change {
            config_change.signal();
        }
    }

    /// While attached: the CRYCB and what it should hold, the one to update from the other.
    fn crycb_and_wanted(&mut self) -> Option<(&mut Matrix, &Matrix)> {
        let wanted = wanted_crycb(self.withdrawn, &self.guest);
        Some((self.crycb.as_mut()?, wanted))
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
    /// Per adapter, the domains whose queue is bound to this driver and may reach a guest:
    /// `bound` and not `resetting`.
    usable: UsableQueues,
    /// Per adapter, the domains whose queue is bound to this driver.
    bound: UsableQueues,
    /// Quarantine: queues that left a guest and are not known to be reset yet. No guest gets
    /// them meanwhile. A queue whose reset failed stays here until it is unbound.
    resetting: UsableQueues,
    /// The part of `resetting` that no one has started to reset.
    reset_pending: UsableQueues,
    /// Adapters that may have queues in `reset_pending` (at least those that do), so that
    /// [`Self::take_reset_batch`] does not look at all 256 on every call.
    reset_pending_adapters: ApMask,
    /// Queues that may have interruption records not yet marked reset (at least those that
    /// do), so that [`Self::queue_was_reset`] walks the mdevs only for those.
    irq_queues: UsableQueues,
    /// Whether a record may be marked reset and not yet taken by
    /// [`Self::take_reset_irqs`] (at least when one is).
    reset_irqs: bool,
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
            bound: [ApMask::new(); 256],
            resetting: [ApMask::new(); 256],
            reset_pending: [ApMask::new(); 256],
            reset_pending_adapters: ApMask::new(),
            irq_queues: [ApMask::new(); 256],
            reset_irqs: false,
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
        let old = self.host_masks();
        self.host = host;
        let new = self.host_masks();
        if only_removes_adapters_or_control_domains(&old, &new) {
            for state in self.slots.iter_mut().flatten() {
                remove_from_view(&mut state.guest, &new);
            }
            return;
        }
        let changes = host_changes(&old, &new);
        for state in self.slots.iter_mut().flatten() {
            if host_changes_concern(&changes, &state.assigned) {
                state.guest = guest_view(&state.assigned, &new, &self.usable);
            }
        }
    }

    /// Adds a new, empty mdev.
    pub(crate) fn add(&mut self, uuid: Uuid, dev: ARef<Device>) -> Result<MdevId> {
        let state = MdevState {
            uuid,
            dev,
            assigned: Matrix::default(),
            guest: Matrix::default(),
            crycb: None,
            vm: None,
            irqs: KVec::new(),
            withdrawn: false,
            triggers: Triggers::default(),
            crycb_unlogged: false,
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
        // Walks over every mdev (a host change) go as far as the last slot in use: once the
        // 256 mdevs of a burst are gone, they should not cost a step each.
        let live = self
            .slots
            .iter()
            .rposition(Option::is_some)
            .map_or(0, |i| i + 1);
        self.slots.truncate(live);
    }

    /// The state of mdev `id`.
    pub(crate) fn get(&self, id: MdevId) -> Option<&MdevState> {
        self.slots.get(id.0).and_then(Option::as_ref)
    }

    /// The mdev holding `apqn`, if any.
    fn holder(&self, apqn: Apqn) -> Option<(MdevId, &MdevState)> {
        // Most queues are held by no one: the claims say so without a walk of the mdevs.
        if !self.claims.is_held(apqn.apid, apqn.apqi) {
            return None;
        }
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
        // `ap_owned_by_def_drv` walks all the AP bus's queues per APQN. A driver override
        // lives on a queue device, and queue devices exist only inside the host's AP
        // configuration, so outside it the masks alone decide. Inside it, a few added
        // queues are asked one by one; for more, one walk that finds no override at all
        // lets the masks decide there too.
        let (apm, aqm) = perms.masks();
        let host = self.host.map(|h| h.masks);
        let (host_apm, host_aqm) = host.map_or((ApMask::new(), ApMask::new()), |h| (h.apm, h.aqm));
        let in_host = |&(apid, apqi): &(u8, u8)| host_apm.test(apid) && host_aqm.test(apqi);
        let inside = added_within(current, next, &host_apm, &host_aqm).count();
        let ask_each = match host {
            None => true,
            Some(_) if inside == 0 => false,
            Some(_) if inside <= EXACT_RESERVATION_CHECKS as usize => true,
            Some(_) => perms.any_queue_override(),
        };
        let reserved: &mut dyn Iterator<Item = (u8, u8)> = if ask_each {
            &mut Iterator::chain(
                added_within(current, next, &apm, &aqm).filter(|q| host.is_some() && !in_host(q)),
                added_apqns(current, next)
                    .filter(|q| host.is_none() || in_host(q))
                    .filter(|&(apid, apqi)| perms.owned_by_host(Apqn { apid, apqi })),
            )
        } else {
            &mut added_within(current, next, &apm, &aqm)
        };
        for (apid, apqi) in reserved {
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
    /// it (withdraw it from the guest; the caller resets it).
    pub(crate) fn set_queue_bound(&mut self, apqn: Apqn, bound: bool) {
        let fmt = if bound {
            c"queue %02lx.%04lx bound to vfio_ap\n"
        } else {
            c"queue %02lx.%04lx unbound from vfio_ap\n"
        };
        dbf::event(Level::Info, fmt, &apqn.dbf_args());
        let a = usize::from(apqn.apid);
        if let Some(b) = self.bound.get_mut(a) {
            if bound {
                b.set(apqn.apqi);
            } else {
                b.clear(apqn.apqi);
            }
        }
        // Bound or unbound, the AP bus resets a queue that changes drivers.
        for m in [self.resetting.get_mut(a), self.reset_pending.get_mut(a)]
            .into_iter()
            .flatten()
        {
            m.clear(apqn.apqi);
        }
        self.update_usable(apqn);
    }

    fn update_usable(&mut self, apqn: Apqn) {
        self.recompute_usable(apqn.apid);
        if let Some((id, _)) = self.holder(apqn) {
            self.refresh_view(id);
        }
    }

    /// Which queues of adapter `apid` may reach a guest: bound and not in quarantine.
    fn recompute_usable(&mut self, apid: u8) {
        let a = usize::from(apid);
        if let (Some(u), Some(b), Some(r)) = (
            self.usable.get_mut(a),
            self.bound.get(a),
            self.resetting.get(a),
        ) {
            *u = b.and_not(r);
        }
    }

    fn is_bound(&self, apqn: Apqn) -> bool {
        self.bound
            .get(usize::from(apqn.apid))
            .is_some_and(|b| b.test(apqn.apqi))
    }

    /// Puts a queue bound to this driver in quarantine until it is reset. The caller owns
    /// the mdev that held the queue and refreshes its view with [`Self::refresh_view`] once
    /// it has quarantined all it lost: a search for the holder per queue would cost a walk
    /// of every mdev.
    fn quarantine(&mut self, apqn: Apqn) {
        if !self.is_bound(apqn) {
            return;
        }
        let a = usize::from(apqn.apid);
        for m in [self.resetting.get_mut(a), self.reset_pending.get_mut(a)]
            .into_iter()
            .flatten()
        {
            m.set(apqn.apqi);
        }
        self.reset_pending_adapters.set(apqn.apid);
        self.recompute_usable(apqn.apid);
    }

    /// Recomputes the guest view of mdev `id`.
    fn refresh_view(&mut self, id: MdevId) {
        let host = self.host_masks();
        let usable = &self.usable;
        if let Some(state) = self.slots.get_mut(id.0).and_then(Option::as_mut) {
            state.guest = guest_view(&state.assigned, &host, usable);
        }
    }

    /// Takes up to `out.len()` queues from the quarantine that no one is resetting yet;
    /// returns how many. The caller resets them and reports with [`Self::reset_done`].
    pub(crate) fn take_reset_batch(&mut self, out: &mut [Apqn]) -> usize {
        let mut n = 0;
        while let Some(apid) = self.reset_pending_adapters.lowest_set() {
            let Some(pending) = self.reset_pending.get_mut(usize::from(apid)) else {
                break;
            };
            while let Some(apqi) = pending.lowest_set() {
                let Some(slot) = out.get_mut(n) else {
                    return n;
                };
                *slot = Apqn { apid, apqi };
                pending.clear(apqi);
                n += 1;
            }
            self.reset_pending_adapters.clear(apid);
        }
        n
    }

    /// A reset of a quarantined queue ended: a reset queue may reach a guest again.
    pub(crate) fn reset_done(&mut self, apqn: Apqn, outcome: ResetOutcome) {
        let a = usize::from(apqn.apid);
        let still_quarantined = self.resetting.get(a).is_some_and(|r| r.test(apqn.apqi));
        if !still_quarantined {
            // Unbound meanwhile: the AP bus took over.
            return;
        }
        match outcome {
            ResetOutcome::Done | ResetOutcome::Gone => {
                if let Some(r) = self.resetting.get_mut(a) {
                    r.clear(apqn.apqi);
                }
                dbf::event(Level::Info, c"queue %02lx.%04lx reset\n", &apqn.dbf_args());
                self.queue_was_reset(apqn);
                self.update_usable(apqn);
            }
            ResetOutcome::TimedOut | ResetOutcome::Failed(_) => {
                let rc = match outcome {
                    ResetOutcome::Failed(rc) => c_long::from(rc),
                    _ => -1,
                };
                dbf::event(
                    Level::Error,
                    c"queue %02lx.%04lx: reset failed (rc %ld); kept from every guest\n",
                    &[c_long::from(apqn.apid), c_long::from(apqn.apqi), rc],
                );
                pr_warn!(
                    "queue {:02x}.{:04x} did not reset; no guest gets it until it is unbound from vfio_ap and bound again\n",
                    apqn.apid,
                    apqn.apqi
                );
            }
        }
    }

    /// Whether the CRYCB of attached mdev `id` differs from what its guest should have.
    fn crycb_stale(&self, id: MdevId) -> bool {
        self.get(id)
            .is_some_and(|s| s.crycb.as_ref().is_some_and(|c| c != s.wanted_crycb()))
    }

    /// Marks mdev `id` attached to `vm`; its CRYCB is empty until [`Self::program`].
    fn attach(&mut self, id: MdevId, vm: GuestVm) {
        if let Some(state) = self.slots.get_mut(id.0).and_then(Option::as_mut) {
            state.crycb = Some(Matrix::default());
            state.vm = Some(vm);
            state.withdrawn = false;
        }
    }

    /// Marks mdev `id` detached (its CRYCB already cleared), releases its eventfds, and puts
    /// its queues in quarantine for reset. Returns the VM and the queues with interruptions
    /// enabled, for the caller to reset and release outside the locks.
    fn detach(&mut self, id: MdevId) -> (Option<GuestVm>, KVec<QueueIrq>) {
        let Some(state) = self.slots.get_mut(id.0).and_then(Option::as_mut) else {
            return (None, KVec::new());
        };
        state.crycb = None;
        let vm = state.vm.take();
        let irqs = core::mem::take(&mut state.irqs);
        state.withdrawn = false;
        state.triggers = Triggers::default();
        let assigned = state.assigned;
        dbf_mdev(
            Level::Info,
            kernel::c_str!(concat!("mdev ", uuid_fmt!(), ": detached from its VM\n")),
            &state.uuid,
            &[],
        );
        for (apid, apqi) in assigned.apqns() {
            self.quarantine(Apqn { apid, apqi });
        }
        self.refresh_view(id);
        (vm, irqs)
    }

    /// The attached mdev of VM `vm` whose guest has `apqn` in its CRYCB: the only queues a
    /// guest may control interruptions of.
    pub(crate) fn guest_queue_of_vm(&self, vm: VmId, apqn: Apqn) -> Option<MdevId> {
        self.slots.iter().enumerate().find_map(|(i, s)| {
            let s = s.as_ref()?;
            let attached = s.vm.as_ref()?;
            let crycb = s.crycb?;
            (attached.kvm.id() == vm && crycb.apm.test(apqn.apid) && crycb.aqm.test(apqn.apqi))
                .then_some(MdevId(i))
        })
    }

    /// A handle on the VM and open device of attached mdev `id` (see [`GuestVm::handle`]).
    pub(crate) fn vm_handle(&self, id: MdevId) -> Option<VmHandle> {
        self.get(id)?.vm.as_ref().map(GuestVm::handle)
    }

    /// Records that the guest of mdev `id` enabled interruptions for a queue; gives `irq`
    /// back if it cannot be recorded.
    pub(crate) fn add_irq(&mut self, id: MdevId, irq: QueueIrq) -> Result<(), QueueIrq> {
        let Some(state) = self.slots.get_mut(id.0).and_then(Option::as_mut) else {
            return Err(irq);
        };
        let apqn = irq.apqn;
        state.irqs.push(irq, GFP_KERNEL).map_err(|_| irq)?;
        if let Some(m) = self.irq_queues.get_mut(usize::from(apqn.apid)) {
            m.set(apqn.apqi);
        }
        Ok(())
    }

    /// Takes the record of `apqn`'s interruptions in mdev `id`, for the caller to release.
    pub(crate) fn take_irq(&mut self, id: MdevId, apqn: Apqn) -> Option<QueueIrq> {
        let state = self.slots.get_mut(id.0).and_then(Option::as_mut)?;
        let i = state.irqs.iter().position(|q| q.apqn == apqn)?;
        state.irqs.remove(i).ok()
    }

    /// `apqn` was reset, so its interruptions are off in the machine; what enabling them
    /// took is released by [`release_reset_irqs`].
    pub(crate) fn queue_was_reset(&mut self, apqn: Apqn) {
        let Some(m) = self.irq_queues.get_mut(usize::from(apqn.apid)) else {
            return;
        };
        if !m.test(apqn.apqi) {
            return;
        }
        // Every record of the queue is marked below, so none is left unmarked.
        m.clear(apqn.apqi);
        for state in self.slots.iter_mut().flatten() {
            for irq in state.irqs.iter_mut().filter(|q| q.apqn == apqn) {
                irq.reset = true;
                self.reset_irqs = true;
            }
        }
    }

    /// Whether [`release_reset_irqs`] may find records to release.
    pub(crate) fn has_reset_irqs(&self) -> bool {
        self.reset_irqs
    }

    /// Takes up to `out.len()` records of one mdev's reset queues; the VM handle to release
    /// them with and how many.
    fn take_reset_irqs(&mut self, out: &mut [QueueIrq]) -> Option<(VmHandle, usize)> {
        if !self.reset_irqs {
            return None;
        }
        let Some(state) = self
            .slots
            .iter_mut()
            .flatten()
            .find(|s| s.irqs.iter().any(|q| q.reset))
        else {
            self.reset_irqs = false;
            return None;
        };
        let vm = state.vm.as_ref()?.handle();
        Some((vm, take_matching(&mut state.irqs, out, |q| q.reset)))
    }

    /// Takes up to `out.len()` records of mdev `id` whose notification byte lies in
    /// `[iova, iova + length)`; the VM handle and how many.
    pub(crate) fn take_irqs_in_range(
        &mut self,
        id: MdevId,
        iova: u64,
        length: u64,
        out: &mut [QueueIrq],
    ) -> Option<(VmHandle, usize)> {
        let state = self.slots.get_mut(id.0).and_then(Option::as_mut)?;
        let vm = state.vm.as_ref()?.handle();
        let n = take_matching(&mut state.irqs, out, |q| {
            q.nib >= iova && q.nib - iova < length
        });
        (n > 0).then_some((vm, n))
    }

    /// Removal of attached mdev `id` was requested (the `count`-th time).
    fn withdraw(&mut self, id: MdevId, count: u32) {
        let Some(state) = self.slots.get_mut(id.0).and_then(Option::as_mut) else {
            return;
        };
        state.withdrawn = true;
        match &state.triggers.request {
            Some(request) => {
                if count % 10 == 0 {
                    dev_notice!(state.dev, "Relaying device request to user (#{count})\n");
                }
                request.signal();
            }
            None if count == 0 => {
                dev_notice!(
                    state.dev,
                    "No device request registered, blocked until released by user\n"
                );
            }
            None => {}
        }
    }

    /// Writes the view of attached mdev `id` into its guest's CRYCB if it changed, tells
    /// userspace, and quarantines the queues the guest lost. The s390dbf record of the new
    /// CRYCB is left to [`Self::log_guest_config`]: a host change programs every guest
    /// first and records them after.
    ///
    /// Returns whether the quarantine withheld more of the mdev's own queues, so that its
    /// CRYCB is stale again. No other mdev's view can change: a queue has one holder.
    #[must_use]
    // The host-change path's placement: see the crate docs.
    #[allow(unsafe_code, reason = "a section name: placement only")]
    #[unsafe(link_section = ".text.hot")]
    fn program(&mut self, id: MdevId, crycb: &mut Crycb<'_>) -> bool {
        // The matrices are compared, handed to KVM and updated in place, word by word (see
        // `ApMask`): under TCG a copy or compare of a whole one is a helper call.
        let host = self.host.as_ref().map(|h| &h.masks);
        let Some(state) = self.slots.get_mut(id.0).and_then(Option::as_mut) else {
            return false;
        };
        let Some((old, new)) = state.crycb_and_wanted() else {
            return false;
        };
        if old == new {
            return false;
        }
        if new.is_empty() {
            crycb.clear_masks();
        } else {
            crycb.set_masks(new);
        }
        // A queue that left the host configuration is gone and comes back reset; the AP bus
        // removes its device, which releases what the guest left of its interruptions.
        // The old CRYCB is kept (a copy) only for that walk; `then_some` would copy it always.
        let lost_from = if host.is_some_and(|host| old.loses_queues_within(new, host)) {
            Some(*old)
        } else {
            None
        };
        old.copy_from(new);
        state.crycb_changed();
        let Some(old) = lost_from else {
            return false;
        };
        let new = *state.wanted_crycb();
        let host = self.host_masks();
        for (apid, apqi) in old.apqns() {
            let kept = new.apm.test(apid) && new.aqm.test(apqi);
            if !kept && host.apm.test(apid) && host.aqm.test(apqi) {
                self.quarantine(Apqn { apid, apqi });
            }
        }
        self.refresh_view(id);
        self.crycb_stale(id)
    }

    /// Records in s390dbf the CRYCB [`Self::program`] gave mdev `id`'s guest, if not yet.
    fn log_guest_config(&mut self, id: MdevId) {
        let Some(state) = self.slots.get_mut(id.0).and_then(Option::as_mut) else {
            return;
        };
        if !core::mem::take(&mut state.crycb_unlogged) {
            return;
        }
        let m = state.crycb.unwrap_or_default();
        dbf_mdev(
            Level::Info,
            kernel::c_str!(concat!(
                "mdev ",
                uuid_fmt!(),
                ": guest AP configuration: %lu adapters, %lu domains, %lu control domains\n"
            )),
            &state.uuid,
            &[
                m.apm.count() as c_long,
                m.aqm.count() as c_long,
                m.adm.count() as c_long,
            ],
        );
    }

    /// [`Self::log_guest_config`] for every mdev.
    fn log_guest_configs(&mut self) {
        for i in 0..self.slots.len() {
            self.log_guest_config(MdevId(i));
        }
    }

    /// Registers (or with `None` releases) an eventfd of mdev `id`.
    pub(crate) fn set_trigger(&mut self, id: MdevId, which: Irq, fd: Option<EventFd>) {
        if let Some(state) = self.slots.get_mut(id.0).and_then(Option::as_mut) {
            let slot = match which {
                Irq::Request => &mut state.triggers.request,
                Irq::ConfigChange => &mut state.triggers.config_change,
            };
            *slot = fd;
        }
    }

    /// Up to `out.len()` queues of mdev `id` bound to this driver and not in quarantine,
    /// after `after` in adapter-major order; returns how many.
    pub(crate) fn bound_queues_of(
        &self,
        id: MdevId,
        after: Option<Apqn>,
        out: &mut [Apqn],
    ) -> usize {
        let Some(state) = self.get(id) else {
            return 0;
        };
        let mut n = 0;
        let start = after.map_or(0, |a| (u32::from(a.apid) << 8 | u32::from(a.apqi)) + 1);
        for (apid, apqi) in state.assigned.apqns() {
            let apqn = Apqn { apid, apqi };
            if (u32::from(apid) << 8 | u32::from(apqi)) < start
                || !self
                    .usable
                    .get(usize::from(apid))
                    .is_some_and(|u| u.test(apqi))
            {
                continue;
            }
            let Some(slot) = out.get_mut(n) else {
                break;
            };
            *slot = apqn;
            n += 1;
        }
        n
    }

    /// Whether the host's AP configuration has `apqn` (adapter and usage domain).
    pub(crate) fn in_host_config(&self, apqn: Apqn) -> bool {
        let host = self.host_masks();
        host.apm.test(apqn.apid) && host.aqm.test(apqn.apqi)
    }

    /// The queue's `status` attribute text: `in use` while its guest's CRYCB has it.
    pub(crate) fn queue_status(&self, apqn: Apqn) -> &'static str {
        match self.holder(apqn) {
            Some((_, s))
                if s.crycb
                    .is_some_and(|c| c.apm.test(apqn.apid) && c.aqm.test(apqn.apqi)) =>
            {
                "in use"
            }
            Some(_) => "assigned",
            None => "unassigned",
        }
    }
}
