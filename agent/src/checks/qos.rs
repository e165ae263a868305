//! What QoS can be judged on a switch, per platform family, and the policy facts the QoS
//! checks share: which output policy gives EF a priority queue, which input policy
//! re-marks voice, and what an auto-QoS policy's name says.
//!
//! - IOS-XE (3650, 3850, 9000): QoS is MQC only and ports trust DSCP and CoS by default.
//!   What a switch does to voice is in its policies, read from CISCO-CLASS-BASED-QOS-MIB;
//!   when cbQoS answered nothing at all, nothing is known (the view is `Unreadable`).
//! - Classic IOS (2960, 3560, 3750) and 6500: `mls qos` with per-port trust. Only
//!   csqIfTrustState (CISCO-SWITCH-QOS-MIB) says anything; queueing is not readable.

use lanready_schema::{QosClass, QosPolicy, Snapshot};

/// How QoS can be judged on this switch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// cbQoS answered (a control-plane policy counts): the policies are known.
    Mqc,
    /// Only csqIfTrustState is readable.
    Trust,
    /// Nothing readable.
    Unreadable,
}

/// The tables whose answer makes cbQoS readable.
pub const CBQOS_TABLES: &[&str] = &[
    "cbQosServicePolicyTable",
    "cbQosObjectsTable",
    "cbQosPolicyMapCfgTable",
];

pub fn view(snap: &Snapshot) -> View {
    let present = |t: &str| super::table(snap, t) == Some(true);
    if CBQOS_TABLES.iter().any(|t| present(t)) {
        View::Mqc
    } else if present("csqIfConfigTable") || snap.interfaces.iter().any(|i| i.qos_trust.is_some()) {
        View::Trust
    } else {
        View::Unreadable
    }
}

/// The platform family for QoS: `ios_xe` (MQC, trust by default), `mls` (classic IOS and
/// 6500: `mls qos`), or `other`.
pub fn family(snap: &Snapshot) -> &'static str {
    match snap.platform.family.as_str() {
        "ios_xe" => "ios_xe",
        "cat4500"
            if snap
                .platform
                .image
                .as_deref()
                .is_some_and(|i| i.to_ascii_lowercase().contains("es8") || i.contains("IOSXE")) =>
        {
            "ios_xe"
        }
        "ios" | "cat6500" => "mls",
        _ => "other",
    }
}

/// Where to see a port's egress queueing by hand on an mls qos platform, and what to look
/// for: the 6500's line cards show it under `show queueing interface` (a strict-priority
/// queue that CoS 5 maps to); classic Catalyst IOS (2960, 3560, 3750) under
/// `show mls qos interface ... queueing` (the expedite queue, `priority-queue out`).
pub fn mls_queueing_hint(snap: &Snapshot, port: &str) -> String {
    if snap.platform.family == "cat6500" {
        format!("`show queueing interface {port}`: CoS 5 in the strict-priority queue")
    } else {
        format!(
            "`show mls qos interface {port} queueing`: the expedite queue on (`priority-queue out`)"
        )
    }
}

/// The tables' state in words, for unknown findings.
pub fn tables_text(c: &super::Ctx<'_>) -> String {
    CBQOS_TABLES
        .iter()
        .chain(["csqIfConfigTable"].iter())
        .map(|t| format!("{t} {}", c.table_text(t)))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Whether a match statement selects EF-marked voice (`Match dscp ef (46)`, `match dscp
/// 46`, `match cos 5`, an auto-QoS voice class).
pub fn matches_ef(m: &str) -> bool {
    let m = m.to_ascii_lowercase();
    let words: Vec<&str> = m
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '-')
        .filter(|w| !w.is_empty())
        .collect();
    (m.contains("dscp") && words.iter().any(|w| *w == "ef" || *w == "46"))
        || (m.contains("cos") && words.contains(&"5"))
        || (m.contains("voip") || m.contains("voice"))
}

/// The policies attached to an interface in a direction.
pub fn policies<'a>(snap: &'a Snapshot, if_index: u32, direction: &str) -> Vec<&'a QosPolicy> {
    snap.qos
        .policies
        .iter()
        .filter(|p| p.if_index == Some(if_index) && p.direction == direction)
        .collect()
}

/// The first class of an output policy on the interface with a priority queue, and whether
/// it matches EF.
pub fn priority_class(snap: &Snapshot, if_index: u32) -> Option<(&QosPolicy, &QosClass, bool)> {
    policies(snap, if_index, "output")
        .into_iter()
        .find_map(|p| {
            p.classes.iter().find(|k| k.priority).map(|k| {
                (
                    p,
                    k,
                    k.matches.iter().any(|m| matches_ef(m))
                        || k.name.to_ascii_lowercase().contains("priority"),
                )
            })
        })
}

/// A class of an input policy that re-marks voice: it sets a DSCP other than the phones'
/// (or a CoS) on traffic that can be voice (a class matching EF, or `class-default` / match
/// any, which takes everything no other class took).
pub fn remarking(p: &QosPolicy, voice_dscp: u8) -> Option<(&QosClass, &str)> {
    // Voice lands in the first class that matches it; only when none does, in class-default
    // (or a match-any class).
    let voice_set = format!("dscp {voice_dscp}");
    let voice = p
        .classes
        .iter()
        .find(|k| k.matches.iter().any(|m| matches_ef(m)) || k.sets.contains(&voice_set))
        .or_else(|| {
            p.classes.iter().find(|k| {
                k.name == "class-default"
                    || k.matches
                        .iter()
                        .any(|m| m.to_ascii_lowercase().contains("any"))
            })
        })?;
    voice.sets.iter().find_map(|s| {
        let value = s.strip_prefix("dscp ").and_then(|v| v.parse::<u8>().ok());
        match value {
            Some(v) if v == voice_dscp => None,
            Some(_) => Some((voice, s.as_str())),
            None if s.starts_with("precedence") || s.starts_with("dscp") => {
                Some((voice, s.as_str()))
            }
            None => None,
        }
    })
}

/// An auto-QoS policy by its name: (generation, kind) from `AutoQos-4.0-CiscoPhone-Input-Policy`
/// (generation `4.0`, kind `CiscoPhone-Input`) or `AutoQos-VoIP-Input-Cos-Policy`
/// (generation `VoIP`, kind `Input-Cos`).
pub fn auto_qos(name: &str) -> Option<(&str, String)> {
    let rest = name
        .strip_prefix("AutoQos-")
        .or_else(|| name.strip_prefix("AUTOQOS-"))?;
    let (generation, rest) = rest.split_once('-')?;
    let kind = rest.trim_end_matches("-Policy").trim_end_matches("-POLICY");
    Some((generation, kind.to_string()))
}

/// Whether an input policy trusts markings only from Cisco phones seen over CDP (auto-QoS
/// `cisco-phone`): a non-Cisco phone's voice is re-marked to 0.
pub fn cisco_phone_only(p: &QosPolicy) -> bool {
    auto_qos(&p.policy_name)
        .is_some_and(|(_, kind)| kind.to_ascii_lowercase().contains("ciscophone"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_matches_and_remarking() {
        assert_eq!(
            auto_qos("AutoQos-4.0-CiscoPhone-Input-Policy"),
            Some(("4.0", "CiscoPhone-Input".to_string()))
        );
        assert_eq!(
            auto_qos("AutoQos-VoIP-Input-Cos-Policy"),
            Some(("VoIP", "Input-Cos".to_string()))
        );
        assert_eq!(auto_qos("VOICE-IN"), None);
        for m in [
            "Match dscp ef (46)",
            "match dscp 46",
            "Match cos  5",
            "match protocol voip",
        ] {
            assert!(matches_ef(m), "{m}");
        }
        for m in ["Match dscp af41 (34)", "Match any", "match dscp 460"] {
            assert!(!matches_ef(m), "{m}");
        }
        let p = QosPolicy {
            policy_name: "MARK-DOWN".into(),
            classes: vec![QosClass {
                name: "class-default".into(),
                matches: vec!["Match any".into()],
                priority: false,
                sets: vec!["dscp 0".into()],
            }],
            ..QosPolicy::default()
        };
        assert_eq!(remarking(&p, 46).map(|(_, s)| s), Some("dscp 0"));
        let mut ok = p.clone();
        ok.classes[0].sets = vec!["dscp 46".into()];
        assert_eq!(remarking(&ok, 46), None);
        // Auto-QoS cisco-phone: voice is set to EF in its own class; class-default's
        // `set dscp default` does not touch it.
        let mut auto = p.clone();
        auto.classes.insert(
            0,
            QosClass {
                name: "AutoQos-4.0-Voip-Data-CiscoPhone-Class".into(),
                matches: vec!["Match cos  5".into()],
                priority: false,
                sets: vec!["dscp 46".into()],
            },
        );
        assert_eq!(remarking(&auto, 46), None);
    }
}
