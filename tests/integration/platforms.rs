//! One site per platform fixture (tests/fixtures/FIXTURES.md): `lanready-agent scan` over
//! SNMP to snmpsim, then `gate` and `gate --config` on the fresh report. Each report, gate
//! text and configuration is compared with its golden file under `tests/golden/platforms/`
//! (refresh with `UPDATE_GOLDEN=1`), and each platform's own case is asserted: the port
//! roles from configuration, the PoE pool counted once, the QoS family, the phones' discovery
//! protocol, access security.

use std::collections::BTreeMap;
use std::path::Path;

use lanready_schema::{Finding, Report, Severity, Status, Verdict};
use lanready_tests::Snmpsim;

use crate::scan::{agent, compare_golden, text};

/// The fixture devices and the phones each site plans for.
const SITES: [(&str, &str); 14] = [
    ("edge9300", r#"model = "cisco-8865""#),
    ("dist3750", "class = 2"),
    ("chassis9400", r#"model = "cisco-8865""#),
    ("chassis9404data", r#"model = "avaya-j179""#),
    ("svl9400", r#"model = "cisco-8865""#),
    (
        "stack9300",
        r#"models = [{ model = "cisco-8865" }, { model = "avaya-9641g" }]"#,
    ),
    ("cat6509", r#"model = "cisco-7965""#),
    ("stackpower3850", "class = 4"),
    ("c9300hidden", r#"model = "cisco-8865""#),
    ("core9500", "class = 2"),
    ("avaya2960", r#"model = "avaya-9641g""#),
    ("avaya9200", r#"model = "avaya-j179""#),
    ("avayamed2960", r#"model = "avaya-9641g""#),
    ("secure2960", r#"model = "cisco-8865""#),
];

/// Checks that judge sockets: they may name a user port, never another.
const SOCKET_CHECKS: [&str; 12] = [
    "voice_vlan.port",
    "vlan.data",
    "qos.trust",
    "qos.egress",
    "poe.port",
    "port.portfast",
    "port.mode",
    "port.admin_down",
    "security.auth",
    "security.port_security",
    "neighbours.discovery",
    "phones.seen",
];

fn plan(sim: u16) -> String {
    let mut p = String::from("agent = \"lanready-test\"\n");
    for (name, phones) in SITES {
        p.push_str(&format!(
            "\n[[sites]]\nname = \"{name}\"\nvoice_vlan = 110\ndata_vlan = 10\n\
             switches = [{{ address = \"127.0.0.1:{sim}\", community = \"{name}\" }}]\n\
             [sites.phones]\n{phones}\n"
        ));
    }
    p
}

/// One site's outputs.
struct Scanned {
    report: Report,
    gate: String,
    config: String,
}

fn scan(plan: &Path, dir: &Path, site: &str, sim: &Snmpsim) -> Scanned {
    let out = dir.join(format!("{site}.json"));
    let json = crate::scan::scan_ok(plan, site, &out, sim);
    let norm = |s: &str| s.replace(&sim.address(), "127.0.0.1:SNMPSIM_PORT");
    compare_golden(&format!("platforms/report-{site}.json"), &norm(&json));
    let g = agent(&["gate", out.to_str().unwrap()]);
    let gate = norm(&text(&g.stdout));
    compare_golden(&format!("platforms/gate-{site}.txt"), &gate);
    let ios = dir.join(format!("{site}.ios"));
    let c = agent(&[
        "gate",
        out.to_str().unwrap(),
        "--config",
        ios.to_str().unwrap(),
    ]);
    assert_eq!(c.status.code(), g.status.code(), "{}", text(&c.stderr));
    let config = norm(&std::fs::read_to_string(&ios).unwrap());
    compare_golden(&format!("platforms/config-{site}.ios"), &config);
    Scanned {
        report: serde_json::from_str(&json).unwrap(),
        gate,
        config,
    }
}

/// Each port's role, from the report's role table.
fn roles(r: &Report) -> BTreeMap<String, (String, String)> {
    let mut m = BTreeMap::new();
    for s in &r.switches {
        for g in &s.roles {
            for p in &g.ports {
                let role = serde_json::to_value(g.role).unwrap();
                m.insert(
                    p.clone(),
                    (role.as_str().unwrap().to_string(), g.reason.clone()),
                );
            }
        }
    }
    m
}

fn role(r: &Report, port: &str) -> String {
    roles(r)
        .get(port)
        .map(|(role, _)| role.clone())
        .unwrap_or_else(|| panic!("no role for {port}"))
}

fn of<'a>(r: &'a Report, check: &str) -> Vec<&'a Finding> {
    r.findings.iter().filter(|f| f.check == check).collect()
}

/// (status, severity, port) of each finding of a check.
fn verdicts(r: &Report, check: &str) -> Vec<(Status, Severity, String)> {
    of(r, check)
        .iter()
        .map(|f| {
            (
                f.status,
                f.severity,
                f.port.clone().unwrap_or_else(|| "-".into()),
            )
        })
        .collect()
}

fn failing_ports(r: &Report, check: &str) -> Vec<String> {
    of(r, check)
        .iter()
        .filter(|f| f.status == Status::Fail)
        .filter_map(|f| f.port.clone())
        .collect()
}

/// The interface blocks of a configuration: interface name -> its lines.
fn interface_blocks(config: &str) -> BTreeMap<String, Vec<String>> {
    let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
    // The ports the last head selected: one, or an `interface range`'s.
    let mut cur: Vec<String> = Vec::new();
    for l in config.lines() {
        if let Some(list) = l.strip_prefix("interface range ") {
            cur = lanready_schema::ports::range_ports(list)
                .unwrap_or_else(|| panic!("`{l}` is not an interface range"));
        } else if let Some(name) = l.strip_prefix("interface ") {
            cur = vec![name.trim().to_string()];
        } else if l.starts_with(' ') {
            for c in &cur {
                m.entry(c.clone()).or_default().push(l.trim().to_string());
            }
            continue;
        } else {
            cur.clear();
            continue;
        }
        for c in &cur {
            m.entry(c.clone()).or_default();
        }
    }
    m
}

/// What holds on every platform: socket checks and socket lines only on user ports.
fn no_socket_finding_off_sockets(site: &str, s: &Scanned) {
    let roles = roles(&s.report);
    for f in &s.report.findings {
        let Some(port) = &f.port else { continue };
        if SOCKET_CHECKS.contains(&f.check.as_str()) {
            let role = roles.get(port).map(|(r, _)| r.as_str());
            assert_eq!(
                role,
                Some("user"),
                "{site}: {} names {port}, whose role is {role:?}",
                f.check
            );
        }
    }
    for (port, lines) in interface_blocks(&s.config) {
        let role = roles.get(&port).map(|(r, _)| r.as_str());
        if role == Some("user") {
            continue;
        }
        for l in &lines {
            for socket_only in [
                "spanning-tree portfast",
                "spanning-tree bpduguard",
                "switchport voice vlan",
                "switchport mode access",
                "auto qos voip",
                "speed",
                "duplex",
                "power inline",
            ] {
                assert!(
                    !l.starts_with(socket_only),
                    "{site}: `{l}` written under {port} ({role:?})"
                );
            }
        }
    }
}

#[test]
fn each_platform_is_judged_as_it_works() {
    let names: Vec<&str> = SITES.iter().map(|(n, _)| *n).collect();
    let sim = Snmpsim::fixtures(&names);
    let dir = tempfile::tempdir().unwrap();
    let plan_path = dir.path().join("plan.toml");
    std::fs::write(&plan_path, plan(sim.port())).unwrap();
    let scanned: BTreeMap<&str, Scanned> = std::thread::scope(|scope| {
        let handles: Vec<_> = names
            .iter()
            .map(|n| {
                let (plan_path, dir, sim) = (&plan_path, dir.path(), &sim);
                (*n, scope.spawn(move || scan(plan_path, dir, n, sim)))
            })
            .collect();
        handles
            .into_iter()
            .map(|(n, h)| (n, h.join().unwrap()))
            .collect()
    });
    for (site, s) in &scanned {
        no_socket_finding_off_sockets(site, s);
    }

    // edge9300: every role there is, from configuration.
    let r = &scanned["edge9300"].report;
    for (port, want) in [
        ("Gi1/0/1", "user"),
        ("Gi1/0/44", "user"),
        ("Gi1/0/45", "trunk"),
        ("Te1/1/4", "trunk"),
        ("Gi1/0/46", "infrastructure"),
        ("Gi1/0/47", "channel_member"),
        ("Gi1/0/48", "channel_member"),
        ("Te1/1/1", "channel_member"),
        ("Te1/1/3", "routed"),
        ("Te1/1/5", "uplink"),
        ("Po2", "port_channel"),
        ("Gi0/0", "management"),
        ("Ap1/0/1", "not_ethernet"),
        ("Bl0/4", "not_ethernet"),
        ("Tu0", "not_ethernet"),
    ] {
        assert_eq!(role(r, port), want, "edge9300 {port}");
    }
    let why = roles(r);
    assert!(
        why["Gi1/0/47"].1.contains("Po2 (pagp)"),
        "{:?}",
        why["Gi1/0/47"]
    );
    assert!(
        why["Te1/1/1"].1.contains("Po1 (lacp)"),
        "{:?}",
        why["Te1/1/1"]
    );
    assert!(
        why["Te1/1/3"].1.contains("192.0.2.1"),
        "{:?}",
        why["Te1/1/3"]
    );
    assert!(
        why["Gi1/0/46"].1.contains("lab-sw1"),
        "{:?}",
        why["Gi1/0/46"]
    );
    // The down trunk's short bitmap: unknown for the VLANs it does not cover, never a fail.
    let trunk = of(r, "voice_vlan.trunk");
    assert!(
        trunk
            .iter()
            .all(|f| f.status != Status::Fail && f.port.as_deref() != Some("Gi1/0/45")),
        "{trunk:#?}"
    );
    assert!(
        trunk.iter().any(|f| f.status == Status::Unknown
            && f.message.contains("Gi1/0/45")
            && f.evidence.iter().any(|e| e.value.contains("64-4094"))),
        "{trunk:#?}"
    );
    // Errors on a fibre uplink: the optic, never speed or duplex.
    let errs = of(r, "port.errors");
    let te = errs
        .iter()
        .find(|f| f.port.as_deref() == Some("Te1/1/1"))
        .expect("Te1/1/1 errors");
    let fix = te.remediation.as_deref().unwrap();
    assert!(fix.contains("clean") && fix.contains("SFP-10G-SR"), "{fix}");
    assert!(!fix.contains("speed") && !fix.contains("duplex"), "{fix}");
    // Queueing goes on the channel's members, not on the Port-channel; a down trunk's gap
    // is a warning.
    let cfg = interface_blocks(&scanned["edge9300"].config);
    assert!(
        cfg["Te1/1/1"].contains(&"service-policy output LANREADY-UPLINK-OUT".to_string()),
        "{cfg:#?}"
    );
    assert!(!cfg.contains_key("Po1"), "{cfg:#?}");
    assert!(
        verdicts(r, "qos.uplink").contains(&(Status::Fail, Severity::Warning, "Gi1/0/45".into())),
        "{:?}",
        verdicts(r, "qos.uplink")
    );
    // IOS-XE trusts DSCP by default: no trust blocker.
    assert!(
        of(r, "qos.trust").iter().all(|f| f.status == Status::Pass),
        "{:#?}",
        of(r, "qos.trust")
    );

    // dist3750: a distribution stack of trunks has no sockets: socket checks do not apply.
    let r = &scanned["dist3750"].report;
    for check in [
        "poe.budget",
        "voice_vlan.port",
        "port.portfast",
        "qos.trust",
    ] {
        assert_eq!(
            verdicts(r, check),
            vec![(
                Status::NotApplicable,
                of(r, check)[0].severity,
                "-".to_string()
            )],
            "dist3750 {check}"
        );
    }
    assert_eq!(role(r, "Gi1/0/7"), "trunk");
    assert!(
        scanned["dist3750"]
            .config
            .lines()
            .all(|l| !l.contains("portfast"))
    );

    // chassis9400: one pool over three line cards; mGig PoE ports are sockets; APs are not.
    let r = &scanned["chassis9400"].report;
    let pools = &r.switches[0].poe;
    assert_eq!(pools.len(), 1, "{pools:#?}");
    assert_eq!(pools[0].groups, vec![1, 2, 4]);
    assert_eq!(pools[0].budget_w, 4800);
    assert_eq!(role(r, "Te2/0/5"), "user");
    assert_eq!(role(r, "Te2/0/1"), "infrastructure");
    assert_eq!(role(r, "Te3/0/3"), "uplink");
    assert_eq!(of(r, "poe.budget")[0].status, Status::Pass);

    // chassis9404data: a chassis whose line cards have no PoE: no PoE is a blocker, and the
    // bill of works asks for PoE line cards for its sockets (never a new chassis).
    let r = &scanned["chassis9404data"].report;
    assert!(r.switches[0].poe.is_empty());
    assert!(r.switches[0].platform.as_ref().unwrap().modular);
    let budget = of(r, "poe.budget");
    assert_eq!(budget[0].status, Status::Fail, "{budget:#?}");
    assert!(
        budget[0].message.starts_with("the switch has no PoE"),
        "{}",
        budget[0].message
    );
    let w = lanready_works::bill::bill(r);
    let cards: Vec<_> = w
        .hardware
        .iter()
        .filter(|h| h.item == "poe_line_card")
        .collect();
    assert_eq!(cards.len(), 1, "{:#?}", w.hardware);
    assert_eq!((cards[0].sockets, cards[0].quantity), (Some(96), Some(2)));
    assert!(w.hardware.iter().all(|h| h.item != "poe_switch"));
    assert!(
        cards[0]
            .supplies_present
            .iter()
            .all(|p| p.model.as_deref() == Some("C9400-PWR-3200AC"))
    );

    // svl9400: a pool per chassis, and no per-port PoE rows: each socket's PoE is unknown,
    // citing what was there.
    let r = &scanned["svl9400"].report;
    assert_eq!(r.switches[0].platform.as_ref().unwrap().stack_kind, "svl");
    let pools = &r.switches[0].poe;
    assert_eq!(pools.len(), 2, "{pools:#?}");
    let port = of(r, "poe.port");
    assert_eq!(port.len(), 1);
    assert_eq!(port[0].status, Status::Unknown);
    assert!(
        port[0]
            .evidence
            .iter()
            .any(|e| e.object == "entAliasMappingTable" && e.value == "304 rows"),
        "{:#?}",
        port[0].evidence
    );
    assert!(
        !port[0].message.contains("join failed"),
        "{}",
        port[0].message
    );

    // stack9300: a MARK-DOWN policy re-marks voice; auto-QoS cisco-phone fails the Avaya
    // phones; both on their own ports.
    let r = &scanned["stack9300"].report;
    let trust = failing_ports(r, "qos.trust");
    for p in ["Gi2/0/1", "Gi2/0/4", "Gi1/0/1", "Gi1/0/48"] {
        assert!(trust.contains(&p.to_string()), "{p} in {trust:?}");
    }
    assert!(!trust.contains(&"Gi2/0/5".to_string()), "{trust:?}");
    let mark = of(r, "qos.trust")
        .into_iter()
        .find(|f| f.port.as_deref() == Some("Gi2/0/1"))
        .unwrap();
    assert!(mark.message.contains("MARK-DOWN"), "{}", mark.message);
    assert!(
        mark.evidence
            .iter()
            .any(|e| e.object.starts_with("cbQosSetCfgTable") && e.value.contains("dscp 0")),
        "{:#?}",
        mark.evidence
    );
    assert_eq!(of(r, "qos.uplink")[0].status, Status::Pass);

    // cat6509: the 6500 family, its chassis power checked, its queueing by its own command.
    let s = &scanned["cat6509"];
    let pf = s.report.switches[0].platform.as_ref().unwrap();
    assert_eq!((pf.family.as_str(), pf.modular), ("cat6500", true));
    let budget = of(&s.report, "poe.budget");
    assert!(
        budget[0]
            .message
            .contains("chassis power: the supplies give"),
        "{}",
        budget[0].message
    );
    assert!(
        s.gate.contains("`show queueing interface <uplink>`"),
        "{}",
        s.gate
    );
    assert!(!s.gate.contains("show mls qos interface"), "{}", s.gate);
    assert_eq!(role(&s.report, "Gi3/1"), "uplink");
    for l in s.config.lines().filter(|l| l.starts_with(' ')) {
        assert!(!l.contains("auto qos"), "6500: {l}");
    }

    // stackpower3850: one StackPower budget for three members, counted once.
    let r = &scanned["stackpower3850"].report;
    let pools = &r.switches[0].poe;
    assert_eq!(pools.len(), 1, "{pools:#?}");
    assert_eq!(pools[0].pool.as_deref(), Some("stackpower-1"));
    let b = of(r, "poe.budget");
    assert_eq!(b.len(), 1);
    assert!(
        b[0].message.contains("power stack \"Powerstack-1\"")
            && b[0].message.contains("the budget is 1305 W"),
        "{}",
        b[0].message
    );

    // c9300hidden: PoE hardware but no PoE MIB: unknown, never a pass.
    let r = &scanned["c9300hidden"].report;
    for check in ["poe.budget", "poe.port"] {
        let f = of(r, check);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].status, Status::Unknown, "{check}: {}", f[0].message);
    }
    assert!(
        of(r, "poe.port")[0]
            .message
            .contains("each socket's PoE state is unknown")
    );

    // core9500: no sockets; no socket line in its configuration.
    let r = &scanned["core9500"].report;
    assert!(
        r.switches[0].user_ports == 0,
        "{}",
        r.switches[0].user_ports
    );
    assert_eq!(of(r, "poe.budget")[0].status, Status::NotApplicable);
    assert_eq!(role(r, "Hu1/0/31"), "routed");

    // avaya2960: CDP alone cannot give an Avaya phone its VLAN.
    let r = &scanned["avaya2960"].report;
    let d = of(r, "neighbours.discovery");
    assert_eq!(
        verdicts(r, "neighbours.discovery"),
        vec![(Status::Fail, Severity::Blocker, "-".into())]
    );
    assert!(
        d[0].message.contains("LLDP does not run"),
        "{}",
        d[0].message
    );
    assert!(
        d[0].evidence
            .iter()
            .any(|e| e.object == "lldpLocChassisId.0" && e.value == "no row"),
        "{:#?}",
        d[0].evidence
    );
    assert_eq!(
        d[0].remediation.as_deref().unwrap().lines().next(),
        Some("lldp run")
    );

    // avaya9200: J179s over LLDP are phones, and IOS-XE's trust suits them.
    let r = &scanned["avaya9200"].report;
    assert_eq!(of(r, "qos.trust")[0].status, Status::Pass);
    let seen = of(r, "phones.seen");
    let cited = |t: &str| {
        seen[0]
            .evidence
            .iter()
            .find(|e| e.object == t)
            .map(|e| e.value.clone())
    };
    assert_eq!(
        cited("lldpRemTable").as_deref(),
        Some("8 phones"),
        "{seen:#?}"
    );
    assert_eq!(
        cited("cdpCacheTable").as_deref(),
        Some("0 phones"),
        "{seen:#?}"
    );
    let cfg = &scanned["avaya9200"].config;
    assert!(!cfg.contains("cisco-phone"), "{cfg}");

    // avayamed2960: LLDP-MED hands out VLAN 120 on every socket.
    let r = &scanned["avayamed2960"].report;
    let med = failing_ports(r, "neighbours.discovery");
    assert_eq!(med.len(), 48, "{med:?}");
    let f = of(r, "neighbours.discovery")[0];
    assert!(f.message.contains("VLAN 120"), "{}", f.message);

    // secure2960: single-host 802.1X and port security with one address break a phone with a
    // PC; err-disable recovery off for the causes in use.
    let r = &scanned["secure2960"].report;
    assert_eq!(failing_ports(r, "security.auth").len(), 12);
    let ps = failing_ports(r, "security.port_security");
    assert_eq!(ps.len(), 12, "{ps:?}");
    assert!(
        !ps.contains(&"Gi1/0/37".to_string()),
        "max 3 is enough: {ps:?}"
    );
    let rec: Vec<_> = of(r, "security.errdisable")
        .into_iter()
        .filter(|f| f.status == Status::Fail)
        .filter_map(|f| f.remediation.clone())
        .collect();
    for cause in ["psecure-violation", "security-violation", "bpduguard"] {
        assert!(
            rec.contains(&format!("errdisable recovery cause {cause}")),
            "{cause} in {rec:?}"
        );
    }
    assert_ne!(r.verdict, Verdict::Ready);
}
