// SPDX-License-Identifier: GPL-2.0

//! The VFIO device ioctls of a vfio-ap device, as pure decoding and validation, so the
//! driver only copies bytes from and to userspace.
//!
//! A vfio-ap device has no regions and two interrupts, each an eventfd that the driver
//! signals: index 0 asks userspace to release the device (it is being removed), index 1
//! says the guest's AP configuration changed.

/// `_IO(VFIO_TYPE, VFIO_BASE + nr)`: no size or direction bits.
const fn vfio_io(nr: u32) -> u32 {
    ((b';' as u32) << 8) | (100 + nr)
}

/// `VFIO_DEVICE_GET_INFO`.
pub(crate) const DEVICE_GET_INFO: u32 = vfio_io(7);
/// `VFIO_DEVICE_GET_IRQ_INFO`.
pub(crate) const DEVICE_GET_IRQ_INFO: u32 = vfio_io(9);
/// `VFIO_DEVICE_SET_IRQS`.
pub(crate) const DEVICE_SET_IRQS: u32 = vfio_io(10);
/// `VFIO_DEVICE_RESET`.
pub(crate) const DEVICE_RESET: u32 = vfio_io(11);

/// `VFIO_DEVICE_FLAGS_RESET | VFIO_DEVICE_FLAGS_AP`.
pub(crate) const DEVICE_FLAGS: u32 = (1 << 0) | (1 << 5);
/// Interrupts of a vfio-ap device (`VFIO_AP_NUM_IRQS`).
pub(crate) const NUM_IRQS: u32 = 2;
/// `VFIO_IRQ_INFO_EVENTFD`.
pub(crate) const IRQ_INFO_EVENTFD: u32 = 1;

const IRQ_SET_DATA_NONE: u32 = 1 << 0;
const IRQ_SET_DATA_BOOL: u32 = 1 << 1;
const IRQ_SET_DATA_EVENTFD: u32 = 1 << 2;
const IRQ_SET_DATA_TYPE_MASK: u32 = IRQ_SET_DATA_NONE | IRQ_SET_DATA_BOOL | IRQ_SET_DATA_EVENTFD;
const IRQ_SET_ACTION_TRIGGER: u32 = 1 << 5;
const IRQ_SET_ACTION_TYPE_MASK: u32 = (1 << 3) | (1 << 4) | IRQ_SET_ACTION_TRIGGER;

/// Bytes of `struct vfio_device_info` up to `num_irqs`, the part this driver reads and fills.
pub(crate) const DEVICE_INFO_MINSZ: u32 = 16;
/// Bytes of `struct vfio_irq_info` (argsz, flags, index, count).
pub(crate) const IRQ_INFO_MINSZ: u32 = 16;
/// Bytes of the `struct vfio_irq_set` header before its data.
pub(crate) const IRQ_SET_MINSZ: u32 = 20;

/// The interrupt an index names.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Irq {
    /// Index 0: the device is to be released.
    Request,
    /// Index 1: the guest's AP configuration changed.
    ConfigChange,
}

impl Irq {
    /// The interrupt of `index`, if there is one.
    pub(crate) fn from_index(index: u32) -> Option<Self> {
        match index {
            0 => Some(Self::Request),
            1 => Some(Self::ConfigChange),
            _ => None,
        }
    }
}

/// The answer to `VFIO_DEVICE_GET_INFO` for a request whose `argsz` is `argsz`: the four
/// words argsz, flags, num_regions, num_irqs; `None` (EINVAL) if `argsz` is too small.
pub(crate) fn device_info(argsz: u32) -> Option<[u32; 4]> {
    (argsz >= DEVICE_INFO_MINSZ).then_some([argsz, DEVICE_FLAGS, 0, NUM_IRQS])
}

/// The answer to `VFIO_DEVICE_GET_IRQ_INFO` for the request words argsz, flags, index,
/// count: each interrupt is one eventfd; `None` (EINVAL) for a short `argsz` or a bad index.
pub(crate) fn irq_info(request: [u32; 4]) -> Option<[u32; 4]> {
    let [argsz, _, index, _] = request;
    if argsz < IRQ_INFO_MINSZ {
        return None;
    }
    Irq::from_index(index)?;
    Some([argsz, IRQ_INFO_EVENTFD, index, 1])
}

/// Checks a `VFIO_DEVICE_SET_IRQS` header (argsz, flags, index, start, count) with the VFIO
/// core's rules for one interrupt per index, and this device's: an eventfd trigger for
/// exactly one interrupt, whose `s32` file descriptor follows the header. `None` is EINVAL.
///
/// The C driver also takes `count == 0` and then reads a descriptor the caller did not
/// pass; here that is refused.
pub(crate) fn check_irq_set(header: [u32; 5]) -> Option<Irq> {
    let [argsz, flags, index, start, count] = header;
    if argsz < IRQ_SET_MINSZ
        || index >= NUM_IRQS
        || count >= u32::MAX - start
        || flags & !(IRQ_SET_DATA_TYPE_MASK | IRQ_SET_ACTION_TYPE_MASK) != 0
        || start >= 1
        || start + count > 1
    {
        return None;
    }
    let data_size = match flags & IRQ_SET_DATA_TYPE_MASK {
        IRQ_SET_DATA_NONE => 0,
        IRQ_SET_DATA_BOOL => 1,
        IRQ_SET_DATA_EVENTFD => 4,
        _ => return None,
    };
    if argsz - IRQ_SET_MINSZ < count * data_size {
        return None;
    }
    if flags & IRQ_SET_ACTION_TRIGGER == 0 || data_size != 4 || count != 1 {
        return None;
    }
    Irq::from_index(index)
}

/// What a descriptor passed with `SET_IRQS` asks for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum IrqFd {
    /// -1: release the eventfd set before.
    Release,
    /// An eventfd to signal from now on.
    Set(i32),
}

/// Decodes the descriptor of a `SET_IRQS`; `None` (EINVAL) below -1.
pub(crate) fn irq_fd(fd: i32) -> Option<IrqFd> {
    match fd {
        -1 => Some(IrqFd::Release),
        fd if fd >= 0 => Some(IrqFd::Set(fd)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVENTFD_TRIGGER: u32 = IRQ_SET_DATA_EVENTFD | IRQ_SET_ACTION_TRIGGER;

    #[test]
    fn ioctl_numbers_match_the_uapi() {
        assert_eq!(DEVICE_GET_INFO, 0x3b6b);
        assert_eq!(DEVICE_GET_IRQ_INFO, 0x3b6d);
        assert_eq!(DEVICE_SET_IRQS, 0x3b6e);
        assert_eq!(DEVICE_RESET, 0x3b6f);
    }

    #[test]
    fn device_info_is_ap_with_reset_and_two_irqs() {
        assert_eq!(device_info(16), Some([16, 0x21, 0, 2]));
        assert_eq!(device_info(24), Some([24, 0x21, 0, 2]));
        assert_eq!(device_info(15), None);
    }

    #[test]
    fn irq_info_per_index() {
        assert_eq!(irq_info([16, 0, 0, 0]), Some([16, 1, 0, 1]));
        assert_eq!(irq_info([16, 7, 1, 9]), Some([16, 1, 1, 1]));
        assert_eq!(irq_info([16, 0, 2, 0]), None);
        assert_eq!(irq_info([12, 0, 0, 0]), None);
    }

    #[test]
    fn eventfd_trigger_for_one_irq_is_accepted() {
        assert_eq!(
            check_irq_set([24, EVENTFD_TRIGGER, 0, 0, 1]),
            Some(Irq::Request)
        );
        assert_eq!(
            check_irq_set([24, EVENTFD_TRIGGER, 1, 0, 1]),
            Some(Irq::ConfigChange)
        );
    }

    #[test]
    fn set_irqs_refusals() {
        // Header too short, descriptor missing, bad index, start or count.
        assert_eq!(check_irq_set([16, EVENTFD_TRIGGER, 0, 0, 1]), None);
        assert_eq!(check_irq_set([20, EVENTFD_TRIGGER, 0, 0, 1]), None);
        assert_eq!(check_irq_set([24, EVENTFD_TRIGGER, 2, 0, 1]), None);
        assert_eq!(check_irq_set([24, EVENTFD_TRIGGER, 0, 1, 1]), None);
        assert_eq!(check_irq_set([28, EVENTFD_TRIGGER, 0, 0, 2]), None);
        assert_eq!(check_irq_set([24, EVENTFD_TRIGGER, 0, u32::MAX, 1]), None);
        // No descriptor at all (count 0), unknown flag bits, two data types.
        assert_eq!(check_irq_set([24, EVENTFD_TRIGGER, 0, 0, 0]), None);
        assert_eq!(
            check_irq_set([24, EVENTFD_TRIGGER | (1 << 6), 0, 0, 1]),
            None
        );
        assert_eq!(
            check_irq_set([24, EVENTFD_TRIGGER | IRQ_SET_DATA_BOOL, 0, 0, 1]),
            None
        );
        // Not a trigger, or not an eventfd.
        assert_eq!(
            check_irq_set([24, IRQ_SET_DATA_EVENTFD | (1 << 3), 0, 0, 1]),
            None
        );
        assert_eq!(
            check_irq_set([21, IRQ_SET_DATA_BOOL | IRQ_SET_ACTION_TRIGGER, 0, 0, 1]),
            None
        );
        assert_eq!(
            check_irq_set([20, IRQ_SET_DATA_NONE | IRQ_SET_ACTION_TRIGGER, 0, 0, 0]),
            None
        );
    }

    #[test]
    fn descriptors() {
        assert_eq!(irq_fd(-1), Some(IrqFd::Release));
        assert_eq!(irq_fd(0), Some(IrqFd::Set(0)));
        assert_eq!(irq_fd(42), Some(IrqFd::Set(42)));
        assert_eq!(irq_fd(-2), None);
    }
}
