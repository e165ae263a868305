//! Decodes the project's fixtures in `tests/fixtures/snmprec` (when present).
