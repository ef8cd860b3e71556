//! Tones in, bytes out.
//!
//! The receiver works on whole buffers at 48 kHz (other rates are resampled first, with a proper
//! resampler, so 44.1 kHz files decode where ggwave's streaming resampler drops samples):
//!
//! 1. **Scan**: power spectra of consecutive 2048-sample frames; every band (24, 40, 320) is
//!    checked for start markers with *soft*, multi-frame scoring over a grid of clock-drift
//!    factors (±1.2 % audible, ±0.3 % ultrasound), instead of ggwave's single-frame 3× threshold.
//!    A first pass over every other frame picks where the full scan is worth computing (a minute
//!    of noise: 18 % of it).
//! 2. **Lock**: around each candidate marker, the symbol timing is searched at 1/16-frame steps
//!    and the drift is undone by resampling the candidate span.
//! 3. **Read**: each symbol is the coherent sum of its frames (as ggwave), each nibble the arg-max
//!    of its 16 bins; nibbles whose winner is not clearly ahead are marked as erasures. The best
//!    3 timing offsets of each protocol (by the confidence of the header symbols) are read.
//! 4. **Check**: Reed-Solomon with errors *and* erasures on the header and the payload, plus the
//!    frame-count check; the end marker must be where the length says it is when a correction
//!    was needed. A correction is worth what noise would need to pass it: a payload drowned in
//!    noise between an intact header and end marker reads as a random word, and a random word of
//!    `n` bytes with `nsym` parity bytes lands within `c` bytes of some code word (`c` outside
//!    `e` erased positions) with probability `Σ_{i≤c} C(n−e, i)·255^i / 256^(nsym−e)`
//!    (`read::pass_chance`). A payload is accepted only exact or with a correction whose chance
//!    is at most 1e-5: under 4 bytes (ggwave's 2 parity bytes) exact only (one byte corrected:
//!    2 %; noise between an intact header and end marker became a wrong payload 8 times in 480),
//!    4-14 bytes (4 parity bytes) one byte (two: 1.6e-3 for "Hello World", a wrong payload in a
//!    noisy room at `scripts/bench-channels --seed 7`), 15-19 bytes two, 20 bytes and more their
//!    full radius when nothing is erased (beside erasures the bound leaves fewer errors: with 4
//!    checks left, one). The header (3 bytes, 2 parity bytes) keeps its one corrected byte: a wrong header
//!    is a wrong length, which still needs its end marker in place, and the payload read with it
//!    faces the same bound, whatever the header needed. The fixed-length receiver applies the
//!    same bound.
//! 5. **Rooms** (only when 3-4 found nothing at a marker, so clean and noisy audio cost nothing
//!    more): in a reverberant room every symbol leaves a tail that decays slowly compared with a
//!    symbol (with RT60 1 s a tone loses under 8 dB over a 128 ms Fast symbol), so the previous symbols' tones
//!    compete with the current one, most at the start of a symbol. Two more readings are tried:
//!    - *dereverberated*: from each symbol's power spectrum, `β` times the power spectrum of the
//!      window just before it is subtracted, bin by bin (negative values count as 0). With an
//!      exponential decay the reverberant energy in a window is about `β` times the whole energy
//!      of the window before (which already holds the older symbols' tails), so the subtraction
//!      removes the tails of all earlier symbols at once; a tone repeated from the previous symbol
//!      keeps `(1 − β)` of its power and still wins over bins that only hold tails. `β` is
//!      measured per transmission on the start marker, whose 16 tones stop where the data starts:
//!      the median over them of (their power in the first data symbol's window) / (their power in
//!      the marker's last window), clamped to 0.1-0.95;
//!    - the same over the frames of each symbol after its first (where the previous symbol's tail
//!      has decayed most), for symbols of 3 frames or more.
//!
//!    Each is read at *every* offset of the timing search (33 per protocol), best header
//!    confidence first: in a room the header's confidence is a poor guide to the timing (its best
//!    offset is often 1/2 to 1 frame early), while the right offset reads with few errors. The
//!    start marker's own tail carries its pattern on into the data, so the box that located it
//!    (step 2) sits late, by up to 3-4 frames in a large room: the room readings also search
//!    ±1 frame around where the marker's *leading edge* (found as the end marker's, below) puts
//!    the data, when that is 3/8 frame or more from the box's estimate, and ±1 frame around
//!    2 frames before that (in a hall the readings of a late window of each symbol were often
//!    best there): up to 99 offsets. The
//!    checks of step 4 are unchanged (a corrected word still needs its end marker), and the
//!    plain reading stays first because subtracting the previous window doubles the noise.
//!    These readings make about 20 times more Reed-Solomon trials per marker than the plain one,
//!    so a word they read is accepted only with at most one byte corrected outside its erasures
//!    (`correct_soft_strict`): a start marker and header followed by noise, read at every offset,
//!    otherwise turned into a wrong payload now and then (a fixed-seed test keeps that case).
//!    - *joined*: last, at every offset again, eight readings together: plain, dereverberated,
//!      late, dereverberated over the last third of each symbol (at least its last frame: the
//!      early reflections of the previous symbol fill a symbol's first 1-2 frames, so for
//!      Fastest's 3-frame symbols this was the best single reading in large rooms),
//!      dereverberated with 1.5 β, a decision-feedback one (the tail subtracted is
//!      modelled: `β` times the previous tail plus what was left in the bins just decided, so
//!      noise in the other bins is not doubled), and the last-third one *equalised* bin by bin
//!      (the room's response makes some tone bins weak: each bin is divided by its level when
//!      on, the mean power of the symbols whose nibble picked it in a first pass, pulled towards
//!      the median such level of its 16 bins, which bins never picked take; a transmission
//!      picks each bin less than once on average, so this is a coarse estimate and the reading
//!      is one more vote, not a reading on its own), and the *sequence* reading (below); a ninth
//!      vote is their soft sum (each reading's 16 bins of the nibble normalised to sum 1, added
//!      up).
//!    - *sequence* (`read::sequence`): the symbol-by-symbol readings above judge each symbol
//!      alone, so the previous symbol's tail, which in a hall loses under 4 dB over a Fastest
//!      symbol, often wins its bin. This one decides each nibble slot's tones as a *sequence*:
//!      over each symbol's frames after its first, a bin's power is taken as exponentially
//!      distributed (the reverberant field: many reflections of random phase) around a mean of
//!      its tail, plus, when its tone is sent, a new tone's level (3 times the start marker's
//!      tones' median level in the window before the data); the tail of the bin just decided
//!      becomes `0.7 β` times (its tail + that level), every other tail decays by `0.84 β`
//!      (`β` as above), and each bin carries 2 % of the new-tone level of noise and model error.
//!      The most likely sequence is searched Viterbi-style with one survivor per last value,
//!      each with its own tails: a symbol decided wrongly (the previous tone's tail taken for
//!      the tone) leaves the true tone's tail unexplained in the next symbols, and that path
//!      loses to the one that decided right. Its value is the best path's; its confidence and
//!      runner-up come from the likelihood ratios of the 16 values given the best path's tails
//!      (where the path overrules its symbol's own best ratio, by a margin of 0.1, so the search
//!      tries the other value early). At the best offset of each of the 24 hall Fastest start
//!      markers of `scripts/bench-channels --seed 2026` (24 trials) it misread 71 nibbles in
//!      all, the best of the other readings (last third) 186; large room 30 against 106.
//!      Where one reading misreads a nibble (a tail that happens to be loud in its bin, a tone in
//!      a notch of the room's response) another usually reads it right, and a wrong value's
//!      true one is nearly always the runner-up. So the payload word is searched
//!      (`read::search_word`) among: the sequence reading's value of each nibble (a weighted
//!      majority of the votes misread more than it alone: in rooms the other readings mostly
//!      agree on the same tail), every nibble the
//!      readings disagree on set to any of their values (at most 256 such words), and each of
//!      those with one more nibble changed to a value a reading read or ranked second (16384
//!      words in all per offset). Only an exact code word counts (all syndromes zero, nothing
//!      corrected), and only when the search finds exactly one: with 4 parity bytes a random word
//!      passes one of the 16384 with probability about 4e-6 (the word count is cut to 2^-18 of
//!      the code's 2^(8·parity), so codes with 2 parity bytes get no search; nor do the strict
//!      readings read them). The header is any reading's header that Reed-Solomon accepts, and
//!      the end marker must be where its length says (its edge within ±2.5 frames, or the box
//!      locating it from 0.75 frame early to 4.5 frames late: in a hall the end marker's pattern
//!      builds up over 3-4 frames, too slowly for the edge test, while its box slid 2-4.5 frames
//!      late; an exact code word is its own proof of the length). A fixed-seed test drowns the payloads of 4-parity
//!      transmissions between intact markers (1200 of them once, 48 in the suite): no payload.
//!
//!    In a room the end marker's own tail carries its pattern on for frames after it stops while
//!    the last symbols' tails blur its first frames, so the box that locates it slides late by
//!    several frames; for the room readings an end marker whose *leading edge* is in place (the
//!    strongest rise of the pattern strength, 4 frames before against 4 after; from 1.75 frames
//!    early, where a late start-marker estimate puts the expected end, to 0.75 frame late)
//!    counts too. That check, not the symbol decisions, was what most large-room failures came
//!    down to.
//!    Measured with `scripts/bench-channels` (docs/robustness.md). The live receiver
//!    ([`StreamDecoder`]) runs this same decoder over its window, so it reads rooms the same way;
//!    the fixed-length mode has no room readings (it has no start marker to measure `β` or the
//!    timing on and no end marker to confirm a length, and it reads every hop position of every
//!    protocol: the room readings' many extra trials would have nothing to check them against).
//!    A marker whose plain reading fails costs some 650 M instructions (~70 ms) more with them
//!    (docs/robustness.md), so at most 8 markers per decode get them, and only the first 3 the
//!    search around the leading edge (a hostile recording of markers followed by noise cannot
//!    multiply that: 12 drowned Fast markers in 18 s decode in 0.35 s natively); later ones get
//!    the plain reading only.
//!
//! Each message carries quality figures (band SNR, the drift locked to, the bytes Reed-Solomon
//! corrected); a decode that finds nothing says why ([`Diagnosis`], see `diagnose.rs`).

mod diagnose;
#[cfg(any(
    test,
    all(target_arch = "wasm32", target_feature = "simd128"),
    feature = "own-fft"
))]
mod fft;
mod fixed;
mod read;
mod scan;
mod spectrum;
mod stream;
mod variable;

pub use diagnose::Diagnosis;
pub use stream::StreamDecoder;

use crate::limits::{LimitError, Limits};
use crate::protocol::{Protocol, SAMPLE_RATE};
use crate::resample;
use crate::wav::{read_wav, AudioInfo, WavError};
use std::fmt;

/// How to decode.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DecodeOptions {
    /// Fixed-length mode: every transmission carries exactly this many bytes (1..=64), no markers.
    pub fixed_length: Option<usize>,
    /// The sender used DSS.
    pub dss: bool,
    /// Limits for hostile input.
    pub limits: Limits,
}

/// One received message.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// The bytes sent.
    pub payload: Vec<u8>,
    /// Protocol id it was sent with.
    pub protocol: u8,
    /// Where the transmission starts in the input, in seconds.
    pub start_seconds: f64,
    /// Where it ends, in seconds.
    pub end_seconds: f64,
    /// Signal-to-noise ratio in the protocol's band over the message's data symbols, dB (per
    /// 1024-sample frame; −30..100): the tones' power against the other bins of the band.
    pub snr_db: f64,
    /// The clock error the receiver locked to, in parts per million: positive when the tones
    /// arrived higher (and faster) than nominal, i.e. the sender's clock ran fast against the
    /// recorder's. Always 0 in fixed-length mode (no drift search).
    pub drift_ppm: f64,
    /// Bytes Reed-Solomon corrected (header and payload); 0 for a clean read.
    pub corrected_bytes: usize,
}

impl Message {
    /// The payload as text when it is valid UTF-8.
    pub fn text(&self) -> Option<&str> {
        std::str::from_utf8(&self.payload).ok()
    }

    /// ggwave's name of the protocol.
    pub fn protocol_name(&self) -> &'static str {
        Protocol::by_id(self.protocol)
            .map(|p| p.name)
            .unwrap_or("unknown")
    }

    /// The payload in lowercase hex.
    pub fn hex(&self) -> String {
        self.payload.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Why audio could not be decoded (finding no message is not an error).
#[derive(Debug, Clone, PartialEq)]
pub enum DecodeError {
    /// The WAV could not be read.
    Wav(WavError),
    /// A limit was exceeded.
    Limit(LimitError),
    /// Fixed length outside 1..=64.
    FixedLength(usize),
    /// Internal resampler failure.
    Resample(crate::resample::ResampleError),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Wav(e) => write!(f, "{e}"),
            DecodeError::Limit(e) => write!(f, "{e}"),
            DecodeError::FixedLength(n) => {
                let r = crate::protocol::FIXED_LENGTH_RANGE;
                write!(f, "fixed length {n} outside {}-{}", r.start(), r.end())
            }
            DecodeError::Resample(e) => write!(f, "resampling failed: {e}"),
        }
    }
}

impl std::error::Error for DecodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            // Their messages are part of this one's: pass on their causes, not them.
            DecodeError::Wav(e) => e.source(),
            DecodeError::Limit(e) => e.source(),
            DecodeError::Resample(e) => e.source(),
            DecodeError::FixedLength(_) => None,
        }
    }
}

impl From<WavError> for DecodeError {
    fn from(e: WavError) -> Self {
        match e {
            WavError::Limit(l) => DecodeError::Limit(l),
            other => DecodeError::Wav(other),
        }
    }
}

impl From<LimitError> for DecodeError {
    fn from(e: LimitError) -> Self {
        DecodeError::Limit(e)
    }
}

/// A decoded file: what it was and what it said.
#[derive(Debug, Clone)]
pub struct Decoded {
    /// Header facts of the input.
    pub info: AudioInfo,
    /// Messages (transmissions) in order of their start.
    pub messages: Vec<Message>,
    /// What the messages carry, assembled (docs/framing.md): a plain message is one complete
    /// payload; the pieces of a framed payload are joined (lost ones rebuilt from parity) into one
    /// payload, `complete` only when every byte is there and its CRC-32 matches.
    pub payloads: Vec<crate::framing::Payload>,
    /// When there are no messages, why.
    pub diagnosis: Option<Diagnosis>,
}

/// Assemble decoded messages into payloads (see [`Decoded::payloads`]).
pub fn payloads(messages: &[Message]) -> Vec<crate::framing::Payload> {
    crate::framing::assemble(
        messages
            .iter()
            .map(|m| (m.payload.as_slice(), m.start_seconds, m.end_seconds)),
    )
}

/// Decoded samples: the messages and, when there are none, why.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Messages in order of their start.
    pub messages: Vec<Message>,
    /// When there are no messages, why.
    pub diagnosis: Option<Diagnosis>,
}

fn check_options(opts: &DecodeOptions) -> Result<(), DecodeError> {
    match opts.fixed_length {
        Some(n) if !crate::protocol::FIXED_LENGTH_RANGE.contains(&n) => {
            Err(DecodeError::FixedLength(n))
        }
        _ => Ok(()),
    }
}

/// Decode mono samples at any rate.
pub fn decode_samples(
    samples: &[f32],
    sample_rate: u32,
    opts: &DecodeOptions,
) -> Result<Vec<Message>, DecodeError> {
    decode_checked(samples, sample_rate, opts, false, false).map(|o| o.messages)
}

/// [`decode_samples`], and when nothing is found, a [`Diagnosis`] of why (a look at a few hundred
/// frames of the input: well under a millisecond).
pub fn decode_samples_diagnosed(
    samples: &[f32],
    sample_rate: u32,
    opts: &DecodeOptions,
) -> Result<Outcome, DecodeError> {
    decode_checked(samples, sample_rate, opts, false, true)
}

/// [`decode_samples`]; `in_range` promises finite samples in -1..1 (what [`read_wav`] returns), which
/// saves a pass over the audio; `diagnose` asks for a diagnosis when nothing is found.
fn decode_checked(
    samples: &[f32],
    sample_rate: u32,
    opts: &DecodeOptions,
    in_range: bool,
    diagnose: bool,
) -> Result<Outcome, DecodeError> {
    check_options(opts)?;
    let l = &opts.limits;
    l.check_sample_rate(sample_rate)?;
    let seconds = samples.len() as f64 / sample_rate as f64;
    if seconds > l.max_seconds {
        return Err(LimitError::TooLong {
            seconds,
            max: l.max_seconds,
        }
        .into());
    }
    // Samples are defined in -1..1: NaN and infinities (which the resampler must never see) become
    // silence, anything louder is clipped. Copy only when needed.
    let sanitized: Vec<f32>;
    // (`abs() <= 1` is false for NaN and infinities; a branch-free fold vectorises.)
    let in_range = in_range || samples.iter().fold(true, |ok, v| ok & (v.abs() <= 1.0));
    let samples: &[f32] = if in_range {
        samples
    } else {
        sanitized = samples
            .iter()
            .map(|&v| crate::limits::sanitize_sample(v))
            .collect();
        &sanitized
    };
    let resampled;
    let audio: &[f32] = if sample_rate == SAMPLE_RATE {
        samples
    } else {
        resampled =
            resample::resample(samples, sample_rate, SAMPLE_RATE).map_err(DecodeError::Resample)?;
        &resampled
    };
    // Bands whose tones lie above the input's Nyquist frequency carry nothing: skip them so that
    // filtered audio can never be read as a message.
    let nyquist = sample_rate as f64 / 2.0;
    let mut heard = Vec::new();
    let messages = decode_48k(audio, opts, nyquist, diagnose.then_some(&mut heard));
    let diagnosis = (diagnose && messages.is_empty())
        .then(|| diagnose::diagnose(samples, sample_rate, heard.first().copied()));
    Ok(Outcome {
        messages,
        diagnosis,
    })
}

/// Decode samples already at 48 kHz; `nyquist` limits the bands searched. Start markers that led
/// to no message go to `heard` when given (see `variable::decode`).
fn decode_48k(
    audio: &[f32],
    opts: &DecodeOptions,
    nyquist: f64,
    heard: Option<&mut Vec<diagnose::Heard>>,
) -> Vec<Message> {
    let mut messages = match opts.fixed_length {
        Some(n) => fixed::decode(audio, n, opts.dss, nyquist),
        None => variable::decode(audio, opts.dss, nyquist, heard),
    };
    messages.sort_by(|a, b| a.start_seconds.total_cmp(&b.start_seconds));
    messages
}

/// Read and decode a WAV file. Several channels are mixed; when the mix yields nothing, each
/// channel is tried on its own (a stereo file with the tones on one side, or out of phase).
pub fn decode_wav(bytes: &[u8], opts: &DecodeOptions) -> Result<Decoded, DecodeError> {
    check_options(opts)?;
    let audio = read_wav(bytes, &opts.limits)?;
    let rate = audio.info.sample_rate;
    let mixed = decode_checked(&audio.mono(), rate, opts, true, true)?;
    let (mut messages, mut diagnosis) = (mixed.messages, mixed.diagnosis);
    if messages.is_empty() && audio.channels.len() > 1 {
        for ch in audio.channels.iter().take(8) {
            messages = decode_checked(ch, rate, opts, true, false)?.messages;
            if !messages.is_empty() {
                diagnosis = None;
                break;
            }
        }
    }
    Ok(Decoded {
        info: audio.info,
        payloads: payloads(&messages),
        messages,
        diagnosis,
    })
}
