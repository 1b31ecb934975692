// SPDX-License-Identifier: GPL-2.0

//! Resetting an AP queue (ZAPQ), as a state machine over the response codes the AP
//! instructions return, so the driver's loop only issues instructions and waits.
//!
//! ZAPQ clears a queue, including any request or reply a guest left in it. If the queue is
//! busy or already resetting, ZAPQ was not carried out and must be issued again once TAPQ
//! reports the queue idle. Deconfigured (03) and checkstopped (04) queues hold nothing and
//! count as reset; "not available" (01) means the queue is gone.

/// Response codes of the AP instructions that the driver gives or acts on (resets, AQIC).
pub(crate) mod rc {
    /// Done.
    pub(crate) const NORMAL: u8 = 0x00;
    /// The queue is not available (not configured, or not this guest's).
    pub(crate) const Q_NOT_AVAIL: u8 = 0x01;
    /// A reset is in progress.
    pub(crate) const RESET_IN_PROGRESS: u8 = 0x02;
    /// The adapter is deconfigured.
    pub(crate) const DECONFIGURED: u8 = 0x03;
    /// The adapter is checkstopped.
    pub(crate) const CHECKSTOPPED: u8 = 0x04;
    /// The queue is busy.
    pub(crate) const BUSY: u8 = 0x05;
    /// An address (AQIC: the notification byte) is not usable.
    pub(crate) const INVALID_ADDRESS: u8 = 0x06;
    /// AQIC: interruptions were already enabled (or disabled).
    pub(crate) const OTHERWISE_CHANGED: u8 = 0x07;
    /// A state change is in progress.
    pub(crate) const STATE_CHANGE_IN_PROGRESS: u8 = 0x0a;
}

/// The AP queue status word (GR1 bits 32-63 after PQAP): what the driver reads of it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct QueueStatus {
    /// The response code.
    pub(crate) rc: u8,
    /// Whether the queue holds no requests or replies.
    pub(crate) empty: bool,
    /// Whether interrupts are enabled for the queue.
    pub(crate) irq_enabled: bool,
}

impl QueueStatus {
    /// Decodes the status word: bit 0 (the most significant) queue empty, bit 7 IRQ
    /// enabled, bits 8-15 the response code.
    pub(crate) fn from_word(word: u32) -> Self {
        Self {
            rc: (word >> 16) as u8,
            empty: word >> 31 != 0,
            irq_enabled: (word >> 24) & 1 != 0,
        }
    }
}

/// What to do next while resetting a queue.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum ResetStep {
    /// The queue is reset (or holds nothing: deconfigured, checkstopped).
    Done,
    /// The queue no longer exists.
    Gone,
    /// Wait, then test the queue (TAPQ); `rezap`: ZAPQ must be issued again when idle.
    Wait {
        /// ZAPQ was not carried out yet.
        rezap: bool,
    },
    /// Issue ZAPQ again now.
    Rezap,
    /// An answer the architecture does not allow here.
    Failed(u8),
}

/// The next step after ZAPQ answered `rc`.
pub(crate) fn after_zapq(rc: u8) -> ResetStep {
    match rc {
        rc::NORMAL => ResetStep::Wait { rezap: false },
        rc::RESET_IN_PROGRESS | rc::BUSY | rc::STATE_CHANGE_IN_PROGRESS => {
            ResetStep::Wait { rezap: true }
        }
        rc::DECONFIGURED | rc::CHECKSTOPPED => ResetStep::Done,
        rc::Q_NOT_AVAIL => ResetStep::Gone,
        other => ResetStep::Failed(other),
    }
}

/// The next step after TAPQ answered `rc` while waiting (`rezap` as in [`ResetStep::Wait`]).
pub(crate) fn after_tapq(rc: u8, rezap: bool) -> ResetStep {
    match rc {
        rc::NORMAL | rc::DECONFIGURED | rc::CHECKSTOPPED if rezap => ResetStep::Rezap,
        rc::NORMAL | rc::DECONFIGURED | rc::CHECKSTOPPED => ResetStep::Done,
        rc::RESET_IN_PROGRESS | rc::BUSY => ResetStep::Wait { rezap },
        rc::Q_NOT_AVAIL => ResetStep::Gone,
        other => ResetStep::Failed(other),
    }
}

/// How long to sleep before the `n`-th test of a resetting queue, in microseconds: the
/// first test comes at once (resets often finish immediately), then the wait doubles from
/// 1 ms up to 20 ms.
pub(crate) fn backoff_us(n: u32) -> u32 {
    if n == 0 {
        0
    } else {
        (1000u32 << (n - 1).min(5)).min(20_000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_word() {
        let s = QueueStatus::from_word(0x8102_0000);
        assert_eq!(
            s,
            QueueStatus {
                rc: 2,
                empty: true,
                irq_enabled: true
            }
        );
        assert_eq!(QueueStatus::from_word(0x0003_0000).rc, 3);
    }

    #[test]
    fn normal_reset() {
        assert_eq!(after_zapq(0), ResetStep::Wait { rezap: false });
        assert_eq!(after_tapq(2, false), ResetStep::Wait { rezap: false });
        assert_eq!(after_tapq(0, false), ResetStep::Done);
    }

    #[test]
    fn busy_queue_is_zapped_again() {
        assert_eq!(after_zapq(5), ResetStep::Wait { rezap: true });
        assert_eq!(after_tapq(5, true), ResetStep::Wait { rezap: true });
        assert_eq!(after_tapq(0, true), ResetStep::Rezap);
        assert_eq!(after_zapq(0x0a), ResetStep::Wait { rezap: true });
    }

    #[test]
    fn empty_or_gone_queues() {
        assert_eq!(after_zapq(3), ResetStep::Done);
        assert_eq!(after_zapq(4), ResetStep::Done);
        assert_eq!(after_zapq(1), ResetStep::Gone);
        assert_eq!(after_tapq(1, false), ResetStep::Gone);
        assert_eq!(after_zapq(6), ResetStep::Failed(6));
        assert_eq!(after_tapq(0x16, false), ResetStep::Failed(0x16));
    }

    #[test]
    fn backoff() {
        let waits: Vec<u32> = (0..8).map(backoff_us).collect();
        assert_eq!(waits, vec![0, 1000, 2000, 4000, 8000, 16000, 20000, 20000]);
    }
}
