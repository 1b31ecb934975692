// SPDX-License-Identifier: GPL-2.0

//! The VFIO device of an mdev, as QEMU uses it: opening it attaches the mdev to the guest
//! that QEMU associated with the device, and its ioctls report the device, reset its queues
//! and register the eventfds the driver signals.

use kernel::{
    prelude::*,
    uaccess::{
        UserPtr,
        UserSlice, //
    },
};

use crate::{
    ap_bus::{
        reset_queues,
        Apqn,
        ResetOutcome,
        RESET_BATCH, //
    },
    aqic,
    eventfd::EventFd,
    kvm::KvmRef,
    locks::LockCtx,
    matrix_mdev::MatrixMdev,
    model::vfio_abi::{
        self,
        IrqFd, //
    },
    state::{
        self,
        release_reset_irqs,
        QueueIrq,
        IRQ_BATCH, //
    },
    vfio::{
        OpenDevice,
        VfioDriver, //
    },
};

impl VfioDriver for MatrixMdev {
    fn open(&self, device: OpenDevice, kvm: Option<KvmRef>) -> Result {
        let Some(kvm) = kvm else {
            dev_warn!(
                self.dev,
                "open refused: no KVM guest is associated with the device (add its VFIO file to the VM's KVM-VFIO device first)\n"
            );
            return Err(EINVAL);
        };
        if !kvm.has_crycb() {
            // The C driver opens anyway and the guest gets nothing; say so instead.
            dev_warn!(
                self.dev,
                "open refused: the VM has no crypto control block, so no AP queue can reach it\n"
            );
            return Err(EINVAL);
        }
        state::attach(&mut LockCtx::enter(), self.id, device, kvm)
    }

    fn close(&self) {
        state::detach(&mut LockCtx::enter(), self.id);
    }

    fn request(&self, count: u32) {
        state::withdraw(&mut LockCtx::enter(), self.id, count);
    }

    fn dma_unmap(&self, iova: u64, length: u64) {
        // Guest interruptions whose notification byte was there are disabled first: the
        // machine must not write to a page that is no longer the guest's. VFIO holds its
        // device list lock here and unpinning takes its IOMMU lock: the mdevs lock is
        // dropped before unpinning (see `GuestVm::handle`).
        let mut ctx = LockCtx::enter();
        loop {
            let mut batch = [QueueIrq::new(Apqn::FILLER, 0, 0); IRQ_BATCH];
            let taken = {
                let mut mdevs = ctx.mdevs();
                let taken = mdevs.take_irqs_in_range(self.id, iova, length, &mut batch);
                if let Some((_, n)) = &taken {
                    for irq in batch.iter().take(*n) {
                        let _ = aqic::disable_in_machine(irq.apqn);
                    }
                }
                taken
            };
            let Some((vm, n)) = taken else {
                return;
            };
            for irq in batch.iter().take(n) {
                vm.release(irq);
            }
        }
    }

    fn ioctl(&self, cmd: u32, arg: usize) -> Result<i64> {
        match cmd {
            vfio_abi::DEVICE_GET_INFO => get_info(arg),
            vfio_abi::DEVICE_GET_IRQ_INFO => get_irq_info(arg),
            vfio_abi::DEVICE_SET_IRQS => self.set_irqs(arg),
            vfio_abi::DEVICE_RESET => self.reset(),
            // What the C driver answers: QEMU takes it as "not supported".
            _ => Err(EOPNOTSUPP),
        }
    }
}

/// Reads `N` words of an ioctl argument and writes the answer back over them.
fn exchange<const N: usize>(
    arg: usize,
    answer: impl FnOnce([u32; N]) -> Option<[u32; N]>,
) -> Result<i64> {
    let (mut reader, mut writer) =
        UserSlice::new(UserPtr::from_addr(arg), N * core::mem::size_of::<u32>()).reader_writer();
    let request: [u32; N] = reader.read()?;
    let reply = answer(request).ok_or(EINVAL)?;
    writer.write(&reply)?;
    Ok(0)
}

fn get_info(arg: usize) -> Result<i64> {
    exchange::<4>(arg, |[argsz, ..]| vfio_abi::device_info(argsz))
}

fn get_irq_info(arg: usize) -> Result<i64> {
    exchange::<4>(arg, vfio_abi::irq_info)
}

impl MatrixMdev {
    /// `VFIO_DEVICE_SET_IRQS`: registers (fd >= 0) or releases (fd -1) the eventfd of the
    /// request or the configuration-change interrupt.
    fn set_irqs(&self, arg: usize) -> Result<i64> {
        let header_len = vfio_abi::IRQ_SET_MINSZ as usize;
        let mut reader = UserSlice::new(
            UserPtr::from_addr(arg),
            header_len + core::mem::size_of::<i32>(),
        )
        .reader();
        let header: [u32; 5] = reader.read()?;
        let irq = vfio_abi::check_irq_set(header).ok_or(EINVAL)?;
        let fd: i32 = reader.read()?;
        let eventfd = match vfio_abi::irq_fd(fd).ok_or(EINVAL)? {
            IrqFd::Release => None,
            IrqFd::Set(fd) => Some(EventFd::from_fd(fd)?),
        };
        // The eventfd replaced, if any, is released when the mdevs lock is dropped.
        LockCtx::enter().mdevs().set_trigger(self.id, irq, eventfd);
        Ok(0)
    }

    /// `VFIO_DEVICE_RESET`: resets every queue of the mdev bound to this driver, waiting
    /// outside the driver's locks. EIO if one did not reset; deconfigured and checkstopped
    /// queues hold nothing and count as reset (the C driver answers EIO for them).
    fn reset(&self) -> Result<i64> {
        let mut ctx = LockCtx::enter();
        let mut after = None;
        let mut failed = 0usize;
        loop {
            let mut batch = [Apqn::FILLER; RESET_BATCH];
            let n = ctx.mdevs().bound_queues_of(self.id, after, &mut batch);
            let Some(batch) = batch.get(..n).filter(|b| !b.is_empty()) else {
                break;
            };
            let mut outcomes = [ResetOutcome::Done; RESET_BATCH];
            reset_queues(batch, &mut outcomes);
            {
                let mut mdevs = ctx.mdevs();
                for apqn in batch {
                    mdevs.queue_was_reset(*apqn);
                }
            }
            release_reset_irqs(&mut ctx);
            for (apqn, outcome) in batch.iter().zip(outcomes.iter()) {
                let why = match outcome {
                    ResetOutcome::Done | ResetOutcome::Gone => continue,
                    ResetOutcome::TimedOut => "still resetting after a second",
                    ResetOutcome::Failed(_) => "refused by the AP instruction",
                };
                failed += 1;
                dev_warn!(
                    self.dev,
                    "VFIO_DEVICE_RESET: queue {:02x}.{:04x} did not reset: {why}\n",
                    apqn.apid,
                    apqn.apqi
                );
            }
            after = batch.last().copied();
        }
        if failed > 0 {
            return Err(EIO);
        }
        Ok(0)
    }
}
