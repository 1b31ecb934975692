// SPDX-License-Identifier: GPL-2.0

//! Pure logic of the driver: AP masks, the matrix of a mediated device, and the sysfs text
//! formats. No kernel APIs, no allocation, no `unsafe`.
//!
//! The kernel build compiles this directory as the `model` module of the driver crate; host
//! `cargo test` compiles the same files as a crate of their own (see `Cargo.toml`), so the
//! logic is unit-tested without a kernel.

// As the host crate's root: `no_std` like the kernel, except that unit tests may use `std`.
// The kernel build sets `MODULE`, and there the attribute would be misplaced in a child module.
#![cfg_attr(all(not(MODULE), not(test)), no_std)]
// On the host nothing outside this crate calls the `pub(crate)` API; only the kernel build
// should warn about unused items.
#![cfg_attr(not(MODULE), allow(dead_code))]

pub(crate) mod aqic;
pub(crate) mod claims;
pub(crate) mod format;
pub(crate) mod guest_view;
pub(crate) mod mask;
pub(crate) mod matrix;
pub(crate) mod parse;
pub(crate) mod reset;
pub(crate) mod vfio_abi;

/// Tests' pseudo-random numbers: a xorshift generator from `seed` (not 0), whose result
/// takes `n` and returns a number below it. Fixed seeds keep the tests reproducible.
#[cfg(test)]
pub(crate) fn xorshift(mut seed: u64) -> impl FnMut(u64) -> u64 {
    move |n| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    }
}
