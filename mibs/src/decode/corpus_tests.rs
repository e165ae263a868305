//! Decodes the real-device recordings in `../shared/corpus` (when present): every one
//! without a panic, and the facts the corpus README states. The comparison with LibreNMS's
//! expectations runs end to end, over SNMP, in the tests crate (`tests/src/librenms.rs`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use lanready_schema::{Snapshot, TableStatus};

use crate::Walk;
use crate::decode::snapshot;

/// A PSE group's row as tests compare it: group, stack member, budget W, consumed W, used mW,
/// remaining mW.
pub(super) type PoeRow = (
    u32,
    Option<u32>,
    Option<u32>,
    Option<u32>,
    Option<u32>,
    Option<u32>,
);

/// Every PSE group's [`PoeRow`], in the snapshot's order.
pub(super) fn poe_rows(s: &Snapshot) -> Vec<PoeRow> {
    s.poe
        .modules
        .iter()
        .map(|m| {
            (
                m.group,
                m.stack_member,
                m.budget_w,
                m.consumed_w,
                m.used_mw,
                m.remaining_mw,
            )
        })
        .collect()
}

fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus");
    dir.join("recordings").is_dir().then_some(dir)
}

/// A file as snmpsim reads it: UTF-8 where valid, else ISO-8859-1.
fn read_text(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => e.into_bytes().iter().map(|&b| b as char).collect(),
    }
}

/// Every `.snmprec` in `dir` by community name, with its `name@VLAN` contexts attached.
pub(super) fn load_dir(dir: &Path) -> BTreeMap<String, Walk> {
    let mut main = BTreeMap::new();
    let mut contexts = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let Some(stem) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".snmprec"))
        else {
            continue;
        };
        let walk = Walk::from_snmprec(&read_text(&path))
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        match stem.split_once('@') {
            Some((name, vlan)) => {
                contexts.push((name.to_string(), vlan.parse::<u16>().unwrap(), walk))
            }
            None => {
                main.insert(stem.to_string(), walk);
            }
        }
    }
    for (name, vlan, walk) in contexts {
        if let Some(w) = main.get_mut(&name) {
            w.vlan_contexts.insert(vlan, walk.values);
        }
    }
    main
}

fn decode_all() -> Option<BTreeMap<String, Snapshot>> {
    let dir = corpus()?;
    Some(
        load_dir(&dir.join("recordings"))
            .into_iter()
            .map(|(name, w)| {
                let s = snapshot(&w, &name);
                (name, s)
            })
            .collect(),
    )
}

#[test]
fn every_recording_decodes() {
    let Some(all) = decode_all() else {
        eprintln!("corpus not present: skipping");
        return;
    };
    assert!(all.len() >= 8, "{:?}", all.keys());
    for (name, s) in &all {
        assert_eq!(s.target, *name);
        assert!(!s.tables.is_empty());
        if std::env::var_os("CORPUS_DUMP").is_some() {
            eprintln!(
                "== {name}: {} interfaces, {} vlans, {} stack, {} psu, {} poe modules, {} neighbours, qos {} ({} policies)",
                s.interfaces.len(),
                s.vlans.len(),
                s.stack.len(),
                s.power_supplies.len(),
                s.poe.modules.len(),
                s.neighbours.len(),
                s.qos.status,
                s.qos.policies.len()
            );
            for l in &s.problems {
                eprintln!("   problem: {l}");
            }
        }
    }
}

fn the(name: &str) -> Option<Snapshot> {
    decode_all()?.remove(name)
}

#[test]
fn ios_2960x_stack_poe_trunks_and_vlans() {
    let Some(s) = the("ios_2960x") else { return };
    let iface = |n: &str| s.interfaces.iter().find(|i| i.name == n).unwrap();

    // Three members, numbered from the chassis (no cswSwitchNumCurrent in this capture).
    let members: Vec<(u32, u32, &str)> = s
        .stack
        .iter()
        .map(|m| (m.number, m.ent_physical_index, m.role.as_str()))
        .collect();
    assert_eq!(
        members,
        vec![
            (1, 1001, "master"),
            (2, 2001, "member"),
            (3, 3001, "member")
        ]
    );
    assert_eq!(s.stack[1].model.as_deref(), Some("WS-C2960X-24PS-L"));

    // One PSE group in POWER-ETHERNET-MIB, in watts; no cpeExtMainPseTable, so no mW. The
    // port rows name groups 2 and 3 too (members 2 and 3): their PSEs exist, their budgets
    // are not reported (None, never 0).
    let [m, m2, m3] = s.poe.modules.as_slice() else {
        panic!("{:?}", s.poe.modules)
    };
    assert_eq!((m2.group, m2.stack_member, m2.budget_w), (2, Some(2), None));
    assert_eq!((m3.group, m3.stack_member, m3.budget_w), (3, Some(3), None));
    assert_eq!(
        (m.group, m.budget_w, m.consumed_w),
        (1, Some(370), Some(115))
    );
    assert_eq!((m.used_mw, m.remaining_mw), (None, None));
    // Every port of group 1 sits in chassis 1001, member 1.
    assert_eq!(m.stack_member, Some(1));

    // 120 cpeExt port rows, each joined to its own interface through ENTITY-MIB. The
    // names are only used here, to check the join from independent evidence.
    let poe: Vec<_> = s
        .interfaces
        .iter()
        .filter_map(|i| i.poe.as_ref().map(|p| (i, p)))
        .collect();
    assert_eq!(poe.len(), 120);
    for (i, p) in &poe {
        assert_eq!(
            i.name,
            format!("Gi{}/0/{}", p.group, p.port),
            "ifIndex {}",
            i.if_index
        );
    }
    let per_group = |g| poe.iter().filter(|(_, p)| p.group == g).count();
    assert_eq!((per_group(1), per_group(2), per_group(3)), (48, 24, 48));
    // Port 2.1 is ifIndex 10601 (not 2, not 10201), with milliwatt columns.
    let g2 = iface("Gi2/0/1");
    assert_eq!(g2.if_index, 10601);
    let p = g2.poe.as_ref().unwrap();
    assert_eq!(
        (p.group, p.port, p.max_mw, p.consumed_mw),
        (2, 1, Some(15400), Some(0))
    );
    assert_eq!(
        iface("Gi1/0/3").poe.as_ref().unwrap().consumed_mw,
        Some(6952)
    );

    // Trunks: five with native VLAN 534, and Po1 with native VLAN 1.
    let trunks: Vec<(&str, Option<u16>)> = s
        .interfaces
        .iter()
        .filter(|i| i.trunk)
        .map(|i| (i.name.as_str(), i.native_vlan))
        .collect();
    assert_eq!(
        trunks,
        vec![
            ("Po1", Some(1)),
            ("Gi1/0/3", Some(534)),
            ("Gi1/0/4", Some(534)),
            ("Gi1/0/5", Some(534)),
            ("Gi3/0/3", Some(534)),
            ("Gi3/0/4", Some(534)),
        ]
    );
    // This capture has no VlansEnabled column, so allowed VLANs are unknown, not "none".
    assert!(s.interfaces.iter().all(|i| i.allowed_vlans.is_none()));

    let ids: Vec<u16> = s.vlans.iter().map(|v| v.id).collect();
    assert_eq!(ids, vec![1, 99, 1002, 1003, 1004, 1005]);
    assert_eq!(s.vlans[2].vlan_type.as_deref(), Some("fddi"));
    assert_eq!(iface("Gi1/0/1").access_vlan, Some(525));
    assert!(
        s.problems.iter().any(|l| l.contains("does not list")
            && l.contains("527 (44)")
            && l.contains("534 (5)")),
        "{:#?}",
        s.problems
    );
    assert_eq!(s.power_supplies.len(), 3);
    assert_eq!(
        s.qos.status, "unknown",
        "mls-qos platform: nothing under cbQoS"
    );
    assert_eq!(
        s.tables["cpeExtPsePortTable"],
        TableStatus::Present { rows: 120 }
    );
    assert_eq!(s.tables["cpeExtMainPseTable"], TableStatus::Absent);
    let phones = s.neighbours.iter().filter(|n| n.is_phone).count();
    assert_eq!((s.neighbours.len(), phones), (7, 0));
}

#[test]
fn catalyst_9000_stacks_map_pse_groups_to_members() {
    // 9200L: each PSE group's cpeExtMainPseEntPhyIndex is a power supply inside a
    // container inside the member's chassis; group N is member N here, and the milliwatt
    // columns stay milliwatts.
    if let Some(s) = the("iosxe_c9200l") {
        let got: Vec<_> = poe_rows(&s)
            .into_iter()
            .map(|(g, m, b, _, used, left)| (g, m, b, used, left))
            .collect();
        assert_eq!(
            got,
            vec![
                (1, Some(1), Some(740), Some(26100), Some(713900)),
                (2, Some(2), Some(740), Some(52200), Some(687800)),
                (3, Some(3), Some(740), Some(89700), Some(650300)),
            ]
        );
        assert!(s.interfaces.is_empty(), "this capture has no IF-MIB");
        assert_eq!(s.tables["ifTable"], TableStatus::Absent);
        let roles: Vec<&str> = s.stack.iter().map(|m| m.role.as_str()).collect();
        assert_eq!(roles, vec!["member", "master", "standby"]);
    }
    // 9400 StackWise Virtual: PSE group 11 belongs to the second chassis (entity 500).
    if let Some(s) = the("iosxe_c9400-svl") {
        let got: Vec<_> = s
            .poe
            .modules
            .iter()
            .map(|m| (m.group, m.stack_member))
            .collect();
        assert_eq!(got, vec![(1, Some(1)), (11, Some(2))]);
        // Only the control-plane policy is attached: cbQoS answers, no port has a policy.
        assert_eq!(s.qos.status, "absent");
        assert_eq!(s.qos.policies.len(), 1);
        assert_eq!(s.qos.policies[0].policy_name, "system-cpp-policy");
        assert_eq!(
            s.qos.policies[0].interface.as_deref(),
            Some("control-plane")
        );
        assert!(s.qos.policies[0].classes.len() > 10);
        assert!(s.qos.policies[0].classes.iter().all(|c| !c.priority));
    }
}

#[test]
fn snmpsimdata_c3560_voice_vlans_are_none_and_lldp_is_joined_by_name() {
    let Some(s) = the("snmpsimdata_cisco-c3560") else {
        return;
    };
    let modes: Vec<_> = s
        .interfaces
        .iter()
        .filter_map(|i| i.voice_vlan_mode.as_deref())
        .collect();
    assert_eq!(modes.len(), 52);
    assert!(modes.iter().all(|m| *m == "none"), "4096 is no voice VLAN");
    assert!(s.interfaces.iter().all(|i| i.voice_vlan.is_none()));
    // No BRIDGE-MIB in this capture: portfast cannot be joined, and we say so.
    assert!(s.interfaces.iter().all(|i| i.portfast.is_none()));
    assert!(
        s.problems
            .iter()
            .any(|l| l.contains("portfast is known for 52 bridge port"))
    );
}

/// Every recording with its values replaced by each odd kind (wrong types, NULLs,
/// negative numbers, huge numbers, empty strings) and with every index cut short by one
/// arc: decoding must never panic; wrong types and cut indexes must be reported.
#[test]
fn mangled_recordings_never_panic() {
    use crate::{Oid, Value};
    let Some(dir) = corpus() else { return };
    let walks = load_dir(&dir.join("recordings"));
    type Mangle = Box<dyn Fn(&Value) -> Value>;
    let kinds: Vec<(&str, Mangle)> = vec![
        ("null", Box::new(|_| Value::Null)),
        (
            "text",
            Box::new(|_| Value::OctetString(b"garbage".to_vec())),
        ),
        ("empty", Box::new(|_| Value::OctetString(Vec::new()))),
        ("negative", Box::new(|_| Value::Integer(-7))),
        ("huge", Box::new(|_| Value::Counter64(u64::MAX))),
        (
            "oid",
            Box::new(|_| Value::ObjectId(Oid::new(&[1, 3, 6, 1, 2, 1, 2, 2, 1, 1, 7]))),
        ),
        (
            "bytes-as-int",
            Box::new(|v: &Value| match v {
                Value::OctetString(b) => Value::Integer(b.len() as i64 * 1_000_003),
                other => other.clone(),
            }),
        ),
    ];
    for name in [
        "ios_2960x",
        "iosxe_c9400-svl",
        "snmpsimdata_cisco-c3560",
        "ios_c3560",
    ] {
        let Some(w) = walks.get(name) else { continue };
        for (kind, f) in &kinds {
            let mut m = w.clone();
            m.values = w.values.iter().map(|(k, v)| (k.clone(), f(v))).collect();
            let s = snapshot(&m, name);
            assert_eq!(s.target, name, "{kind}");
            if *kind == "text" || *kind == "oid" {
                assert!(
                    s.problems.iter().any(|l| l.contains("expected")),
                    "{name} {kind}: wrong types are reported"
                );
            }
        }
        let mut cut = w.clone();
        cut.values = w
            .values
            .iter()
            .map(|(k, v)| {
                let mut arcs = k.arcs().to_vec();
                arcs.pop();
                (Oid(arcs), v.clone())
            })
            .collect();
        let s = snapshot(&cut, name);
        assert!(!s.problems.is_empty(), "{name}: cut indexes reported");
    }
}
