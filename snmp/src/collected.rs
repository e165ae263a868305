//! What a walk collects: values in arrival order, as runs the walker knows to increase, built
//! into the walk's tree once at the end.

use std::collections::BTreeMap;

use lanready_mibs::{Oid, Value};

use super::budget::Held;

/// Where a walk puts what it reads. Values are collected in arrival order and built into a
/// tree once at the end ([`into_tree`]): cheaper than one tree insert per varbind.
pub(crate) struct Sink<'a> {
    pub values: &'a mut Collected,
    pub problems: &'a mut Vec<String>,
    /// What the poll's values cost, charged to its scan as they arrive.
    pub held: &'a mut Held,
}

/// Values in arrival order, and where each run the walker knows to be increasing ends (a
/// column of a table, a scalar).
#[derive(Debug, Default)]
pub(crate) struct Collected {
    values: Vec<(Oid, Value)>,
    ends: Vec<usize>,
}

impl Collected {
    pub(crate) fn with_capacity(n: usize) -> Collected {
        Collected {
            values: Vec::with_capacity(n),
            ends: Vec::new(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.values.len()
    }

    /// Appends one run (emptying `run`).
    pub(crate) fn append_run(&mut self, run: &mut Vec<(Oid, Value)>) {
        if !run.is_empty() {
            self.values.append(run);
            self.ends.push(self.values.len());
        }
    }
}

/// The collected values as a tree; a later value for the same OID replaces an earlier one,
/// as tree inserts would.
///
/// Each of the walker's runs (a column, a scalar) increases; the runs come in the poll
/// plan's order, not the OIDs'. When the runs, ordered by their first OID, do not overlap,
/// they are put in that order instead of sorting every value (sorting was a tenth of a
/// scan's CPU). Anything else (a repeated OID, overlapping runs) takes the stable sort.
pub(crate) fn into_tree(collected: Collected) -> BTreeMap<Oid, Value> {
    let Collected { values, ends, .. } = collected;
    let mut runs: Vec<(usize, usize)> = Vec::with_capacity(ends.len());
    let mut start = 0;
    // Every value arrives through `append_run`, and a run increases: `apply` keeps only OIDs
    // past the column's last one.
    for end in ends {
        runs.push((start, end));
        start = end;
    }
    runs.sort_unstable_by(|a, b| values[a.0].0.cmp(&values[b.0].0));
    let disjoint = runs
        .windows(2)
        .all(|w| values[w[0].1 - 1].0 < values[w[1].0].0);
    if !disjoint {
        let mut values = values;
        // Stable: equal OIDs keep their arrival order, and the bulk build keeps the last.
        values.sort_by(|a, b| a.0.cmp(&b.0));
        return values.into_iter().collect();
    }
    let mut slots: Vec<Option<(Oid, Value)>> = values.into_iter().map(Some).collect();
    let mut ordered = Vec::with_capacity(slots.len());
    for (s, e) in runs {
        ordered.extend(slots[s..e].iter_mut().filter_map(Option::take));
    }
    // Already sorted: the tree's own sort only confirms it.
    ordered.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// The tree built from runs is the one inserting every value in arrival order gives: for
    /// disjoint runs in any order, overlapping runs, and repeated OIDs (the later one wins).
    #[test]
    fn into_tree_matches_inserting_in_arrival_order() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        for case in 0..2_000 {
            // Increasing runs, as the walker's columns are.
            let mut values: Vec<(Oid, Value)> = Vec::new();
            let mut runs: Vec<Vec<(Oid, Value)>> = Vec::new();
            for run in 0..rng.gen_range(0..6) {
                let base: u32 = rng.gen_range(0..4);
                let mut at: u32 = rng.gen_range(0..3);
                let mut column = Vec::new();
                for _ in 0..rng.gen_range(1..6) {
                    at += rng.gen_range(1..3);
                    let v = Value::Integer(i64::from(case * 100 + run * 10) + values.len() as i64);
                    values.push((Oid(vec![1, 3, base, at]), v.clone()));
                    column.push((Oid(vec![1, 3, base, at]), v));
                }
                runs.push(column);
            }
            let mut expected = BTreeMap::new();
            for (o, v) in values.clone() {
                expected.insert(o, v);
            }
            // Run by run, and with every value its own run.
            let mut by_run = Collected::default();
            for mut run in runs {
                by_run.append_run(&mut run);
            }
            assert_eq!(into_tree(by_run), expected, "values {values:?}");
            let mut each = Collected::default();
            for v in values.clone() {
                each.append_run(&mut vec![v]);
            }
            assert_eq!(into_tree(each), expected, "values {values:?}");
        }
    }
}
