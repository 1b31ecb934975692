// SPDX-License-Identifier: GPL-2.0

//! The AP queue driver `vfio_ap`: it binds the queues the host does not reserve for its own
//! crypto drivers, adds their `status` attribute, and keeps guest views in step with the AP
//! bus (queues coming and going, host configuration changes, reservation requests).

use core::fmt::Write;

use kernel::{
    prelude::*,
    str::Formatter, //
};

use crate::{
    ap_bus::{
        reset_queue,
        ApDriver,
        ApPermsGuard,
        ApQueue,
        HostConfig,
        QueueAttributes,
        ResetOutcome, //
    },
    dbf::{
        self,
        Level, //
    },
    locks::LockCtx,
    model::mask::ApMask,
    state::{
        change_and_sync,
        drain_resets,
        log_host_config,
        release_reset_irqs,
        Mdevs,
        Reach, //
    },
    sysfs::{
        attribute_groups,
        Attribute,
        AttributeGroups,
        AttributeOps, //
    },
};

/// `status` of a queue bound to vfio_ap: `unassigned`, `assigned` or `in use`.
struct Status;

impl AttributeOps for Status {
    type Owner = QueueAttributes;
    const READABLE: bool = true;

    fn show(queue: &ApQueue, out: &mut Formatter<'_>) -> Result {
        let status = {
            let mut ctx = LockCtx::enter();
            let mut guests = ctx.guests();
            let (mdevs, _) = guests.mdevs();
            mdevs.queue_status(queue.apqn())
        };
        writeln!(out, "{status}").map_err(|_| EFBIG)
    }
}

static STATUS: Attribute<Status> = Attribute::new(c"status");

attribute_groups!(static QUEUE_GROUPS = [STATUS];);

/// The AP queue driver.
pub(crate) struct QueueDriver;

impl ApDriver for QueueDriver {
    const QUEUE_GROUPS: &'static AttributeGroups = &QUEUE_GROUPS;

    fn probe(queue: &ApQueue) -> Result {
        // A guest whose mdev holds the queue may get its adapter now (hot plug).
        update(|mdevs| mdevs.set_queue_bound(queue.apqn(), true));
        Ok(())
    }

    fn remove(queue: &ApQueue) {
        let apqn = queue.apqn();
        // The guest loses the queue's adapter at once (hot unplug); the adapter's other
        // queues are reset by `update`, this one below.
        let configured = update(|mdevs| {
            mdevs.set_queue_bound(apqn, false);
            mdevs.in_host_config(apqn)
        });
        // Clear what a guest may have left in the queue before the host gets it, outside the
        // driver's locks: a queue slow to reset must not stall anyone else. A queue that left
        // the host configuration holds nothing and would only answer "not available".
        if configured {
            match reset_queue(apqn) {
                ResetOutcome::Done | ResetOutcome::Gone => {}
                ResetOutcome::TimedOut => {
                    dbf::event(
                        Level::Error,
                        c"reset of queue %02lx.%04lx timed out\n",
                        &apqn.dbf_args(),
                    );
                    dev_warn!(
                    queue.device(),
                    "reset of queue {:02x}.{:04x} did not complete in time; it is released still resetting\n",
                    apqn.apid,
                    apqn.apqi
                    )
                }
                ResetOutcome::Failed(rc) => {
                    dbf::event(
                        Level::Error,
                        c"reset of queue %02lx.%04lx failed: rc %02lx\n",
                        &[
                            c_long::from(apqn.apid),
                            c_long::from(apqn.apqi),
                            c_long::from(rc),
                        ],
                    );
                    dev_warn!(
                        queue.device(),
                        "reset of queue {:02x}.{:04x} failed: response code {rc:#04x}\n",
                        apqn.apid,
                        apqn.apqi
                    )
                }
            }
        }
        // Reset (or gone): interruptions are off, their pinned page and ISC can go.
        let mut ctx = LockCtx::enter();
        ctx.mdevs().queue_was_reset(apqn);
        release_reset_irqs(&mut ctx);
    }

    fn in_use(_perms: &ApPermsGuard, apm: &ApMask, aqm: &ApMask) -> bool {
        // The AP bus holds ap_attr_mutex: we continue the hierarchy below it.
        let mut ctx = LockCtx::enter();
        let mut guests = ctx.guests();
        let (mdevs, _) = guests.mdevs();
        mdevs.in_use(apm, aqm)
    }

    fn on_config_changed(new: &HostConfig) {
        // Removed adapters and domains leave every guest now; added ones join when their
        // queues are bound, which the scan does next.
        update_host(new, Reach::Every);
    }

    fn on_scan_complete(new: &HostConfig) {
        // The scan bound the added queues, and each binding updated the guests it concerns.
        update_host(new, Reach::Differing);
    }
}

/// Changes the driver's state with `f`, brings every attached guest's CRYCB in line, and
/// resets what guests lost once the locks are dropped.
fn update<R>(f: impl FnOnce(&mut Mdevs) -> R) -> R {
    let mut ctx = LockCtx::enter();
    let r = change_and_sync(&mut ctx.guests(), None, Reach::Differing, |mdevs, _| {
        f(mdevs)
    });
    drain_resets(&mut ctx);
    r
}

/// [`update`] for a new host configuration, which may concern every guest (`reach`): the
/// first one is reprogrammed in the same hold of the mdevs lock as the change.
// The host-change path's placement: see the crate docs.
#[allow(unsafe_code, reason = "a section name: placement only")]
#[unsafe(link_section = ".text.hot")]
fn update_host(new: &HostConfig, reach: Reach) {
    let mut ctx = LockCtx::enter();
    {
        let mut guests = ctx.guests();
        let first = guests.state().first_attached();
        change_and_sync(&mut guests, first, reach, |mdevs, _| {
            mdevs.set_host(Some(*new))
        });
    }
    log_host_config(Some(new));
    drain_resets(&mut ctx);
}
