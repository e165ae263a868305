//! Snapshots built in code for the checks' unit tests: a switch that is ready, which each
//! test breaks in one way, and a `check` helper comparing findings in one line each.

use std::collections::BTreeMap;

use lanready_schema::*;

use super::Check;
use crate::plan::{PhoneNeeds, PortSelection, SwitchPlan, Thresholds};

pub const ADDR: &str = "127.0.0.1:161";

/// The sysDescr of an mls qos platform (QoS not readable over SNMP).
pub const MLS_DESCR: &str =
    "Cisco IOS Software, C2960X Software (C2960X-UNIVERSALK9-M), Version 15.2(7)E8";

/// The plan: voice VLAN 110, class 2 phones (7 W) on every user port, 10% headroom.
pub fn plan() -> SwitchPlan {
    SwitchPlan {
        address: ADDR.into(),
        voice_vlan: 110,
        data_vlan: Some(10),
        ports: PortSelection::default(),
        phone_budget_mw: 7_000,
        phone_count: None,
        poe_required: true,
        thresholds: Thresholds::default(),
        phones: PhoneNeeds {
            per_socket_mw: 7_000,
            average_mw: 7_000,
            lldp_med: false,
            cdp_only_models: true,
            voice_dscp: 46,
            labels: vec!["cisco-7941 (class 2; learns its VLAN by CDP)".into()],
        },
    }
}

/// A user port `Gi{member}/0/{n}` with ifIndex `member * 1000 + n`, ready for a phone.
pub fn user_port(member: u32, n: u32) -> Interface {
    let if_index = member * 1000 + n;
    Interface {
        if_index,
        name: format!("Gi{member}/0/{n}"),
        if_type: Some(6),
        admin_up: Some(true),
        oper_up: Some(n.is_multiple_of(2)),
        speed_mbps: Some(1000),
        duplex: Some("full".into()),
        in_errors: Some(0),
        out_errors: Some(0),
        fcs_errors: Some(0),
        late_collisions: Some(0),
        access_vlan: Some(10),
        voice_vlan: Some(110),
        voice_vlan_mode: Some("vlan".into()),
        portfast: Some("enable".into()),
        bpdu_guard: Some("enable".into()),
        poe: Some(PortPoe {
            group: member,
            port: n,
            admin_enabled: Some(true),
            detection: Some("searching".into()),
            max_mw: Some(30_000),
            denied_count: Some(0),
            overload_count: Some(0),
            ..PortPoe::default()
        }),
        poe_pool: Some(PoolPlacement {
            pool: format!("member-{member}"),
            by: "pethPsePortTable".into(),
        }),
        bridge_port: Some(n),
        trunk_mode: Some("off".into()),
        trunk_status: Some("notTrunking".into()),
        module_model: Some("C9300-48P".into()),
        ..Interface::default()
    }
}

/// A 10G trunk `Te{member}/1/{n}` allowing every VLAN.
pub fn trunk(member: u32, n: u32) -> Interface {
    Interface {
        if_index: member * 1000 + 100 + n,
        name: format!("Te{member}/1/{n}"),
        if_type: Some(6),
        admin_up: Some(true),
        oper_up: Some(true),
        speed_mbps: Some(10_000),
        duplex: Some("full".into()),
        in_errors: Some(0),
        trunk: true,
        trunk_mode: Some("on".into()),
        trunk_status: Some("trunking".into()),
        native_vlan: Some(1),
        allowed_vlans: Some("1-4094".into()),
        module_model: Some("C9300-NM-8X".into()),
        ..Interface::default()
    }
}

/// A ready stack of `members` members with `ports` user ports each and one trunk each; each
/// member has its own PSE (`budget_w` watts).
pub fn stack(members: u32, ports: u32, budget_w: u32) -> Snapshot {
    let mut interfaces = Vec::new();
    let mut policies = Vec::new();
    let mut modules = Vec::new();
    let mut pools = Vec::new();
    let mut stack = Vec::new();
    for m in 1..=members {
        for n in 1..=ports {
            let p = user_port(m, n);
            policies.push(policy(
                p.if_index,
                &p.name,
                "input",
                "AutoQos-4.0-CiscoPhone-Input-Policy",
                false,
            ));
            policies.push(policy(
                p.if_index,
                &p.name,
                "output",
                "AutoQos-4.0-Output-Policy",
                true,
            ));
            interfaces.push(p);
        }
        let t = trunk(m, 1);
        policies.push(policy(
            t.if_index,
            &t.name,
            "output",
            "AutoQos-4.0-Output-Policy",
            true,
        ));
        interfaces.push(t);
        modules.push(PoeModule {
            group: m,
            stack_member: Some(m),
            budget_w: Some(budget_w),
            consumed_w: Some(20),
            oper_status: Some("on".into()),
            ..PoeModule::default()
        });
        pools.push(PoePool {
            id: format!("member-{m}"),
            kind: "member".into(),
            groups: vec![m],
            members: vec![m],
            budget_w: Some(budget_w),
            budget_source: Some(format!("pethMainPsePower.{m}")),
            consumed_w: Some(20),
            ..PoePool::default()
        });
        stack.push(StackMember {
            number: m,
            ent_physical_index: 1000 * m,
            role: if m == 1 {
                "master".into()
            } else {
                "member".into()
            },
            state: "ready".into(),
            power_budget_w: Some(budget_w),
            model: Some("C9300-48P".into()),
            serial: Some(format!("FOC000{m}")),
            ..StackMember::default()
        });
    }
    let tables: BTreeMap<String, TableStatus> = [
        "ifTable",
        "ifXTable",
        "pethMainPseTable",
        "pethPsePortTable",
        "vtpVlanTable",
        "vmVoiceVlanTable",
        "cdpInterfaceTable",
        "lldpPortConfigTable",
        "dot3StatsTable",
        "cbQosServicePolicyTable",
        "cbQosObjectsTable",
        "stpxFastStartPortTable",
        "vlanTrunkPortTable",
        "vmMembershipTable",
    ]
    .into_iter()
    .map(|t| (t.to_string(), TableStatus::Present { rows: 10 }))
    .chain(
        [
            "cafPortConfigTable",
            "dot1xAuthConfigTable",
            "cpsIfConfigTable",
        ]
        .into_iter()
        .map(|t| (t.to_string(), TableStatus::Absent)),
    )
    .collect();
    Snapshot {
        schema: SNAPSHOT_SCHEMA.into(),
        target: ADDR.into(),
        system: System {
            descr: Some("Cisco IOS Software [Cupertino], Catalyst L3 Switch Software (CAT9K_IOSXE), Version 17.9.4".into()),
            name: Some("sw1".into()),
            uptime_centiseconds: Some(10 * 8_640_000),
            ..System::default()
        },
        stack,
        power_supplies: vec![psu(1, true), psu(2, true)],
        interfaces,
        vlans: vec![vlan(1, "default"), vlan(10, "DATA"), vlan(110, "VOICE")],
        platform: Platform {
            model: Some("C9300-48P".into()),
            family: "ios_xe".into(),
            image: Some("CAT9K_IOSXE".into()),
            modular: false,
            stack_kind: if members > 1 { "stack" } else { "standalone" }.into(),
            sources: vec![],
        },
        poe: Poe {
            modules,
            pools,
            hardware: vec!["C9300-48P".into()],
            ..Poe::default()
        },
        qos: Qos { status: "mqc".into(), policies },
        neighbours: vec![],
        errdisable: ErrDisable {
            interval_s: Some(300),
            recovery: [("bpduGuard".to_string(), true)].into_iter().collect(),
        },
        tables,
        problems: vec![],
        ..Snapshot::default()
    }
}

/// One switch with 48 user ports, two trunks and a 740 W PSE.
pub fn ready() -> Snapshot {
    let mut s = stack(1, 48, 740);
    let t = trunk(1, 2);
    s.qos.policies.push(policy(
        t.if_index,
        &t.name,
        "output",
        "AutoQos-4.0-Output-Policy",
        true,
    ));
    s.interfaces.push(t);
    s.stack.clear();
    s
}

pub fn vlan(id: u16, name: &str) -> Vlan {
    Vlan {
        id,
        domain: Some(1),
        name: Some(name.into()),
        state: "operational".into(),
        vlan_type: Some("ethernet".into()),
    }
}

pub fn psu(index: u32, ok: bool) -> PowerSupply {
    PowerSupply {
        index,
        descr: Some(format!("Switch 1 - Power Supply {index}")),
        state: if ok {
            "normal".into()
        } else {
            "critical".into()
        },
        ok,
        source: "ciscoEnvMonSupplyState".into(),
        model: Some("PWR-C1-715WAC-P".into()),
        member: Some(1),
    }
}

pub fn policy(
    if_index: u32,
    name: &str,
    direction: &str,
    policy_name: &str,
    priority: bool,
) -> QosPolicy {
    QosPolicy {
        policy_index: if_index,
        if_index: Some(if_index),
        interface: Some(name.into()),
        direction: direction.into(),
        policy_name: policy_name.into(),
        classes: vec![QosClass {
            name: "VOICE".into(),
            matches: vec!["match dscp ef".into()],
            priority,
            sets: vec![],
        }],
    }
}

/// The interface with this name.
pub fn port<'a>(s: &'a mut Snapshot, name: &str) -> &'a mut Interface {
    s.interfaces
        .iter_mut()
        .find(|i| i.name == name)
        .unwrap_or_else(|| panic!("no {name}"))
}

/// Runs a check and compares its findings, one line each: `status severity port`, with
/// `-` for a switch-level finding.
pub fn check(c: Check, snap: &Snapshot, plan: &SwitchPlan, expected: &[&str]) -> Vec<Finding> {
    let findings = c.evaluate(snap, plan);
    let got: Vec<String> = findings
        .iter()
        .map(|f| {
            format!(
                "{} {} {}",
                serde_json::to_value(f.status).unwrap().as_str().unwrap(),
                serde_json::to_value(f.severity).unwrap().as_str().unwrap(),
                f.port.as_deref().unwrap_or("-")
            )
        })
        .collect();
    assert_eq!(got, expected, "{}: {findings:#?}", c.id());
    for f in &findings {
        assert_eq!(f.check, c.id());
        assert_eq!(f.switch, ADDR);
        if f.status == Status::Fail && f.severity != Severity::Info {
            assert!(f.remediation.is_some(), "a failure without a fix: {f:#?}");
            assert!(!f.evidence.is_empty(), "a failure without evidence: {f:#?}");
        }
    }
    findings
}
