// SPDX-License-Identifier: GPL-2.0

//! Text of the driver's sysfs show attributes, byte for byte as the C driver prints it.

use core::fmt::{
    self,
    Write, //
};

use super::mask::ApMask;
use super::matrix::{
    ApConfig,
    Apqns, //
};

/// Writes the queues of `apm` × `aqm` as `matrix` and `guest_matrix` show them.
///
/// One line per APQN, `aa.dddd` (adapter then domain, lower-case hex), ascending by adapter,
/// then domain. With only adapters or only domains assigned there are no queues, so it lists
/// those alone, one `aa.` or `.dddd` line each. Nothing assigned gives no output.
pub(crate) fn write_matrix(out: &mut impl Write, apm: &ApMask, aqm: &ApMask) -> fmt::Result {
    if aqm.is_empty() {
        // Also covers both masks empty: no lines.
        for apid in apm {
            writeln!(out, "{apid:02x}.")?;
        }
    } else if apm.is_empty() {
        for apqi in aqm {
            writeln!(out, ".{apqi:04x}")?;
        }
    } else {
        for (apid, apqi) in Apqns::new(apm, aqm) {
            writeln!(out, "{apid:02x}.{apqi:04x}")?;
        }
    }
    Ok(())
}

/// Writes control domains as `control_domains` shows them: one `dddd` line (lower-case hex)
/// per domain, ascending; no output when there are none.
pub(crate) fn write_control_domains(out: &mut impl Write, adm: &ApMask) -> fmt::Result {
    for id in adm {
        writeln!(out, "{id:04x}")?;
    }
    Ok(())
}

/// Writes a mask as `0x` and 64 lower-case hex digits, id 0 in the top bit of the first digit.
fn write_mask(out: &mut impl Write, mask: &ApMask) -> fmt::Result {
    out.write_str("0x")?;
    for word in mask.words() {
        write!(out, "{word:016x}")?;
    }
    Ok(())
}

/// Writes the masks as `ap_config` shows them: `0x<apm>,0x<aqm>,0x<adm>\n` with 64 hex digits
/// per mask, 201 bytes in all. [`super::parse::parse_ap_config`] reads it back.
pub(crate) fn write_ap_config(out: &mut impl Write, config: &ApConfig) -> fmt::Result {
    write_mask(out, &config.apm)?;
    out.write_char(',')?;
    write_mask(out, &config.aqm)?;
    out.write_char(',')?;
    write_mask(out, &config.adm)?;
    out.write_char('\n')
}

#[cfg(test)]
mod tests {
    use super::super::parse::parse_ap_config;
    use super::*;

    fn mask(ids: &[u8]) -> ApMask {
        ids.iter().copied().collect()
    }

    fn matrix(apm: &[u8], aqm: &[u8]) -> String {
        let mut out = String::new();
        write_matrix(&mut out, &mask(apm), &mask(aqm)).unwrap();
        out
    }

    fn control_domains(adm: &[u8]) -> String {
        let mut out = String::new();
        write_control_domains(&mut out, &mask(adm)).unwrap();
        out
    }

    fn ap_config(config: &ApConfig) -> String {
        let mut out = String::new();
        write_ap_config(&mut out, config).unwrap();
        out
    }

    #[test]
    fn matrix_apqns() {
        assert_eq!(matrix(&[5], &[4]), "05.0004\n");
        assert_eq!(
            matrix(&[0xab, 5], &[0x47, 4]),
            "05.0004\n05.0047\nab.0004\nab.0047\n"
        );
        assert_eq!(matrix(&[0, 255], &[255]), "00.00ff\nff.00ff\n");
    }

    #[test]
    fn matrix_adapters_only() {
        assert_eq!(matrix(&[5], &[]), "05.\n");
        assert_eq!(matrix(&[0, 63, 64, 255], &[]), "00.\n3f.\n40.\nff.\n");
    }

    #[test]
    fn matrix_domains_only() {
        assert_eq!(matrix(&[], &[4]), ".0004\n");
        assert_eq!(matrix(&[], &[0, 0xff]), ".0000\n.00ff\n");
    }

    #[test]
    fn matrix_empty() {
        assert_eq!(matrix(&[], &[]), "");
    }

    #[test]
    fn matrix_full() {
        let all: Vec<u8> = (0..=255).collect();
        let text = matrix(&all, &all);
        assert_eq!(text.len(), 256 * 256 * "00.0000\n".len());
        assert!(text.starts_with("00.0000\n00.0001\n"));
        assert!(text.ends_with("ff.00fe\nff.00ff\n"));
    }

    #[test]
    fn control_domain_lines() {
        assert_eq!(control_domains(&[]), "");
        assert_eq!(control_domains(&[4]), "0004\n");
        assert_eq!(control_domains(&[255, 0, 0x47]), "0000\n0047\n00ff\n");
    }

    #[test]
    fn ap_config_empty() {
        let zeros = format!("0x{}", "0".repeat(64));
        assert_eq!(
            ap_config(&ApConfig::default()),
            format!("{zeros},{zeros},{zeros}\n")
        );
    }

    #[test]
    fn ap_config_layout() {
        let config = ApConfig {
            apm: mask(&[0]),
            aqm: mask(&[7, 64]),
            adm: mask(&[255]),
        };
        let text = ap_config(&config);
        assert_eq!(text.len(), 201);
        let masks: Vec<&str> = text.trim_end_matches('\n').split(',').collect();
        assert_eq!(
            masks,
            [
                "0x8000000000000000000000000000000000000000000000000000000000000000",
                "0x0100000000000000800000000000000000000000000000000000000000000000",
                "0x0000000000000000000000000000000000000000000000000000000000000001",
            ]
        );
        assert!(text.ends_with('\n'));
    }

    #[test]
    fn ap_config_round_trip() {
        let configs = [
            ApConfig::default(),
            ApConfig {
                apm: mask(&[0, 63, 64, 255]),
                aqm: mask(&[1, 2, 3, 128]),
                adm: mask(&[4]),
            },
            ApConfig {
                apm: (0..=255).collect(),
                aqm: (0..=255).step_by(3).collect(),
                adm: (0..=255).collect(),
            },
        ];
        for config in configs {
            let text = ap_config(&config);
            assert_eq!(text.len(), 201);
            assert_eq!(parse_ap_config(text.as_bytes()), Ok(config));
        }
    }

    #[test]
    fn ap_config_parse_then_write() {
        let config = parse_ap_config(b"0x8,0x01,0xc\n").unwrap();
        let text = ap_config(&config);
        assert!(text.starts_with(&format!("0x8{}", "0".repeat(63))));
        assert_eq!(parse_ap_config(text.as_bytes()), Ok(config));
    }

    /// A writer that fails after `room` bytes, like a full sysfs page.
    struct Limited {
        room: usize,
    }

    impl Write for Limited {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            self.room = self.room.checked_sub(s.len()).ok_or(fmt::Error)?;
            Ok(())
        }
    }

    #[test]
    fn errors_propagate() {
        let all: ApMask = (0..=255).collect();
        assert!(write_matrix(&mut Limited { room: 10 }, &all, &all).is_err());
        assert!(write_matrix(&mut Limited { room: 10 }, &all, &ApMask::new()).is_err());
        assert!(write_control_domains(&mut Limited { room: 10 }, &all).is_err());
        assert!(write_ap_config(&mut Limited { room: 200 }, &ApConfig::default()).is_err());
        assert!(write_ap_config(&mut Limited { room: 201 }, &ApConfig::default()).is_ok());
    }
}

/// A writer that keeps only whole lines within a byte budget.
///
/// sysfs gives a `show` callback one page. A matrix can list 65536 queues, far more than a
/// page holds; cutting a line in half would hand tools a queue number that is not there, so
/// whole lines that fit are written, the rest is dropped and [`WholeLines::truncated`] says so.
pub(crate) struct WholeLines<'a, W: Write> {
    out: &'a mut W,
    room: usize,
    line: [u8; 16],
    len: usize,
    truncated: bool,
}

impl<'a, W: Write> WholeLines<'a, W> {
    /// Writes to `out`, at most `room` bytes.
    pub(crate) fn new(out: &'a mut W, room: usize) -> Self {
        Self {
            out,
            room,
            line: [0; 16],
            len: 0,
            truncated: false,
        }
    }

    /// Whether any line was dropped.
    pub(crate) fn truncated(&self) -> bool {
        self.truncated
    }
}

impl<W: Write> Write for WholeLines<'_, W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for byte in s.bytes() {
            if self.truncated {
                return Ok(());
            }
            let Some(slot) = self.line.get_mut(self.len) else {
                // Longer than any line this driver writes: drop it rather than split it.
                self.truncated = true;
                return Ok(());
            };
            *slot = byte;
            self.len += 1;
            if byte == b'\n' {
                if self.len > self.room {
                    self.truncated = true;
                    return Ok(());
                }
                let line = self.line.get(..self.len).ok_or(fmt::Error)?;
                self.out
                    .write_str(core::str::from_utf8(line).map_err(|_| fmt::Error)?)?;
                self.room -= self.len;
                self.len = 0;
            }
        }
        Ok(())
    }
}

/// A UUID in its canonical lower-case text form, e.g. `62177883-f1bb-47f0-914d-32a22e3a8804`.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub(crate) struct Uuid(pub(crate) [u8; 16]);

impl fmt::Display for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, byte) in self.0.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                f.write_char('-')?;
            }
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod whole_lines_tests {
    use super::*;

    #[test]
    fn keeps_whole_lines_only() {
        let mut out = String::new();
        let mut w = WholeLines::new(&mut out, 20);
        let apm: ApMask = [1u8, 2].into_iter().collect();
        let aqm: ApMask = [3u8, 4].into_iter().collect();
        write_matrix(&mut w, &apm, &aqm).unwrap();
        assert!(w.truncated());
        assert_eq!(out, "01.0003\n01.0004\n");
    }

    #[test]
    fn fits_exactly() {
        let mut out = String::new();
        let mut w = WholeLines::new(&mut out, 16);
        writeln!(w, "01.0003").unwrap();
        writeln!(w, "01.0004").unwrap();
        assert!(!w.truncated());
        assert_eq!(out, "01.0003\n01.0004\n");
    }

    #[test]
    fn full_matrix_in_a_page() {
        let mut out = String::new();
        let all: ApMask = (0..=255u8).collect();
        let mut w = WholeLines::new(&mut out, 4095);
        write_matrix(&mut w, &all, &all).unwrap();
        assert!(w.truncated());
        assert_eq!(out.len(), 511 * 8);
        assert!(out.ends_with("01.00fe\n"));
    }

    #[test]
    fn uuid_text() {
        let u = Uuid([
            0x62, 0x17, 0x78, 0x83, 0xf1, 0xbb, 0x47, 0xf0, 0x91, 0x4d, 0x32, 0xa2, 0x2e, 0x3a,
            0x88, 0x04,
        ]);
        assert_eq!(u.to_string(), "62177883-f1bb-47f0-914d-32a22e3a8804");
    }
}
