//! Object identifiers as arcs, ordered numerically (not by their BER bytes).

use std::borrow::Borrow;
use std::fmt;
use std::str::FromStr;

/// An OID as its arcs. Ordering is numerical, arc by arc, as SNMP walks need.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Oid(pub Vec<u32>);

/// An OID string that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid OID {text:?}: {reason}")]
pub struct OidParseError {
    pub text: String,
    pub reason: &'static str,
}

impl Oid {
    pub fn new(arcs: &[u32]) -> Self {
        Oid(arcs.to_vec())
    }

    pub fn arcs(&self) -> &[u32] {
        &self.0
    }

    /// True when `self` lies in the subtree rooted at `prefix` (or equals it).
    pub fn starts_with(&self, prefix: &[u32]) -> bool {
        self.0.starts_with(prefix)
    }

    /// The arcs after `prefix`, when `self` is under it: a table row's index.
    pub fn suffix(&self, prefix: &[u32]) -> Option<&[u32]> {
        self.0.strip_prefix(prefix)
    }

    /// A child OID: `self` followed by `arcs`.
    pub fn child(&self, arcs: &[u32]) -> Oid {
        let mut v = self.0.clone();
        v.extend_from_slice(arcs);
        Oid(v)
    }
}

/// An `Oid` compares, orders and hashes exactly as its arcs do, so maps keyed by `Oid` can
/// be searched with a `&[u32]` without building an `Oid` (no allocation per lookup).
impl Borrow<[u32]> for Oid {
    fn borrow(&self) -> &[u32] {
        &self.0
    }
}

impl From<&[u32]> for Oid {
    fn from(arcs: &[u32]) -> Self {
        Oid(arcs.to_vec())
    }
}

impl From<Vec<u32>> for Oid {
    fn from(arcs: Vec<u32>) -> Self {
        Oid(arcs)
    }
}

impl FromStr for Oid {
    type Err = OidParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason| OidParseError {
            text: s.to_string(),
            reason,
        };
        let t = s.trim().trim_start_matches('.');
        if t.is_empty() {
            return Err(err("empty"));
        }
        let arcs = t
            .split('.')
            .map(|a| {
                a.parse::<u32>()
                    .map_err(|_| err("an arc is not a number 0..2^32"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Oid(arcs))
    }
}

impl fmt::Display for Oid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, a) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{a}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Oid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Oid({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_numerically_not_lexically() {
        let a: Oid = "1.3.6.1.2.1.2.2.1.1.9".parse().unwrap();
        let b: Oid = "1.3.6.1.2.1.2.2.1.1.10".parse().unwrap();
        assert!(a < b);
        assert!(Oid::new(&[1, 3]) < Oid::new(&[1, 3, 0]));
    }

    #[test]
    fn parses_and_prints() {
        let o: Oid = ".1.3.6.1.2.1.1.1.0".parse().unwrap();
        assert_eq!(o.to_string(), "1.3.6.1.2.1.1.1.0");
        assert!("1.3.x".parse::<Oid>().is_err());
        assert!("".parse::<Oid>().is_err());
        assert!("1.3.99999999999".parse::<Oid>().is_err());
    }

    #[test]
    fn maps_keyed_by_oid_are_searched_by_arcs() {
        use std::collections::{BTreeMap, HashMap};
        use std::hash::BuildHasher;
        let a: Oid = "1.3.6.1.2.1.1.5.0".parse().unwrap();
        let tree = BTreeMap::from([(a.clone(), 1), (Oid::new(&[1, 3, 6, 1, 2, 1, 1, 10]), 2)]);
        assert_eq!(tree.get(&[1, 3, 6, 1, 2, 1, 1, 5, 0][..]), Some(&1));
        assert_eq!(tree.get(&[1, 3, 6, 1, 2, 1, 1, 5][..]), None);
        let hashed = HashMap::from([(a.clone(), 1)]);
        assert_eq!(hashed.get(a.arcs()), Some(&1));
        let h = hashed.hasher();
        assert_eq!(h.hash_one(&a), h.hash_one(a.arcs()));
    }

    #[test]
    fn suffix_gives_the_index() {
        let o: Oid = "1.3.6.1.2.1.105.1.1.1.3.2.17".parse().unwrap();
        assert_eq!(
            o.suffix(&[1, 3, 6, 1, 2, 1, 105, 1, 1, 1, 3]),
            Some(&[2, 17][..])
        );
        assert_eq!(o.suffix(&[1, 3, 6, 1, 4]), None);
    }
}
