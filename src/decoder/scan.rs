//! Marker scanning.
