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
    let configured = assigned.apm.and(&host.apm);
    // Most adapters pass: start from all of them and drop the withheld ones.
    let mut apm = configured;
    for apid in configured.iter() {
        let all_usable = usable
            .get(usize::from(apid))
            .is_some_and(|queues| aqm.is_subset_of(queues));
        if !all_usable {
            apm.clear(apid);
        }
    }
    Matrix {
        apm,
        aqm,
        adm: assigned.adm.and(&host.adm),
    }
}

/// Whether the host configuration went from `old` to `new` only by losing adapters or
/// control domains, the usage domains staying: then [`remove_from_view`] applies.
pub(crate) fn only_removes_adapters_or_control_domains(old: &Matrix, new: &Matrix) -> bool {
    new.aqm == old.aqm && new.apm.is_subset_of(&old.apm) && new.adm.is_subset_of(&old.adm)
}

/// Turns `view` into the view after a host change that
/// [`only_removes_adapters_or_control_domains`]: `guest_view(assigned, new, usable)` when
/// `view` was `guest_view(assigned, old, usable)` and `usable` did not change.
///
/// The usage domains stay, and whether an adapter passes depends only on them and on its
/// own usable queues, so every adapter that stays in the host passes or not as before; the
/// removed ones drop out, and so do removed control domains. The adapter that is most often
/// deconfigured is a failing card, and then this is the whole cost per mdev.
pub(crate) fn remove_from_view(view: &mut Matrix, new: &Matrix) {
    view.apm.and_assign(&new.apm);
    view.adm.and_assign(&new.adm);
}

/// The ids whose place in the host configuration differs between `old` and `new`.
pub(crate) fn host_changes(old: &Matrix, new: &Matrix) -> Matrix {
    let changed = |a: &ApMask, b: &ApMask| a.and_not(b).or(&b.and_not(a));
    Matrix {
        apm: changed(&old.apm, &new.apm),
        aqm: changed(&old.aqm, &new.aqm),
        adm: changed(&old.adm, &new.adm),
    }
}

/// Whether host configuration changes `changes` ([`host_changes`]) may change the view of
/// `assigned`: [`guest_view`] reads the host only through its intersections with
/// `assigned`, so a change of ids the mdev did not assign leaves its view as it was.
pub(crate) fn host_changes_concern(changes: &Matrix, assigned: &Matrix) -> bool {
    assigned.apm.intersects(&changes.apm)
        || assigned.aqm.intersects(&changes.aqm)
        || assigned.adm.intersects(&changes.adm)
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

    fn adapters_1_2_domain_4_cdom_7() -> Matrix {
        Matrix {
            apm: mask(&[1, 2]),
            aqm: mask(&[4]),
            adm: mask(&[7]),
        }
    }

    #[test]
    fn host_change_of_unassigned_ids_concerns_no_one() {
        let assigned = adapters_1_2_domain_4_cdom_7();
        let mut new = host();
        new.apm.clear(3);
        new.aqm.set(9);
        new.adm.clear(4);
        assert!(!host_changes_concern(
            &host_changes(&host(), &new),
            &assigned
        ));
        let u = usable(&[(1, 4), (2, 4), (3, 4)]);
        assert_eq!(
            guest_view(&assigned, &host(), &u),
            guest_view(&assigned, &new, &u)
        );
    }

    #[test]
    fn host_change_of_an_assigned_id_concerns_the_mdev() {
        let assigned = adapters_1_2_domain_4_cdom_7();
        for change in 0..4 {
            let mut new = host();
            match change {
                0 => new.apm.clear(2),
                1 => new.aqm.clear(4),
                2 => new.adm.clear(7),
                _ => new.apm.set(9),
            }
            let concerned = host_changes_concern(&host_changes(&host(), &new), &assigned);
            assert_eq!(concerned, change != 3, "change {change}");
            // Adding back is a change too.
            assert_eq!(
                host_changes_concern(&host_changes(&new, &host()), &assigned),
                change != 3,
                "change {change} reversed"
            );
        }
    }

    #[test]
    fn removal_shortcut_equals_the_view_from_scratch() {
        let mut rnd = crate::xorshift(0x9e37_79b9_7f4a_7c15_u64);
        for _ in 0..2000 {
            // Small id ranges, so that assignments, host and usable queues overlap.
            let mut pick = |n: u64| -> ApMask { (0..rnd(n)).map(|_| rnd(8) as u8).collect() };
            let assigned = Matrix {
                apm: pick(6),
                aqm: pick(6),
                adm: pick(4),
            };
            let old = Matrix {
                apm: pick(8),
                aqm: pick(8),
                adm: pick(8),
            };
            let mut u = [ApMask::new(); 256];
            for q in u.iter_mut().take(8) {
                *q = pick(12);
            }
            let mut new = old;
            new.apm = old.apm.and_not(&pick(3));
            new.adm = old.adm.and_not(&pick(3));
            assert!(only_removes_adapters_or_control_domains(&old, &new));
            let mut view = guest_view(&assigned, &old, &u);
            remove_from_view(&mut view, &new);
            assert_eq!(
                view,
                guest_view(&assigned, &new, &u),
                "assigned {assigned:?} old {old:?} new {new:?}"
            );
        }
    }

    #[test]
    fn removal_shortcut_does_not_apply_to_other_changes() {
        let old = host();
        let mut lost_domain = old;
        lost_domain.aqm.clear(4);
        let mut added_adapter = old;
        added_adapter.apm.set(9);
        let mut added_cdom = old;
        added_cdom.adm.set(9);
        for new in [lost_domain, added_adapter, added_cdom] {
            assert!(!only_removes_adapters_or_control_domains(&old, &new));
        }
        assert!(only_removes_adapters_or_control_domains(&old, &old));
    }
}
