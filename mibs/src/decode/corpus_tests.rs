//! Decodes the real-device recordings in `../shared/corpus` (when present).
