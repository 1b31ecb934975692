// SPDX-License-Identifier: GPL-2.0

//! [`Matrix`]: the AP resources of one mediated device or guest.
//!
//! A guest may use the AP queue (APQN) of every adapter in `apm` paired with every usage domain
//! in `aqm`, and may administer the control domains in `adm`.

use core::iter::FusedIterator;

use super::mask::{
    ApMask,
    Ids, //
};

/// Adapter, usage domain and control domain masks, as in the CRYCB's APCB.
#[derive(Copy, Clone, PartialEq, Eq, Default, Debug)]
pub(crate) struct Matrix {
    /// Adapter ids (APIDs).
    pub(crate) apm: ApMask,
    /// Usage domain ids (APQIs).
    pub(crate) aqm: ApMask,
    /// Control domain ids.
    pub(crate) adm: ApMask,
}

/// The three masks of a matrix as the `ap_config` attribute reads and writes them.
pub(crate) type ApConfig = Matrix;

impl Matrix {
    /// No adapters, domains or control domains.
    pub(crate) const EMPTY: Self = Self {
        apm: ApMask::new(),
        aqm: ApMask::new(),
        adm: ApMask::new(),
    };

    /// Makes `self` a copy of `other`, mask by mask word by word (see [`ApMask`] on why).
    pub(crate) fn copy_from(&mut self, other: &Self) {
        self.apm.copy_from(&other.apm);
        self.aqm.copy_from(&other.aqm);
        self.adm.copy_from(&other.adm);
    }

    /// Whether the matrix grants nothing at all.
    pub(crate) fn is_empty(&self) -> bool {
        self.apm.is_empty() && self.aqm.is_empty() && self.adm.is_empty()
    }

    /// The queues of the matrix: every adapter in `apm` with every domain in `aqm`.
    pub(crate) fn apqns(&self) -> Apqns {
        Apqns::new(&self.apm, &self.aqm)
    }

    /// Whether the two matrices grant at least one queue to both (a shared APQN).
    pub(crate) fn shares_queues_with(&self, other: &Self) -> bool {
        self.apm.intersects(&other.apm) && self.aqm.intersects(&other.aqm)
    }

    /// The queues both matrices grant.
    pub(crate) fn shared_apqns(&self, other: &Self) -> Apqns {
        Apqns::new(&self.apm.and(&other.apm), &self.aqm.and(&other.aqm))
    }

    /// Whether `next` lacks a queue of `self` whose adapter and domain are both in `within`:
    /// a check over the masks, whatever the number of queues.
    ///
    /// With `A` and `Q` the adapters and domains of `self` in `within`, every queue of
    /// `A` x `Q` stays exactly when `A` is in `next.apm` and `Q` in `next.aqm`.
    pub(crate) fn loses_queues_within(&self, next: &Self, within: &Self) -> bool {
        let apm = self.apm.and(&within.apm);
        let aqm = self.aqm.and(&within.aqm);
        if apm.is_empty() || aqm.is_empty() {
            return false;
        }
        !apm.is_subset_of(&next.apm) || !aqm.is_subset_of(&next.aqm)
    }
}

/// Iterator over the `(apid, apqi)` pairs of an adapter mask crossed with a domain mask,
/// ascending by adapter, then by domain.
#[derive(Clone, Debug)]
pub(crate) struct Apqns {
    /// Adapters after the current one.
    apids: Ids,
    /// The current adapter; `None` when done.
    apid: Option<u8>,
    /// All domains, to restart `apqis` at each adapter.
    aqm: ApMask,
    /// Domains of the current adapter not yet returned.
    apqis: Ids,
}

impl Apqns {
    /// The queues of `apm` × `aqm`.
    pub(crate) fn new(apm: &ApMask, aqm: &ApMask) -> Self {
        let mut apids = apm.iter();
        let apid = apids.next();
        Self {
            apids,
            apid,
            aqm: *aqm,
            apqis: aqm.iter(),
        }
    }
}

impl Iterator for Apqns {
    type Item = (u8, u8);

    fn next(&mut self) -> Option<(u8, u8)> {
        loop {
            let apid = self.apid?;
            if let Some(apqi) = self.apqis.next() {
                return Some((apid, apqi));
            }
            self.apid = self.apids.next();
            self.apqis = self.aqm.iter();
        }
    }
}

impl FusedIterator for Apqns {}

#[cfg(test)]
mod tests {
    use super::*;

    fn mask(ids: &[u8]) -> ApMask {
        ids.iter().copied().collect()
    }

    fn matrix(apm: &[u8], aqm: &[u8]) -> Matrix {
        Matrix {
            apm: mask(apm),
            aqm: mask(aqm),
            adm: ApMask::new(),
        }
    }

    #[test]
    fn apqns_cross_product() {
        let m = matrix(&[5, 0, 255], &[4, 0x47]);
        assert_eq!(
            m.apqns().collect::<Vec<_>>(),
            [(0, 4), (0, 0x47), (5, 4), (5, 0x47), (255, 4), (255, 0x47)]
        );
    }

    #[test]
    fn apqns_need_both_masks() {
        assert_eq!(matrix(&[1, 2], &[]).apqns().next(), None);
        assert_eq!(matrix(&[], &[1, 2]).apqns().next(), None);
        assert_eq!(Matrix::default().apqns().next(), None);

        let mut it = matrix(&[3], &[9]).apqns();
        assert_eq!(it.next(), Some((3, 9)));
        assert_eq!(it.next(), None);
        assert_eq!(it.next(), None);
    }

    #[test]
    fn apqns_full_matrix() {
        let all: Vec<u8> = (0..=255).collect();
        let m = matrix(&all, &all);
        assert_eq!(m.apqns().count(), 256 * 256);
        assert_eq!(m.apqns().last(), Some((255, 255)));
    }

    #[test]
    fn sharing_needs_adapter_and_domain_overlap() {
        let a = matrix(&[1, 2], &[10, 11]);
        // Same adapters, other domains: different queues.
        assert!(!a.shares_queues_with(&matrix(&[1, 2], &[12])));
        // Same domains, other adapters: different queues.
        assert!(!a.shares_queues_with(&matrix(&[3], &[10, 11])));
        assert!(!a.shares_queues_with(&Matrix::default()));

        let b = matrix(&[2, 3], &[11, 12]);
        assert!(a.shares_queues_with(&b));
        assert!(b.shares_queues_with(&a));
        assert_eq!(a.shared_apqns(&b).collect::<Vec<_>>(), [(2, 11)]);
        assert_eq!(a.shared_apqns(&matrix(&[1, 2], &[12])).next(), None);
    }

    /// `loses_queues_within` against the queue-by-queue answer, on random small masks.
    #[test]
    fn losing_queues_matches_the_queues() {
        let mut rand = crate::xorshift(0x5eed_1055);
        let mut random_matrix = |rand: &mut dyn FnMut(u64) -> u64| {
            let mut m = Matrix::default();
            for id in 0..6u8 {
                if rand(2) == 1 {
                    m.apm.set(id * 40);
                }
                if rand(2) == 1 {
                    m.aqm.set(id * 40 + 1);
                }
            }
            m
        };
        let mut losing = 0;
        for _ in 0..5000 {
            let (old, next, within) = (
                random_matrix(&mut rand),
                random_matrix(&mut rand),
                random_matrix(&mut rand),
            );
            let by_queue = old.apqns().any(|(a, q)| {
                within.apm.test(a) && within.aqm.test(q) && !(next.apm.test(a) && next.aqm.test(q))
            });
            assert_eq!(
                old.loses_queues_within(&next, &within),
                by_queue,
                "{old:?} -> {next:?} within {within:?}"
            );
            losing += usize::from(by_queue);
        }
        // Both answers were exercised.
        assert!(losing > 500 && losing < 4500, "{losing}");
    }

    #[test]
    fn control_domains_do_not_share_queues() {
        let mut a = matrix(&[1], &[]);
        let mut b = matrix(&[1], &[]);
        a.adm.set(7);
        b.adm.set(7);
        assert!(!a.shares_queues_with(&b));
    }
}
