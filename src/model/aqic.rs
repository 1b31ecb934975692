// SPDX-License-Identifier: GPL-2.0

//! PQAP(AQIC), "AP queue interruption control", as a guest issues it and as the driver
//! issues it for the guest: decoding the guest's registers and building the interruption
//! controls for the real queue.
//!
//! A guest enables interruptions for a queue with its guest ISC and the guest address of a
//! notification indicator byte (NIB). The host cannot hand the guest address to the machine:
//! the driver pins the NIB's page, registers the guest ISC with the VM's GISA (which yields
//! the host ISC that interrupts arrive on) and issues AQIC with the host address.

pub(crate) use super::reset::rc;

/// The status word a PQAP leaves in the low half of GR1 for response code `rc`, with no
/// other status bits.
pub(crate) const fn status_word(rc: u8) -> u32 {
    (rc as u32) << 16
}

/// A guest's PQAP(AQIC) request, from its GR0, GR1 and GR2.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct AqicRequest {
    /// The queue: adapter in bits 48-55 of GR0, domain in bits 56-63.
    pub(crate) apid: u8,
    /// The queue's domain.
    pub(crate) apqi: u8,
    /// GR1 bit 16 (IR): enable (true) or disable interruptions.
    pub(crate) enable: bool,
    /// GR1 bits 61-63: the guest's interruption subclass.
    pub(crate) isc: u8,
    /// GR2: the guest address of the notification indicator byte.
    pub(crate) nib: u64,
}

impl AqicRequest {
    /// Decodes the registers of an intercepted PQAP(AQIC).
    pub(crate) fn from_registers(gr0: u64, gr1: u64, gr2: u64) -> Self {
        Self {
            apid: (gr0 >> 8) as u8,
            apqi: gr0 as u8,
            enable: (gr1 >> 47) & 1 != 0,
            isc: (gr1 & 7) as u8,
            nib: gr2,
        }
    }
}

/// The interruption controls (GR1) of an AQIC that enables interruptions on the host ISC
/// `host_isc` for a guest whose GISA is at host physical address `gisa_phys`, and whose
/// guest ISC is `guest_isc`.
///
/// Layout (bit 0 the most significant): 16 IR, 21-23 guest ISC, 30-31 GISA format (0),
/// 33-59 GISA origin bits 1-27 (the origin is 16-byte aligned and below 2 GiB),
/// 61-63 ISC.
pub(crate) fn enable_controls(guest_isc: u8, host_isc: u8, gisa_phys: u64) -> u64 {
    let ir = 1u64 << 47;
    let gisc = u64::from(guest_isc & 7) << 40;
    let gisa = ((gisa_phys >> 4) & 0x07ff_ffff) << 4;
    ir | gisc | gisa | u64::from(host_isc & 7)
}

/// The controls of an AQIC that disables interruptions: all zero.
pub(crate) const DISABLE_CONTROLS: u64 = 0;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_a_guest_request() {
        let r = AqicRequest::from_registers(0x0300_0206, (1 << 47) | 3, 0x1000);
        assert_eq!(
            r,
            AqicRequest {
                apid: 2,
                apqi: 6,
                enable: true,
                isc: 3,
                nib: 0x1000
            }
        );
        let r = AqicRequest::from_registers(0x0300_ff0a, 0x7, 0);
        assert_eq!((r.apid, r.apqi, r.enable, r.isc), (0xff, 0x0a, false, 7));
    }

    #[test]
    fn builds_the_controls_msb0() {
        // IR = bit 16, guest ISC 3 in bits 21-23, GISA 0x12345670 >> 4 in bits 33-59,
        // host ISC 6 in bits 61-63.
        let c = enable_controls(3, 6, 0x1234_5670);
        assert_eq!(c >> 47 & 1, 1);
        assert_eq!(c >> 40 & 7, 3);
        assert_eq!(c >> 32 & 3, 0, "GISA format 0");
        assert_eq!(c & 0xffff_fff0, 0x1234_5670);
        assert_eq!(c & 7, 6);
        assert_eq!(c, 0x0000_8300_1234_5676);
    }

    #[test]
    fn status_words() {
        assert_eq!(status_word(rc::Q_NOT_AVAIL), 0x0001_0000);
        assert_eq!(status_word(rc::INVALID_ADDRESS), 0x0006_0000);
    }
}
