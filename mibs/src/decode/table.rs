//! Generic table reading: the columns under a table entry grouped into rows by a typed
//! index, with getters that turn a wrong type into a problem line instead of a failure.

use std::collections::{BTreeMap, HashMap};

use crate::walk::subtree;
use crate::{Oid, Value};

/// An index that could not be parsed from a row's OID arcs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("index ends before its {what}")]
    MissingArc { what: &'static str },
    #[error("index arc {arc} is out of range for {what}")]
    OutOfRange { what: &'static str, arc: u32 },
    #[error("index has {extra} arc(s) more than the table defines")]
    Trailing { extra: usize },
}

/// A table index, parsed from the arcs after a column's OID. Returns what it used and the
/// arcs that remain, so multi-part indexes compose.
pub trait Index: Sized + Ord + Clone {
    fn parse(arcs: &[u32]) -> Result<(Self, &[u32]), DecodeError>;
}

impl Index for u32 {
    fn parse(arcs: &[u32]) -> Result<(Self, &[u32]), DecodeError> {
        match arcs.split_first() {
            Some((&a, rest)) => Ok((a, rest)),
            None => Err(DecodeError::MissingArc {
                what: "integer index",
            }),
        }
    }
}

impl Index for u16 {
    fn parse(arcs: &[u32]) -> Result<(Self, &[u32]), DecodeError> {
        let (a, rest) = u32::parse(arcs)?;
        let v = u16::try_from(a).map_err(|_| DecodeError::OutOfRange {
            what: "16-bit index",
            arc: a,
        })?;
        Ok((v, rest))
    }
}

impl<A: Index, B: Index> Index for (A, B) {
    fn parse(arcs: &[u32]) -> Result<(Self, &[u32]), DecodeError> {
        let (a, rest) = A::parse(arcs)?;
        let (b, rest) = B::parse(rest)?;
        Ok(((a, b), rest))
    }
}

impl<A: Index, B: Index, C: Index> Index for (A, B, C) {
    fn parse(arcs: &[u32]) -> Result<(Self, &[u32]), DecodeError> {
        let (a, rest) = A::parse(arcs)?;
        let (b, rest) = B::parse(rest)?;
        let (c, rest) = C::parse(rest)?;
        Ok(((a, b, c), rest))
    }
}

/// An OCTET STRING index that is not IMPLIED: a length arc, then one arc per octet.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct OctetsIndex(pub Vec<u8>);

impl Index for OctetsIndex {
    fn parse(arcs: &[u32]) -> Result<(Self, &[u32]), DecodeError> {
        let (len, rest) = u32::parse(arcs)?;
        let len = len as usize;
        if rest.len() < len {
            return Err(DecodeError::MissingArc {
                what: "octet string index bytes",
            });
        }
        let bytes = rest[..len]
            .iter()
            .map(|&a| {
                u8::try_from(a).map_err(|_| DecodeError::OutOfRange {
                    what: "octet string index byte",
                    arc: a,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok((OctetsIndex(bytes), &rest[len..]))
    }
}

/// Parses a whole index: every arc must be used.
pub fn parse_index<I: Index>(arcs: &[u32]) -> Result<I, DecodeError> {
    let (i, rest) = I::parse(arcs)?;
    if rest.is_empty() {
        Ok(i)
    } else {
        Err(DecodeError::Trailing { extra: rest.len() })
    }
}

/// Problem lines, grouped so that one odd column on 500 rows is one line with a count.
#[derive(Debug, Default)]
pub struct Problems {
    order: Vec<String>,
    seen: HashMap<String, (String, usize)>,
}

impl Problems {
    /// Records `message` under `key`; later notes with the same key only add to a count.
    pub fn note(&mut self, key: impl Into<String>, message: impl Into<String>) {
        let key = key.into();
        match self.seen.get_mut(&key) {
            Some((_, n)) => *n += 1,
            None => {
                self.order.push(key.clone());
                self.seen.insert(key, (message.into(), 1));
            }
        }
    }

    /// A one-off line.
    pub fn line(&mut self, message: impl Into<String>) {
        let m = message.into();
        self.note(m.clone(), m);
    }

    pub fn into_lines(mut self) -> Vec<String> {
        self.order
            .drain(..)
            .filter_map(|k| self.seen.remove(&k))
            .map(|(m, n)| {
                if n > 1 {
                    format!("{m} (and {} more like it)", n - 1)
                } else {
                    m
                }
            })
            .collect()
    }
}

/// One row of a table: its columns by column number.
#[derive(Debug, Clone)]
pub struct Row<'a> {
    pub table: &'static str,
    pub index: &'a [u32],
    cols: BTreeMap<u32, &'a Value>,
}

fn index_text(index: &[u32]) -> String {
    Oid::new(index).to_string()
}

impl<'a> Row<'a> {
    /// A column's value; a NULL (how a poller may keep noSuchInstance) counts as absent.
    pub fn get(&self, col: u32) -> Option<&'a Value> {
        self.cols.get(&col).copied().filter(|v| **v != Value::Null)
    }

    fn wrong(&self, col: u32, want: &str, got: &Value, p: &mut Problems) {
        p.note(
            format!("type {} {col}", self.table),
            format!(
                "{} column {col} at index {}: expected {want}, got {}; ignored",
                self.table,
                index_text(self.index),
                got.type_name()
            ),
        );
    }

    /// A number (INTEGER or any unsigned type).
    pub fn int(&self, col: u32, p: &mut Problems) -> Option<i64> {
        let v = self.get(col)?;
        let r = v.as_i64();
        if r.is_none() {
            self.wrong(col, "a number", v, p);
        }
        r
    }

    /// A non-negative number that fits u32.
    pub fn uint(&self, col: u32, p: &mut Problems) -> Option<u32> {
        let v = self.get(col)?;
        let r = v.as_u32();
        if r.is_none() {
            self.wrong(col, "a number 0..2^32", v, p);
        }
        r
    }

    /// A non-negative number (counters).
    pub fn u64(&self, col: u32, p: &mut Problems) -> Option<u64> {
        let v = self.get(col)?;
        let r = v.as_u64();
        if r.is_none() {
            self.wrong(col, "a non-negative number", v, p);
        }
        r
    }

    /// A VLAN-sized number (0..=4096 fits, anything up to 65535 accepted here).
    pub fn u16(&self, col: u32, p: &mut Problems) -> Option<u16> {
        let v = self.get(col)?;
        let r = v.as_u64().and_then(|n| u16::try_from(n).ok());
        if r.is_none() {
            self.wrong(col, "a number 0..65535", v, p);
        }
        r
    }

    pub fn text(&self, col: u32, p: &mut Problems) -> Option<String> {
        let v = self.get(col)?;
        let r = v.as_text();
        if r.is_none() {
            self.wrong(col, "OCTET STRING", v, p);
        }
        r
    }

    pub fn bytes(&self, col: u32, p: &mut Problems) -> Option<&'a [u8]> {
        let v = self.get(col)?;
        let r = v.as_bytes();
        if r.is_none() {
            self.wrong(col, "OCTET STRING", v, p);
        }
        r
    }

    pub fn oid(&self, col: u32, p: &mut Problems) -> Option<&'a Oid> {
        let v = self.get(col)?;
        let r = v.as_oid();
        if r.is_none() {
            self.wrong(col, "OBJECT IDENTIFIER", v, p);
        }
        r
    }

    /// A TruthValue: true(1) / false(2).
    pub fn truth(&self, col: u32, p: &mut Problems) -> Option<bool> {
        match self.int(col, p)? {
            1 => Some(true),
            2 => Some(false),
            n => {
                p.note(
                    format!("truth {} {col}", self.table),
                    format!(
                        "{} column {col} at index {}: TruthValue {n} is neither true(1) nor false(2); ignored",
                        self.table,
                        index_text(self.index)
                    ),
                );
                None
            }
        }
    }
}

/// Reads the rows of the table whose entry OID is `entry` from `values`, keyed by a parsed
/// index. Rows whose index does not parse are skipped with a problem line.
pub fn read<'a, I: Index>(
    values: &'a BTreeMap<Oid, Value>,
    table: &'static str,
    entry: &'a [u32],
    p: &mut Problems,
) -> BTreeMap<I, Row<'a>> {
    let mut raw: BTreeMap<&'a [u32], BTreeMap<u32, &'a Value>> = BTreeMap::new();
    for (suffix, v) in subtree(values, entry) {
        match suffix.split_first() {
            Some((&col, idx)) if !idx.is_empty() => {
                raw.entry(idx).or_default().insert(col, v);
            }
            _ => p.note(
                format!("short {table}"),
                format!(
                    "{table}: {} has no row index; ignored",
                    Oid::new(entry).child(suffix)
                ),
            ),
        }
    }
    let mut rows = BTreeMap::new();
    for (idx, cols) in raw {
        match parse_index::<I>(idx) {
            Ok(i) => {
                rows.insert(
                    i,
                    Row {
                        table,
                        index: idx,
                        cols,
                    },
                );
            }
            Err(e) => p.note(
                format!("index {table}"),
                format!("{table}: row index {} skipped: {e}", index_text(idx)),
            ),
        }
    }
    rows
}

/// Number of distinct row indexes under the given column OIDs (for `Snapshot::tables`).
pub fn count_rows(values: &BTreeMap<Oid, Value>, columns: &[&[u32]]) -> usize {
    let mut idx: std::collections::BTreeSet<&[u32]> = std::collections::BTreeSet::new();
    for c in columns {
        for (suffix, _) in subtree(values, c) {
            idx.insert(suffix);
        }
    }
    idx.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Walk;

    #[test]
    fn composite_indexes_parse_and_report_leftovers() {
        assert_eq!(parse_index::<(u32, u32)>(&[2, 17]), Ok((2, 17)));
        assert_eq!(
            parse_index::<(u32, u32)>(&[2]),
            Err(DecodeError::MissingArc {
                what: "integer index"
            })
        );
        assert_eq!(
            parse_index::<u32>(&[2, 3]),
            Err(DecodeError::Trailing { extra: 1 })
        );
        assert!(parse_index::<u16>(&[70000]).is_err());
        assert_eq!(
            parse_index::<(u32, OctetsIndex)>(&[5, 2, 0x40, 0x01]),
            Ok((5, OctetsIndex(vec![0x40, 0x01])))
        );
        assert!(parse_index::<OctetsIndex>(&[3, 1]).is_err());
        assert!(parse_index::<OctetsIndex>(&[1, 300]).is_err());
    }

    #[test]
    fn rows_group_columns_and_wrong_types_become_problems() {
        let w = Walk::from_snmprec(
            "1.3.6.1.9.1.2.1.7|2|5\n1.3.6.1.9.1.2.2.8|4|x\n1.3.6.1.9.1.3.1.7|4|nope\n1.3.6.1.9.1.2.9|2|1\n\
             1.3.6.1.9.1.5.1.7|5|\n",
        )
        .unwrap();
        let mut p = Problems::default();
        let rows = read::<(u32, u32)>(&w.values, "t", &[1, 3, 6, 1, 9, 1], &mut p);
        assert_eq!(rows.len(), 2);
        let r = &rows[&(1, 7)];
        assert_eq!(r.uint(2, &mut p), Some(5));
        assert_eq!(r.uint(3, &mut p), None);
        assert_eq!(r.uint(4, &mut p), None);
        assert_eq!(r.uint(5, &mut p), None, "NULL is absent, not a type error");
        let lines = p.into_lines();
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(lines[0].contains("row index 9 skipped"), "{lines:?}");
        assert!(lines[1].contains("expected a number"), "{lines:?}");
    }

    #[test]
    fn repeated_problems_are_counted() {
        let mut p = Problems::default();
        p.note("k", "first");
        p.note("k", "second");
        p.line("other");
        assert_eq!(p.into_lines(), vec!["first (and 1 more like it)", "other"]);
    }
}
