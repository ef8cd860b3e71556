//! Fixed-length mode: no markers; every position is a candidate.
use super::Message;

pub(crate) fn decode(_audio: &[f32], _len: usize, _dss: bool, _nyquist: f64) -> Vec<Message> {
    Vec::new()
}
