//! Live decoding: feed chunks of any size as they arrive (microphone, network); messages are
//! reported once, as soon as their transmission is complete. Framed payloads (docs/framing.md)
//! are assembled across the window: only the pieces' bytes are kept, never the audio of a whole
//! long payload.

use super::{
    check_options, decode_samples_diagnosed, DecodeError, DecodeOptions, Diagnosis, Message,
};
use crate::framing::{Assembler, Payload, Progress};

/// Longest window kept, in seconds: the longest transmission (protocol 6, 140 bytes, 38.9 s) plus
/// margin.
const WINDOW_SECONDS: f64 = 42.0;
/// Re-run the receiver after this much new audio, in seconds.
const STEP_SECONDS: f64 = 0.25;

/// A receiver for audio that arrives in pieces.
pub struct StreamDecoder {
    rate: u32,
    opts: DecodeOptions,
    buffer: Vec<f32>,
    /// Absolute time (s) of `buffer[0]`.
    origin: f64,
    new_samples: usize,
    /// Absolute start times and payloads of messages already reported.
    reported: Vec<(f64, Vec<u8>)>,
    /// Framed payloads being assembled.
    assembler: Assembler,
    /// Payloads finished (complete, or given up) and not yet taken.
    payloads: Vec<Payload>,
    /// Why the last run over the window found nothing (None when it found a message).
    diagnosis: Option<Diagnosis>,
}

/// Most finished payloads kept for [`StreamDecoder::take_payloads`] (the oldest are dropped).
const MAX_QUEUED_PAYLOADS: usize = 64;

impl StreamDecoder {
    /// A receiver for mono samples at `sample_rate` Hz.
    pub fn new(sample_rate: u32, opts: DecodeOptions) -> Result<Self, DecodeError> {
        check_options(&opts)?;
        let l = &opts.limits;
        l.check_sample_rate(sample_rate)?;
        Ok(StreamDecoder {
            rate: sample_rate,
            opts,
            buffer: Vec::new(),
            origin: 0.0,
            new_samples: 0,
            reported: Vec::new(),
            assembler: Assembler::new(),
            payloads: Vec::new(),
            diagnosis: None,
        })
    }

    /// Seconds of audio received so far.
    pub fn elapsed_seconds(&self) -> f64 {
        self.origin + self.buffer.len() as f64 / self.rate as f64
    }

    /// Why the audio in the window (the last 42 s at most, less what messages consumed) gave no
    /// message, as of the last run of the receiver; `None` when it found one, or before the
    /// first run. While a transmission is still arriving this is typically
    /// [`Diagnosis::MarkerHeard`].
    pub fn diagnosis(&self) -> Option<&Diagnosis> {
        self.diagnosis.as_ref()
    }

    /// Feed samples; returns the messages completed by them (absolute times).
    pub fn push(&mut self, samples: &[f32]) -> Vec<Message> {
        self.buffer
            .extend(samples.iter().map(|&v| crate::limits::sanitize_sample(v)));
        self.new_samples += samples.len();
        if (self.new_samples as f64) < STEP_SECONDS * self.rate as f64 {
            return Vec::new();
        }
        self.run()
    }

    /// Decode whatever is buffered now (call at the end of a stream).
    pub fn flush(&mut self) -> Vec<Message> {
        self.run()
    }

    /// Payloads finished since the last call: plain messages, framed payloads once complete (or
    /// rebuilt), and framed payloads given up as incomplete once their last piece is overdue.
    pub fn take_payloads(&mut self) -> Vec<Payload> {
        std::mem::take(&mut self.payloads)
    }

    /// Framed payloads being assembled now ("piece 3 of 7").
    pub fn progress(&self) -> Vec<Progress> {
        self.assembler.progress()
    }

    /// End of the stream: [`StreamDecoder::take_payloads`] plus every payload still open, as
    /// incomplete. Call after [`StreamDecoder::flush`].
    pub fn finish_payloads(&mut self) -> Vec<Payload> {
        let mut out = self.take_payloads();
        out.extend(self.assembler.finish());
        out
    }

    fn queue(&mut self, p: Vec<Payload>) {
        self.payloads.extend(p);
        if self.payloads.len() > MAX_QUEUED_PAYLOADS {
            let extra = self.payloads.len() - MAX_QUEUED_PAYLOADS;
            self.payloads.drain(..extra);
        }
    }

    fn run(&mut self) -> Vec<Message> {
        self.new_samples = 0;
        let outcome = decode_samples_diagnosed(&self.buffer, self.rate, &self.opts).ok();
        let (found, diagnosis) = outcome.map_or((Vec::new(), None), |o| (o.messages, o.diagnosis));
        self.diagnosis = diagnosis.map(|mut d| {
            if let Diagnosis::MarkerHeard { at_seconds, .. } = &mut d {
                *at_seconds += self.origin;
            }
            d
        });
        let mut out = Vec::new();
        let mut keep_from = 0.0f64; // seconds into the buffer that must be kept
        for mut m in found {
            let end = m.end_seconds;
            m.start_seconds += self.origin;
            m.end_seconds += self.origin;
            let dup = self
                .reported
                .iter()
                .any(|(t, p)| (t - m.start_seconds).abs() < 0.2 && *p == m.payload);
            if !dup {
                self.reported.push((m.start_seconds, m.payload.clone()));
                let done = self
                    .assembler
                    .push(&m.payload, m.start_seconds, m.end_seconds);
                self.queue(done);
                out.push(m.clone());
            }
            keep_from = keep_from.max(end);
        }
        // Drop audio already consumed by a message, and anything older than the window.
        let len_s = self.buffer.len() as f64 / self.rate as f64;
        let cut_s = keep_from.max(len_s - WINDOW_SECONDS).max(0.0);
        let cut = ((cut_s * self.rate as f64) as usize).min(self.buffer.len());
        if cut > 0 {
            self.buffer.drain(..cut);
            self.origin += cut as f64 / self.rate as f64;
        }
        let horizon = self.origin - WINDOW_SECONDS;
        self.reported.retain(|(t, _)| *t >= horizon);
        let expired = self.assembler.expire(self.elapsed_seconds());
        self.queue(expired);
        out
    }
}
