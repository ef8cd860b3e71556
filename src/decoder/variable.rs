//! Variable-length mode: markers, header, payload.
use super::Message;

pub(crate) fn decode(_audio: &[f32], _dss: bool, _nyquist: f64) -> Vec<Message> {
    Vec::new()
}
