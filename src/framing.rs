//! Framing of long payloads (docs/framing.md): a payload too long for one transmission is cut into
//! `k` data pieces plus `m` parity pieces, each one a standard ggwave transmission whose payload
//! starts with a 13-byte header. The receiver groups pieces by message, ignores duplicates,
//! rebuilds up to `m` lost pieces and checks a CRC-32 of the whole payload, so a payload is either
//! delivered exactly or reported with the indices of the pieces that are missing.
//!
//! Pure codec: bytes in, bytes out, no I/O and no clock (times are whatever the caller passes).
//!
//! Parity is Reed-Solomon over GF(2^8), column by column: byte `j` of every data piece, followed
//! by byte `j` of every parity piece, is one code word of [`crate::reed_solomon`] (the same field
//! and generator ggwave uses inside a transmission). A lost piece is an erasure in every column, so
//! `m` parity pieces rebuild any `m` lost pieces; pieces that are present but wrong (a rare
//! miscorrection inside a transmission) are corrected while `2 * wrong + lost <= m`.

use crate::reed_solomon;
use std::fmt;

/// First byte of every framed piece: framing format version 1. Bytes 0xF5-0xFF never occur in
/// UTF-8, so no text payload can be taken for a piece.
pub const MAGIC_V1: u8 = 0xF5;
/// Bytes of the piece header.
pub const HEADER_LEN: usize = 13;
/// Most parity pieces a payload may carry.
pub const MAX_PARITY: u8 = 8;
/// Parity pieces when nothing else is asked for.
pub const DEFAULT_PARITY: u8 = 1;
/// Most pieces (data and parity) of one payload: one Reed-Solomon word over GF(2^8).
pub const MAX_PIECES: usize = reed_solomon::MAX_WORD;
/// Longest payload the header can describe.
pub const MAX_LEN: usize = u16::MAX as usize;
/// Most payloads a receiver assembles at once (older ones are closed as incomplete).
pub const MAX_OPEN: usize = 32;

/// When the encoder frames a payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Framing {
    /// Frame payloads that do not fit one transmission; shorter ones stay plain ggwave messages,
    /// byte for byte. In fixed-length mode with pieces too small to carry the header (or a
    /// payload needing more than 255 pieces) the payload is sent plain.
    #[default]
    Auto,
    /// Frame every payload, even one that fits a single transmission.
    Always,
    /// Never frame: consecutive plain transmissions, as before framing existed.
    None,
}

impl Framing {
    /// Parse `auto`, `always` or `none` (case-insensitive).
    pub fn parse(s: &str) -> Option<Framing> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Some(Framing::Auto),
            "always" => Some(Framing::Always),
            "none" => Some(Framing::None),
            _ => None,
        }
    }

    /// The name [`Framing::parse`] reads.
    pub fn as_str(self) -> &'static str {
        match self {
            Framing::Auto => "auto",
            Framing::Always => "always",
            Framing::None => "none",
        }
    }
}

impl fmt::Display for Framing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a payload cannot be framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FramingError {
    /// A transmission of `piece` bytes cannot hold the header and at least one byte.
    PieceTooSmall { piece: usize, min: usize },
    /// The payload would need more than [`MAX_PIECES`] pieces.
    TooManyPieces { pieces: usize, max: usize },
    /// More parity pieces than [`MAX_PARITY`].
    Parity(u8),
    /// Empty payload, or longer than [`MAX_LEN`].
    Length(usize),
}

impl fmt::Display for FramingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FramingError::PieceTooSmall { piece, min } => write!(
                f,
                "framing needs transmissions of at least {min} bytes, these carry {piece}"
            ),
            FramingError::TooManyPieces { pieces, max } => write!(
                f,
                "framing this payload needs {pieces} pieces, more than {max}; use longer transmissions or less parity"
            ),
            FramingError::Parity(p) => write!(f, "parity {p} outside 0-{MAX_PARITY}"),
            FramingError::Length(n) => write!(f, "cannot frame a payload of {n} bytes"),
        }
    }
}

impl std::error::Error for FramingError {}

const fn crc32_table() -> [u32; 256] {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut b = 0;
        while b < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            b += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
}

const CRC32: [u32; 256] = crc32_table();

/// CRC-32 (IEEE 802.3, as in zip and PNG: reflected polynomial 0xEDB88320, initial and final
/// value 0xFFFFFFFF). `crc32(b"123456789") == 0xCBF43926`.
pub fn crc32(data: &[u8]) -> u32 {
    !data.iter().fold(!0u32, |c, &b| {
        CRC32[((c ^ b as u32) & 0xff) as usize] ^ (c >> 8)
    })
}

/// CRC-8 (polynomial 0x07, initial 0, as in SMBus) of the header fields.
fn crc8(data: &[u8]) -> u8 {
    data.iter().fold(0u8, |mut c, &b| {
        c ^= b;
        for _ in 0..8 {
            c = if c & 0x80 != 0 {
                (c << 1) ^ 0x07
            } else {
                c << 1
            };
        }
        c
    })
}

/// The header at the start of every piece.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Header {
    /// Message id (derived from the payload's CRC-32 by the encoder).
    pub id: u16,
    /// Piece index: `0..data` are data pieces, `data..data + parity` parity pieces.
    pub index: u8,
    /// Data pieces (`k`).
    pub data: u8,
    /// Parity pieces (`m`).
    pub parity: u8,
    /// Payload length in bytes.
    pub len: u16,
    /// CRC-32 of the whole payload.
    pub crc: u32,
}

impl Header {
    /// Bytes of every data piece but the last (the last holds the rest): `ceil(len / data)`.
    pub fn size(&self) -> usize {
        (self.len as usize).div_ceil(self.data.max(1) as usize)
    }

    /// Length of piece `index`'s body (data after the header).
    pub fn body_len(&self, index: usize) -> usize {
        let s = self.size();
        if index < self.data as usize {
            s.min(self.len as usize - index * s)
        } else {
            s
        }
    }

    /// The 13 header bytes.
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut h = [0u8; HEADER_LEN];
        h[0] = MAGIC_V1;
        h[1..3].copy_from_slice(&self.id.to_be_bytes());
        h[3] = self.index;
        h[4] = self.data;
        h[5] = self.parity;
        h[6..8].copy_from_slice(&self.len.to_be_bytes());
        h[8..12].copy_from_slice(&self.crc.to_be_bytes());
        h[12] = crc8(&h[..12]);
        h
    }

    /// Read a piece: its header and its body (truncated to the body length, so fixed-length
    /// padding is dropped). `None` when `bytes` is not a well-formed version-1 piece.
    pub fn parse(bytes: &[u8]) -> Option<(Header, &[u8])> {
        if bytes.len() <= HEADER_LEN || bytes[0] != MAGIC_V1 || crc8(&bytes[..12]) != bytes[12] {
            return None;
        }
        let h = Header {
            id: u16::from_be_bytes([bytes[1], bytes[2]]),
            index: bytes[3],
            data: bytes[4],
            parity: bytes[5],
            len: u16::from_be_bytes([bytes[6], bytes[7]]),
            crc: u32::from_be_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]),
        };
        let (k, m, len) = (h.data as usize, h.parity as usize, h.len as usize);
        if k == 0
            || h.parity > MAX_PARITY
            || k + m > MAX_PIECES
            || h.index as usize >= k + m
            || len < k
            || (k - 1) * h.size() >= len
        {
            return None;
        }
        let body = &bytes[HEADER_LEN..];
        let want = h.body_len(h.index as usize);
        (body.len() >= want).then(|| (h, &body[..want]))
    }
}

/// How a payload is cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// Data pieces.
    pub data: usize,
    /// Parity pieces.
    pub parity: usize,
    /// Bytes of every data piece but the last, and of every parity piece.
    pub size: usize,
    /// Payload length.
    pub len: usize,
}

impl Layout {
    /// All pieces.
    pub fn pieces(&self) -> usize {
        self.data + self.parity
    }

    /// Bytes of piece `index` including its header.
    pub fn piece_len(&self, index: usize) -> usize {
        let body = if index < self.data {
            self.size.min(self.len - index * self.size)
        } else {
            self.size
        };
        HEADER_LEN + body
    }
}

/// The layout of `len` bytes in transmissions of at most `transmission` bytes with `parity`
/// parity pieces. Data pieces are balanced: all the same size but the last.
pub fn layout(len: usize, transmission: usize, parity: u8) -> Result<Layout, FramingError> {
    if parity > MAX_PARITY {
        return Err(FramingError::Parity(parity));
    }
    if len == 0 || len > MAX_LEN {
        return Err(FramingError::Length(len));
    }
    if transmission <= HEADER_LEN {
        return Err(FramingError::PieceTooSmall {
            piece: transmission,
            min: HEADER_LEN + 1,
        });
    }
    let k = len.div_ceil(transmission - HEADER_LEN);
    let m = parity as usize;
    if k + m > MAX_PIECES {
        return Err(FramingError::TooManyPieces {
            pieces: k + m,
            max: MAX_PIECES,
        });
    }
    Ok(Layout {
        data: k,
        parity: m,
        size: len.div_ceil(k),
        len,
    })
}

/// The message id the encoder gives a payload: the two halves of its CRC-32 folded together, so
/// the same payload always gets the same id and an encode is reproducible.
pub fn message_id(crc: u32) -> u16 {
    ((crc >> 16) ^ (crc & 0xffff)) as u16
}

/// Cut `payload` into framed pieces (data pieces first, then parity pieces), each at most
/// `transmission` bytes.
pub fn split(
    payload: &[u8],
    transmission: usize,
    parity: u8,
) -> Result<Vec<Vec<u8>>, FramingError> {
    let l = layout(payload.len(), transmission, parity)?;
    let crc = crc32(payload);
    let header = |index: usize| Header {
        id: message_id(crc),
        index: index as u8,
        data: l.data as u8,
        parity: l.parity as u8,
        len: l.len as u16,
        crc,
    };
    let mut pieces: Vec<Vec<u8>> = Vec::with_capacity(l.pieces());
    for (i, chunk) in payload.chunks(l.size).enumerate() {
        let mut p = Vec::with_capacity(HEADER_LEN + chunk.len());
        p.extend_from_slice(&header(i).to_bytes());
        p.extend_from_slice(chunk);
        pieces.push(p);
    }
    if l.parity > 0 {
        let mut par: Vec<Vec<u8>> = (0..l.parity)
            .map(|r| {
                let mut p = Vec::with_capacity(HEADER_LEN + l.size);
                p.extend_from_slice(&header(l.data + r).to_bytes());
                p.resize(HEADER_LEN + l.size, 0);
                p
            })
            .collect();
        let mut column = vec![0u8; l.data];
        for j in 0..l.size {
            for (c, piece) in column.iter_mut().zip(&pieces) {
                *c = piece.get(HEADER_LEN + j).copied().unwrap_or(0);
            }
            // k + m <= 255 and m >= 1 were checked by `layout`: cannot fail.
            let check = reed_solomon::parity(&column, l.parity).unwrap_or_default();
            for (p, v) in par.iter_mut().zip(check) {
                p[HEADER_LEN + j] = v;
            }
        }
        pieces.extend(par);
    }
    Ok(pieces)
}

/// One received payload: a plain message, or a framed payload complete or not.
#[derive(Debug, Clone, PartialEq)]
pub struct Payload {
    /// The payload when `complete`; empty otherwise (an incomplete payload is never shown whole).
    pub data: Vec<u8>,
    /// Every data piece was received or rebuilt and the CRC-32 matched.
    pub complete: bool,
    /// Sent framed (false: a plain ggwave message, always complete).
    pub framed: bool,
    /// Message id of a framed payload.
    pub id: Option<u16>,
    /// Data pieces expected.
    pub pieces: usize,
    /// Parity pieces sent.
    pub parity: usize,
    /// Pieces heard (data and parity, duplicates not counted).
    pub received: usize,
    /// Indices of data pieces neither received nor rebuilt (0-based).
    pub missing: Vec<usize>,
    /// Indices of data pieces rebuilt from parity (0-based).
    pub recovered: Vec<usize>,
    /// Length announced by the header (the plain message's length when not framed).
    pub len: usize,
    /// Start of the first piece heard, in seconds.
    pub start_seconds: f64,
    /// End of the last piece heard, in seconds.
    pub end_seconds: f64,
}

impl Payload {
    /// The payload as text when complete and valid UTF-8.
    pub fn text(&self) -> Option<&str> {
        if self.complete {
            std::str::from_utf8(&self.data).ok()
        } else {
            None
        }
    }

    /// The payload in lowercase hex (empty when incomplete).
    pub fn hex(&self) -> String {
        self.data.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// "pieces 2, 5 missing" and the like: why an incomplete payload is incomplete.
    pub fn problem(&self) -> Option<String> {
        if self.complete {
            return None;
        }
        if self.missing.is_empty() {
            return Some("checksum mismatch: a piece was received wrong".into());
        }
        let list: Vec<String> = self.missing.iter().map(|i| i.to_string()).collect();
        Some(format!(
            "{} of {} data pieces missing (indices {}), {} parity piece(s) could not make up for them",
            self.missing.len(),
            self.pieces,
            list.join(", "),
            self.parity
        ))
    }
}

/// Progress of a framed payload being assembled.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// Message id.
    pub id: u16,
    /// Pieces heard (data and parity).
    pub received: usize,
    /// Data pieces expected.
    pub pieces: usize,
    /// Parity pieces sent.
    pub parity: usize,
    /// Index of the last piece heard.
    pub last_index: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Key {
    id: u16,
    data: u8,
    parity: u8,
    len: u16,
    crc: u32,
}

impl From<&Header> for Key {
    fn from(h: &Header) -> Self {
        Key {
            id: h.id,
            data: h.data,
            parity: h.parity,
            len: h.len,
            crc: h.crc,
        }
    }
}

#[derive(Debug)]
struct Group {
    key: Key,
    header: Header,
    bodies: Vec<Option<Vec<u8>>>,
    received: usize,
    max_index: usize,
    start: f64,
    /// End of the last piece heard, and the longest piece heard (seconds).
    last_end: f64,
    piece_seconds: f64,
    /// Reported already (complete); later pieces are duplicates.
    done: bool,
    order: usize,
}

impl Group {
    /// Rebuild the payload if enough pieces are here and the CRC matches.
    fn try_complete(&self) -> Option<(Vec<u8>, Vec<usize>)> {
        let (k, m) = (self.header.data as usize, self.header.parity as usize);
        if self.received < k {
            return None;
        }
        let h = &self.header;
        let lost: Vec<usize> = (0..k + m).filter(|&i| self.bodies[i].is_none()).collect();
        let lost_data: Vec<usize> = lost.iter().copied().filter(|&i| i < k).collect();
        let mut data = Vec::with_capacity(h.len as usize);
        if m == 0 || (lost_data.is_empty() && lost.len() == m) {
            // Nothing to cross-check: join the data pieces.
            for b in self.bodies.iter().take(k) {
                data.extend_from_slice(b.as_deref()?);
            }
        } else {
            let size = h.size();
            let mut cols = vec![vec![0u8; size]; k];
            let mut word = vec![0u8; k + m];
            for j in 0..size {
                for (i, w) in word.iter_mut().enumerate() {
                    *w = self.bodies[i]
                        .as_deref()
                        .and_then(|b| b.get(j))
                        .copied()
                        .unwrap_or(0);
                }
                reed_solomon::correct(&mut word, m, &lost).ok()?;
                for (c, &w) in cols.iter_mut().zip(&word) {
                    c[j] = w;
                }
            }
            for (i, c) in cols.iter().enumerate() {
                data.extend_from_slice(&c[..h.body_len(i)]);
            }
        }
        (data.len() == h.len as usize && crc32(&data) == h.crc).then_some((data, lost_data))
    }

    fn report(&self, complete: Option<(Vec<u8>, Vec<usize>)>) -> Payload {
        let k = self.header.data as usize;
        let (data, complete, missing, recovered) = match complete {
            Some((d, rec)) => (d, true, Vec::new(), rec),
            None => (
                Vec::new(),
                false,
                (0..k).filter(|&i| self.bodies[i].is_none()).collect(),
                Vec::new(),
            ),
        };
        Payload {
            data,
            complete,
            framed: true,
            id: Some(self.key.id),
            pieces: k,
            parity: self.header.parity as usize,
            received: self.received,
            missing,
            recovered,
            len: self.header.len as usize,
            start_seconds: self.start,
            end_seconds: self.last_end,
        }
    }

    /// When the last piece should have been heard: the pieces after the highest index heard,
    /// each as long as the longest heard plus the gap between transmissions, and a margin.
    fn deadline(&self) -> f64 {
        let total = self.header.data as usize + self.header.parity as usize;
        let after = total - 1 - self.max_index;
        let gap = crate::encoder::GAP_SAMPLES as f64 / crate::protocol::SAMPLE_RATE as f64;
        self.last_end + (after as f64 + 1.0) * (self.piece_seconds + gap) + 1.0
    }
}

/// The receiver's side: feed it every decoded transmission in the order heard; it groups pieces
/// by message, ignores duplicates, rebuilds lost pieces from parity and checks the CRC-32.
#[derive(Debug)]
pub struct Assembler {
    groups: Vec<Group>,
    next_order: usize,
    /// Report a payload as soon as it can be rebuilt (live), or only at [`Assembler::finish`]
    /// (a whole recording: the report then counts every piece heard).
    eager: bool,
}

impl Default for Assembler {
    fn default() -> Self {
        Assembler::new()
    }
}

impl Assembler {
    /// An empty receiver that reports each payload as soon as it is complete (live input).
    pub fn new() -> Self {
        Assembler {
            groups: Vec::new(),
            next_order: 0,
            eager: true,
        }
    }

    /// An empty receiver that reports framed payloads only at [`Assembler::finish`], when every
    /// piece of the recording has been seen: `recovered` then lists only pieces really lost.
    pub fn whole() -> Self {
        Assembler {
            eager: false,
            ..Assembler::new()
        }
    }

    /// Feed one decoded transmission (its payload bytes and where it was heard). Returns the
    /// payloads this completes: a plain message at once; a framed payload when enough of its
    /// pieces are here and its CRC-32 matches. Later pieces of a completed payload are ignored;
    /// so are duplicates. When more than [`MAX_OPEN`] framed payloads are open, the oldest is
    /// closed and returned as incomplete.
    pub fn push(&mut self, bytes: &[u8], start: f64, end: f64) -> Vec<Payload> {
        let Some((h, body)) = Header::parse(bytes) else {
            return vec![Payload {
                data: bytes.to_vec(),
                complete: true,
                framed: false,
                id: None,
                pieces: 1,
                parity: 0,
                received: 1,
                missing: Vec::new(),
                recovered: Vec::new(),
                len: bytes.len(),
                start_seconds: start,
                end_seconds: end,
            }];
        };
        let key = Key::from(&h);
        let mut out = Vec::new();
        let gi = match self.groups.iter().position(|g| g.key == key) {
            Some(i) => i,
            None => {
                if self.groups.iter().filter(|g| !g.done).count() >= MAX_OPEN {
                    if let Some(oldest) = self
                        .groups
                        .iter()
                        .enumerate()
                        .filter(|(_, g)| !g.done)
                        .min_by_key(|(_, g)| g.order)
                        .map(|(i, _)| i)
                    {
                        let g = self.groups.remove(oldest);
                        out.push(g.report(None));
                    }
                }
                let total = h.data as usize + h.parity as usize;
                self.groups.push(Group {
                    key,
                    header: h,
                    bodies: vec![None; total],
                    received: 0,
                    max_index: 0,
                    start,
                    last_end: end,
                    piece_seconds: 0.0,
                    done: false,
                    order: self.next_order,
                });
                self.next_order += 1;
                self.groups.len() - 1
            }
        };
        let g = &mut self.groups[gi];
        let idx = h.index as usize;
        if g.done || g.bodies[idx].is_some() {
            return out;
        }
        g.bodies[idx] = Some(body.to_vec());
        g.received += 1;
        g.max_index = g.max_index.max(idx);
        g.start = g.start.min(start);
        g.last_end = g.last_end.max(end);
        g.piece_seconds = g.piece_seconds.max(end - start);
        if !self.eager {
            return out;
        }
        if let Some(done) = g.try_complete() {
            g.done = true;
            // Free the pieces; the group stays only to recognise late pieces as duplicates.
            g.bodies.iter_mut().for_each(|b| {
                if b.is_some() {
                    *b = Some(Vec::new())
                }
            });
            out.push(g.report(Some(done)));
        }
        out
    }

    /// Payloads still being assembled, oldest first.
    pub fn progress(&self) -> Vec<Progress> {
        let mut open: Vec<&Group> = self.groups.iter().filter(|g| !g.done).collect();
        open.sort_by_key(|g| g.order);
        open.iter()
            .map(|g| Progress {
                id: g.key.id,
                received: g.received,
                pieces: g.header.data as usize,
                parity: g.header.parity as usize,
                last_index: g.max_index,
            })
            .collect()
    }

    /// Close payloads that can no longer complete by time `now` (seconds, the same clock as the
    /// pieces): returned as incomplete. Completed ones are forgotten once their last piece is due,
    /// so the same payload sent again later is reported again.
    pub fn expire(&mut self, now: f64) -> Vec<Payload> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < self.groups.len() {
            if self.groups[i].deadline() < now {
                let g = self.groups.remove(i);
                if !g.done {
                    out.push(g.report(None));
                }
            } else {
                i += 1;
            }
        }
        out
    }

    /// Close every open payload (end of input): complete if it can be rebuilt now, otherwise
    /// incomplete.
    pub fn finish(&mut self) -> Vec<Payload> {
        let mut open: Vec<Group> = self.groups.drain(..).filter(|g| !g.done).collect();
        open.sort_by_key(|g| g.order);
        open.iter().map(|g| g.report(g.try_complete())).collect()
    }
}

/// Assemble a whole recording's transmissions (`(payload, start, end)` in the order heard) into
/// payloads, ordered by start time.
pub fn assemble<'a>(messages: impl IntoIterator<Item = (&'a [u8], f64, f64)>) -> Vec<Payload> {
    let mut a = Assembler::whole();
    let mut out = Vec::new();
    for (bytes, start, end) in messages {
        out.extend(a.push(bytes, start, end));
    }
    out.extend(a.finish());
    out.sort_by(|x, y| x.start_seconds.total_cmp(&y.start_seconds));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_check_values() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
        assert_eq!(crc8(b"123456789"), 0xF4);
    }

    #[test]
    fn header_round_trip_and_layout() {
        let l = layout(400, 140, 1).unwrap();
        assert_eq!((l.data, l.parity, l.size), (4, 1, 100));
        let l = layout(8192, 140, 8).unwrap();
        assert_eq!((l.data, l.size), (65, 127));
        assert!(layout(8192, 14, 0).is_err());
        assert!(layout(10, 13, 0).is_err());
        let h = Header {
            id: 0xBEEF,
            index: 2,
            data: 4,
            parity: 1,
            len: 400,
            crc: 0x1234_5678,
        };
        let mut bytes = h.to_bytes().to_vec();
        bytes.extend([7u8; 100]);
        let (back, body) = Header::parse(&bytes).unwrap();
        assert_eq!(back, h);
        assert_eq!(body.len(), 100);
        bytes[4] = 5; // header check byte no longer matches
        assert!(Header::parse(&bytes).is_none());
        assert!(Header::parse(b"plain text").is_none());
    }

    #[test]
    fn every_single_loss_is_rebuilt() {
        let payload: Vec<u8> = (0..1000u32).map(|i| (i * 7 + 3) as u8).collect();
        let pieces = split(&payload, 140, 2).unwrap();
        assert!(pieces.iter().all(|p| p.len() <= 140));
        for a in 0..pieces.len() {
            for b in a..pieces.len() {
                let got = assemble(
                    pieces
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| *i != a && *i != b)
                        .map(|(i, p)| (p.as_slice(), i as f64, i as f64 + 0.5)),
                );
                assert_eq!(got.len(), 1);
                assert!(got[0].complete, "lost {a} and {b}");
                assert_eq!(got[0].data, payload);
            }
        }
    }
}
