//! CISCO-CLASS-BASED-QOS-MIB (MQC service policies, their classes, match statements and
//! priority queues) and CISCO-SWITCH-QOS-MIB port trust.
//!
//! Joins: cbQosServicePolicyTable gives (ifIndex, direction) for a policy index; every
//! object of that policy is a row (policy, object) of cbQosObjectsTable, whose ConfigIndex
//! points into the Cfg tables. A ConfigIndex is shared by every attachment of the same
//! class or policy map, so objects are always keyed by (policy, object) and the tree is
//! followed through ParentObjectsIndex within one policy.

use std::collections::BTreeMap;

use lanready_schema::{Interface, Qos, QosClass, QosPolicy};

use super::mib_enum;
use super::table::{Problems, Rows, read};
use crate::{Oid, Value};

pub const SERVICE_POLICY_ENTRY: &[u32] = &[1, 3, 6, 1, 4, 1, 9, 9, 166, 1, 1, 1, 1];
pub const OBJECTS_ENTRY: &[u32] = &[1, 3, 6, 1, 4, 1, 9, 9, 166, 1, 5, 1, 1];
pub const POLICY_MAP_CFG_ENTRY: &[u32] = &[1, 3, 6, 1, 4, 1, 9, 9, 166, 1, 6, 1, 1];
pub const CM_CFG_ENTRY: &[u32] = &[1, 3, 6, 1, 4, 1, 9, 9, 166, 1, 7, 1, 1];
pub const MATCH_STMT_CFG_ENTRY: &[u32] = &[1, 3, 6, 1, 4, 1, 9, 9, 166, 1, 8, 1, 1];
pub const QUEUEING_CFG_ENTRY: &[u32] = &[1, 3, 6, 1, 4, 1, 9, 9, 166, 1, 9, 1, 1];
pub const SET_CFG_ENTRY: &[u32] = &[1, 3, 6, 1, 4, 1, 9, 9, 166, 1, 14, 1, 1];
pub const CSQ_IF_CONFIG_ENTRY: &[u32] = &[1, 3, 6, 1, 4, 1, 9, 9, 580, 1, 4, 1, 1];

mib_enum! {
    /// cbQosIfType: where a service policy is attached.
    QosIfType {
        MainInterface = 1 => "mainInterface",
        SubInterface = 2 => "subInterface",
        FrDlci = 3 => "frDLCI",
        AtmPvc = 4 => "atmPVC",
        ControlPlane = 5 => "controlPlane",
        VlanPort = 6 => "vlanPort",
        Evc = 7 => "evc",
    }
}

mib_enum! {
    /// cbQosPolicyDirection.
    Direction {
        Input = 1 => "input",
        Output = 2 => "output",
    }
}

mib_enum! {
    /// cbQosObjectsType.
    ObjectType {
        PolicyMap = 1 => "policymap",
        ClassMap = 2 => "classmap",
        MatchStatement = 3 => "matchStatement",
        Queueing = 4 => "queueing",
        RandomDetect = 5 => "randomDetect",
        TrafficShaping = 6 => "trafficShaping",
        Police = 7 => "police",
        Set = 8 => "set",
    }
}

mib_enum! {
    /// csqIfTrustState.
    TrustState {
        Untrusted = 1 => "untrusted",
        TrustCos = 2 => "trustCoS",
        TrustIpPrec = 3 => "trustIpPrec",
        TrustDscp = 4 => "trustDscp",
    }
}

#[derive(Debug, Clone)]
struct Object {
    index: u32,
    config: Option<u32>,
    kind: Option<ObjectType>,
    parent: u32,
}

/// The QoS view and the per-port trust state (by ifIndex).
pub struct QosDecoded {
    pub qos: Qos,
    pub trust: BTreeMap<u32, String>,
}

fn names(rows: Rows<'_, u32>, p: &mut Problems) -> BTreeMap<u32, String> {
    rows.into_iter()
        .filter_map(|(i, r)| r.text(1, p).map(|n| (i, n)))
        .collect()
}

/// Decodes cbQoS and csqIfTrustState. `interfaces` names the policies' interfaces.
pub fn decode(
    values: &BTreeMap<Oid, Value>,
    interfaces: &BTreeMap<u32, Interface>,
    p: &mut Problems,
) -> QosDecoded {
    let sp = read::<u32>(values, "cbQosServicePolicyTable", SERVICE_POLICY_ENTRY, p);
    let objs = read::<(u32, u32)>(values, "cbQosObjectsTable", OBJECTS_ENTRY, p);
    let pm_rows = read::<u32>(values, "cbQosPolicyMapCfgTable", POLICY_MAP_CFG_ENTRY, p);
    let cm_rows = read::<u32>(values, "cbQosCMCfgTable", CM_CFG_ENTRY, p);
    let ms_rows = read::<u32>(values, "cbQosMatchStmtCfgTable", MATCH_STMT_CFG_ENTRY, p);
    let q_rows = read::<u32>(values, "cbQosQueueingCfgTable", QUEUEING_CFG_ENTRY, p);
    let cbqos_answers = !(sp.is_empty()
        && objs.is_empty()
        && pm_rows.is_empty()
        && cm_rows.is_empty()
        && ms_rows.is_empty()
        && q_rows.is_empty());
    let pm_names = names(pm_rows, p);
    let cm_names = names(cm_rows, p);
    let ms_names = names(ms_rows, p);
    let priority_cfg: BTreeMap<u32, bool> = q_rows
        .into_iter()
        .filter_map(|(i, r)| r.truth(4, p).map(|t| (i, t)))
        .collect();
    // cbQosSetCfgFeature is BITS: ipDscp(0), ipPrecedence(1), ..., l2Cos(5).
    let set_cfg: BTreeMap<u32, Vec<String>> =
        read::<u32>(values, "cbQosSetCfgTable", SET_CFG_ENTRY, p)
            .into_iter()
            .map(|(i, r)| {
                let bits = r
                    .bytes(1, p)
                    .map(super::neighbours::bits_octets)
                    .unwrap_or_default();
                let bit = |n: usize| bits.get(n / 8).is_some_and(|b| b & (0x80 >> (n % 8)) != 0);
                let mut sets = Vec::new();
                if bit(0) {
                    sets.push(match r.int(2, p) {
                        Some(v) => format!("dscp {v}"),
                        None => "dscp ?".to_string(),
                    });
                }
                if bit(1) {
                    sets.push("precedence".to_string());
                }
                if bit(5) {
                    sets.push(match r.int(5, p) {
                        Some(v) => format!("cos {v}"),
                        None => "cos ?".to_string(),
                    });
                }
                if sets.is_empty() {
                    sets.push("other marking".to_string());
                }
                (i, sets)
            })
            .collect();

    // Objects grouped by policy.
    let mut by_policy: BTreeMap<u32, Vec<Object>> = BTreeMap::new();
    for ((policy, index), r) in &objs {
        by_policy.entry(*policy).or_default().push(Object {
            index: *index,
            config: r.uint(2, p),
            kind: r.int(3, p).map(ObjectType::from_i64),
            parent: r.uint(4, p).unwrap_or(0),
        });
    }

    let mut policies = Vec::new();
    let mut on_interface = false;
    for (policy_index, r) in &sp {
        let if_type = r.int(2, p).map(QosIfType::from_i64);
        let direction = r
            .int(3, p)
            .map(|v| Direction::from_i64(v).name())
            .unwrap_or_else(|| "unknown".into());
        let if_index = r.uint(4, p).filter(|&i| i != 0);
        let control_plane = if_type == Some(QosIfType::ControlPlane);
        if !control_plane && if_index.is_some() {
            on_interface = true;
        }
        let objects = by_policy
            .get(policy_index)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let cfg_name = |o: &Object, table: &BTreeMap<u32, String>| {
            o.config.and_then(|c| table.get(&c).cloned())
        };
        let top = objects
            .iter()
            .find(|o| o.kind == Some(ObjectType::PolicyMap) && o.parent == 0)
            .or_else(|| {
                objects
                    .iter()
                    .find(|o| o.kind == Some(ObjectType::PolicyMap))
            });
        let policy_name = match top.and_then(|o| cfg_name(o, &pm_names)) {
            Some(n) => n,
            None => {
                p.line(format!(
                    "QoS policy {policy_index}: no policy-map name found in cbQosObjectsTable / \
                     cbQosPolicyMapCfgTable"
                ));
                String::new()
            }
        };
        let children = |parent: u32, kind: ObjectType| {
            objects
                .iter()
                .filter(move |o| o.parent == parent && o.kind == Some(kind))
        };
        let classes = objects
            .iter()
            .filter(|o| o.kind == Some(ObjectType::ClassMap))
            .map(|cls| QosClass {
                name: cfg_name(cls, &cm_names).unwrap_or_else(|| {
                    p.note(
                        "qos class name",
                        format!(
                            "QoS policy {policy_index} object {}: class-map name not found",
                            cls.index
                        ),
                    );
                    format!("object {}", cls.index)
                }),
                matches: children(cls.index, ObjectType::MatchStatement)
                    .filter_map(|m| cfg_name(m, &ms_names))
                    .map(|m| m.trim().to_string())
                    .collect(),
                priority: children(cls.index, ObjectType::Queueing).any(|q| {
                    q.config
                        .and_then(|c| priority_cfg.get(&c).copied())
                        .unwrap_or(false)
                }),
                sets: children(cls.index, ObjectType::Set)
                    .flat_map(|o| {
                        o.config
                            .and_then(|c| set_cfg.get(&c).cloned())
                            .unwrap_or_else(|| vec!["a marking (cbQosSetCfgTable not read)".into()])
                    })
                    .collect(),
            })
            .collect();
        policies.push(QosPolicy {
            policy_index: *policy_index,
            if_index,
            interface: if control_plane {
                Some("control-plane".into())
            } else {
                if_index.and_then(|i| interfaces.get(&i).map(|itf| itf.name.clone()))
            },
            direction,
            policy_name,
            classes,
        });
    }

    // csqIfConfigEntry is INDEX { ifIndex }.
    let trust: BTreeMap<u32, String> =
        read::<u32>(values, "csqIfConfigTable", CSQ_IF_CONFIG_ENTRY, p)
            .into_iter()
            .filter_map(|(i, r)| r.int(2, p).map(|v| (i, TrustState::from_i64(v).name())))
            .collect();

    let status = if on_interface {
        "mqc"
    } else if cbqos_answers {
        "absent"
    } else if !trust.is_empty() {
        "trust"
    } else {
        "unknown"
    };
    QosDecoded {
        qos: Qos {
            status: status.into(),
            policies,
        },
        trust,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Walk;

    const P: &str = "1.3.6.1.4.1.9.9.166.1";

    /// Two interfaces share policy-map VOICE (ConfigIndex 1000); its class VOICE
    /// (ConfigIndex 2000) is attached twice, and the queueing config 4000 (priority) is
    /// used only under policy 20's class. Policy 20 also has a class DATA whose own
    /// queueing config 4001 has no priority.
    fn fixture() -> String {
        let mut s = String::new();
        let mut add = |oid: &str, v: &str| s.push_str(&format!("{P}.{oid}|{v}\n"));
        for (pol, ifx) in [(10, 10101), (20, 10102)] {
            add(&format!("1.1.1.2.{pol}"), "2|1");
            add(&format!("1.1.1.3.{pol}"), "2|2");
            add(&format!("1.1.1.4.{pol}"), &format!("2|{ifx}"));
            // object 1: the policy map; 2: class VOICE; 3: its match; 4: its queueing.
            for (obj, cfg, kind, parent) in [(1, 1000, 1, 0), (2, 2000, 2, 1), (3, 3000, 3, 2)] {
                add(&format!("5.1.1.2.{pol}.{obj}"), &format!("66|{cfg}"));
                add(&format!("5.1.1.3.{pol}.{obj}"), &format!("2|{kind}"));
                add(&format!("5.1.1.4.{pol}.{obj}"), &format!("66|{parent}"));
            }
        }
        // Policy 10's class VOICE has a non-priority queue; policy 20's has LLQ.
        for (pol, obj, cfg, kind, parent) in [
            (10, 4, 4001, 4, 2),
            (20, 4, 4000, 4, 2),
            (20, 5, 2001, 2, 1),
            (20, 6, 4001, 4, 5),
        ] {
            add(&format!("5.1.1.2.{pol}.{obj}"), &format!("66|{cfg}"));
            add(&format!("5.1.1.3.{pol}.{obj}"), &format!("2|{kind}"));
            add(&format!("5.1.1.4.{pol}.{obj}"), &format!("66|{parent}"));
        }
        add("6.1.1.1.1000", "4|VOICE-OUT");
        add("7.1.1.1.2000", "4|VOICE");
        add("7.1.1.1.2001", "4|DATA");
        add("8.1.1.1.3000", "4|match dscp ef");
        add("9.1.1.4.4000", "2|1");
        add("9.1.1.4.4001", "2|2");
        s
    }

    fn run(text: &str) -> (QosDecoded, Vec<String>) {
        let w = Walk::from_snmprec(text).unwrap();
        let mut p = Problems::default();
        let ifs = BTreeMap::from([(
            10101,
            Interface {
                if_index: 10101,
                name: "Gi1/0/1".into(),
                ..Interface::default()
            },
        )]);
        let d = decode(&w.values, &ifs, &mut p);
        (d, p.into_lines())
    }

    #[test]
    fn priority_follows_the_object_tree_not_the_shared_config_index() {
        let (d, lines) = run(&fixture());
        assert!(lines.is_empty(), "{lines:?}");
        assert_eq!(d.qos.status, "mqc");
        let [a, b] = d.qos.policies.as_slice() else {
            panic!("two policies expected: {:?}", d.qos.policies)
        };
        assert_eq!(
            (a.policy_index, a.if_index, a.interface.as_deref()),
            (10, Some(10101), Some("Gi1/0/1"))
        );
        assert_eq!(a.direction, "output");
        assert_eq!(a.policy_name, "VOICE-OUT");
        assert_eq!(a.classes.len(), 1);
        assert_eq!(a.classes[0].name, "VOICE");
        assert_eq!(a.classes[0].matches, vec!["match dscp ef"]);
        assert!(!a.classes[0].priority, "policy 10's VOICE queue is not LLQ");
        assert_eq!(b.interface, None, "ifIndex 10102 is not in IF-MIB");
        assert_eq!(b.classes.len(), 2);
        assert!(
            b.classes[0].priority,
            "policy 20's VOICE has the priority queue"
        );
        assert_eq!(b.classes[1].name, "DATA");
        assert!(!b.classes[1].priority);
    }

    #[test]
    fn status_mqc_absent_trust_unknown() {
        let (d, _) = run("");
        assert_eq!(d.qos.status, "unknown");
        let (d, _) = run("1.3.6.1.4.1.9.9.580.1.4.1.1.2.10101|2|4\n");
        assert_eq!(d.qos.status, "trust");
        assert_eq!(d.trust[&10101], "trustDscp");
        // A control-plane policy only: cbQoS answers, but no interface has a policy.
        let (d, _) = run(&format!(
            "{P}.1.1.1.2.225|2|5\n{P}.1.1.1.3.225|2|1\n{P}.1.1.1.4.225|2|0\n\
             {P}.5.1.1.2.225.1|66|7\n{P}.5.1.1.3.225.1|2|1\n{P}.6.1.1.1.7|4|system-cpp-policy\n"
        ));
        assert_eq!(d.qos.status, "absent");
        assert_eq!(
            d.qos.policies[0].interface.as_deref(),
            Some("control-plane")
        );
        assert_eq!(d.qos.policies[0].policy_name, "system-cpp-policy");
    }
}
