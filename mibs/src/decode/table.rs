//! Generic table reading: the columns under a table entry grouped into rows by a typed
//! index, with getters that turn a wrong type into a problem line instead of a failure.

use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

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

/// The cells of one table, shared by its rows: one allocation per table, not per row.
#[derive(Debug)]
struct Cells<'a> {
    /// The column numbers present, ascending.
    columns: Vec<u32>,
    /// Row by row, one slot per entry of `columns`.
    values: Vec<Option<&'a Value>>,
}

/// One row of a table: its columns by column number.
#[derive(Debug, Clone)]
pub struct Row<'a> {
    pub table: &'static str,
    pub index: &'a [u32],
    cells: Rc<Cells<'a>>,
    /// This row's position in `cells.values`, in rows.
    row: usize,
}

fn index_text(index: &[u32]) -> String {
    Oid::new(index).to_string()
}

impl<'a> Row<'a> {
    /// A column's value; a NULL (how a poller may keep noSuchInstance) counts as absent.
    pub fn get(&self, col: u32) -> Option<&'a Value> {
        let c = &self.cells;
        let at = c.columns.binary_search(&col).ok()?;
        c.values[self.row * c.columns.len() + at].filter(|v| !matches!(v, Value::Null))
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
) -> Rows<'a, I> {
    // In walk order: column by column, each column's cells by row index. `starts[k]` is
    // where column `columns[k]` begins.
    let mut columns: Vec<u32> = Vec::new();
    let mut starts: Vec<usize> = Vec::new();
    // Sized for most tables at once (a 48-port switch's biggest has ~800 cells).
    let mut cells: Vec<(&'a [u32], &'a Value)> = Vec::with_capacity(256);
    for (suffix, v) in subtree(values, entry) {
        match suffix.split_first() {
            Some((&col, idx)) if !idx.is_empty() => {
                if columns.last() != Some(&col) {
                    columns.push(col);
                    starts.push(cells.len());
                }
                cells.push((idx, v));
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
    if cells.is_empty() {
        return Rows(Vec::new());
    }
    starts.push(cells.len());
    let column = |k: usize| cells[starts[k]..starts[k + 1]].iter().map(|&(idx, _)| idx);

    let mut indexes = RowUnion::default();
    for k in 0..columns.len() {
        indexes.add(column(k));
    }
    let indexes = indexes.rows;

    // Each column's indexes are a sorted subset of `indexes`: one pass places its cells.
    let width = columns.len();
    let mut slots = vec![None; indexes.len() * width];
    for k in 0..width {
        let mut row = 0;
        for &(idx, v) in &cells[starts[k]..starts[k + 1]] {
            while !same_arcs(indexes[row], idx) {
                row += 1;
            }
            slots[row * width + k] = Some(v);
            row += 1;
        }
    }
    let shared = Rc::new(Cells {
        columns,
        values: slots,
    });

    let mut rows = Vec::with_capacity(indexes.len());
    for (row, &idx) in indexes.iter().enumerate() {
        match parse_index::<I>(idx) {
            Ok(i) => rows.push((
                i,
                Row {
                    table,
                    index: idx,
                    cells: Rc::clone(&shared),
                    row,
                },
            )),
            Err(e) => p.note(
                format!("index {table}"),
                format!("{table}: row index {} skipped: {e}", index_text(idx)),
            ),
        }
    }
    // Mostly already in index order (the arcs' order): sorted only when not.
    if !rows.windows(2).all(|w| w[0].0 < w[1].0) {
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        // Distinct arcs parse to distinct indexes; were two equal, the later would win.
        rows.reverse();
        rows.dedup_by(|later, earlier| later.0 == earlier.0);
        rows.reverse();
    }
    Rows(rows)
}

/// A table's rows by parsed index, in index order: what a `BTreeMap<I, Row>` would hold,
/// in one allocation.
#[derive(Debug, Clone)]
pub struct Rows<'a, I>(Vec<(I, Row<'a>)>);

impl<'a, I: Index> Rows<'a, I> {
    pub fn get(&self, index: &I) -> Option<&Row<'a>> {
        let at = self.0.binary_search_by(|(i, _)| i.cmp(index)).ok()?;
        Some(&self.0[at].1)
    }

    pub fn contains_key(&self, index: &I) -> bool {
        self.get(index).is_some()
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &I> + '_ {
        self.0.iter().map(|(i, _)| i)
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&I, &Row<'a>)> + '_ {
        self.0.iter().map(|(i, r)| (i, r))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'a, I: Index> std::ops::Index<&I> for Rows<'a, I> {
    type Output = Row<'a>;

    /// The row at `index`; panics when there is none, as a map's indexing does.
    fn index(&self, index: &I) -> &Row<'a> {
        self.get(index).expect("no row at this index")
    }
}

impl<'a, I> IntoIterator for Rows<'a, I> {
    type Item = (I, Row<'a>);
    type IntoIter = std::vec::IntoIter<(I, Row<'a>)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'r, 'a, I> IntoIterator for &'r Rows<'a, I> {
    type Item = (&'r I, &'r Row<'a>);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'r, (I, Row<'a>)>,
        fn(&'r (I, Row<'a>)) -> (&'r I, &'r Row<'a>),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(i, r)| (i, r))
    }
}

/// Equal arcs; written out for the one- and two-arc indexes most tables have, which a
/// call to `memcmp` would cost more than.
fn same_arcs(a: &[u32], b: &[u32]) -> bool {
    match (a, b) {
        ([x], [y]) => x == y,
        ([x0, x1], [y0, y1]) => x0 == y0 && x1 == y1,
        _ => a == b,
    }
}

/// The distinct row indexes of a table's columns, in order. Each column's indexes are one
/// sorted run without repeats; usually every column has the same rows, which costs one
/// comparison per cell (no sort).
#[derive(Default)]
struct RowUnion<'a> {
    rows: Vec<&'a [u32]>,
    run: Vec<&'a [u32]>,
    merged: Vec<&'a [u32]>,
}

impl<'a> RowUnion<'a> {
    fn clear(&mut self) {
        self.rows.clear();
    }

    /// Adds one column's indexes (ascending, without repeats).
    fn add(&mut self, column: impl Iterator<Item = &'a [u32]>) {
        self.run.extend(column);
        self.end_run();
    }

    /// Adds the indexes pushed onto `run` since the last call, as one column.
    fn end_run(&mut self) {
        if self.rows.is_empty() {
            std::mem::swap(&mut self.rows, &mut self.run);
            return;
        }
        let (rows, run) = (&self.rows, &self.run);
        if rows.len() == run.len() && rows.iter().zip(run).all(|(a, b)| same_arcs(a, b)) {
            self.run.clear();
            return;
        }
        self.merged.clear();
        let (mut i, mut j) = (0, 0);
        while i < rows.len() && j < run.len() {
            match rows[i].cmp(run[j]) {
                std::cmp::Ordering::Less => {
                    self.merged.push(rows[i]);
                    i += 1;
                }
                std::cmp::Ordering::Greater => {
                    self.merged.push(run[j]);
                    j += 1;
                }
                std::cmp::Ordering::Equal => {
                    self.merged.push(rows[i]);
                    i += 1;
                    j += 1;
                }
            }
        }
        self.merged.extend_from_slice(&rows[i..]);
        self.merged.extend_from_slice(&run[j..]);
        std::mem::swap(&mut self.rows, &mut self.merged);
        self.run.clear();
    }
}

/// Counts the distinct row indexes under some tables' column OIDs; keeps its buffers from
/// one table to the next.
#[derive(Default)]
pub(crate) struct RowCounter<'a> {
    union: RowUnion<'a>,
}

impl<'a> RowCounter<'a> {
    /// Distinct row indexes under `columns` in each of `contexts`.
    pub(crate) fn count(
        &mut self,
        contexts: impl IntoIterator<Item = &'a BTreeMap<Oid, Value>>,
        columns: &'a [&'a [u32]],
    ) -> usize {
        self.union.clear();
        // Columns of one table entry, ascending (as the poll plan lists them): one walk
        // through the entry instead of a search per column.
        let entry = columns
            .first()
            .and_then(|c| c.split_last())
            .map(|(_, entry)| entry);
        let one_entry = entry.is_some_and(|entry| {
            columns.windows(2).all(|w| w[0] < w[1])
                && columns
                    .iter()
                    .all(|c| c.split_last().is_some_and(|(_, e)| e == entry))
        });
        for values in contexts {
            match entry {
                Some(entry) if one_entry => self.count_entry(values, entry, columns),
                _ => {
                    for c in columns {
                        self.union.add(subtree(values, c).map(|(suffix, _)| suffix));
                    }
                }
            }
        }
        self.union.rows.len()
    }

    /// The cells of `columns` (all under `entry`, ascending), one run per column.
    fn count_entry(
        &mut self,
        values: &'a BTreeMap<Oid, Value>,
        entry: &'a [u32],
        columns: &'a [&'a [u32]],
    ) {
        let wanted = |col: u32| columns.iter().any(|c| c.last() == Some(&col));
        let mut current = None;
        for (suffix, _) in subtree(values, entry) {
            let Some((&col, idx)) = suffix.split_first() else {
                continue;
            };
            if current != Some(col) {
                if current.is_some() {
                    self.union.end_run();
                }
                current = wanted(col).then_some(col);
                if current.is_none() {
                    continue;
                }
            }
            self.union.run.push(idx);
        }
        if current.is_some() {
            self.union.end_run();
        }
    }
}

/// Number of distinct row indexes under the given column OIDs (for `Snapshot::tables`).
pub fn count_rows(values: &BTreeMap<Oid, Value>, columns: &[&[u32]]) -> usize {
    RowCounter::default().count([values], columns)
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

    proptest::proptest! {
        /// `read` and `count_rows` give what grouping every cell by its index in a map
        /// gives, whatever columns each row has (the merge of the columns' runs).
        #[test]
        fn rows_are_the_cells_grouped_by_index(
            cells in proptest::collection::vec(
                (0u32..5, proptest::collection::vec(0u32..4, 0..4), proptest::prelude::any::<i8>()),
                0..60,
            )
        ) {
            let entry = [1, 3, 6, 1, 9, 1];
            let mut values = BTreeMap::new();
            for (col, idx, v) in &cells {
                let mut arcs = entry.to_vec();
                arcs.push(*col);
                arcs.extend(idx);
                let v = if *v == 0 { Value::Null } else { Value::Integer(i64::from(*v)) };
                values.insert(Oid(arcs), v);
            }
            // The reference: a map of maps, as `read` was first written.
            let mut by_index: BTreeMap<&[u32], BTreeMap<u32, &Value>> = BTreeMap::new();
            for (suffix, v) in subtree(&values, &entry) {
                match suffix.split_first() {
                    Some((&col, idx)) if !idx.is_empty() => {
                        by_index.entry(idx).or_default().insert(col, v);
                    }
                    _ => {}
                }
            }
            let columns: Vec<Vec<u32>> = (0..5).map(|c| [&entry[..], &[c]].concat()).collect();
            let column_refs: Vec<&[u32]> = columns.iter().map(Vec::as_slice).collect();
            let distinct: std::collections::BTreeSet<&[u32]> = column_refs
                .iter()
                .flat_map(|c| subtree(&values, c).map(|(suffix, _)| suffix))
                .collect();
            proptest::prop_assert_eq!(count_rows(&values, &column_refs), distinct.len());
            // Columns out of order are counted one by one: the same count.
            let reversed: Vec<&[u32]> = column_refs.iter().rev().copied().collect();
            proptest::prop_assert_eq!(count_rows(&values, &reversed), distinct.len());
            // Only the columns asked for count.
            let some: Vec<&[u32]> = vec![column_refs[1], column_refs[3]];
            let distinct_some: std::collections::BTreeSet<&[u32]> = some
                .iter()
                .flat_map(|c| subtree(&values, c).map(|(suffix, _)| suffix))
                .collect();
            proptest::prop_assert_eq!(count_rows(&values, &some), distinct_some.len());

            let mut p = Problems::default();
            let rows = read::<(u32, u32)>(&values, "t", &entry, &mut p);
            let want: Vec<_> = by_index
                .iter()
                .filter_map(|(idx, cols)| {
                    let i = parse_index::<(u32, u32)>(idx).ok()?;
                    let cols: Vec<_> = (0..6)
                        .map(|c| cols.get(&c).copied().filter(|v| **v != Value::Null))
                        .collect();
                    Some((i, idx.to_vec(), cols))
                })
                .collect();
            let got: Vec<_> = rows
                .iter()
                .map(|(i, r)| (*i, r.index.to_vec(), (0..6).map(|c| r.get(c)).collect::<Vec<_>>()))
                .collect();
            proptest::prop_assert_eq!(got, want);
            // Octet-string indexes order differently from their arcs (length first).
            let octets = read::<OctetsIndex>(&values, "t", &entry, &mut Problems::default());
            let want_keys: std::collections::BTreeSet<OctetsIndex> = by_index
                .keys()
                .filter_map(|i| parse_index::<OctetsIndex>(i).ok())
                .collect();
            let got_keys: Vec<&OctetsIndex> = octets.keys().collect();
            proptest::prop_assert_eq!(got_keys, want_keys.iter().collect::<Vec<_>>());
            for (k, r) in &octets {
                proptest::prop_assert_eq!(&parse_index::<OctetsIndex>(r.index).unwrap(), k);
                proptest::prop_assert!(octets.contains_key(k));
            }
            let skipped = by_index.keys().filter(|i| parse_index::<(u32, u32)>(i).is_err()).count();
            let lines = p.into_lines();
            let index_lines: Vec<_> = lines.iter().filter(|l| l.contains("skipped")).collect();
            proptest::prop_assert_eq!(index_lines.len(), usize::from(skipped > 0));
        }
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
