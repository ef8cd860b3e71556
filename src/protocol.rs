//! The twelve ggwave transmission protocols (ids 0-11) and the numbers that define them.
//!
//! Every tone sits on a bin of a 1024-point FFT at 48 kHz (46.875 Hz apart). A protocol is a band
//! (`freq_start`, the lowest bin), a speed (`frames_per_tx`, frames of 1024 samples per symbol) and a
//! width (`bytes_per_tx`, bytes carried by one symbol; mono-tone protocols need two symbols a byte).

use std::fmt;
use std::ops::RangeInclusive;

/// Operating sample rate of the modem: all synthesis and analysis happen at 48 kHz.
pub const SAMPLE_RATE: u32 = 48_000;
/// Samples per frame (one FFT) at the operating rate.
pub const FRAME: usize = 1024;
/// Hz between adjacent FFT bins at the operating rate.
pub const HZ_PER_BIN: f64 = SAMPLE_RATE as f64 / FRAME as f64;
/// Frames in a start or an end marker.
pub const MARKER_FRAMES: usize = 16;
/// Largest payload of one variable-length transmission.
pub const MAX_VARIABLE_PAYLOAD: usize = 140;
/// Largest payload in fixed-length mode.
pub const MAX_FIXED_PAYLOAD: usize = 64;
/// Bytes a fixed-length transmission may carry (encoder and decoder check against this).
pub const FIXED_LENGTH_RANGE: RangeInclusive<usize> = 1..=MAX_FIXED_PAYLOAD;

/// Static description of one protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Protocol {
    /// Wire id, 0..=11.
    pub id: u8,
    /// The exact name ggwave's tools print.
    pub name: &'static str,
    /// Short machine-friendly name (`audible-fast`, `dt-normal`, ...).
    pub slug: &'static str,
    /// Lowest bin of the band.
    pub freq_start: usize,
    /// Frames (of 1024 samples at 48 kHz) per symbol.
    pub frames_per_tx: usize,
    /// Bytes carried by one symbol (one for DT/MT).
    pub bytes_per_tx: usize,
    /// Symbols per group of `bytes_per_tx` bytes: 1 for dual-tone, 2 for mono-tone.
    pub extra: usize,
}

impl Protocol {
    /// Mono-tone protocols only work in fixed-length mode.
    pub fn is_mono_tone(&self) -> bool {
        self.extra == 2
    }

    /// Nibble slots of a data symbol, 16 bins each: one for the mono-tone protocols, two per
    /// byte otherwise.
    pub fn nibble_slots(&self) -> usize {
        if self.is_mono_tone() {
            1
        } else {
            2 * self.bytes_per_tx
        }
    }

    /// Tones sounding at once in a data symbol.
    pub fn tones_per_symbol(&self) -> usize {
        2 * self.bytes_per_tx / self.extra
    }

    /// Lowest frequency used, in Hz.
    pub fn min_hz(&self) -> f64 {
        self.freq_start as f64 * HZ_PER_BIN
    }

    /// Highest frequency used (data or marker), in Hz.
    pub fn max_hz(&self) -> f64 {
        let data_bins = 16 * self.nibble_slots();
        let top = self.freq_start + data_bins.max(32) - 1;
        top as f64 * HZ_PER_BIN
    }

    /// Duration of one symbol in seconds.
    pub fn symbol_seconds(&self) -> f64 {
        (self.frames_per_tx * FRAME) as f64 / SAMPLE_RATE as f64
    }

    /// Look a protocol up by id.
    pub fn by_id(id: u8) -> Option<&'static Protocol> {
        PROTOCOLS.get(id as usize)
    }

    /// Look a protocol up by id (as text), exact ggwave name or slug, case-insensitively.
    pub fn by_name(name: &str) -> Option<&'static Protocol> {
        let n = name.trim();
        if let Ok(id) = n.parse::<u8>() {
            return Self::by_id(id);
        }
        let norm = |s: &str| {
            s.chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
                .to_ascii_lowercase()
        };
        let key = norm(n);
        PROTOCOLS.iter().find(|p| {
            norm(p.name) == key
                || norm(p.slug) == key
                || norm(
                    &p.name
                        .replace("[U]", "ultrasound")
                        .replace("[DT]", "dt")
                        .replace("[MT]", "mt"),
                ) == key
                || norm(&format!("audible{}", p.name)) == key
        })
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name, self.id)
    }
}

const fn p(
    id: u8,
    name: &'static str,
    slug: &'static str,
    freq_start: usize,
    frames_per_tx: usize,
    bytes_per_tx: usize,
    extra: usize,
) -> Protocol {
    Protocol {
        id,
        name,
        slug,
        freq_start,
        frames_per_tx,
        bytes_per_tx,
        extra,
    }
}

/// All protocols, indexed by id.
pub const PROTOCOLS: [Protocol; 12] = [
    p(0, "Normal", "audible-normal", 40, 9, 3, 1),
    p(1, "Fast", "audible-fast", 40, 6, 3, 1),
    p(2, "Fastest", "audible-fastest", 40, 3, 3, 1),
    p(3, "[U] Normal", "ultrasound-normal", 320, 9, 3, 1),
    p(4, "[U] Fast", "ultrasound-fast", 320, 6, 3, 1),
    p(5, "[U] Fastest", "ultrasound-fastest", 320, 3, 3, 1),
    p(6, "[DT] Normal", "dt-normal", 24, 9, 1, 1),
    p(7, "[DT] Fast", "dt-fast", 24, 6, 1, 1),
    p(8, "[DT] Fastest", "dt-fastest", 24, 3, 1, 1),
    p(9, "[MT] Normal", "mt-normal", 24, 9, 1, 2),
    p(10, "[MT] Fast", "mt-fast", 24, 6, 1, 2),
    p(11, "[MT] Fastest", "mt-fastest", 24, 3, 1, 2),
];

/// The default protocol of ggwave-to-file and of Python `ggwave.encode`: 1, "Fast".
pub const DEFAULT_PROTOCOL: u8 = 1;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_by_names() {
        assert_eq!(Protocol::by_name("1").unwrap().id, 1);
        assert_eq!(Protocol::by_name("Fastest").unwrap().id, 2);
        assert_eq!(Protocol::by_name("[U] Fast").unwrap().id, 4);
        assert_eq!(Protocol::by_name("ultrasound-fast").unwrap().id, 4);
        assert_eq!(Protocol::by_name("dt_normal").unwrap().id, 6);
        assert_eq!(Protocol::by_name("[MT] Fastest").unwrap().id, 11);
        assert_eq!(Protocol::by_name("audible fast").unwrap().id, 1);
        assert!(Protocol::by_name("12").is_none());
        assert!(Protocol::by_name("warp").is_none());
    }

    #[test]
    fn bands() {
        assert_eq!(PROTOCOLS[1].max_hz(), 135.0 * 46.875);
        assert_eq!(PROTOCOLS[4].max_hz(), 415.0 * 46.875);
        assert_eq!(PROTOCOLS[6].max_hz(), 55.0 * 46.875);
        assert_eq!(PROTOCOLS[9].max_hz(), 55.0 * 46.875); // markers span 32 bins
        assert_eq!(PROTOCOLS[2].tones_per_symbol(), 6);
        assert_eq!(PROTOCOLS[7].tones_per_symbol(), 2);
        assert_eq!(PROTOCOLS[10].tones_per_symbol(), 1);
    }
}
