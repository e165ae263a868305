//! Port roles: which interfaces are phone sockets, and why the others are not. Roles come
//! from configuration first (a configured trunk, a Port-channel member, a routed port stays
//! what it is whatever its link does now), then from what the port faces (a switch or an
//! access point over CDP/LLDP), then from speed, module and medium; what is left is a socket.
//!
//! The order, first match wins:
//! 1. the plan's role for the port (demotions always; `user` only over a role that is a
//!    judgement: uplink, infrastructure, management, excluded);
//! 2. `port_channel` / `not_ethernet` by ifType and name (Bluetooth, app hosting, VLAN
//!    interfaces, loopbacks, tunnels, Null);
//! 3. `management` (`Gi0/0`, `Fa0`, `mgmt0`);
//! 4. `channel_member` (ifStackTable, IEEE8023-LAG-MIB, CISCO-PAGP-MIB);
//! 5. `routed` (an IP address on a physical port);
//! 6. `trunk` (vlanTrunkPortDynamicState on/onNoNegotiate, or trunking now);
//! 7. `excluded` (the plan's exclude patterns, or not in its include patterns);
//! 8. `infrastructure` (a CDP/LLDP neighbour that is a switch, router or access point and
//!    not a phone);
//! 9. `uplink`: a fibre transceiver, a network module or supervisor, or at least the
//!    uplink speed (10 Gb/s) on a module without PoE; unless the plan's include names it;
//! 10. `user`, with `dynamic` set for `dynamic desirable` / `dynamic auto` ports.

use lanready_schema::{Evidence, Interface, Neighbour, PortRole, RoleInfo, Snapshot};

use super::entity::is_poe_part;
use super::interfaces::IF_SPEED_MAX;
use super::vlans::{TrunkEncapsulation, TrunkState, TrunkStatus};
use crate::evidence::{self, quote};

/// IANA ifType numbers the roles look at.
const ETHERNET_CSMACD: u32 = 6;

/// What the plan says about one port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlanSay {
    /// Nothing: lanready decides.
    Nothing,
    /// Named by an include pattern: a socket unless configuration says otherwise, at any
    /// speed.
    Included(String),
    /// Matched by an exclude pattern, or missed by every include pattern.
    Excluded(String),
    /// The plan sets the role (`[sites.ports.roles]`), by this pattern.
    Role(PortRole, String),
}

/// How to classify.
pub struct RoleOptions<'a> {
    /// Ports at or above this speed are uplinks unless their module has PoE.
    pub uplink_speed_mbps: u64,
    /// The plan's say per port.
    pub plan: &'a dyn Fn(&Interface) -> PlanSay,
}

/// The uplink speed when no plan says (10 Gb/s).
pub const DEFAULT_UPLINK_SPEED_MBPS: u64 = 10_000;

impl Default for RoleOptions<'_> {
    fn default() -> Self {
        RoleOptions {
            uplink_speed_mbps: DEFAULT_UPLINK_SPEED_MBPS,
            plan: &|_| PlanSay::Nothing,
        }
    }
}

fn info(role: PortRole, reason: impl Into<String>, evidence: Vec<Evidence>) -> RoleInfo {
    RoleInfo {
        role,
        reason: reason.into(),
        evidence,
        dynamic: false,
    }
}

/// Names of management ports (Catalyst 9000 / 3850 `Gi0/0`, 2960-X `Fa0`, 4500 `Fa1`).
fn is_management_name(name: &str) -> bool {
    matches!(
        name,
        "Gi0/0"
            | "GigabitEthernet0/0"
            | "Fa0"
            | "FastEthernet0"
            | "Fa1"
            | "FastEthernet1"
            | "mgmt0"
            | "Mgmt0"
    )
}

/// Ethernet-typed interfaces that are no socket: Bluetooth (`Bl0/4`, `Bluetooth0/4`) and
/// app hosting (`Ap1/0/1`, `AppGigabitEthernet1/0/1`).
fn special_ethernet(name: &str) -> Option<&'static str> {
    let letters: String = name
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect();
    match letters.as_str() {
        "Bl" | "Bluetooth" => Some("a Bluetooth interface"),
        "Ap" | "AppGigabitEthernet" => Some("the app-hosting interface"),
        _ => None,
    }
}

fn if_type_name(t: u32) -> &'static str {
    match t {
        1 => "other",
        6 => "ethernetCsmacd",
        22 => "propPointToPointSerial",
        24 => "softwareLoopback",
        53 => "propVirtual",
        131 => "tunnel",
        135 => "l2vlan",
        136 => "l3ipvlan",
        161 => "ieee8023adLag",
        _ => "",
    }
}

fn if_type_reason(i: &Interface, t: u32) -> String {
    let what = match t {
        24 => "a loopback",
        131 => "a tunnel",
        53 | 135 | 136 if i.name.to_ascii_lowercase().starts_with("vl") => "a VLAN interface",
        1 if i.name.to_ascii_lowercase().starts_with("nu") => "the Null interface",
        _ => "not a physical Ethernet port",
    };
    format!("{what} (ifType {t} {})", if_type_name(t)).replace(" )", ")")
}

fn trunk_state_evidence(i: &Interface) -> Vec<Evidence> {
    let mut out = Vec::new();
    if let Some(m) = &i.trunk_mode {
        out.push(evidence::read(
            "vlanTrunkPortDynamicState",
            i.if_index,
            TrunkState::raw(m),
            None,
        ));
    }
    if let Some(s) = &i.trunk_status {
        out.push(evidence::read(
            "vlanTrunkPortDynamicStatus",
            i.if_index,
            TrunkStatus::raw(s),
            None,
        ));
    } else if let Some(e) = &i.trunk_encapsulation {
        out.push(evidence::read(
            "vlanTrunkPortEncapsulationOperType",
            i.if_index,
            TrunkEncapsulation::raw(e),
            None,
        ));
    }
    out
}

/// CDP/LLDP capabilities that make a neighbour infrastructure.
const INFRA_CAPS: &[&str] = &[
    "router",
    "switch",
    "trans-bridge",
    "source-route-bridge",
    "wlan-access-point",
    "repeater",
];

fn infrastructure_neighbour<'a>(i: &Interface, ns: &'a [Neighbour]) -> Option<&'a Neighbour> {
    ns.iter().filter(|n| n.if_index == i.if_index).find(|n| {
        !n.is_phone
            && n.capabilities
                .iter()
                .any(|c| INFRA_CAPS.contains(&c.as_str()))
    })
}

fn neighbour_evidence(n: &Neighbour) -> Vec<Evidence> {
    let (id_obj, cap_obj) = match n.protocol.as_str() {
        "cdp" => ("cdpCacheDeviceId", "cdpCacheCapabilities"),
        _ => ("lldpRemSysName", "lldpRemSysCapEnabled"),
    };
    let Some(row) = n.row.as_deref() else {
        return vec![];
    };
    let mut out = Vec::new();
    if let Some(id) = &n.device_id {
        out.push(Evidence {
            object: format!("{id_obj}.{row}"),
            value: quote(id),
        });
    }
    if let Some(raw) = &n.capabilities_raw {
        out.push(evidence::read(
            cap_obj,
            row,
            raw,
            Some(&n.capabilities.join(", ")),
        ));
    }
    out
}

/// Whether the port can give PoE: its own PoE row, or a module (or member) with PoE.
fn poe_capable(i: &Interface) -> bool {
    i.poe.is_some() || i.module_model.as_deref().is_some_and(is_poe_part)
}

/// The structural role of one interface (everything but the plan).
fn structural(i: &Interface) -> RoleInfo {
    let t = i.if_type;
    let type_ev = |t: u32| {
        evidence::read(
            "ifType",
            i.if_index,
            t,
            Some(if_type_name(t)).filter(|s| !s.is_empty()),
        )
    };
    if super::links::is_port_channel(i) {
        return info(
            PortRole::PortChannel,
            format!("a Port-channel (ifType {})", t.unwrap_or(0)),
            vec![type_ev(t.unwrap_or(0))],
        );
    }
    match t {
        Some(ETHERNET_CSMACD) => {}
        Some(t) => {
            return info(
                PortRole::NotEthernet,
                if_type_reason(i, t),
                vec![type_ev(t)],
            );
        }
        None => {
            return info(
                PortRole::NotEthernet,
                "no ifType reported: not known to be an Ethernet port",
                vec![evidence::no_row("ifType", i.if_index)],
            );
        }
    }
    if let Some(what) = special_ethernet(&i.name) {
        return info(
            PortRole::NotEthernet,
            format!("{what} ({}), not a socket", i.name),
            vec![evidence::text("ifName", i.if_index, &i.name)],
        );
    }
    if is_management_name(&i.name) {
        return info(
            PortRole::Management,
            format!("the out-of-band management port ({})", i.name),
            vec![evidence::text("ifName", i.if_index, &i.name)],
        );
    }
    if let Some(c) = &i.channel {
        let po = c
            .name
            .clone()
            .unwrap_or_else(|| "a Port-channel (not bundled now)".to_string());
        let (object, value) = c
            .source
            .split_once(" = ")
            .map(|(o, v)| (o.to_string(), v.to_string()))
            .unwrap_or((c.source.clone(), String::new()));
        return info(
            PortRole::ChannelMember,
            format!(
                "member of {po}{}",
                if c.protocol == "unknown" {
                    String::new()
                } else {
                    format!(" ({})", c.protocol)
                }
            ),
            vec![Evidence { object, value }],
        );
    }
    if !i.ip_addresses.is_empty() {
        return info(
            PortRole::Routed,
            format!("a routed port (ip address {})", i.ip_addresses.join(", ")),
            i.ip_addresses
                .iter()
                .map(|a| evidence::read("ipAdEntIfIndex", a, i.if_index, None))
                .collect(),
        );
    }
    let mode = i.trunk_mode.as_deref();
    if matches!(mode, Some("on" | "onNoNegotiate")) {
        let now = match i.trunk_status.as_deref() {
            Some("trunking") => ", trunking now",
            Some("notTrunking") => "; not trunking now (link down or not negotiated)",
            _ => "",
        };
        return info(
            PortRole::Trunk,
            format!("a configured trunk (switchport mode trunk){now}"),
            trunk_state_evidence(i),
        );
    }
    if i.trunk {
        let why = match mode {
            Some(m @ ("desirable" | "auto")) => format!("negotiated a trunk (dynamic {m})"),
            _ => "trunking".to_string(),
        };
        return info(PortRole::Trunk, why, trunk_state_evidence(i));
    }
    info(PortRole::User, "", vec![])
}

/// The role of every interface, in the snapshot's order.
pub fn classify(snap: &Snapshot, opts: &RoleOptions<'_>) -> Vec<RoleInfo> {
    snap.interfaces
        .iter()
        .map(|i| classify_one(i, snap, opts))
        .collect()
}

fn classify_one(i: &Interface, snap: &Snapshot, opts: &RoleOptions<'_>) -> RoleInfo {
    let base = structural(i);
    let say = (opts.plan)(i);
    let judged = base.role != PortRole::User;
    if let PlanSay::Role(role, pattern) = &say {
        let configured = matches!(
            base.role,
            PortRole::Trunk
                | PortRole::ChannelMember
                | PortRole::PortChannel
                | PortRole::Routed
                | PortRole::NotEthernet
        );
        if *role != PortRole::User || !configured {
            let mut r = info(
                *role,
                format!("the plan sets role {} (`{pattern}`)", role.name()),
                base.evidence.clone(),
            );
            if judged {
                r.reason
                    .push_str(&format!("; read as {}: {}", base.role.name(), base.reason));
            }
            return r;
        }
        let mut r = base;
        r.reason.push_str(&format!(
            "; the plan's role user (`{pattern}`) is not applied: the port is configured as {}, \
             reconfigure it first",
            r.role.name()
        ));
        return r;
    }
    if judged {
        return base;
    }
    match &say {
        PlanSay::Excluded(why) => {
            return info(
                PortRole::Excluded,
                format!("excluded by the plan ({why})"),
                vec![],
            );
        }
        PlanSay::Nothing | PlanSay::Included(_) | PlanSay::Role(..) => {}
    }
    if let Some(n) = infrastructure_neighbour(i, &snap.neighbours) {
        let caps: Vec<&str> = n
            .capabilities
            .iter()
            .map(String::as_str)
            .filter(|c| INFRA_CAPS.contains(c))
            .collect();
        return info(
            PortRole::Infrastructure,
            format!(
                "faces {} {} ({}, {}), not a phone",
                n.protocol.to_ascii_uppercase(),
                n.device_id.as_deref().unwrap_or("a neighbour"),
                n.platform.as_deref().unwrap_or("?"),
                caps.join("/")
            ),
            neighbour_evidence(n),
        );
    }
    let included = matches!(say, PlanSay::Included(_));
    if !included {
        if let Some(m) = i.media.as_ref().filter(|m| m.kind == "fibre") {
            return info(
                PortRole::Uplink,
                format!("a fibre port ({}): no phone plugs into fibre", m.what),
                vec![media_evidence(m)],
            );
        }
        if let Some(model) = i.module_model.as_deref() {
            let up = model.to_ascii_uppercase();
            if up.contains("-NM-") || up.contains("SUP") {
                return info(
                    PortRole::Uplink,
                    format!("on {model}, an uplink module"),
                    module_evidence(i, model),
                );
            }
        }
        let fast = i
            .speed_mbps
            .or(i.speed_at_least_mbps)
            .is_some_and(|s| s >= opts.uplink_speed_mbps);
        let fast_name = is_uplink_name(&i.name);
        if (fast || fast_name) && !poe_capable(i) {
            let speed_ev = match (i.speed_mbps, i.speed_at_least_mbps) {
                (Some(s), _) => evidence::read("ifHighSpeed", i.if_index, s, Some("Mb/s")),
                (None, Some(_)) => {
                    evidence::read("ifSpeed", i.if_index, IF_SPEED_MAX, Some("at its maximum"))
                }
                (None, None) => evidence::text("ifName", i.if_index, &i.name),
            };
            let why = if fast {
                format!(
                    "{} without PoE: an uplink (at or above {} Mb/s)",
                    speed_text(i),
                    opts.uplink_speed_mbps
                )
            } else {
                format!("{} names an uplink-speed port, without PoE", i.name)
            };
            return info(PortRole::Uplink, why, vec![speed_ev]);
        }
    }
    let mut ev = trunk_state_evidence(i);
    let mut reason = match (&say, i.trunk_mode.as_deref()) {
        (PlanSay::Included(p), _) => format!("a socket: named by the plan's include (`{p}`)"),
        (_, Some("off")) => "an access port: a socket".to_string(),
        (_, Some(m @ ("desirable" | "auto"))) => format!(
            "a socket: dynamic {m}, not trunking now (a switch plugged in here would form a trunk)"
        ),
        (_, None) => "a switchport without trunk configuration reported: a socket".to_string(),
        (_, Some(m)) => format!("a socket (trunk mode {m})"),
    };
    if poe_capable(i)
        && (is_uplink_name(&i.name) || i.speed_mbps.is_some_and(|s| s >= opts.uplink_speed_mbps))
    {
        reason.push_str(&format!(
            "; {} with PoE{}: an mGig socket, not an uplink",
            speed_text(i),
            i.module_model
                .as_deref()
                .map(|m| format!(" on {m}"))
                .unwrap_or_default()
        ));
        if let Some(m) = i.module_model.as_deref() {
            ev.extend(module_evidence(i, m));
        }
    }
    let mut r = info(PortRole::User, reason, ev);
    r.dynamic = matches!(i.trunk_mode.as_deref(), Some("desirable" | "auto"));
    r
}

fn speed_text(i: &Interface) -> String {
    match (i.speed_mbps, i.speed_at_least_mbps) {
        (Some(s), _) if s >= 1000 && s % 1000 == 0 => format!("{} Gb/s", s / 1000),
        (Some(s), _) => format!("{s} Mb/s"),
        (None, Some(s)) => format!("at least {s} Mb/s"),
        (None, None) => "speed unknown".into(),
    }
}

fn media_evidence(m: &lanready_schema::Media) -> Evidence {
    Evidence {
        object: m.source.clone(),
        value: if m.raw.is_empty() {
            quote(&m.what)
        } else {
            format!("{} ({}, {})", m.raw, m.what, m.kind)
        },
    }
}

fn module_evidence(i: &Interface, model: &str) -> Vec<Evidence> {
    match i.entity {
        Some(e) => vec![evidence::read(
            "entAliasMappingIdentifier",
            format!("{e}.0"),
            format!("1.3.6.1.2.1.2.2.1.1.{}", i.if_index),
            Some(&format!("port entity {e}, on {model}")),
        )],
        None => vec![],
    }
}

/// Port-name prefixes of 10G and faster ports (`Te`, `Twe`, `Fo`, `Hu`): uplinks unless
/// their module gives PoE. `Tw` (2.5G) and `Fi` (5G) are mGig user ports.
pub fn is_uplink_name(name: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "Te",
        "Twe",
        "Fo",
        "Hu",
        "TenGig",
        "TwentyFive",
        "Forty",
        "Hundred",
        "FourHundred",
    ];
    let letters: &str = name
        .split(|c: char| c.is_ascii_digit())
        .next()
        .unwrap_or("");
    PREFIXES
        .iter()
        .any(|p| letters == *p || (p.len() > 3 && letters.starts_with(p)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lanready_schema::{Channel, Media, PortPoe};

    fn port(name: &str) -> Interface {
        Interface {
            if_index: 10,
            name: name.into(),
            if_type: Some(6),
            speed_mbps: Some(1000),
            trunk_mode: Some("off".into()),
            trunk_status: Some("notTrunking".into()),
            ..Interface::default()
        }
    }

    fn role_of(i: Interface) -> RoleInfo {
        let snap = Snapshot {
            interfaces: vec![i],
            ..Snapshot::default()
        };
        classify(&snap, &RoleOptions::default()).remove(0)
    }

    #[test]
    fn configuration_decides_before_link_state() {
        let mut t = port("Gi1/0/45");
        t.trunk_mode = Some("on".into());
        t.trunk_status = Some("notTrunking".into());
        let r = role_of(t);
        assert_eq!(r.role, PortRole::Trunk);
        assert!(r.reason.contains("not trunking now"), "{}", r.reason);
        assert_eq!(r.evidence[0].object, "vlanTrunkPortDynamicState.10");
        assert_eq!(r.evidence[0].value, "1 (on)");
        assert_eq!(r.evidence[1].value, "2 (notTrunking)");

        let mut m = port("Te1/1/1");
        m.channel = Some(Channel {
            if_index: 63,
            name: Some("Po1".into()),
            protocol: "lacp".into(),
            source: "ifStackStatus.63.10 = 1".into(),
        });
        let r = role_of(m);
        assert_eq!(
            (r.role, r.reason.as_str()),
            (PortRole::ChannelMember, "member of Po1 (lacp)")
        );
        assert_eq!(r.evidence[0].object, "ifStackStatus.63.10");

        let mut rt = port("Te1/1/3");
        rt.ip_addresses = vec!["192.0.2.1".into()];
        let r = role_of(rt);
        assert_eq!(r.role, PortRole::Routed);
        assert_eq!(r.evidence[0].object, "ipAdEntIfIndex.192.0.2.1");
        assert_eq!(r.evidence[0].value, "10");
    }

    #[test]
    fn not_ethernet_management_and_dynamic() {
        assert_eq!(role_of(port("Bl0/4")).role, PortRole::NotEthernet);
        assert_eq!(role_of(port("Ap1/0/1")).role, PortRole::NotEthernet);
        assert_eq!(role_of(port("Gi0/0")).role, PortRole::Management);
        let mut svi = port("Vl10");
        svi.if_type = Some(53);
        let r = role_of(svi);
        assert_eq!(r.role, PortRole::NotEthernet);
        assert_eq!(r.reason, "a VLAN interface (ifType 53 propVirtual)");
        let mut d = port("Gi1/0/3");
        d.trunk_mode = Some("desirable".into());
        let r = role_of(d);
        assert_eq!(r.role, PortRole::User);
        assert!(r.dynamic);
    }

    #[test]
    fn speed_module_and_medium() {
        // A 10G port without PoE is an uplink; with a PoE row it is an mGig socket.
        let mut te = port("Te1/0/37");
        te.speed_mbps = Some(10_000);
        assert_eq!(role_of(te.clone()).role, PortRole::Uplink);
        te.poe = Some(PortPoe::default());
        let r = role_of(te.clone());
        assert_eq!(r.role, PortRole::User, "{}", r.reason);
        assert!(r.reason.contains("mGig"), "{}", r.reason);
        te.poe = None;
        te.module_model = Some("C9400-LC-48UX".into());
        assert_eq!(role_of(te).role, PortRole::User);
        // A 1G SFP with fibre, and a port on a network module.
        let mut f = port("Gi1/0/52");
        f.media = Some(Media {
            kind: "fibre".into(),
            what: "1000BaseSX SFP".into(),
            source: "entPhysicalDescr.1062".into(),
            raw: "\"1000BaseSX SFP\"".into(),
        });
        assert_eq!(role_of(f).role, PortRole::Uplink);
        let mut nm = port("Gi1/1/1");
        nm.module_model = Some("C9300-NM-4G".into());
        assert_eq!(role_of(nm).role, PortRole::Uplink);
        // A saturated ifSpeed counts as fast.
        let mut sat = port("Gi1/0/50");
        sat.speed_mbps = None;
        sat.speed_at_least_mbps = Some(4294);
        let snap = Snapshot {
            interfaces: vec![sat],
            ..Snapshot::default()
        };
        let opts = RoleOptions {
            uplink_speed_mbps: 4000,
            plan: &|_| PlanSay::Nothing,
        };
        assert_eq!(classify(&snap, &opts)[0].role, PortRole::Uplink);
    }

    #[test]
    fn neighbours_and_the_plan() {
        let i = port("Gi1/0/46");
        let switch = Neighbour {
            if_index: 10,
            protocol: "cdp".into(),
            device_id: Some("lab-sw1".into()),
            platform: Some("cisco WS-C2960C-8PC-L".into()),
            capabilities: vec!["switch".into(), "igmp".into()],
            row: Some("10.3".into()),
            capabilities_raw: Some("0x00000028".into()),
            ..Neighbour::default()
        };
        let phone = Neighbour {
            capabilities: vec!["host".into(), "phone".into(), "two-port-mac-relay".into()],
            is_phone: true,
            ..switch.clone()
        };
        let snap = |n: Neighbour| Snapshot {
            interfaces: vec![i.clone()],
            neighbours: vec![n],
            ..Snapshot::default()
        };
        let r = classify(&snap(switch.clone()), &RoleOptions::default()).remove(0);
        assert_eq!(r.role, PortRole::Infrastructure);
        assert_eq!(r.evidence[0].object, "cdpCacheDeviceId.10.3");
        assert_eq!(r.evidence[1].value, "0x00000028 (switch, igmp)");
        assert_eq!(
            classify(&snap(phone), &RoleOptions::default())[0].role,
            PortRole::User
        );
        // The plan: exclusion; a role override that demotes; a promotion over a judgement;
        // a promotion over configuration is refused.
        let s = snap(switch);
        let excl = RoleOptions {
            uplink_speed_mbps: 10_000,
            plan: &|_| PlanSay::Excluded("exclude `Gi1/0/46`".into()),
        };
        assert_eq!(classify(&s, &excl)[0].role, PortRole::Excluded);
        let promote = RoleOptions {
            uplink_speed_mbps: 10_000,
            plan: &|_| PlanSay::Role(PortRole::User, "Gi1/0/46".into()),
        };
        assert_eq!(classify(&s, &promote)[0].role, PortRole::User);
        let mut t = i.clone();
        t.trunk_mode = Some("on".into());
        let st = Snapshot {
            interfaces: vec![t],
            ..Snapshot::default()
        };
        let r = classify(&st, &promote).remove(0);
        assert_eq!(r.role, PortRole::Trunk);
        assert!(r.reason.contains("is not applied"), "{}", r.reason);
    }
}
