//! Cisco per-VLAN contexts: after the main walk, reads BRIDGE-MIB again in each operational
//! VLAN's context (`community@VLAN`, or SNMPv3 context `vlan-VLAN`), one VLAN after another,
//! with the main walk's retries but a timeout of at most a second, giving up early when the
//! switch answers none of the first few.

use std::collections::BTreeSet;
use std::time::Duration;

use lanready_mibs::Walk;
use tracing::debug;

use super::budget::Held;
use super::collected::{self, Sink};
use super::session::Client;
use super::walker;
use super::{PollError, PollOptions, PollStats};

/// vtpVlanState: 1.3.6.1.4.1.9.9.46.1.3.1.1.2.<domain>.<vlan>, operational(1).
const VTP_VLAN_STATE: &[u32] = &[1, 3, 6, 1, 4, 1, 9, 9, 46, 1, 3, 1, 1, 2];
const OPERATIONAL: i64 = 1;

/// The longest a VLAN context may take to answer.
const VLAN_TIMEOUT_CAP: Duration = Duration::from_secs(1);

/// After this many VLAN contexts in a row fail with none answered before, the switch does
/// not serve VLAN contexts to us: skip the rest.
const GIVE_UP_AFTER: usize = 3;

/// The VLANs whose contexts are read: operational in vtpVlanTable, not the FDDI/Token Ring
/// defaults 1002-1005, and not VLAN 1, whose bridge the default context already shows.
pub(crate) fn vlans_to_read(walk: &Walk) -> BTreeSet<u16> {
    walk.subtree(VTP_VLAN_STATE)
        .filter(|(_, v)| v.as_i64() == Some(OPERATIONAL))
        .filter_map(|(idx, _)| match idx {
            [_domain, vlan] => u16::try_from(*vlan).ok(),
            _ => None,
        })
        .filter(|v| *v > 1 && *v < 4095 && !(1002..=1005).contains(v))
        .collect()
}

/// Reads [`lanready_mibs::poll::PER_VLAN_GROUPS`] in each VLAN's context into
/// `walk.vlan_contexts`; failures become lines in `walk.problems`.
pub(crate) async fn walk_contexts(
    main: &mut Client,
    opts: &PollOptions,
    walk: &mut Walk,
    held: &mut Held,
) -> PollStats {
    let mut stats = PollStats::default();
    let vlans = vlans_to_read(walk);
    let timeout = opts.timeout.min(VLAN_TIMEOUT_CAP);
    // As patient as the main walk: a lost datagram may not cost a VLAN's ports. A switch
    // that serves no VLAN contexts costs GIVE_UP_AFTER contexts' attempts, then stops.
    let attempts = opts.retries.saturating_add(1);
    let max_repetitions = opts.max_repetitions.max(1);
    let mut answered = 0usize;
    let mut failed_in_a_row = 0usize;
    // The VLANs from the n-th on, for a line saying why they were not read.
    let rest = |n: usize| -> String {
        let v: Vec<String> = vlans.iter().skip(n).map(u16::to_string).collect();
        v.join(",")
    };
    for (n, &vlan) in vlans.iter().enumerate() {
        if let Some(why) = held.spent() {
            walk.problems.push(format!(
                "VLAN contexts: not read for VLANs {}: {why}",
                rest(n)
            ));
            break;
        }
        if answered == 0 && failed_in_a_row >= GIVE_UP_AFTER {
            walk.problems.push(format!(
                "VLAN contexts: the first {GIVE_UP_AFTER} did not answer; skipped VLANs {}",
                rest(n)
            ));
            break;
        }
        // The same agent on the same path: what the main walk learned of answer sizes holds.
        let mut client = main.for_vlan(vlan, timeout, attempts);
        let mut values = collected::Collected::default();
        let mut problems = Vec::new();
        let result = async {
            let mut sink = Sink {
                values: &mut values,
                problems: &mut problems,
                held: &mut *held,
            };
            for g in lanready_mibs::poll::PER_VLAN_GROUPS {
                let label = format!("VLAN {vlan} {}", g.name);
                walker::group(&mut client, g, &label, max_repetitions, &mut sink).await?;
            }
            Ok::<(), PollError>(())
        }
        .await;
        stats.add(&client.stats);
        main.learn_from(&client);
        walk.problems.append(&mut problems);
        match result {
            Ok(()) => {
                answered += 1;
                failed_in_a_row = 0;
                debug!(vlan, values = values.len(), "Read VLAN context.");
                walk.vlan_contexts
                    .insert(vlan, collected::into_tree(values));
            }
            Err(e) => {
                failed_in_a_row += 1;
                debug!(vlan, error = %e, "VLAN context failed.");
                walk.problems
                    .push(format!("VLAN {vlan} context: skipped: {}", e.failure));
            }
        }
    }
    stats
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_operational_vlans_except_1_and_1002_to_1005() {
        let w = Walk::from_snmprec(
            "1.3.6.1.4.1.9.9.46.1.3.1.1.2.1.1|2|1\n\
             1.3.6.1.4.1.9.9.46.1.3.1.1.2.1.2|2|1\n\
             1.3.6.1.4.1.9.9.46.1.3.1.1.2.1.3|2|2\n\
             1.3.6.1.4.1.9.9.46.1.3.1.1.2.1.20|2|1\n\
             1.3.6.1.4.1.9.9.46.1.3.1.1.2.2.20|2|1\n\
             1.3.6.1.4.1.9.9.46.1.3.1.1.2.1.1002|2|1\n\
             1.3.6.1.4.1.9.9.46.1.3.1.1.2.1.1005|2|1\n\
             1.3.6.1.4.1.9.9.46.1.3.1.1.3.1.30|2|1\n",
        )
        .unwrap();
        assert_eq!(
            vlans_to_read(&w).into_iter().collect::<Vec<_>>(),
            vec![2, 20]
        );
    }
}
