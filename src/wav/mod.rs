//! WAV reading and writing.
//!
//! The reader takes any WAV a user may have: PCM 8/16/24/32-bit, IEEE float 32/64-bit, G.711
//! μ-law and A-law (tags 7 and 6: telephone systems and call recorders), `WAVE_FORMAT_EXTENSIBLE`
//! of each, any channel count up to [`Limits::max_channels`](crate::Limits),
//! odd-sized chunks, ggwave-to-file's wrong RIFF size, a data size larger than the file (truncated
//! recordings: the samples present are used) or 0/0xFFFFFFFF (streamed WAVs). It never allocates
//! more than 4 bytes per input byte and rejects what it cannot read with a [`WavError`].
//!
//! Why not `hound`: it has no 64-bit float input, rejects data chunks whose size exceeds the file
//! (truncated uploads are common) and sizes buffers from the header's claimed length; the format
//! is small enough that a bounded reader is shorter than the workarounds.

mod reader;
mod writer;

pub use reader::{read_wav, Audio, AudioInfo, WavError};
pub use writer::{write_wav, SampleFormat};
