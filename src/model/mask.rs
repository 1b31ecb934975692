// SPDX-License-Identifier: GPL-2.0

//! [`ApMask`]: a set of AP adapter, usage domain or control domain ids.
//!
//! s390 numbers the bits of its AP masks from the left ("MSB-0"): id 0 is the most significant
//! bit of the first 64-bit word. The CRYCB's APCB, the AP bus's `apmask`/`aqmask` attributes and
//! `ap_config` all use this layout, so the words can go to C and to user space unchanged.

use core::iter::FusedIterator;

/// Number of 64-bit words in a mask.
const WORDS: usize = 4;

/// Bits per word.
const WORD_BITS: u8 = 64;

/// The most significant bit of a word: MSB-0 bit 0.
const MSB: u64 = 1 << 63;

/// A set of up to 256 AP ids (adapters, usage domains or control domains).
///
/// Bit `n` lives in word `n / 64` at `1 << (63 - n % 64)`: s390's MSB-0 numbering.
///
/// Masks are compared and copied word by word ([`PartialEq`], [`Self::copy_from`]): a derived
/// comparison compiles to one CLC and a copy to an MVC, which cost the same as four word
/// operations on the machine but are helper calls under QEMU's TCG, where the CLC is a loop
/// of byte loads.
#[derive(Copy, Clone, Default, Debug)]
pub(crate) struct ApMask([u64; WORDS]);

impl PartialEq for ApMask {
    fn eq(&self, other: &Self) -> bool {
        let [a0, a1, a2, a3] = self.0;
        let [b0, b1, b2, b3] = other.0;
        ((a0 ^ b0) | (a1 ^ b1) | (a2 ^ b2) | (a3 ^ b3)) == 0
    }
}

impl Eq for ApMask {}

impl ApMask {
    /// The empty mask.
    pub(crate) const fn new() -> Self {
        Self([0; WORDS])
    }

    /// A mask from its words as C stores them (word 0 holds ids 0..=63).
    pub(crate) const fn from_words(words: [u64; WORDS]) -> Self {
        Self(words)
    }

    /// The words as C stores them (word 0 holds ids 0..=63).
    pub(crate) const fn words(&self) -> [u64; WORDS] {
        self.0
    }

    /// The words in place, for C to read without a copy.
    pub(crate) const fn as_words(&self) -> &[u64; WORDS] {
        &self.0
    }

    /// Makes `self` a copy of `other`, word by word (see the type's documentation).
    pub(crate) fn copy_from(&mut self, other: &Self) {
        let [w0, w1, w2, w3] = &mut self.0;
        let [o0, o1, o2, o3] = other.0;
        *w0 = o0;
        *w1 = o1;
        *w2 = o2;
        *w3 = o3;
    }

    /// Keeps only the ids that are also in `other`, in place.
    pub(crate) fn and_assign(&mut self, other: &Self) {
        for (word, &o) in self.0.iter_mut().zip(&other.0) {
            *word &= o;
        }
    }

    /// The word index and in-word bit of `id`.
    fn locate(id: u8) -> (usize, u64) {
        (usize::from(id / WORD_BITS), MSB >> (id % WORD_BITS))
    }

    /// Adds `id`.
    pub(crate) fn set(&mut self, id: u8) {
        let (index, bit) = Self::locate(id);
        if let Some(word) = self.0.get_mut(index) {
            *word |= bit;
        }
    }

    /// Removes `id`.
    pub(crate) fn clear(&mut self, id: u8) {
        let (index, bit) = Self::locate(id);
        if let Some(word) = self.0.get_mut(index) {
            *word &= !bit;
        }
    }

    /// Whether `id` is in the mask.
    pub(crate) fn test(&self, id: u8) -> bool {
        let (index, bit) = Self::locate(id);
        self.0.get(index).is_some_and(|word| word & bit != 0)
    }

    /// Whether no id is set.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.iter().all(|&word| word == 0)
    }

    /// Number of ids set.
    pub(crate) fn count(&self) -> u32 {
        self.0.iter().map(|word| word.count_ones()).sum()
    }

    /// Combines two masks word by word.
    fn zip_with(&self, other: &Self, op: impl Fn(u64, u64) -> u64) -> Self {
        let mut out = Self::new();
        for ((out, &a), &b) in out.0.iter_mut().zip(&self.0).zip(&other.0) {
            *out = op(a, b);
        }
        out
    }

    /// Ids in both masks.
    pub(crate) fn and(&self, other: &Self) -> Self {
        self.zip_with(other, |a, b| a & b)
    }

    /// Ids in either mask.
    pub(crate) fn or(&self, other: &Self) -> Self {
        self.zip_with(other, |a, b| a | b)
    }

    /// Ids in `self` but not in `other`.
    pub(crate) fn and_not(&self, other: &Self) -> Self {
        self.zip_with(other, |a, b| a & !b)
    }

    /// Whether the masks have an id in common.
    pub(crate) fn intersects(&self, other: &Self) -> bool {
        !self.and(other).is_empty()
    }

    /// Whether every id of `self` is also in `other`.
    pub(crate) fn is_subset_of(&self, other: &Self) -> bool {
        self.and_not(other).is_empty()
    }

    /// The smallest id set, if any.
    pub(crate) fn lowest_set(&self) -> Option<u8> {
        let (index, word) = self.0.iter().enumerate().find(|&(_, &word)| word != 0)?;
        // `index < 4` and `leading_zeros() < 64`, so the id is at most 255.
        u8::try_from(index * 64 + word.leading_zeros() as usize).ok()
    }

    /// The largest id set, if any.
    pub(crate) fn highest_set(&self) -> Option<u8> {
        let (index, word) = self.0.iter().enumerate().rfind(|&(_, &word)| word != 0)?;
        // `word != 0`, so `trailing_zeros() <= 63`.
        u8::try_from(index * 64 + (63 - word.trailing_zeros() as usize)).ok()
    }

    /// Whether every id set is at most `max` (the AP bus's highest valid adapter or domain id).
    pub(crate) fn is_within(&self, max: u8) -> bool {
        self.highest_set().is_none_or(|id| id <= max)
    }

    /// The ids set, ascending.
    pub(crate) fn iter(&self) -> Ids {
        Ids { rest: *self }
    }
}

impl FromIterator<u8> for ApMask {
    fn from_iter<I: IntoIterator<Item = u8>>(ids: I) -> Self {
        let mut mask = Self::new();
        for id in ids {
            mask.set(id);
        }
        mask
    }
}

impl IntoIterator for &ApMask {
    type Item = u8;
    type IntoIter = Ids;

    fn into_iter(self) -> Ids {
        self.iter()
    }
}

/// Iterator over the ids of an [`ApMask`], ascending.
#[derive(Clone, Debug)]
pub(crate) struct Ids {
    /// The ids not yet returned.
    rest: ApMask,
}

impl Iterator for Ids {
    type Item = u8;

    fn next(&mut self) -> Option<u8> {
        let id = self.rest.lowest_set()?;
        self.rest.clear(id);
        Some(id)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let count = self.rest.count() as usize;
        (count, Some(count))
    }
}

impl ExactSizeIterator for Ids {}

impl FusedIterator for Ids {}

#[cfg(test)]
mod tests {
    use super::*;

    fn mask(ids: &[u8]) -> ApMask {
        ids.iter().copied().collect()
    }

    #[test]
    fn equality_sees_every_word() {
        for id in [0u8, 63, 64, 127, 128, 200, 255] {
            assert_ne!(mask(&[id]), ApMask::new(), "id {id}");
            assert_eq!(mask(&[id, 5]), mask(&[5, id]));
            let mut copy = ApMask::new();
            copy.copy_from(&mask(&[id, 7]));
            assert_eq!(copy, mask(&[7, id]));
            let mut kept = mask(&[id, 7, 9]);
            kept.and_assign(&mask(&[id, 9]));
            assert_eq!(kept, mask(&[id, 9]));
        }
    }

    #[test]
    fn msb0_layout() {
        assert_eq!(mask(&[0]).words(), [1 << 63, 0, 0, 0]);
        assert_eq!(mask(&[63]).words(), [1, 0, 0, 0]);
        assert_eq!(mask(&[64]).words(), [0, 1 << 63, 0, 0]);
        assert_eq!(mask(&[127]).words(), [0, 1, 0, 0]);
        assert_eq!(mask(&[128]).words(), [0, 0, 1 << 63, 0]);
        assert_eq!(mask(&[255]).words(), [0, 0, 0, 1]);
        assert_eq!(mask(&[5]).words(), [1 << 58, 0, 0, 0]);
    }

    #[test]
    fn words_round_trip() {
        let words = [0x8000_0000_0000_0001, 0, 0x1234, u64::MAX];
        assert_eq!(ApMask::from_words(words).words(), words);
        let m = ApMask::from_words([1 << 63, 1, 0, 1]);
        assert_eq!(m.iter().collect::<Vec<_>>(), [0, 127, 255]);
    }

    #[test]
    fn set_clear_test() {
        let mut m = ApMask::new();
        assert!(m.is_empty());
        assert_eq!(m, ApMask::default());
        for id in [0, 1, 63, 64, 128, 254, 255] {
            assert!(!m.test(id));
            m.set(id);
            assert!(m.test(id));
        }
        // Setting twice is idempotent.
        m.set(63);
        assert_eq!(m.count(), 7);
        assert!(!m.test(2) && !m.test(62) && !m.test(65));
        m.clear(63);
        m.clear(63);
        assert!(!m.test(63));
        assert!(m.test(64));
        assert_eq!(m.count(), 6);
        for id in [0, 1, 64, 128, 254, 255] {
            m.clear(id);
        }
        assert!(m.is_empty());
        assert_eq!(m.count(), 0);
    }

    #[test]
    fn full_mask() {
        let full: ApMask = (0..=255).collect();
        assert_eq!(full.words(), [u64::MAX; 4]);
        assert_eq!(full.count(), 256);
        assert_eq!(full.iter().len(), 256);
        assert!(full.iter().eq(0..=255));
        assert_eq!(full.lowest_set(), Some(0));
        assert_eq!(full.highest_set(), Some(255));
    }

    #[test]
    fn set_operations() {
        let a = mask(&[0, 5, 64, 255]);
        let b = mask(&[5, 63, 255]);
        assert_eq!(a.and(&b), mask(&[5, 255]));
        assert_eq!(a.or(&b), mask(&[0, 5, 63, 64, 255]));
        assert_eq!(a.and_not(&b), mask(&[0, 64]));
        assert_eq!(b.and_not(&a), mask(&[63]));
        assert!(a.intersects(&b));
        assert!(!a.intersects(&mask(&[1, 65])));
        assert!(!a.intersects(&ApMask::new()));
        assert!(mask(&[5, 255]).is_subset_of(&a));
        assert!(!b.is_subset_of(&a));
        assert!(ApMask::new().is_subset_of(&a));
    }

    #[test]
    fn iterate_ascending() {
        let ids = [0, 1, 62, 63, 64, 65, 127, 128, 200, 255];
        let m = mask(&[255, 0, 64, 63, 128, 1, 62, 65, 200, 127]);
        assert_eq!(m.iter().collect::<Vec<_>>(), ids);
        assert_eq!(m.iter().len(), ids.len());
        assert_eq!((&m).into_iter().count(), ids.len());
        assert_eq!(ApMask::new().iter().next(), None);

        let mut it = mask(&[7]).iter();
        assert_eq!(it.next(), Some(7));
        assert_eq!(it.next(), None);
        assert_eq!(it.next(), None);
    }

    #[test]
    fn lowest_and_highest() {
        assert_eq!(ApMask::new().lowest_set(), None);
        assert_eq!(ApMask::new().highest_set(), None);
        for id in [0, 1, 63, 64, 127, 128, 191, 192, 255] {
            assert_eq!(mask(&[id]).lowest_set(), Some(id));
            assert_eq!(mask(&[id]).highest_set(), Some(id));
        }
        assert_eq!(mask(&[3, 70, 200]).lowest_set(), Some(3));
        assert_eq!(mask(&[3, 70, 200]).highest_set(), Some(200));
    }

    #[test]
    fn within_max() {
        assert!(ApMask::new().is_within(0));
        assert!(mask(&[0]).is_within(0));
        assert!(!mask(&[1]).is_within(0));
        assert!(mask(&[0, 63]).is_within(63));
        assert!(!mask(&[0, 64]).is_within(63));
        assert!(mask(&[255]).is_within(255));
    }
}
