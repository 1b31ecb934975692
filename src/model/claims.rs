// SPDX-License-Identifier: GPL-2.0

//! Which queues the mdevs hold, and the edits of an mdev's matrix.
//!
//! [`Claims`] keeps, per adapter, the domains whose queue some mdev holds. As long as no
//! queue is in two mdevs, every bit has exactly one holder, so an edit adds and drops its own
//! bits and a conflict check looks only at the queues the edit adds: its cost does not depend
//! on how many mdevs exist.

use super::{
    mask::ApMask,
    matrix::Matrix, //
};

/// One sysfs edit of an mdev's matrix.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Edit {
    /// `assign_adapter`
    AssignAdapter(u64),
    /// `unassign_adapter`
    UnassignAdapter(u64),
    /// `assign_domain`
    AssignDomain(u64),
    /// `unassign_domain`
    UnassignDomain(u64),
    /// `assign_control_domain`
    AssignControlDomain(u64),
    /// `unassign_control_domain`
    UnassignControlDomain(u64),
    /// `ap_config`: the whole matrix at once.
    Replace(Matrix),
}

/// Which ID of an edit is out of range.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum OutOfRange {
    /// An adapter ID above the highest.
    Adapter,
    /// A usage or control domain ID above the highest.
    Domain,
}

/// `Some(id)` if `value` is at most `max`.
fn in_range(value: u64, max: u8) -> Option<u8> {
    u8::try_from(value).ok().filter(|id| *id <= max)
}

impl Edit {
    /// The matrix after the edit, or which ID is out of range. `ap_config`'s range is
    /// checked separately (after the ownership rules), see [`Edit::check_range`].
    pub(crate) fn apply(
        self,
        current: &Matrix,
        max_apid: u8,
        max_apqi: u8,
    ) -> Result<Matrix, OutOfRange> {
        let mut next = *current;
        let adapter = |v| in_range(v, max_apid).ok_or(OutOfRange::Adapter);
        let domain = |v| in_range(v, max_apqi).ok_or(OutOfRange::Domain);
        match self {
            Edit::AssignAdapter(v) => next.apm.set(adapter(v)?),
            Edit::UnassignAdapter(v) => next.apm.clear(adapter(v)?),
            Edit::AssignDomain(v) => next.aqm.set(domain(v)?),
            Edit::UnassignDomain(v) => next.aqm.clear(domain(v)?),
            Edit::AssignControlDomain(v) => next.adm.set(domain(v)?),
            Edit::UnassignControlDomain(v) => next.adm.clear(domain(v)?),
            Edit::Replace(m) => next = m,
        }
        Ok(next)
    }

    /// For `ap_config`: whether every ID of the new matrix is in range.
    pub(crate) fn check_range(next: &Matrix, max_apid: u8, max_apqi: u8) -> Result<(), OutOfRange> {
        if !next.apm.is_within(max_apid) {
            Err(OutOfRange::Adapter)
        } else if !next.aqm.is_within(max_apqi) || !next.adm.is_within(max_apqi) {
            Err(OutOfRange::Domain)
        } else {
            Ok(())
        }
    }
}

/// The queues `next` has that `current` has not, per adapter of `next`.
pub(crate) fn added_domains(current: &Matrix, next: &Matrix, apid: u8) -> ApMask {
    if current.apm.test(apid) {
        next.aqm.and_not(&current.aqm)
    } else {
        next.aqm
    }
}

/// Every queue `next` adds to `current`, as (adapter, domain), ascending.
pub(crate) fn added_apqns<'a>(
    current: &'a Matrix,
    next: &'a Matrix,
) -> impl Iterator<Item = (u8, u8)> + 'a {
    next.apm.iter().flat_map(move |apid| {
        added_domains(current, next, apid)
            .iter()
            .map(move |apqi| (apid, apqi))
    })
}

/// How many queues `next` adds to `current`.
pub(crate) fn added_count(current: &Matrix, next: &Matrix) -> u32 {
    next.apm
        .iter()
        .map(|apid| added_domains(current, next, apid).count())
        .sum()
}

/// The queues `next` adds to `current` inside `apm` x `aqm`, ascending: one mask operation
/// per adapter, so a large edit costs its size in words, not in queues.
pub(crate) fn added_within<'a>(
    current: &'a Matrix,
    next: &'a Matrix,
    apm: &'a ApMask,
    aqm: &'a ApMask,
) -> impl Iterator<Item = (u8, u8)> + 'a {
    next.apm.and(apm).iter().flat_map(move |apid| {
        added_domains(current, next, apid)
            .and(aqm)
            .iter()
            .map(move |apqi| (apid, apqi))
    })
}

/// The queues held by mdevs, per adapter.
#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) struct Claims([ApMask; 256]);

impl Default for Claims {
    fn default() -> Self {
        Self::new()
    }
}

impl Claims {
    /// Nothing held.
    pub(crate) const fn new() -> Self {
        Self([ApMask::new(); 256])
    }

    /// The domains held on adapter `apid`.
    pub(crate) fn domains(&self, apid: u8) -> ApMask {
        self.0.get(usize::from(apid)).copied().unwrap_or_default()
    }

    /// Whether queue (`apid`, `apqi`) is held.
    pub(crate) fn is_held(&self, apid: u8, apqi: u8) -> bool {
        self.domains(apid).test(apqi)
    }

    /// Queues that changing one mdev from `current` to `next` would take from other mdevs.
    pub(crate) fn conflicts<'a>(
        &'a self,
        current: &'a Matrix,
        next: &'a Matrix,
    ) -> impl Iterator<Item = (u8, u8)> + 'a {
        // `current`'s own queues are not "added", so any held added queue is someone else's.
        next.apm.iter().flat_map(move |apid| {
            added_domains(current, next, apid)
                .and(&self.domains(apid))
                .iter()
                .map(move |apqi| (apid, apqi))
        })
    }

    /// Queues of `apm` x `aqm` that are held.
    pub(crate) fn held_in<'a>(
        &'a self,
        apm: &'a ApMask,
        aqm: &'a ApMask,
    ) -> impl Iterator<Item = (u8, u8)> + 'a {
        apm.iter().flat_map(move |apid| {
            self.domains(apid)
                .and(aqm)
                .iter()
                .map(move |apqi| (apid, apqi))
        })
    }

    /// One mdev's matrix changes from `current` to `next` (which must not conflict).
    pub(crate) fn update(&mut self, current: &Matrix, next: &Matrix) {
        for apid in &current.apm {
            if let Some(c) = self.0.get_mut(usize::from(apid)) {
                *c = c.and_not(&current.aqm);
            }
        }
        for apid in &next.apm {
            if let Some(c) = self.0.get_mut(usize::from(apid)) {
                *c = c.or(&next.aqm);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mask(ids: &[u8]) -> ApMask {
        ids.iter().copied().collect()
    }

    fn m(apm: &[u8], aqm: &[u8]) -> Matrix {
        Matrix {
            apm: mask(apm),
            aqm: mask(aqm),
            adm: ApMask::new(),
        }
    }

    #[test]
    fn edits_and_ranges() {
        let cur = m(&[5], &[4]);
        assert_eq!(
            Edit::AssignAdapter(6).apply(&cur, 63, 15),
            Ok(m(&[5, 6], &[4]))
        );
        assert_eq!(
            Edit::UnassignDomain(4).apply(&cur, 63, 15),
            Ok(m(&[5], &[]))
        );
        assert_eq!(
            Edit::AssignAdapter(64).apply(&cur, 63, 15),
            Err(OutOfRange::Adapter)
        );
        assert_eq!(
            Edit::UnassignAdapter(256).apply(&cur, 255, 255),
            Err(OutOfRange::Adapter)
        );
        assert_eq!(
            Edit::AssignDomain(16).apply(&cur, 63, 15),
            Err(OutOfRange::Domain)
        );
        assert_eq!(
            Edit::AssignControlDomain(16).apply(&cur, 63, 15),
            Err(OutOfRange::Domain)
        );
        assert_eq!(
            Edit::AssignAdapter(255)
                .apply(&cur, 255, 255)
                .map(|n| n.apm.test(255)),
            Ok(true)
        );
        assert_eq!(
            Edit::check_range(&m(&[64], &[]), 63, 15),
            Err(OutOfRange::Adapter)
        );
        assert_eq!(Edit::check_range(&m(&[63], &[15]), 63, 15), Ok(()));
    }

    #[test]
    fn added_queues() {
        let cur = m(&[1], &[2]);
        let next = m(&[1, 3], &[2, 4]);
        let added: Vec<_> = added_apqns(&cur, &next).collect();
        assert_eq!(added, vec![(1, 4), (3, 2), (3, 4)]);
        assert_eq!(added_apqns(&next, &cur).count(), 0);
        assert_eq!(added_count(&cur, &next), 3);
        assert_eq!(added_count(&next, &cur), 0);
    }

    #[test]
    fn added_within_is_the_filtered_added_set() {
        // Every pair of small random matrices: the mask-wise answer equals filtering the
        // queue-by-queue one.
        let mut rnd = crate::xorshift(0x1234_5678_u64);
        for _ in 0..500 {
            let mut pick = || -> Vec<u8> { (0..rnd(6)).map(|_| rnd(256) as u8).collect() };
            let (cur, next) = (m(&pick(), &pick()), m(&pick(), &pick()));
            let (apm, aqm) = (mask(&pick()), mask(&pick()));
            let want: Vec<_> = added_apqns(&cur, &next)
                .filter(|&(a, d)| apm.test(a) && aqm.test(d))
                .collect();
            assert_eq!(
                added_within(&cur, &next, &apm, &aqm).collect::<Vec<_>>(),
                want
            );
        }
        let full = ApMask::from_words([u64::MAX; 4]);
        let all = Matrix {
            apm: full,
            aqm: full,
            ..Matrix::default()
        };
        assert_eq!(
            added_within(&Matrix::default(), &all, &full, &full).count(),
            65536
        );
    }

    #[test]
    fn conflicts_only_with_others() {
        let mut claims = Claims::new();
        let a = m(&[5], &[4, 8]);
        claims.update(&Matrix::default(), &a);
        // Re-assigning its own queues is no conflict.
        assert_eq!(claims.conflicts(&a, &m(&[5], &[4, 8, 9])).count(), 0);
        // Another mdev taking adapter 5 with domain 4 conflicts on exactly 05.0004.
        let b = m(&[6], &[4]);
        claims.update(&Matrix::default(), &b);
        let c: Vec<_> = claims.conflicts(&b, &m(&[5, 6], &[4])).collect();
        assert_eq!(c, vec![(5, 4)]);
        // Domain 5 on adapter 5 is free.
        assert_eq!(claims.conflicts(&b, &m(&[5, 6], &[5])).count(), 0);
    }

    #[test]
    fn release_and_reclaim() {
        let mut claims = Claims::new();
        let a = m(&[1, 2], &[3]);
        claims.update(&Matrix::default(), &a);
        assert!(claims.is_held(2, 3));
        let smaller = m(&[1], &[3]);
        claims.update(&a, &smaller);
        assert!(!claims.is_held(2, 3));
        assert!(claims.is_held(1, 3));
        claims.update(&smaller, &Matrix::default());
        assert_eq!(claims, Claims::new());
    }

    #[test]
    fn held_in_reports_every_held_queue() {
        let mut claims = Claims::new();
        claims.update(&Matrix::default(), &m(&[5], &[4, 0xab]));
        claims.update(&Matrix::default(), &m(&[6], &[4]));
        let all = mask(&(0..=255).collect::<Vec<u8>>());
        let held: Vec<_> = claims.held_in(&all, &mask(&[4])).collect();
        assert_eq!(held, vec![(5, 4), (6, 4)]);
        assert_eq!(claims.held_in(&mask(&[7]), &all).count(), 0);
    }

    /// Random edits on several mdevs, checked against a brute-force model: a change is
    /// refused exactly when it would share a queue, and the claims always equal the union.
    #[test]
    fn random_edits_never_share() {
        let mut rnd = crate::xorshift(0x2545_f491_4f6c_dd1d_u64);
        let mut mdevs = [Matrix::default(); 6];
        let mut claims = Claims::new();
        for _ in 0..20_000 {
            let i = rnd(6) as usize;
            let id = rnd(12);
            let edit = match rnd(4) {
                0 => Edit::AssignAdapter(id),
                1 => Edit::UnassignAdapter(id),
                2 => Edit::AssignDomain(id),
                _ => Edit::UnassignDomain(id),
            };
            let cur = mdevs[i];
            let next = edit.apply(&cur, 255, 255).unwrap();
            let shares = mdevs
                .iter()
                .enumerate()
                .any(|(j, o)| j != i && next.apqns().any(|(a, d)| o.apm.test(a) && o.aqm.test(d)));
            let refused = claims.conflicts(&cur, &next).next().is_some();
            assert_eq!(refused, shares, "edit {edit:?} on mdev {i}");
            if !refused {
                claims.update(&cur, &next);
                mdevs[i] = next;
            }
            let mut union = Claims::new();
            for o in &mdevs {
                union.update(&Matrix::default(), o);
            }
            assert_eq!(claims, union);
        }
    }
}
