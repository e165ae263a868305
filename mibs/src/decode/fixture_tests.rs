//! Decodes the project's fixtures in `tests/fixtures/snmprec` (when present) and checks the
//! facts `tests/fixtures/FIXTURES.md` documents, join by join.

use std::collections::BTreeMap;
use std::path::Path;

use lanready_schema::{Interface, Snapshot};

use super::corpus_tests::{load_dir, poe_rows};
use crate::decode::snapshot;

fn fixtures() -> Option<BTreeMap<String, Snapshot>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/snmprec");
    if !dir.is_dir() {
        return None;
    }
    Some(
        load_dir(&dir)
            .into_iter()
            .map(|(name, w)| {
                let s = snapshot(&w, &name);
                (name, s)
            })
            .collect(),
    )
}

fn the(name: &str) -> Option<Snapshot> {
    fixtures()?.remove(name)
}

fn iface<'a>(s: &'a Snapshot, name: &str) -> &'a Interface {
    s.interfaces
        .iter()
        .find(|i| i.name == name)
        .unwrap_or_else(|| panic!("{}: no interface {name}", s.target))
}

fn user_ports(s: &Snapshot) -> Vec<&Interface> {
    s.interfaces
        .iter()
        .filter(|i| i.name.starts_with("Gi") && i.name.matches('/').count() == 2)
        .collect()
}

fn phones_on(s: &Snapshot) -> Vec<&str> {
    s.neighbours
        .iter()
        .filter(|n| n.is_phone)
        .map(|n| n.interface.as_deref().unwrap_or("?"))
        .collect()
}

/// Every PoE port's interface is `Gi<group>/0/<port>` on these fixtures: the ENTITY-MIB
/// join is checked against the names, which the decoder never reads for it.
fn assert_poe_join_matches_names(s: &Snapshot, expected_ports: usize) {
    let poe: Vec<_> = s
        .interfaces
        .iter()
        .filter_map(|i| i.poe.as_ref().map(|p| (i, p)))
        .collect();
    assert_eq!(poe.len(), expected_ports, "{}", s.target);
    for (i, p) in poe {
        assert_eq!(
            i.name,
            format!("Gi{}/0/{}", p.group, p.port),
            "{}",
            s.target
        );
    }
}

#[test]
fn access48_every_join() {
    let Some(s) = the("access48") else { return };
    assert!(s.problems.is_empty(), "{:#?}", s.problems);
    assert_eq!(s.system.name.as_deref(), Some("hitchin-sw1"));
    assert_eq!(s.interfaces.len(), 55);
    assert_eq!(user_ports(&s).len(), 48);

    // Stack table with one row; PSE group 1 -> chassis 1001 -> member 1.
    assert_eq!(s.stack.len(), 1);
    assert_eq!(
        (s.stack[0].number, s.stack[0].ent_physical_index),
        (1, 1001)
    );
    assert_eq!(
        poe_rows(&s)[0],
        (1, Some(1), Some(740), Some(96), Some(360000), Some(380000))
    );

    // PoE ports through entity 1009+N, whatever the ifIndex.
    assert_poe_join_matches_names(&s, 48);
    let g1 = iface(&s, "Gi1/0/1");
    assert_eq!(g1.if_index, 10101);
    let p = g1.poe.as_ref().unwrap();
    assert_eq!((p.group, p.port, p.class), (1, 1, Some(4)));
    assert_eq!((p.allocated_mw, p.consumed_mw), (Some(30000), Some(7650)));
    assert_eq!(p.detection.as_deref(), Some("deliveringPower"));
    let p4 = iface(&s, "Gi1/0/4").poe.as_ref().unwrap();
    assert_eq!(
        (p4.detection.as_deref(), p4.class),
        (Some("searching"), Some(0))
    );
    assert_eq!(
        iface(&s, "Gi1/0/13").poe.as_ref().unwrap().consumed_mw,
        Some(8280)
    );
    assert_eq!(
        iface(&s, "Gi1/0/47").poe.as_ref().unwrap().consumed_mw,
        Some(8400)
    );

    // VLANs, voice, portfast (bridge port N via the VLAN 10/110 contexts), trust, LLDP-MED
    // (lldpLocPortNum N+2 mapped by ifName) on every user port.
    for i in user_ports(&s) {
        assert_eq!(
            (i.access_vlan, i.voice_vlan),
            (Some(10), Some(110)),
            "{}",
            i.name
        );
        assert_eq!(i.voice_vlan_mode.as_deref(), Some("vlan"));
        assert!(!i.trunk);
        assert_eq!(i.portfast.as_deref(), Some("enable"), "{}", i.name);
        assert_eq!(i.bpdu_guard.as_deref(), Some("enable"));
        assert_eq!(i.qos_trust.as_deref(), Some("trustDscp"));
        assert_eq!(i.lldp_med_voice_vlan, Some(110), "{}", i.name);
        assert_eq!(
            (i.lldp_med_voice_dscp, i.lldp_med_voice_priority),
            (Some(46), Some(5))
        );
        assert_eq!(i.lldp_med_voice_tagged, Some(true));
    }
    assert_eq!(iface(&s, "Gi1/0/48").admin_up, Some(false));
    for t in ["Te1/0/1", "Te1/0/2", "Po1"] {
        let t = iface(&s, t);
        assert!(t.trunk, "{}", t.name);
        assert_eq!(t.native_vlan, Some(99));
        assert_eq!(t.allowed_vlans.as_deref(), Some("1,10,99,110"));
    }
    assert_eq!(iface(&s, "Po1").portfast.as_deref(), Some("disable"));
    let vlans: Vec<(u16, &str)> = s
        .vlans
        .iter()
        .map(|v| (v.id, v.name.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(
        &vlans[..4],
        &[(1, "default"), (10, "DATA"), (99, "MGMT"), (110, "VOICE")]
    );
    assert_eq!(vlans.len(), 8);

    // Phones by CDP, on the documented ports, declaring 12.9 W and voice VLAN 110.
    let expect: Vec<String> = [1, 2, 3, 5, 8, 13, 21, 22, 34, 35, 41, 47]
        .iter()
        .map(|n| format!("Gi1/0/{n}"))
        .collect();
    assert_eq!(phones_on(&s), expect);
    for n in s.neighbours.iter().filter(|n| n.is_phone) {
        assert_eq!((n.voice_vlan, n.power_mw), (Some(110), Some(12900)));
        assert_eq!(n.platform.as_deref(), Some("Cisco IP Phone 8865"));
    }
    let core: Vec<(&str, &str)> = s
        .neighbours
        .iter()
        .filter(|n| n.device_id.as_deref() == Some("hitchin-core1"))
        .map(|n| (n.protocol.as_str(), n.interface.as_deref().unwrap()))
        .collect();
    assert_eq!(
        core,
        vec![
            ("cdp", "Te1/0/1"),
            ("lldp", "Te1/0/1"),
            ("cdp", "Te1/0/2"),
            ("lldp", "Te1/0/2")
        ]
    );

    // cbQoS: UPLINK-OUT has LLQ for VOICE; VOICE-IN shares VOICE's ConfigIndex but has no
    // queueing object, so no priority on user ports.
    assert_eq!(s.qos.status, "mqc");
    assert_eq!(s.qos.policies.len(), 50);
    for pol in &s.qos.policies {
        let voice = pol.classes.iter().find(|c| c.name == "VOICE").unwrap();
        assert_eq!(voice.matches, vec!["Match dscp ef (46)"]);
        match pol.policy_name.as_str() {
            "UPLINK-OUT" => {
                assert_eq!(pol.direction, "output");
                assert!(voice.priority);
                assert!(pol.interface.as_deref().unwrap().starts_with("Te1/0/"));
            }
            "VOICE-IN" => {
                assert_eq!(pol.direction, "input");
                assert!(!voice.priority, "{}", pol.policy_index);
                assert!(pol.interface.as_deref().unwrap().starts_with("Gi1/0/"));
            }
            other => panic!("unexpected policy {other}"),
        }
        assert!(
            pol.classes
                .iter()
                .all(|c| c.name != "class-default" || !c.priority)
        );
    }
    assert_eq!(s.power_supplies.len(), 1);
    assert!(s.power_supplies[0].ok);
}

#[test]
fn stack3_every_join() {
    let Some(s) = the("stack3") else { return };
    assert!(s.problems.is_empty(), "{:#?}", s.problems);
    let members: Vec<_> = s
        .stack
        .iter()
        .map(|m| {
            (
                m.number,
                m.ent_physical_index,
                m.role.as_str(),
                m.power_budget_w,
            )
        })
        .collect();
    assert_eq!(
        members,
        vec![
            (1, 1001, "master", Some(740)),
            (2, 2001, "member", Some(370)),
            (3, 3001, "standby", Some(740)),
        ]
    );
    // Each group's PSE entity is Power Supply A (b+4), two levels below the chassis.
    let modules = poe_rows(&s);
    assert_eq!(
        modules,
        vec![
            (1, Some(1), Some(740), Some(143), Some(540000), Some(200000)),
            (2, Some(2), Some(370), Some(79), Some(300000), Some(70000)),
            (3, Some(3), Some(740), Some(42), Some(84000), Some(656000)),
        ]
    );
    assert_poe_join_matches_names(&s, 72);
    let g = |n: &str| iface(&s, n).poe.clone().unwrap();
    assert_eq!(iface(&s, "Gi1/0/1").if_index, 10101);
    assert_eq!(g("Gi1/0/1").consumed_mw, Some(7723));
    assert_eq!(iface(&s, "Gi2/0/5").if_index, 10605);
    assert_eq!((g("Gi2/0/5").group, g("Gi2/0/5").port), (2, 5));
    assert_eq!(g("Gi2/0/5").detection.as_deref(), Some("searching"));
    assert_eq!(iface(&s, "Gi3/0/24").if_index, 11124);
    let p = g("Gi3/0/24");
    assert_eq!(
        (p.class, p.allocated_mw, p.consumed_mw),
        (Some(2), Some(7000), Some(3938))
    );
    assert_eq!(g("Gi3/0/1").detection.as_deref(), Some("searching"));

    // Bridge ports 56*(m-1)+p exist only in the VLAN 10 / 110 contexts.
    let users = user_ports(&s);
    assert_eq!(users.len(), 72);
    for i in users {
        assert_eq!(i.portfast.as_deref(), Some("enable"), "{}", i.name);
        assert_eq!((i.access_vlan, i.voice_vlan), (Some(10), Some(110)));
        assert_eq!(i.qos_trust, None);
    }
    assert_eq!(iface(&s, "Po1").portfast.as_deref(), Some("disable"));
    assert_eq!(
        s.qos.status, "unknown",
        "mls-qos: no cbQoS, no csqIfTrustState"
    );

    let psu: Vec<_> = s
        .power_supplies
        .iter()
        .map(|p| (p.index, p.state.as_str(), p.ok))
        .collect();
    assert_eq!(psu.len(), 6);
    assert!(psu.contains(&(2005, "critical", false)));
    assert_eq!(psu.iter().filter(|p| p.2).count(), 5);

    let phones = phones_on(&s);
    assert_eq!(phones.len(), 40);
    assert_eq!(phones.iter().filter(|p| p.starts_with("Gi2/")).count(), 10);
    let n7841 = s
        .neighbours
        .iter()
        .filter(|n| n.platform.as_deref() == Some("Cisco IP Phone 7841"))
        .map(|n| n.power_mw)
        .collect::<Vec<_>>();
    assert_eq!(n7841.len(), 12);
    assert!(n7841.iter().all(|p| *p == Some(4600)));
    // LLDP local ports numbered 1.. over Gi and Te: Te3/1/1 is lldpLocPortNum 74.
    assert_eq!(iface(&s, "Gi3/0/1").lldp_med_voice_vlan, Some(110));
    assert!(
        s.neighbours
            .iter()
            .any(|n| n.protocol == "lldp" && n.interface.as_deref() == Some("Te3/1/1"))
    );
}

#[test]
fn nopoe_defects() {
    let Some(s) = the("nopoe") else { return };
    assert!(s.problems.is_empty(), "{:#?}", s.problems);
    assert!(s.poe.modules.is_empty());
    assert!(s.interfaces.iter().all(|i| i.poe.is_none()));
    assert_eq!(
        s.tables["pethMainPseTable"],
        lanready_schema::TableStatus::Absent
    );
    assert_eq!(
        s.tables["cpeExtPsePortTable"],
        lanready_schema::TableStatus::Absent
    );
    let users = user_ports(&s);
    assert_eq!(users.len(), 24);
    for i in &users {
        assert_eq!(i.voice_vlan_mode.as_deref(), Some("none"), "{}", i.name);
        assert_eq!(i.voice_vlan, None);
        assert_eq!(i.lldp_med_voice_vlan, None);
        let want = if ["Gi1/0/3", "Gi1/0/15", "Gi1/0/22"].contains(&i.name.as_str()) {
            "disable"
        } else {
            "enable"
        };
        assert_eq!(i.portfast.as_deref(), Some(want), "{}", i.name);
    }
    let g7 = iface(&s, "Gi1/0/7");
    assert_eq!(g7.if_index, 10107);
    assert_eq!(
        (g7.duplex.as_deref(), g7.speed_mbps),
        (Some("half"), Some(100))
    );
    assert_eq!(
        (
            g7.late_collisions,
            g7.fcs_errors,
            g7.in_errors,
            g7.out_errors
        ),
        (Some(1843), Some(57), Some(212), Some(1843))
    );
    assert!(!s.vlans.iter().any(|v| v.id == 110));
    assert_eq!(iface(&s, "Po1").allowed_vlans.as_deref(), Some("1,10,99"));
    assert!(phones_on(&s).is_empty());
    assert_eq!(s.qos.status, "unknown");
    assert!(s.interfaces.iter().all(|i| i.qos_trust.is_none()));
}

#[test]
fn misconfigured_defects() {
    let Some(s) = the("misconfigured") else {
        return;
    };
    assert!(s.problems.is_empty(), "{:#?}", s.problems);
    // PoE port (1, N) is ifIndex N+1: a "port = ifIndex" join would be off by one.
    assert_poe_join_matches_names(&s, 24);
    let g1 = iface(&s, "Gi1/0/1");
    assert_eq!((g1.if_index, g1.poe.as_ref().unwrap().port), (2, 1));
    assert_eq!(
        iface(&s, "Gi1/0/1").poe.as_ref().unwrap().consumed_mw,
        Some(7845)
    );
    let g4 = iface(&s, "Gi1/0/4");
    assert_eq!(g4.if_index, 5);
    assert_eq!(g4.poe.as_ref().unwrap().consumed_mw, Some(7980));
    let g20 = iface(&s, "Gi1/0/20");
    assert_eq!(
        g20.poe.as_ref().unwrap().detection.as_deref(),
        Some("searching")
    );
    // An interface whose ifIndex equals a PoE port number is not that port.
    assert_eq!(iface(&s, "Gi0/0").poe, None);

    assert_eq!(
        poe_rows(&s)[0],
        (1, Some(1), Some(800), Some(48), Some(180000), Some(620000))
    );
    assert_eq!(s.stack[0].ent_physical_index, 1000);

    let no_voice: Vec<&str> = user_ports(&s)
        .into_iter()
        .filter(|i| i.voice_vlan_mode.as_deref() == Some("none"))
        .map(|i| i.name.as_str())
        .collect();
    assert_eq!(
        no_voice,
        vec!["Gi1/0/4", "Gi1/0/9", "Gi1/0/13", "Gi1/0/17", "Gi1/0/21"]
    );
    assert_eq!(g4.lldp_med_voice_vlan, None);
    assert_eq!(
        g1.lldp_med_voice_vlan,
        Some(110),
        "lldpLocPortNum = ifIndex here"
    );
    let cdp4: Vec<_> = s
        .neighbours
        .iter()
        .filter(|n| n.interface.as_deref() == Some("Gi1/0/4"))
        .collect();
    assert_eq!(cdp4.len(), 1);
    assert!(cdp4[0].is_phone);
    assert_eq!(cdp4[0].voice_vlan, None);
    assert_eq!((g20.access_vlan, g20.voice_vlan), (Some(110), Some(110)));
    for t in ["Te1/1/1", "Te1/1/2", "Po1"] {
        assert_eq!(
            iface(&s, t).allowed_vlans.as_deref(),
            Some("1,10,99"),
            "{t}"
        );
    }

    assert_eq!(s.qos.status, "mqc");
    let pols: Vec<(&str, &str, bool)> = s
        .qos
        .policies
        .iter()
        .map(|p| {
            let voice = p.classes.iter().find(|c| c.name == "VOICE").unwrap();
            (
                p.policy_name.as_str(),
                p.interface.as_deref().unwrap(),
                voice.priority,
            )
        })
        .collect();
    assert_eq!(
        pols,
        vec![
            ("UPLINK-OUT", "Te1/1/1", false),
            ("UPLINK-OUT", "Te1/1/2", false)
        ]
    );
    for i in user_ports(&s).into_iter().filter(|i| i.name != "Gi0/0") {
        assert_eq!(i.qos_trust.as_deref(), Some("untrusted"), "{}", i.name);
        assert_eq!(i.portfast.as_deref(), Some("enable"), "{}", i.name);
    }
    assert_eq!(iface(&s, "Te1/1/1").qos_trust.as_deref(), Some("trustDscp"));
}
