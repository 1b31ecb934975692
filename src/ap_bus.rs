// SPDX-License-Identifier: GPL-2.0

//! The AP bus: a queue driver's registration and callbacks, the host's AP configuration
//! (QCI), the host-driver reservations (`apmask`/`aqmask`) and the lock that guards them.
//!
//! C headers: [`drivers/s390/crypto/ap_bus.h`](srctree/drivers/s390/crypto/ap_bus.h),
//! [`arch/s390/include/asm/ap.h`](srctree/arch/s390/include/asm/ap.h)

use core::{
    marker::PhantomData,
    sync::atomic::{
        AtomicPtr,
        Ordering, //
    },
};

use kernel::{
    device::Device,
    error::to_result,
    prelude::*,
    str::CStrExt,
    time::{
        delay::fsleep,
        Delta, //
    },
    types::Opaque, //
};

use crate::{
    model::{
        mask::ApMask,
        matrix::Matrix, //
        reset::{
            after_tapq,
            after_zapq,
            backoff_us,
            QueueStatus,
            ResetStep, //
        },
    },
    mutex::RawMutexGuard,
    sys,
    sysfs::{
        AttributeGroups,
        AttributeOwner, //
    },
};

/// An AP queue number: adapter (card) and domain (queue index).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Apqn {
    /// Adapter ID (APID).
    pub(crate) apid: u8,
    /// Domain ID (APQI).
    pub(crate) apqi: u8,
}

/// The host's AP configuration as the QCI instruction reports it.
#[derive(Clone, Copy, Default)]
pub(crate) struct HostConfig {
    /// Configured adapters, usage domains and control domains.
    pub(crate) masks: Matrix,
    /// Highest adapter ID the machine supports.
    pub(crate) max_apid: u8,
    /// Highest domain ID the machine supports.
    pub(crate) max_apqi: u8,
}

/// Two 32-bit big-endian halves of the QCI masks, as one MSB-0 mask.
fn mask_from_qci(words: &[c_uint; 8]) -> ApMask {
    let mut out = [0u64; 4];
    for (dst, pair) in out.iter_mut().zip(words.chunks_exact(2)) {
        if let [hi, lo] = pair {
            *dst = (u64::from(*hi) << 32) | u64::from(*lo);
        }
    }
    ApMask::from_words(out)
}

impl HostConfig {
    fn from_raw(info: &sys::ap_config_info) -> Self {
        // Without the APXA facility IDs stop at 63 adapters and 15 domains.
        // SAFETY: Both union members are plain integers: every bit pattern is valid.
        let apxa = unsafe { info.__bindgen_anon_1.__bindgen_anon_1.apxa() } != 0;
        Self {
            masks: Matrix {
                apm: mask_from_qci(&info.apm),
                aqm: mask_from_qci(&info.aqm),
                adm: mask_from_qci(&info.adm),
            },
            max_apid: if apxa { info.na } else { 63 },
            max_apqi: if apxa { info.nd } else { 15 },
        }
    }

    /// Runs QCI. `None` when the machine has no QCI facility (facility 12).
    pub(crate) fn query() -> Option<Self> {
        let mut info = sys::ap_config_info::default();
        // SAFETY: `info` is a valid, writable `struct ap_config_info`.
        let rc = unsafe { sys::vfio_ap_rs_ap_qci(&mut info) };
        (rc == 0).then(|| Self::from_raw(&info))
    }
}

/// Whether the AP instructions are available at all.
pub(crate) fn instructions_available() -> bool {
    // SAFETY: A probe with no preconditions.
    unsafe { sys::vfio_ap_rs_ap_instructions_available() }
}

/// The AP bus's `ap_attr_mutex`, which guards `apmask`/`aqmask`. It is the outermost lock
/// of this driver: the AP bus holds it when it asks [`ApDriver::in_use`].
pub(crate) struct ApPermsLock;

/// Proof that `ap_attr_mutex` is held.
pub(crate) struct ApPermsGuard {
    _guard: RawMutexGuard<'static>,
}

impl ApPermsLock {
    /// Takes `ap_attr_mutex`.
    pub(crate) fn lock() -> ApPermsGuard {
        // SAFETY: `ap_attr_mutex` is a statically initialised mutex exported by the AP bus,
        // which this module depends on, so it lives as long as the module.
        let guard = unsafe { RawMutexGuard::lock(&raw mut sys::ap_attr_mutex) };
        ApPermsGuard { _guard: guard }
    }
}

/// The AP bus type, learnt from our driver once it is registered (the AP bus does not export
/// it); null before and after.
static AP_BUS: AtomicPtr<sys::bus_type> = AtomicPtr::new(core::ptr::null_mut());

impl ApPermsGuard {
    /// The host's reservation masks, `apmask` and `aqmask`.
    pub(crate) fn masks(&self) -> (ApMask, ApMask) {
        // SAFETY: `ap_perms` is exported by the AP bus and only written under
        // `ap_attr_mutex`, which is held (type invariant).
        let (apm, aqm) = unsafe { (sys::ap_perms.apm, sys::ap_perms.aqm) };
        // `unsigned long` is 64 bits on s390.
        let words = |m: [usize; 4]| m.map(|w| w as u64);
        (
            ApMask::from_words(words(apm)),
            ApMask::from_words(words(aqm)),
        )
    }

    /// Whether some AP queue has a `driver_override` (then ownership is not the masks' alone).
    /// Overrides change only under the mutex this guard holds, so the answer stays true
    /// while it lives. Walks every AP device; true if the AP bus is not known yet.
    pub(crate) fn any_queue_override(&self) -> bool {
        let bus = AP_BUS.load(Ordering::Acquire);
        // SAFETY: A non-null `bus` is the AP bus type, static in the AP bus module this
        // module depends on; `ap_attr_mutex` is held (type invariant).
        bus.is_null() || unsafe { sys::vfio_ap_rs_bus_any_driver_override(bus) }
    }

    /// Whether `apqn` is reserved for the host's default (zcrypt) drivers, by the masks or by
    /// a driver override binding it to one.
    pub(crate) fn owned_by_host(&self, apqn: Apqn) -> bool {
        // SAFETY: `ap_attr_mutex` is held (type invariant of the guard); IDs are in range.
        unsafe { sys::ap_owned_by_def_drv(c_int::from(apqn.apid), c_int::from(apqn.apqi)) != 0 }
    }
}

impl Apqn {
    /// A placeholder that fills batch buffers before they are written.
    pub(crate) const FILLER: Self = Self { apid: 0, apqi: 0 };

    fn qid(self) -> u32 {
        (u32::from(self.apid) << 8) | u32::from(self.apqi)
    }

    /// Adapter and domain as the two longs of an s390dbf `%02lx.%04lx`.
    pub(crate) fn dbf_args(self) -> [c_long; 2] {
        [c_long::from(self.apid), c_long::from(self.apqi)]
    }
}

/// How a queue reset ended.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum ResetOutcome {
    /// The queue is reset (or deconfigured/checkstopped: empty by definition).
    Done,
    /// The queue no longer exists.
    Gone,
    /// The queue was still resetting when the time was up.
    TimedOut,
    /// An AP instruction answered with a response code the architecture does not allow.
    Failed(u8),
}

/// PQAP(AQIC) for `apqn` with interruption controls `controls` and the host physical address
/// of the notification byte; the queue status word.
pub(crate) fn aqic(apqn: Apqn, controls: u64, nib_phys: u64) -> u32 {
    // SAFETY: AQIC on any queue number is safe; the machine checks the controls and the
    // address, and only writes the notification byte, a page the caller has pinned.
    unsafe { sys::vfio_ap_rs_ap_aqic(apqn.qid(), controls, nib_phys) }
}

/// TAPQ for `apqn`: the queue status word.
pub(crate) fn test_queue(apqn: Apqn) -> u32 {
    // SAFETY: TAPQ on any queue number is safe; a missing queue answers rc 01.
    unsafe { sys::vfio_ap_rs_ap_tapq(apqn.qid()) }
}

/// How many queues [`reset_queues`] resets at once.
pub(crate) const RESET_BATCH: usize = 32;

/// Resets (zeroizes) a queue with ZAPQ and waits, at most about a second, for it to finish.
///
/// Sleeps: never call it with a spinlock held, and not with the driver's global locks either
/// (a queue stuck in reset must not stall everyone else).
pub(crate) fn reset_queue(apqn: Apqn) -> ResetOutcome {
    let mut outcome = [ResetOutcome::Done];
    reset_queues(&[apqn], &mut outcome);
    let [outcome] = outcome;
    outcome
}

/// Resets up to [`RESET_BATCH`] queues at once: ZAPQ to each, then one wait for all of them,
/// at most about a second. `outcomes[i]` tells how the reset of `apqns[i]` ended. Sleeps,
/// as [`reset_queue`].
pub(crate) fn reset_queues(apqns: &[Apqn], outcomes: &mut [ResetOutcome]) {
    const MAX_TESTS: u32 = 60;
    let zapq = |apqn: Apqn| {
        // SAFETY: ZAPQ on any queue number is safe; a missing queue answers with rc 01.
        QueueStatus::from_word(unsafe { sys::vfio_ap_rs_ap_zapq(apqn.qid()) }).rc
    };
    let tapq = |apqn: Apqn| {
        // SAFETY: TAPQ on any queue number is safe; a missing queue answers rc 01.
        QueueStatus::from_word(unsafe { sys::vfio_ap_rs_ap_tapq(apqn.qid()) }).rc
    };
    let mut steps = [ResetStep::Done; RESET_BATCH];
    for (step, apqn) in steps.iter_mut().zip(apqns) {
        *step = after_zapq(zapq(*apqn));
    }
    let steps = steps
        .get_mut(..apqns.len().min(RESET_BATCH))
        .unwrap_or_default();
    for n in 0..MAX_TESTS {
        let waiting = steps.iter().any(|s| matches!(s, ResetStep::Wait { .. }));
        let rezapping = steps.iter().any(|s| matches!(s, ResetStep::Rezap));
        if !waiting && !rezapping {
            break;
        }
        let wait = backoff_us(n);
        if waiting && wait > 0 {
            fsleep(Delta::from_micros(i64::from(wait)));
        }
        for (step, apqn) in steps.iter_mut().zip(apqns) {
            *step = match *step {
                ResetStep::Rezap => after_zapq(zapq(*apqn)),
                ResetStep::Wait { rezap } => after_tapq(tapq(*apqn), rezap),
                done => done,
            };
        }
    }
    for (out, step) in outcomes.iter_mut().zip(steps.iter()) {
        *out = match *step {
            ResetStep::Done => ResetOutcome::Done,
            ResetStep::Gone => ResetOutcome::Gone,
            ResetStep::Failed(rc) => ResetOutcome::Failed(rc),
            ResetStep::Wait { .. } | ResetStep::Rezap => ResetOutcome::TimedOut,
        };
    }
}

/// An AP queue device, borrowed from the AP bus for a callback.
///
/// # Invariants
///
/// The wrapped `struct ap_queue` is alive for the lifetime of the reference.
#[repr(transparent)]
pub(crate) struct ApQueue(Opaque<sys::ap_queue>);

impl ApQueue {
    /// # Safety
    ///
    /// `dev` is the `struct device` of a live `struct ap_queue`, for `'a`.
    unsafe fn from_device<'a>(dev: *mut sys::device) -> &'a Self {
        // SAFETY: The device is embedded in `ap_dev`, itself the first member of `ap_queue`
        // (both `#[repr(C)]`), so the pointers coincide; validity is the caller's promise.
        unsafe { &*dev.cast::<Self>() }
    }

    /// The queue's device, for log lines.
    pub(crate) fn device(&self) -> &Device {
        // SAFETY: The embedded device lives as long as the queue (type invariant).
        unsafe { Device::from_raw(self.raw_device()) }
    }

    /// The queue's APQN.
    pub(crate) fn apqn(&self) -> Apqn {
        // SAFETY: The queue is alive (type invariant); its qid is fixed at creation.
        let qid = unsafe { (*self.0.get()).qid };
        Apqn {
            apid: (qid >> 8) as u8,
            apqi: qid as u8,
        }
    }

    fn raw_device(&self) -> *mut sys::device {
        // SAFETY: The queue is alive (type invariant).
        unsafe { &raw mut (*self.0.get()).ap_dev.device }
    }
}

/// Owner of sysfs attributes that the driver adds to AP queue devices: they see the queue.
pub(crate) struct QueueAttributes;

// SAFETY: These attributes are added only to `ap_queue` devices (by `ApDriver::probe`) and
// removed before the device goes; the queue is alive during any callback.
unsafe impl AttributeOwner for QueueAttributes {
    type Data = ApQueue;

    unsafe fn data<'a>(dev: *mut sys::device) -> &'a ApQueue {
        // SAFETY: See the `unsafe impl`.
        unsafe { ApQueue::from_device(dev) }
    }
}

/// The callbacks of an AP queue driver.
pub(crate) trait ApDriver: 'static {
    /// Attributes added to every queue this driver binds.
    const QUEUE_GROUPS: &'static AttributeGroups;

    /// A queue was bound to the driver.
    fn probe(queue: &ApQueue) -> Result;

    /// A queue is being unbound.
    fn remove(queue: &ApQueue);

    /// Would reserving `apm` x `aqm` for the host take queues the driver has handed out?
    fn in_use(perms: &ApPermsGuard, apm: &ApMask, aqm: &ApMask) -> bool;

    /// The host's AP configuration changed to `new`; the bus is about to add and remove
    /// devices. (The bus passes the previous configuration too; a driver keeps its own.)
    fn on_config_changed(new: &HostConfig);

    /// The bus has added and removed the devices after a change to `new`.
    fn on_scan_complete(new: &HostConfig);
}

/// Device types of the queues the driver binds: CEX4 to CEX8.
#[repr(transparent)]
struct IdTable([sys::ap_device_id; 6]);

// SAFETY: Only read, by the AP bus's match function.
unsafe impl Sync for IdTable {}

const fn queue_id(dev_type: u8) -> sys::ap_device_id {
    sys::ap_device_id {
        match_flags: sys::AP_DEVICE_ID_MATCH_QUEUE_TYPE as u16,
        dev_type,
    }
}

static QUEUE_IDS: IdTable = IdTable([
    queue_id(sys::AP_DEVICE_TYPE_CEX4 as u8),
    queue_id(sys::AP_DEVICE_TYPE_CEX5 as u8),
    queue_id(sys::AP_DEVICE_TYPE_CEX6 as u8),
    queue_id(sys::AP_DEVICE_TYPE_CEX7 as u8),
    queue_id(sys::AP_DEVICE_TYPE_CEX8 as u8),
    sys::ap_device_id {
        match_flags: 0,
        dev_type: 0,
    },
]);

/// An AP queue driver registered with the AP bus.
///
/// # Invariants
///
/// `drv` is registered for as long as the object lives, with `T`'s callbacks.
#[pin_data(PinnedDrop)]
pub(crate) struct DriverRegistration<T: ApDriver> {
    #[pin]
    drv: Opaque<sys::ap_driver>,
    _ops: PhantomData<T>,
}

// SAFETY: The AP bus and driver core synchronise all access to a registered driver.
unsafe impl<T: ApDriver> Send for DriverRegistration<T> {}
// SAFETY: No methods; see `Send`.
unsafe impl<T: ApDriver> Sync for DriverRegistration<T> {}

impl<T: ApDriver> DriverRegistration<T> {
    /// Registers the queue driver `name`; already present queues are probed at once.
    pub(crate) fn new(
        name: &'static CStr,
        module: &'static ThisModule,
    ) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            drv <- Opaque::try_ffi_init(move |slot: *mut sys::ap_driver| {
                // SAFETY: `slot` is valid for writes and pinned for the object's lifetime.
                unsafe {
                    slot.write(sys::ap_driver {
                        probe: Some(Self::probe_callback),
                        remove: Some(Self::remove_callback),
                        in_use: Some(Self::in_use_callback),
                        on_config_changed: Some(Self::config_changed_callback),
                        on_scan_complete: Some(Self::scan_complete_callback),
                        ids: QUEUE_IDS.0.as_ptr().cast_mut(),
                        // Not a default driver: we get the queues the host does not reserve.
                        flags: 0,
                        ..pin_init::zeroed()
                    })
                };
                // SAFETY: Initialised above and pinned until `drop` unregisters it; the AP
                // bus only stores `name`, which is static.
                to_result(unsafe {
                    sys::ap_driver_register(slot, module.as_ptr(), name.as_char_ptr().cast_mut())
                })?;
                // SAFETY: The driver is registered, so the AP bus has set its bus.
                let bus = unsafe { sys::vfio_ap_rs_ap_driver_bus(slot) };
                AP_BUS.store(bus.cast_mut(), Ordering::Release);
                Ok::<(), Error>(())
            }),
            _ops: PhantomData,
        })
    }

    /// `ap_driver::probe`.
    ///
    /// # Safety
    ///
    /// Called by the AP bus with a live queue device being bound to this driver.
    unsafe extern "C" fn probe_callback(apdev: *mut sys::ap_device) -> c_int {
        // SAFETY: The bus only binds `ap_queue` devices to us (the ID table names queue
        // types), alive for the duration of probe.
        let queue = unsafe { ApQueue::from_device(&raw mut (*apdev).device) };
        // SAFETY: The device is live; the group is static.
        let ret = unsafe {
            sys::sysfs_create_groups(
                &raw mut (*queue.raw_device()).kobj,
                T::QUEUE_GROUPS.as_raw(),
            )
        };
        if ret != 0 {
            return ret;
        }
        match T::probe(queue) {
            Ok(()) => 0,
            Err(e) => {
                // SAFETY: Created above.
                unsafe {
                    sys::sysfs_remove_groups(
                        &raw mut (*queue.raw_device()).kobj,
                        T::QUEUE_GROUPS.as_raw(),
                    )
                };
                e.to_errno()
            }
        }
    }

    /// `ap_driver::remove`.
    ///
    /// # Safety
    ///
    /// Called by the AP bus with a live queue device bound to this driver.
    unsafe extern "C" fn remove_callback(apdev: *mut sys::ap_device) {
        // SAFETY: As in `probe_callback`, for the duration of remove.
        let queue = unsafe { ApQueue::from_device(&raw mut (*apdev).device) };
        // SAFETY: Created in `probe_callback`; removing waits for running callbacks.
        unsafe {
            sys::sysfs_remove_groups(
                &raw mut (*queue.raw_device()).kobj,
                T::QUEUE_GROUPS.as_raw(),
            )
        };
        T::remove(queue);
    }

    /// `ap_driver::in_use`.
    ///
    /// # Safety
    ///
    /// Called by the AP bus, `ap_attr_mutex` held, with two 256-bit bitmaps.
    unsafe extern "C" fn in_use_callback(apm: *mut c_ulong, aqm: *mut c_ulong) -> c_int {
        // SAFETY: The AP bus passes two 256-bit bitmaps (4 longs each, MSB-0 numbering, the
        // layout of `ApMask`).
        let (apm, aqm) = unsafe {
            (
                ApMask::from_words(*apm.cast::<[u64; 4]>()),
                ApMask::from_words(*aqm.cast::<[u64; 4]>()),
            )
        };
        // INVARIANT: The AP bus calls `in_use` with `ap_attr_mutex` held, and the guard
        // below is forgotten rather than dropped, so the mutex stays held.
        let perms = core::mem::ManuallyDrop::new(ApPermsGuard {
            // SAFETY: See `ApPermsLock::lock`; the lock is held by our caller.
            _guard: unsafe { RawMutexGuard::held_by_caller(&raw mut sys::ap_attr_mutex) },
        });
        if T::in_use(&perms, &apm, &aqm) {
            EADDRINUSE.to_errno()
        } else {
            0
        }
    }

    /// `ap_driver::on_config_changed`.
    ///
    /// # Safety
    ///
    /// Called by the AP bus with two valid configurations.
    // The host-change path's placement: see the crate docs.
    #[unsafe(link_section = ".text.hot")]
    unsafe extern "C" fn config_changed_callback(
        new: *mut sys::ap_config_info,
        _old: *mut sys::ap_config_info,
    ) {
        // SAFETY: The AP bus passes valid configurations for the duration of the call.
        let new = unsafe { HostConfig::from_raw(&*new) };
        T::on_config_changed(&new);
    }

    /// `ap_driver::on_scan_complete`.
    ///
    /// # Safety
    ///
    /// Called by the AP bus with two valid configurations.
    unsafe extern "C" fn scan_complete_callback(
        new: *mut sys::ap_config_info,
        _old: *mut sys::ap_config_info,
    ) {
        // SAFETY: As in `config_changed_callback`.
        let new = unsafe { HostConfig::from_raw(&*new) };
        T::on_scan_complete(&new);
    }
}

#[pinned_drop]
impl<T: ApDriver> PinnedDrop for DriverRegistration<T> {
    fn drop(self: Pin<&mut Self>) {
        AP_BUS.store(core::ptr::null_mut(), Ordering::Release);
        // SAFETY: By the type invariant the driver is registered. Every queue is removed.
        unsafe { sys::ap_driver_unregister(self.drv.get()) };
    }
}
