// SPDX-License-Identifier: GPL-2.0

//! Parsers for what user space writes to the driver's sysfs attributes.
//!
//! Both accept exactly what the C driver accepts, quirks included, so scripts written for it
//! keep working. sysfs passes a store the written bytes followed by a NUL, and the C parsers
//! stop at the first NUL: so do these.

use super::mask::ApMask;
use super::matrix::ApConfig;

/// Why a store's input was rejected.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub(crate) enum ParseError {
    /// Malformed input: the store fails with `EINVAL`.
    Invalid,
    /// A number too large for 64 bits: the store fails with `ERANGE`.
    Range,
}

/// Hex digits in a full 256-bit mask.
const MASK_DIGITS: usize = 64;

/// Hex digits per 64-bit mask word.
const WORD_DIGITS: usize = 16;

/// The bytes up to the first NUL: what a C string function sees.
fn c_string(input: &[u8]) -> &[u8] {
    input.split(|&c| c == 0).next().unwrap_or_default()
}

/// Parses an adapter, domain or control domain id the way `kstrtoul(buf, 0, &id)` does.
///
/// Accepts an optional `+`, then a number in hex (`0x` or `0X` followed by at least one hex
/// digit), octal (a leading `0`) or decimal, then at most one newline. Nothing else, not even
/// spaces, is allowed. The caller still has to check the id against the AP bus's maximum.
pub(crate) fn parse_id(input: &[u8]) -> Result<u64, ParseError> {
    let s = c_string(input);
    let s = s.strip_prefix(b"+").unwrap_or(s);
    let (radix, digits) = match s {
        // Without a hex digit after it, the `x` is not a prefix but trailing junk after an
        // octal 0.
        [b'0', b'x' | b'X', rest @ ..] if rest.first().is_some_and(u8::is_ascii_hexdigit) => {
            (16, rest)
        }
        [b'0', ..] => (8, s),
        _ => (10, s),
    };

    // `None` once the number no longer fits. Like C, keep consuming digits: an overflow is
    // `ERANGE` even if junk follows.
    let mut value = Some(0u64);
    let mut len = 0usize;
    for digit in digits.iter().map_while(|&c| char::from(c).to_digit(radix)) {
        value = value.and_then(|v| {
            v.checked_mul(u64::from(radix))?
                .checked_add(u64::from(digit))
        });
        len += 1;
    }
    let value = value.ok_or(ParseError::Range)?;
    if len == 0 {
        return Err(ParseError::Invalid);
    }
    match digits.get(len..) {
        Some([] | [b'\n']) => Ok(value),
        _ => Err(ParseError::Invalid),
    }
}

/// Parses a mask written to `ap_config` the way the AP bus's `ap_hex2bitmap()` does.
///
/// An optional `0x` or `x` prefix, then up to 64 hex digits of either case, read from the left:
/// the first digit holds ids 0..=3 with id 0 in its top bit, so `0x8` is id 0 and `0x01` is id
/// 7. Ids past the last digit are clear; no digits at all is the empty mask.
fn parse_mask(token: &[u8]) -> Result<ApMask, ParseError> {
    let digits = token
        .strip_prefix(b"0x")
        .or_else(|| token.strip_prefix(b"x"))
        .unwrap_or(token);
    if digits.len() > MASK_DIGITS {
        return Err(ParseError::Invalid);
    }
    let mut words = [0u64; 4];
    for (word, chunk) in words.iter_mut().zip(digits.chunks(WORD_DIGITS)) {
        let mut value = 0u64;
        for &c in chunk {
            let nibble = char::from(c).to_digit(16).ok_or(ParseError::Invalid)?;
            value = value << 4 | u64::from(nibble);
        }
        // The digits are left-aligned: a short last chunk fills the top of its word.
        *word = value << (4 * (WORD_DIGITS - chunk.len()));
    }
    Ok(ApMask::from_words(words))
}

/// Parses what is written to `ap_config`: the adapter, usage domain and control domain masks.
///
/// Like the C driver, splits the input at every `,` and newline and parses the first three
/// pieces as masks (see `parse_mask`); the rest is ignored. So `0x8,0x4,0x2` and
/// `0x8,0x4,0x2\n` set adapter 0, domain 1 and control domain 2. Fewer than three pieces is an
/// error, but a trailing separator ends an empty last piece: `0x8,0x4\n` clears the control
/// domains. Every error is [`ParseError::Invalid`].
pub(crate) fn parse_ap_config(input: &[u8]) -> Result<ApConfig, ParseError> {
    // C also only copies the first 201 bytes (three full masks with their separators), but
    // that never changes the outcome: a third mask reaching past them is too long anyway.
    let mut masks = c_string(input)
        .split(|&c| c == b',' || c == b'\n')
        .map(parse_mask);
    let mut next = || masks.next().unwrap_or(Err(ParseError::Invalid));
    Ok(ApConfig {
        apm: next()?,
        aqm: next()?,
        adm: next()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ParseError::{
        Invalid,
        Range, //
    };

    fn id(s: &str) -> Result<u64, ParseError> {
        parse_id(s.as_bytes())
    }

    #[test]
    fn id_decimal() {
        assert_eq!(id("0"), Ok(0));
        assert_eq!(id("1"), Ok(1));
        assert_eq!(id("63"), Ok(63));
        assert_eq!(id("64"), Ok(64));
        assert_eq!(id("255"), Ok(255));
        assert_eq!(id("256"), Ok(256));
        assert_eq!(id("18446744073709551615"), Ok(u64::MAX));
    }

    #[test]
    fn id_hex() {
        assert_eq!(id("0x0"), Ok(0));
        assert_eq!(id("0x5"), Ok(5));
        assert_eq!(id("0xff"), Ok(255));
        assert_eq!(id("0XFF"), Ok(255));
        assert_eq!(id("0xAbC"), Ok(0xabc));
        assert_eq!(id("0x0004"), Ok(4));
        assert_eq!(id("0xffffffffffffffff"), Ok(u64::MAX));
        assert_eq!(id("0x1g"), Err(Invalid));
        assert_eq!(id("ff"), Err(Invalid));
    }

    #[test]
    fn id_hex_prefix_needs_a_digit() {
        assert_eq!(id("0x"), Err(Invalid));
        assert_eq!(id("0X"), Err(Invalid));
        assert_eq!(id("0x\n"), Err(Invalid));
        assert_eq!(id("0xg"), Err(Invalid));
        assert_eq!(id("0x0x1"), Err(Invalid));
        assert_eq!(id("x1"), Err(Invalid));
    }

    #[test]
    fn id_octal() {
        assert_eq!(id("00"), Ok(0));
        assert_eq!(id("010"), Ok(8));
        assert_eq!(id("0377"), Ok(255));
        assert_eq!(id("07\n"), Ok(7));
        assert_eq!(id("08"), Err(Invalid));
        assert_eq!(id("019"), Err(Invalid));
        assert_eq!(id("01777777777777777777777"), Ok(u64::MAX));
        assert_eq!(id("02000000000000000000000"), Err(Range));
    }

    #[test]
    fn id_sign() {
        assert_eq!(id("+1"), Ok(1));
        assert_eq!(id("+0x10"), Ok(16));
        assert_eq!(id("+010"), Ok(8));
        assert_eq!(id("+1\n"), Ok(1));
        assert_eq!(id("-1"), Err(Invalid));
        assert_eq!(id("-0"), Err(Invalid));
        assert_eq!(id("+"), Err(Invalid));
        assert_eq!(id("++1"), Err(Invalid));
        assert_eq!(id("+-1"), Err(Invalid));
    }

    #[test]
    fn id_one_trailing_newline() {
        assert_eq!(id("5\n"), Ok(5));
        assert_eq!(id("0\n"), Ok(0));
        assert_eq!(id("0x5\n"), Ok(5));
        assert_eq!(id("5\n\n"), Err(Invalid));
        assert_eq!(id("\n5"), Err(Invalid));
        assert_eq!(id("5\n6"), Err(Invalid));
        assert_eq!(id("\n"), Err(Invalid));
        assert_eq!(id("5\r\n"), Err(Invalid));
    }

    #[test]
    fn id_no_whitespace() {
        assert_eq!(id(" 1"), Err(Invalid));
        assert_eq!(id("1 "), Err(Invalid));
        assert_eq!(id("1\t"), Err(Invalid));
        assert_eq!(id("1 2"), Err(Invalid));
        assert_eq!(id("1a"), Err(Invalid));
    }

    #[test]
    fn id_empty() {
        assert_eq!(id(""), Err(Invalid));
        assert_eq!(parse_id(b""), Err(Invalid));
    }

    #[test]
    fn id_overflow() {
        assert_eq!(id("18446744073709551616"), Err(Range));
        assert_eq!(id("99999999999999999999"), Err(Range));
        assert_eq!(id("0x10000000000000000"), Err(Range));
        assert_eq!(id("18446744073709551616\n"), Err(Range));
        // C reports the overflow before looking at what follows the digits.
        assert_eq!(id("18446744073709551616x"), Err(Range));
        // Leading zeros do not count towards the size.
        assert_eq!(id("0x00000000000000000000ff"), Ok(255));
    }

    #[test]
    fn id_stops_at_nul() {
        assert_eq!(parse_id(b"12\0junk"), Ok(12));
        assert_eq!(parse_id(b"12\n\0junk"), Ok(12));
        assert_eq!(parse_id(b"\x0012"), Err(Invalid));
    }

    fn config(s: &str) -> Result<ApConfig, ParseError> {
        parse_ap_config(s.as_bytes())
    }

    fn mask(ids: &[u8]) -> ApMask {
        ids.iter().copied().collect()
    }

    /// A config with one mask given as text and the other two empty.
    fn apm_of(s: &str) -> Result<ApMask, ParseError> {
        config(&format!("{s},0x,0x\n")).map(|c| c.apm)
    }

    #[test]
    fn config_masks_are_left_aligned() {
        assert_eq!(apm_of("0x8"), Ok(mask(&[0])));
        assert_eq!(apm_of("0x4"), Ok(mask(&[1])));
        assert_eq!(apm_of("0x1"), Ok(mask(&[3])));
        assert_eq!(apm_of("0x01"), Ok(mask(&[7])));
        assert_eq!(apm_of("0x80"), Ok(mask(&[0])));
        assert_eq!(apm_of("0xc"), Ok(mask(&[0, 1])));
        assert_eq!(apm_of("0x0000000000000001"), Ok(mask(&[63])));
        assert_eq!(apm_of("0x00000000000000008"), Ok(mask(&[64])));
        assert_eq!(apm_of("0xF"), Ok(mask(&[0, 1, 2, 3])));
    }

    #[test]
    fn config_sets_each_mask() {
        let c = config("0x8,0x4,0x2").unwrap();
        assert_eq!(c.apm, mask(&[0]));
        assert_eq!(c.aqm, mask(&[1]));
        assert_eq!(c.adm, mask(&[2]));
        assert_eq!(config("0x8,0x4,0x2\n"), Ok(c));
    }

    #[test]
    fn config_digit_counts() {
        let d63 = "0".repeat(62) + "1";
        let d64 = "0".repeat(63) + "1";
        let d65 = "0".repeat(64) + "1";
        assert_eq!(apm_of(&format!("0x{d63}")), Ok(mask(&[251])));
        assert_eq!(apm_of(&format!("0x{d64}")), Ok(mask(&[255])));
        assert_eq!(apm_of(&format!("0x{d65}")), Err(Invalid));
        assert_eq!(
            apm_of(&format!("0x{}", "f".repeat(64))),
            Ok((0..=255).collect())
        );
        // Too long even when the extra digit is a zero.
        assert_eq!(apm_of(&format!("0x{}", "0".repeat(65))), Err(Invalid));
    }

    #[test]
    fn config_prefix() {
        assert_eq!(apm_of("8"), Ok(mask(&[0])));
        assert_eq!(apm_of("x8"), Ok(mask(&[0])));
        assert_eq!(apm_of("08"), Ok(mask(&[4])));
        assert_eq!(apm_of("0X8"), Err(Invalid));
        assert_eq!(apm_of("X8"), Err(Invalid));
        assert_eq!(apm_of("0xx8"), Err(Invalid));
        assert_eq!(apm_of("0x0x8"), Err(Invalid));
    }

    #[test]
    fn config_empty_masks_are_clear() {
        assert_eq!(apm_of("0x"), Ok(ApMask::new()));
        assert_eq!(apm_of("x"), Ok(ApMask::new()));
        assert_eq!(apm_of(""), Ok(ApMask::new()));
        assert_eq!(config(",,"), Ok(ApConfig::default()));
        assert_eq!(config("0x,0x,0x\n"), Ok(ApConfig::default()));
    }

    #[test]
    fn config_rejects_junk() {
        assert_eq!(apm_of("0xg"), Err(Invalid));
        assert_eq!(apm_of("0x8g"), Err(Invalid));
        assert_eq!(apm_of("0x 8"), Err(Invalid));
        assert_eq!(apm_of(" 0x8"), Err(Invalid));
        assert_eq!(apm_of("0x8 "), Err(Invalid));
        assert_eq!(apm_of("+0x8"), Err(Invalid));
        assert_eq!(apm_of("-0x8"), Err(Invalid));
        assert_eq!(config("0x8,0x4,0x2\r\n"), Err(Invalid));
        assert_eq!(config("0x8;0x4;0x2"), Err(Invalid));
    }

    #[test]
    fn config_needs_three_masks() {
        assert_eq!(config(""), Err(Invalid));
        assert_eq!(config("\n"), Err(Invalid));
        assert_eq!(config("0x8"), Err(Invalid));
        assert_eq!(config("0x8,0x4"), Err(Invalid));
        assert_eq!(config("0x8\n"), Err(Invalid));
        // A trailing separator still ends an (empty) third mask.
        let c = config("0x8,0x4\n").unwrap();
        assert_eq!(
            (c.apm, c.aqm, c.adm),
            (mask(&[0]), mask(&[1]), ApMask::new())
        );
        assert_eq!(config("0x8,0x4,"), Ok(c));
        // A newline separates like a comma.
        assert_eq!(config("0x8\n0x4\n0x2"), config("0x8,0x4,0x2"));
    }

    #[test]
    fn config_ignores_what_follows_three_masks() {
        let c = config("0x8,0x4,0x2").unwrap();
        assert_eq!(config("0x8,0x4,0x2,0x1"), Ok(c));
        assert_eq!(config("0x8,0x4,0x2\njunk"), Ok(c));
        assert_eq!(config("0x8,0x4,0x2,,,"), Ok(c));
    }

    #[test]
    fn config_full_length() {
        let full = format!("0x8{0},0x4{0},0x2{0}\n", "0".repeat(63));
        assert_eq!(full.len(), 201);
        let c = config(&full).unwrap();
        assert_eq!((c.apm, c.aqm, c.adm), (mask(&[0]), mask(&[1]), mask(&[2])));
        assert_eq!(config(&(full.clone() + "junk")), Ok(c));
        // Without the newline, the 201st byte is junk inside the third mask.
        let junk = format!("0x8{0},0x4{0},0x2{0}z", "0".repeat(63));
        assert_eq!(config(&junk), Err(Invalid));
    }

    #[test]
    fn config_stops_at_nul() {
        assert_eq!(
            parse_ap_config(b"0x8,0x4,0x2\0,junk"),
            config("0x8,0x4,0x2")
        );
        assert_eq!(parse_ap_config(b"0x8,0x4\0,0x2"), Err(Invalid));
    }
}
