//! Secrets (communities, SNMPv3 keys, tokens) in a type that never prints its value.

use std::fmt;

/// A secret string. `Debug` and `Display` print `<secret>`; read it with [`Secret::expose`]
/// only where it is sent.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<secret>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<secret>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_its_value() {
        let s = Secret::new("hunter2-community");
        assert_eq!(
            format!("{s:?} {s} {:?}", Some(&s)),
            "<secret> <secret> Some(<secret>)"
        );
        assert_eq!(s.expose(), "hunter2-community");
    }
}
