// SPDX-License-Identifier: GPL-2.0

//! Guest AP interruptions: the PQAP(AQIC) instructions KVM intercepts and hands to the
//! driver through the VM's PQAP hook.
//!
//! Only queues in the guest's CRYCB can be controlled (anything else answers "not
//! available", 01): the check is on what the guest has now, not on the mdev's assignment.
//! Enabling pins the guest's notification byte through the mdev's VFIO device, registers the
//! guest ISC with the VM's GISA and issues AQIC for the real queue; every failure on the way
//! answers "invalid address" (06) and gives back what was taken. Resources are released when
//! the guest disables interruptions, when the queue is reset, when the notification page is
//! unmapped, and when the device is closed.

use kernel::{
    prelude::*,
    time::{
        delay::fsleep,
        Delta, //
    },
};

use crate::{
    ap_bus::{
        aqic,
        test_queue,
        Apqn, //
    },
    dbf::{
        self,
        Level, //
    },
    kvm::{
        share_with_ultravisor,
        Vcpu, //
    },
    locks::LockCtx,
    model::{
        aqic::{
            enable_controls,
            rc,
            status_word,
            AqicRequest,
            DISABLE_CONTROLS, //
        },
        reset::QueueStatus,
    },
    state::{
        MdevId,
        QueueIrq, //
    },
};

/// KVM intercepted PQAP(AQIC) on `vcpu`: carry it out for the guest and leave the queue
/// status in the low half of GR1 (KVM sets the condition code from it).
///
/// Pinning takes VFIO's locks, under which VFIO calls `dma_unmap`, which takes the mdevs
/// lock: so the mdevs lock is held only to look things up and to issue AQIC, never while
/// pinning or unpinning.
pub(crate) fn handle_pqap(vcpu: &Vcpu) -> Result {
    if !vcpu.has_aiv() {
        dbf::event(
            Level::Warn,
            c"PQAP(AQIC) refused: the guest has no adapter interruption virtualisation\n",
            &[],
        );
        return Err(EOPNOTSUPP);
    }
    let request = AqicRequest::from_registers(vcpu.gpr(0), vcpu.gpr(1), vcpu.gpr(2));
    let apqn = Apqn {
        apid: request.apid,
        apqi: request.apqi,
    };
    let mut ctx = LockCtx::enter();
    let target = ctx.mdevs().guest_queue_of_vm(vcpu.vm(), apqn);
    let status = match target {
        None => not_available(apqn),
        Some(id) if request.enable => enable(&mut ctx, id, vcpu, apqn, request),
        Some(id) => disable(&mut ctx, id, apqn),
    };
    vcpu.set_gpr(1, u64::from(status));
    Ok(())
}

fn not_available(apqn: Apqn) -> u32 {
    dbf::event(
        Level::Warn,
        c"PQAP(AQIC) for queue %02lx.%04lx refused: not in the guest's configuration\n",
        &apqn.dbf_args(),
    );
    status_word(rc::Q_NOT_AVAIL)
}

/// Refuses an enable with "invalid address", logging why.
fn invalid_address(apqn: Apqn, why: &'static CStr) -> u32 {
    let [a, q] = apqn.dbf_args();
    dbf::event(
        Level::Warn,
        c"PQAP(AQIC) enable for queue %02lx.%04lx refused: %s\n",
        &[a, q, why.as_char_ptr() as c_long],
    );
    status_word(rc::INVALID_ADDRESS)
}

fn enable(ctx: &mut LockCtx, id: MdevId, vcpu: &Vcpu, apqn: Apqn, request: AqicRequest) -> u32 {
    let nib = request.nib;
    if nib == 0 || !vcpu.gpa_in_memslot(nib) {
        return invalid_address(apqn, c"the notification byte is not in guest memory");
    }
    let Some(gisa) = vcpu.gisa_phys() else {
        return invalid_address(apqn, c"the VM has no GISA");
    };
    let Some(vm) = ctx.mdevs().vm_handle(id) else {
        return not_available(apqn);
    };
    let Ok(phys) = vm.device().pin_page(nib) else {
        return invalid_address(apqn, c"the notification byte's page cannot be pinned");
    };
    if vcpu.is_protected() && share_with_ultravisor(phys).is_err() {
        vm.device().unpin_page(nib);
        return invalid_address(apqn, c"the notification byte is not in shared storage");
    }
    let Ok(host_isc) = vcpu.gisc_register(request.isc) else {
        vm.device().unpin_page(nib);
        return invalid_address(apqn, c"the guest ISC cannot be registered");
    };
    let irq = QueueIrq::new(apqn, request.isc, nib);

    // Released once the mdevs lock is dropped: what this enable took if it did not take
    // effect, and what an earlier one took if this one replaced it.
    let mut release = [None, None];
    let status = {
        let mut mdevs = ctx.mdevs();
        if mdevs.guest_queue_of_vm(vcpu.vm(), apqn) != Some(id) {
            // The guest lost the queue meanwhile.
            release[0] = Some(irq);
            status_word(rc::Q_NOT_AVAIL)
        } else {
            let status = aqic(apqn, enable_controls(request.isc, host_isc, gisa), phys);
            match QueueStatus::from_word(status).rc {
                rc::NORMAL => {
                    release[1] = mdevs.take_irq(id, apqn);
                    if let Err(irq) = mdevs.add_irq(id, irq) {
                        pr_warn!(
                            "queue {:02x}.{:04x}: no memory to record guest interruptions; disabling them\n",
                            apqn.apid,
                            apqn.apqi
                        );
                        let _ = disable_in_machine(apqn);
                        release[0] = Some(irq);
                    }
                }
                rc::OTHERWISE_CHANGED => release[0] = Some(irq),
                code => {
                    let [a, q] = apqn.dbf_args();
                    dbf::event(
                        Level::Warn,
                        c"PQAP(AQIC) enable for queue %02lx.%04lx: response code %02lx\n",
                        &[a, q, c_long::from(code)],
                    );
                    let _ = disable_in_machine(apqn);
                    release = [Some(irq), mdevs.take_irq(id, apqn)];
                }
            }
            status
        }
    };
    for irq in release.iter().flatten() {
        vm.release(irq);
    }
    status
}

/// Disables interruptions for a queue of mdev `id`'s guest and releases their resources.
fn disable(ctx: &mut LockCtx, id: MdevId, apqn: Apqn) -> u32 {
    let (status, irq, vm) = {
        let mut mdevs = ctx.mdevs();
        let status = disable_in_machine(apqn);
        (status, mdevs.take_irq(id, apqn), mdevs.vm_handle(id))
    };
    if let (Some(irq), Some(vm)) = (irq, vm) {
        vm.release(&irq);
    }
    status
}

/// AQIC with interruptions off, retried while the queue is busy or resetting, then waits
/// (at most about 100 ms) until the queue says interruptions are off.
pub(crate) fn disable_in_machine(apqn: Apqn) -> u32 {
    let mut status = status_word(rc::BUSY);
    for _ in 0..6 {
        status = aqic(apqn, DISABLE_CONTROLS, 0);
        match QueueStatus::from_word(status).rc {
            rc::NORMAL | rc::OTHERWISE_CHANGED => {
                for wait_ms in [0, 1, 2, 5, 10, 20, 20, 20, 20] {
                    if wait_ms > 0 {
                        fsleep(Delta::from_millis(wait_ms));
                    }
                    if !QueueStatus::from_word(test_queue(apqn)).irq_enabled {
                        return status;
                    }
                }
                pr_warn!(
                    "queue {:02x}.{:04x}: guest interruptions still enabled after disabling them\n",
                    apqn.apid,
                    apqn.apqi
                );
                return status;
            }
            rc::RESET_IN_PROGRESS | rc::BUSY => fsleep(Delta::from_millis(20)),
            _ => return status,
        }
    }
    status
}
