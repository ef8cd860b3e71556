//! The byte stream of one transmission: `[L, h1, h2] ++ payload ++ parity` in variable-length
//! mode, `payload' ++ parity` in fixed-length mode (docs/protocol.md §3), and the symbols it becomes.

use crate::protocol::Protocol;
use crate::reed_solomon;

/// DSS mask: payload byte `i` is XOR-ed with `DSS[i % 64]` when DSS is on.
pub const DSS: [u8; 64] = [
    0x96, 0x9f, 0xb4, 0xaf, 0x1b, 0x91, 0xde, 0xc5, 0x45, 0x75, 0xe8, 0x2e, 0x0f, 0x32, 0x4a, 0x5f,
    0xb4, 0x56, 0x95, 0xcb, 0x7f, 0x6a, 0x54, 0x6a, 0x48, 0xf2, 0x0b, 0x7b, 0xcd, 0xfb, 0x93, 0x6d,
    0x3c, 0x77, 0x5e, 0xc3, 0x33, 0x47, 0xc0, 0xf1, 0x71, 0x32, 0x33, 0x27, 0x35, 0x68, 0x47, 0x1f,
    0x4e, 0xac, 0x23, 0x42, 0x5f, 0x00, 0x37, 0xa4, 0x50, 0x6d, 0x48, 0x24, 0x91, 0x7c, 0xa1, 0x4e,
];

/// Bytes of the variable-length header (length + 2 parity bytes).
pub const HEADER_LEN: usize = 3;

/// Parity bytes for a payload of `len` bytes ("getECCBytesForLength").
pub fn ecc_len(len: usize) -> usize {
    if len < 4 {
        2
    } else {
        (2 * (len / 5)).max(4)
    }
}

/// XOR `data` with the DSS mask (its own inverse).
pub fn apply_dss(data: &mut [u8]) {
    for (i, b) in data.iter_mut().enumerate() {
        *b ^= DSS[i % DSS.len()];
    }
}

/// How a transmission is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Start and end markers around a length header, the payload and its parity.
    Variable,
    /// No markers and no header: the receiver knows the length.
    Fixed,
}

impl Mode {
    /// The mode of an optional fixed length.
    pub fn of(fixed_length: Option<usize>) -> Self {
        match fixed_length {
            Some(_) => Mode::Fixed,
            None => Mode::Variable,
        }
    }
}

/// Which of the two markers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    /// Before the data.
    Start,
    /// After the data.
    End,
}

/// Length in bytes of the encoded stream for a payload of `len` bytes.
pub fn stream_len(len: usize, mode: Mode) -> usize {
    match mode {
        Mode::Fixed => len + ecc_len(len),
        Mode::Variable => HEADER_LEN + len + ecc_len(len),
    }
}

/// Number of data symbols for a stream of `stream_bytes` bytes.
pub fn symbol_count(p: &Protocol, stream_bytes: usize) -> usize {
    p.extra * stream_bytes.div_ceil(p.bytes_per_tx)
}

/// Frames (1024 samples at 48 kHz) of a whole transmission, markers included.
pub fn transmission_frames(p: &Protocol, payload_len: usize, mode: Mode) -> usize {
    let data = symbol_count(p, stream_len(payload_len, mode)) * p.frames_per_tx;
    match mode {
        Mode::Fixed => data,
        Mode::Variable => data + 2 * crate::protocol::MARKER_FRAMES,
    }
}

/// Build the stream. `payload` must already have the right length (1..=140, or exactly the
/// fixed length); the caller validates.
pub fn build_stream(payload: &[u8], mode: Mode, dss: bool) -> Vec<u8> {
    let mut data = payload.to_vec();
    if dss {
        apply_dss(&mut data);
    }
    let nsym = ecc_len(data.len());
    let mut out = Vec::with_capacity(stream_len(data.len(), mode));
    if mode == Mode::Variable {
        let len = data.len() as u8;
        out.push(len);
        // A 1-byte message with 2 parity bytes always fits: cannot fail.
        out.extend(reed_solomon::parity(&[len], 2).unwrap_or_default());
    }
    let par = reed_solomon::parity(&data, nsym).unwrap_or_default();
    out.extend_from_slice(&data);
    out.extend(par);
    out
}

/// The tones of every data symbol, as bins relative to `freq_start`, in ascending order.
pub fn symbols(p: &Protocol, stream: &[u8]) -> Vec<Vec<usize>> {
    let b = p.bytes_per_tx;
    let groups = stream.len().div_ceil(b);
    let mut out = Vec::with_capacity(groups * p.extra);
    for g in 0..groups {
        let byte_at = |j: usize| stream.get(g * b + j).copied().unwrap_or(0) as usize;
        if p.is_mono_tone() {
            let v = byte_at(0);
            out.push(vec![v & 0x0f]);
            out.push(vec![v >> 4]);
        } else {
            let mut tones = Vec::with_capacity(2 * b);
            for j in 0..b {
                let v = byte_at(j);
                tones.push(32 * j + (v & 0x0f));
                tones.push(32 * j + 16 + (v >> 4));
            }
            out.push(tones);
        }
    }
    out
}

/// Relative bins of a marker.
pub fn marker_bins(marker: Marker) -> [usize; 16] {
    let end = marker == Marker::End;
    let mut bins = [0usize; 16];
    for (i, b) in bins.iter_mut().enumerate() {
        let upper = (i % 2 == 1) != end;
        *b = 2 * i + usize::from(upper);
    }
    bins
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::PROTOCOLS;

    #[test]
    fn ecc_table() {
        let want = [
            (1, 2),
            (3, 2),
            (4, 4),
            (14, 4),
            (15, 6),
            (19, 6),
            (20, 8),
            (25, 10),
            (50, 20),
            (64, 24),
            (100, 40),
            (139, 54),
            (140, 56),
        ];
        for (l, e) in want {
            assert_eq!(ecc_len(l), e, "L={l}");
        }
    }

    #[test]
    fn hello_world_stream() {
        let s = build_stream(b"Hello World", Mode::Variable, false);
        let hex: String = s.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "0b1d1648656c6c6f20576f726c64c94843e2");
        let sym = symbols(&PROTOCOLS[1], &s);
        let abs: Vec<usize> = sym[0].iter().map(|r| r + 40).collect();
        assert_eq!(abs, vec![51, 56, 85, 89, 110, 121]);
    }

    #[test]
    fn lengths() {
        assert_eq!(transmission_frames(&PROTOCOLS[1], 11, Mode::Variable), 68);
        assert_eq!(transmission_frames(&PROTOCOLS[6], 11, Mode::Variable), 194);
        assert_eq!(transmission_frames(&PROTOCOLS[0], 140, Mode::Variable), 635);
        assert_eq!(transmission_frames(&PROTOCOLS[8], 140, Mode::Variable), 629);
        assert_eq!(transmission_frames(&PROTOCOLS[9], 64, Mode::Fixed), 1584);
        assert_eq!(transmission_frames(&PROTOCOLS[11], 11, Mode::Fixed), 90);
    }

    #[test]
    fn markers() {
        assert_eq!(
            marker_bins(Marker::Start),
            [0, 3, 4, 7, 8, 11, 12, 15, 16, 19, 20, 23, 24, 27, 28, 31]
        );
        assert_eq!(
            marker_bins(Marker::End),
            [1, 2, 5, 6, 9, 10, 13, 14, 17, 18, 21, 22, 25, 26, 29, 30]
        );
    }
}
