//! The round-trip floor for polling one walk: what the poll plan needs from it, and the
//! fewest GETBULKs that can carry it given max-repetitions and the agent's varbind cap.

use lanready_mibs::Walk;
use lanready_mibs::poll::{GROUPS, Group, PER_VLAN_GROUPS, SCALARS};

/// vtpVlanState, indexed (domain, vlan); operational is 1.
const VTP_VLAN_STATE: &[u32] = &[1, 3, 6, 1, 4, 1, 9, 9, 46, 1, 3, 1, 1, 2];

/// One group's share of the floor.
#[derive(Debug, Clone)]
pub struct GroupFloor {
    pub name: String,
    pub columns: usize,
    /// Varbinds the switch holds under the group's columns.
    pub varbinds: usize,
    /// Varbinds one GETBULK can bring for this group.
    pub per_request: usize,
    /// Values in the group's longest column.
    pub longest: usize,
    /// The larger of ceil(varbinds / per_request) and ceil(longest / max-repetitions): one
    /// GETBULK moves a column on by at most max-repetitions rows, however few columns are
    /// left, so a sparse group (one long column among empty ones) cannot be read faster.
    pub requests: usize,
}

/// The floor for one switch.
#[derive(Debug, Clone)]
pub struct Floor {
    pub groups: Vec<GroupFloor>,
    /// Groups with nothing in them (a smarter poller can learn that without a request each).
    pub empty_groups: usize,
    /// 1 (the scalar GET) + every group's requests.
    pub requests: usize,
}

/// Varbinds one GETBULK over `columns` repeaters can carry: pysnmp (and our responder) cut
/// max-repetitions to `cap / columns`, so `columns * min(max_repetitions, cap / columns)`.
pub fn per_request(columns: usize, max_repetitions: usize, cap: usize) -> usize {
    (columns * max_repetitions.min(cap / columns.max(1))).max(1)
}

fn group_floor(name: String, g: &Group, values: &Walk, m: usize, cap: usize) -> GroupFloor {
    let counts: Vec<usize> = g
        .columns
        .iter()
        .map(|c| values.subtree(c).count())
        .collect();
    let varbinds = counts.iter().sum();
    let longest = counts.iter().copied().max().unwrap_or(0);
    let per = per_request(g.columns.len(), m, cap);
    GroupFloor {
        name,
        columns: g.columns.len(),
        varbinds,
        per_request: per,
        longest,
        requests: varbinds
            .div_ceil(per)
            .max(longest.div_ceil(m.min(cap).max(1))),
    }
}

/// The VLANs whose contexts a poller reads: operational, not 1 (the default context shows
/// it), not 1002-1005, and (here) served by the responder.
pub fn vlans(walk: &Walk) -> Vec<u16> {
    walk.subtree(VTP_VLAN_STATE)
        .filter(|(_, v)| v.as_i64() == Some(1))
        .filter_map(|(idx, _)| match idx {
            [_, vlan] => u16::try_from(*vlan).ok(),
            _ => None,
        })
        .filter(|v| *v > 1 && *v < 4095 && !(1002..=1005).contains(v))
        .filter(|v| walk.vlan_contexts.contains_key(v))
        .collect()
}

/// The floor for polling `walk` (and its served VLAN contexts when `vlan_contexts`).
pub fn floor(walk: &Walk, max_repetitions: usize, cap: usize, vlan_contexts: bool) -> Floor {
    let mut groups: Vec<GroupFloor> = GROUPS
        .iter()
        .map(|g| group_floor(g.name.to_string(), g, walk, max_repetitions, cap))
        .collect();
    if vlan_contexts {
        for vlan in vlans(walk) {
            let ctx = Walk {
                values: walk.vlan_contexts[&vlan].clone(),
                ..Walk::default()
            };
            for g in PER_VLAN_GROUPS {
                groups.push(group_floor(
                    format!("VLAN {vlan} {}", g.name),
                    g,
                    &ctx,
                    max_repetitions,
                    cap,
                ));
            }
        }
    }
    let empty_groups = groups.iter().filter(|g| g.varbinds == 0).count();
    let requests =
        usize::from(!SCALARS.is_empty()) + groups.iter().map(|g| g.requests).sum::<usize>();
    Floor {
        groups,
        empty_groups,
        requests,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_request_follows_the_pysnmp_cut() {
        assert_eq!(per_request(1, 25, 64), 25);
        assert_eq!(per_request(7, 25, 64), 63, "9 repetitions of 7 columns");
        assert_eq!(per_request(3, 25, 64), 63);
        assert_eq!(per_request(8, 25, 64), 64);
        assert_eq!(per_request(2, 10, 64), 20);
    }

    #[test]
    fn floor_counts_rows_times_columns_over_the_per_request_limit() {
        // ifTable (7 columns) with 10 rows: 70 varbinds, 63 a request: 2. One more for the
        // scalars; every other group is empty.
        let mut text = String::new();
        for col in [2, 3, 5, 7, 8, 14, 20] {
            for row in 1..=10 {
                text.push_str(&format!("1.3.6.1.2.1.2.2.1.{col}.{row}|2|1\n"));
            }
        }
        let w = Walk::from_snmprec(&text).unwrap();
        let f = floor(&w, 25, 64, true);
        assert_eq!(f.requests, 3);
        assert_eq!(f.groups[0].varbinds, 70);
        assert_eq!(f.empty_groups, GROUPS.len() - 1);
    }

    #[test]
    fn a_sparse_group_is_bounded_by_its_longest_column() {
        // dot3StatsTable (3 columns) with only one column present, 60 rows: 60 varbinds fit
        // in one 63-varbind request, but max-repetitions 25 moves that column on by at most
        // 25 rows a request: 3.
        let text: String = (1..=60)
            .map(|row| format!("1.3.6.1.2.1.10.7.2.1.19.{row}|2|3\n"))
            .collect();
        let w = Walk::from_snmprec(&text).unwrap();
        let f = floor(&w, 25, 64, false);
        let g = f.groups.iter().find(|g| g.varbinds > 0).unwrap();
        assert_eq!(
            (g.name.as_str(), g.longest, g.requests),
            ("dot3StatsTable", 60, 3)
        );
        assert_eq!(f.requests, 1 + 3);
    }
}
