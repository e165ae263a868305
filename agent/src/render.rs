//! A snapshot as plain text for a person at a terminal: system, stack, power, PoE budget, a
//! port table, neighbours, QoS policies, which tables were read, and the problems met.

use std::fmt::Write as _;

use lanready_schema::{Interface, Snapshot, TableStatus};

/// The whole summary, ending with a newline.
pub fn snapshot_text(s: &Snapshot) -> String {
    let mut out = String::new();
    system(&mut out, s);
    stack(&mut out, s);
    power(&mut out, s);
    poe(&mut out, s);
    roles(&mut out, s);
    ports(&mut out, s);
    neighbours(&mut out, s);
    qos(&mut out, s);
    tables(&mut out, s);
    problems(&mut out, s);
    out
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map_or_else(|| "-".to_string(), T::to_string)
}

fn system(out: &mut String, s: &Snapshot) {
    let sys = &s.system;
    let _ = writeln!(out, "Switch {}", s.target);
    let _ = writeln!(out, "  name:      {}", opt(&sys.name));
    let _ = writeln!(out, "  location:  {}", opt(&sys.location));
    let descr = sys
        .descr
        .as_deref()
        .map(|d| d.lines().next().unwrap_or("").to_string());
    let _ = writeln!(out, "  descr:     {}", opt(&descr));
    let _ = writeln!(out, "  object id: {}", opt(&sys.object_id));
    let uptime = sys.uptime_centiseconds.map(|cs| {
        let secs = cs / 100;
        format!(
            "{}d {:02}h{:02}m",
            secs / 86_400,
            (secs / 3600) % 24,
            (secs / 60) % 60
        )
    });
    let _ = writeln!(out, "  uptime:    {}", opt(&uptime));
    let p = &s.platform;
    let _ = writeln!(
        out,
        "  platform:  {} ({}, {}{})",
        p.model.as_deref().unwrap_or("model unknown"),
        p.family,
        p.stack_kind,
        if p.modular { ", modular" } else { "" }
    );
}

/// Which ports are sockets and why the others are not (roles without a plan: the plan's
/// include, exclude and role overrides apply in `scan`).
fn roles(out: &mut String, s: &Snapshot) {
    let infos: Vec<lanready_schema::RoleInfo> =
        s.interfaces.iter().filter_map(|i| i.role.clone()).collect();
    if infos.len() != s.interfaces.len() || infos.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nPort roles");
    for g in crate::checks::ports::role_groups(s, &infos) {
        let _ = writeln!(out, "  {}", crate::checks::ports::role_row(&g));
    }
}

fn stack(out: &mut String, s: &Snapshot) {
    if s.stack.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nStack members");
    let mut rows = vec![row(&["#", "role", "state", "budget W", "model", "serial"])];
    for m in &s.stack {
        rows.push(vec![
            m.number.to_string(),
            m.role.clone(),
            m.state.clone(),
            opt(&m.power_budget_w),
            opt(&m.model),
            opt(&m.serial),
        ]);
    }
    table(out, &rows);
}

fn power(out: &mut String, s: &Snapshot) {
    if s.power_supplies.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nPower supplies");
    let mut rows = vec![row(&["index", "state", "ok", "descr"])];
    for p in &s.power_supplies {
        rows.push(vec![
            p.index.to_string(),
            p.state.clone(),
            if p.ok { "yes" } else { "NO" }.to_string(),
            opt(&p.descr),
        ]);
    }
    table(out, &rows);
}

fn poe(out: &mut String, s: &Snapshot) {
    if !s.poe.pools.is_empty() {
        let _ = writeln!(out, "\nPoE pools (one budget each)");
        let mut rows = vec![row(&[
            "pool",
            "kind",
            "groups",
            "budget W",
            "allocated mW",
            "name",
        ])];
        for p in &s.poe.pools {
            rows.push(vec![
                p.id.clone(),
                p.kind.clone(),
                p.groups
                    .iter()
                    .map(|g| g.to_string())
                    .collect::<Vec<_>>()
                    .join(","),
                opt(&p.budget_w),
                opt(&p.allocated_mw),
                opt(&p.name),
            ]);
        }
        table(out, &rows);
    }
    if s.poe.modules.is_empty() {
        if !s.poe.hardware.is_empty() {
            let _ = writeln!(
                out,
                "\nPoE: hardware with PoE ({}) but no PSE readable in POWER-ETHERNET-MIB",
                s.poe.hardware.join(", ")
            );
        }
        return;
    }
    let _ = writeln!(out, "\nPoE modules");
    let mut rows = vec![row(&[
        "group",
        "member",
        "status",
        "budget W",
        "consumed W",
        "used mW",
        "remaining mW",
    ])];
    for m in &s.poe.modules {
        rows.push(vec![
            m.group.to_string(),
            opt(&m.stack_member),
            opt(&m.oper_status),
            opt(&m.budget_w),
            opt(&m.consumed_w),
            opt(&m.used_mw),
            opt(&m.remaining_mw),
        ]);
    }
    table(out, &rows);
}

fn status(i: &Interface) -> String {
    match (i.admin_up, i.oper_up) {
        (Some(false), _) => "disabled".into(),
        (_, Some(true)) => "up".into(),
        (_, Some(false)) => "down".into(),
        _ => "-".into(),
    }
}

fn voice(i: &Interface) -> String {
    match (&i.voice_vlan, &i.voice_vlan_mode) {
        (Some(v), _) => v.to_string(),
        (None, Some(m)) => m.clone(),
        (None, None) => "-".into(),
    }
}

fn ports(out: &mut String, s: &Snapshot) {
    if s.interfaces.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nPorts");
    let mut rows = vec![row(&[
        "port",
        "role",
        "status",
        "speed",
        "duplex",
        "vlan",
        "voice",
        "trunk",
        "poe",
        "class",
        "mW",
        "portfast",
        "qos",
        "neighbour",
    ])];
    for i in &s.interfaces {
        let neighbour = s
            .neighbours
            .iter()
            .filter(|n| n.if_index == i.if_index)
            .map(|n| {
                let id = n.device_id.as_deref().unwrap_or("?");
                if n.is_phone {
                    format!("{id} (phone)")
                } else {
                    id.to_string()
                }
            })
            .fold(Vec::<String>::new(), |mut v, n| {
                if !v.contains(&n) {
                    v.push(n);
                }
                v
            })
            .join(", ");
        let qos = s
            .qos
            .policies
            .iter()
            .filter(|p| p.if_index == Some(i.if_index))
            .map(|p| format!("{} ({})", p.policy_name, short_direction(&p.direction)))
            .collect::<Vec<_>>()
            .join(", ");
        let trunk = if i.trunk {
            match i.native_vlan {
                Some(n) => format!("yes (native {n})"),
                None => "yes".into(),
            }
        } else {
            "-".into()
        };
        let (poe, class, mw) = match &i.poe {
            Some(p) => (
                opt(&p.detection),
                opt(&p.class),
                opt(&p.consumed_mw.or(p.allocated_mw)),
            ),
            None => ("-".into(), "-".into(), "-".into()),
        };
        rows.push(vec![
            i.name.clone(),
            i.role.as_ref().map_or("-", |r| r.role.name()).to_string(),
            status(i),
            match (i.speed_mbps, i.speed_at_least_mbps) {
                (Some(m), _) => format!("{m}M"),
                (None, Some(m)) => format!(">={m}M"),
                (None, None) => "-".into(),
            },
            opt(&i.duplex),
            opt(&i.access_vlan),
            voice(i),
            trunk,
            poe,
            class,
            mw,
            opt(&i.portfast),
            if qos.is_empty() { "-".into() } else { qos },
            if neighbour.is_empty() {
                "-".into()
            } else {
                neighbour
            },
        ]);
    }
    table(out, &rows);
}

fn neighbours(out: &mut String, s: &Snapshot) {
    if s.neighbours.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nNeighbours");
    let mut rows = vec![row(&[
        "port",
        "proto",
        "device",
        "remote port",
        "platform",
        "phone",
        "voice vlan",
        "mW",
    ])];
    for n in &s.neighbours {
        rows.push(vec![
            n.interface
                .clone()
                .unwrap_or_else(|| format!("ifIndex {}", n.if_index)),
            n.protocol.clone(),
            opt(&n.device_id),
            opt(&n.port_id),
            opt(&n.platform.as_deref().map(|p| clip(p, 40))),
            if n.is_phone { "yes" } else { "-" }.to_string(),
            opt(&n.voice_vlan),
            opt(&n.power_mw),
        ]);
    }
    table(out, &rows);
}

fn short_direction(d: &str) -> &str {
    match d {
        "input" => "in",
        "output" => "out",
        other => other,
    }
}

fn clip(t: &str, max: usize) -> String {
    if t.chars().count() <= max {
        t.to_string()
    } else {
        let mut c: String = t.chars().take(max.saturating_sub(3)).collect();
        c.push_str("...");
        c
    }
}

/// Policies, each shown once with the interfaces it is attached to.
fn qos(out: &mut String, s: &Snapshot) {
    let status = if s.qos.status.is_empty() {
        "-"
    } else {
        &s.qos.status
    };
    let _ = writeln!(out, "\nQoS: {status}");
    let mut shown: Vec<(&lanready_schema::QosPolicy, Vec<String>)> = Vec::new();
    for p in &s.qos.policies {
        let on = p
            .interface
            .clone()
            .or_else(|| p.if_index.map(|i| format!("ifIndex {i}")))
            .unwrap_or_else(|| "-".into());
        match shown.iter_mut().find(|(q, _)| {
            q.policy_name == p.policy_name && q.direction == p.direction && q.classes == p.classes
        }) {
            Some((_, ifs)) => ifs.push(on),
            None => shown.push((p, vec![on])),
        }
    }
    for (p, ifs) in shown {
        let list = if ifs.len() > 6 {
            format!("{} and {} more", ifs[..6].join(", "), ifs.len() - 6)
        } else {
            ifs.join(", ")
        };
        let _ = writeln!(out, "  {} {} on {}", p.policy_name, p.direction, list);
        for c in &p.classes {
            let _ = writeln!(
                out,
                "    class {}{}{}",
                c.name,
                if c.priority { " [priority]" } else { "" },
                if c.matches.is_empty() {
                    String::new()
                } else {
                    format!(": {}", c.matches.join("; "))
                }
            );
        }
    }
}

fn tables(out: &mut String, s: &Snapshot) {
    if s.tables.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nTables");
    for (name, st) in &s.tables {
        let text = match st {
            TableStatus::Present { rows } => format!("{rows} rows"),
            TableStatus::Absent => "absent".into(),
            TableStatus::Error { reason } => format!("ERROR: {reason}"),
        };
        let _ = writeln!(out, "  {name:<30} {text}");
    }
}

fn problems(out: &mut String, s: &Snapshot) {
    if s.problems.is_empty() {
        let _ = writeln!(out, "\nProblems: none");
        return;
    }
    let _ = writeln!(out, "\nProblems ({})", s.problems.len());
    for p in &s.problems {
        let _ = writeln!(out, "  - {p}");
    }
}

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| c.to_string()).collect()
}

/// Left-aligned columns, two spaces apart, the first row as the header.
fn table(out: &mut String, rows: &[Vec<String>]) {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|t| t.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for r in rows {
        let mut line = String::from(" ");
        for (c, cell) in r.iter().enumerate() {
            let _ = write!(line, " {cell:<w$} ", w = widths[c]);
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lanready_schema::{Neighbour, PoeModule, PortPoe, QosClass, QosPolicy, System};

    #[test]
    fn shows_ports_power_and_problems() {
        let mut s = Snapshot {
            target: "10.0.0.1:161".into(),
            system: System {
                name: Some("acc-1".into()),
                uptime_centiseconds: Some(9_000_000),
                ..System::default()
            },
            ..Snapshot::default()
        };
        s.poe.modules.push(PoeModule {
            group: 1,
            budget_w: Some(370),
            consumed_w: Some(115),
            ..PoeModule::default()
        });
        s.interfaces.push(Interface {
            if_index: 10101,
            name: "Gi1/0/1".into(),
            admin_up: Some(true),
            oper_up: Some(true),
            access_vlan: Some(20),
            voice_vlan: Some(30),
            duplex: Some("full".into()),
            portfast: Some("enable".into()),
            poe: Some(PortPoe {
                group: 1,
                port: 1,
                class: Some(2),
                consumed_mw: Some(5400),
                detection: Some("deliveringPower".into()),
                ..PortPoe::default()
            }),
            ..Interface::default()
        });
        s.neighbours.push(Neighbour {
            if_index: 10101,
            protocol: "cdp".into(),
            device_id: Some("SEP001122334455".into()),
            is_phone: true,
            ..Neighbour::default()
        });
        s.tables
            .insert("ifTable".into(), TableStatus::Present { rows: 1 });
        s.problems.push("vtpVlanTable: lacks VLAN 20".into());
        s.qos.status = "mqc".into();
        for (if_index, name) in [(10101, "Gi1/0/1"), (10102, "Gi1/0/2")] {
            s.qos.policies.push(QosPolicy {
                policy_index: if_index,
                if_index: Some(if_index),
                interface: Some(name.into()),
                direction: "input".into(),
                policy_name: "VOICE-IN".into(),
                classes: vec![QosClass {
                    name: "VOICE".into(),
                    matches: vec!["Match dscp ef (46)".into()],
                    priority: true,
                    sets: vec![],
                }],
            });
        }
        let t = snapshot_text(&s);
        for want in [
            "Switch 10.0.0.1:161",
            "acc-1",
            "1d 01h00m",
            "370",
            "115",
            "Gi1/0/1",
            "deliveringPower",
            "5400",
            "SEP001122334455 (phone)",
            "ifTable",
            "1 rows",
            "vtpVlanTable: lacks VLAN 20",
            "VOICE-IN input on Gi1/0/1, Gi1/0/2\n    class VOICE [priority]: Match dscp ef (46)",
        ] {
            assert!(t.contains(want), "{want:?} missing from:\n{t}");
        }
        let port_line = t.lines().find(|l| l.contains("Gi1/0/1")).unwrap();
        for cell in ["up", "full", "20", "30", "enable", "VOICE-IN (in)"] {
            assert!(port_line.contains(cell), "{cell:?} not in {port_line:?}");
        }
    }
}
