// SPDX-License-Identifier: GPL-2.0

//! What a guest may see of its mdev's matrix: a pure function of the assignment, the host's
//! AP configuration and which queues are usable by the guest.
//!
//! The AP architecture hands a guest whole adapters and whole domains (the cross product of
//! two masks), not single queues. So if one queue of an assigned adapter cannot be given to
//! the guest, the whole adapter is withheld; domains are never withheld for a missing queue.
//! Computing the view from scratch every time means an unassign re-filters too, and nothing
//! stale survives a change.

use super::{
    mask::ApMask,
    matrix::Matrix, //
};

/// Which queues may reach a guest, per adapter: bound to this driver and passable.
pub(crate) type UsableQueues = [ApMask; 256];

/// The guest's view of `assigned` when the host configures `host` and `usable` queues are
/// available.
pub(crate) fn guest_view(assigned: &Matrix, host: &Matrix, usable: &UsableQueues) -> Matrix {
    let aqm = assigned.aqm.and(&host.aqm);
    let apm = assigned
        .apm
        .and(&host.apm)
        .iter()
        .filter(|&apid| {
            usable
                .get(usize::from(apid))
                .is_some_and(|queues| aqm.is_subset_of(queues))
        })
        .collect();
    Matrix {
        apm,
        aqm,
        adm: assigned.adm.and(&host.adm),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mask(ids: &[u8]) -> ApMask {
        ids.iter().copied().collect()
    }

    fn usable(apqns: &[(u8, u8)]) -> UsableQueues {
        let mut u = [ApMask::new(); 256];
        for &(a, d) in apqns {
            u[usize::from(a)].set(d);
        }
        u
    }

    fn host() -> Matrix {
        Matrix {
            apm: mask(&[1, 2, 3]),
            aqm: mask(&[4, 5, 6]),
            adm: mask(&[4, 5, 6, 7]),
        }
    }

    #[test]
    fn all_bound_passes_everything() {
        let assigned = Matrix {
            apm: mask(&[1, 2]),
            aqm: mask(&[4, 5]),
            adm: mask(&[7]),
        };
        let u = usable(&[(1, 4), (1, 5), (2, 4), (2, 5)]);
        assert_eq!(guest_view(&assigned, &host(), &u), assigned);
    }

    #[test]
    fn one_missing_queue_withholds_its_adapter_only() {
        let assigned = Matrix {
            apm: mask(&[1, 2]),
            aqm: mask(&[4, 5]),
            adm: ApMask::new(),
        };
        let u = usable(&[(1, 4), (1, 5), (2, 4)]);
        let view = guest_view(&assigned, &host(), &u);
        assert_eq!(view.apm, mask(&[1]));
        assert_eq!(view.aqm, mask(&[4, 5]));
    }

    #[test]
    fn ids_outside_the_host_configuration_are_masked() {
        let assigned = Matrix {
            apm: mask(&[1, 9]),
            aqm: mask(&[4, 200]),
            adm: mask(&[4, 200]),
        };
        let u = usable(&[(1, 4)]);
        let view = guest_view(&assigned, &host(), &u);
        assert_eq!(view.apm, mask(&[1]));
        assert_eq!(view.aqm, mask(&[4]));
        assert_eq!(view.adm, mask(&[4]));
    }

    #[test]
    fn adapter_without_domains_stays() {
        let assigned = Matrix {
            apm: mask(&[2]),
            aqm: ApMask::new(),
            adm: ApMask::new(),
        };
        let view = guest_view(&assigned, &host(), &usable(&[]));
        assert_eq!(view.apm, mask(&[2]));
        assert!(view.aqm.is_empty());
    }

    #[test]
    fn unassigning_the_missing_domain_brings_the_adapter_back() {
        let u = usable(&[(1, 4)]);
        let before = Matrix {
            apm: mask(&[1]),
            aqm: mask(&[4, 5]),
            adm: ApMask::new(),
        };
        assert!(guest_view(&before, &host(), &u).apm.is_empty());
        let after = Matrix {
            apm: mask(&[1]),
            aqm: mask(&[4]),
            adm: ApMask::new(),
        };
        assert_eq!(guest_view(&after, &host(), &u).apm, mask(&[1]));
    }
}
