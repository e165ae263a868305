//! The bill of works of every golden report (each made by scanning a fixture over SNMP in
//! tests/integration), against its golden document in all three formats. Refresh with
//! `UPDATE_GOLDEN=1 cargo test -p lanready-works --test golden`.

use std::path::{Path, PathBuf};

use lanready_schema::Report;
use lanready_works::{bill, render};

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/golden")
}

fn reports() -> Vec<(String, Report)> {
    let mut out = Vec::new();
    for dir in [golden_dir(), golden_dir().join("platforms")] {
        let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                let n = p.file_name().unwrap().to_string_lossy().to_string();
                n.starts_with("report-") && n.ends_with(".json")
            })
            .collect();
        names.sort();
        for p in names {
            let stem = p
                .file_stem()
                .unwrap()
                .to_string_lossy()
                .trim_start_matches("report-")
                .to_string();
            let r: Report = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            out.push((stem, r));
        }
    }
    out
}

fn compare(path: &Path, got: &str, failures: &mut Vec<String>) {
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, got).unwrap();
        return;
    }
    match std::fs::read_to_string(path) {
        Ok(want) if want == got => {}
        Ok(_) => failures.push(format!(
            "{} differs (UPDATE_GOLDEN=1 to refresh)",
            path.display()
        )),
        Err(e) => failures.push(format!("{}: {e}", path.display())),
    }
}

#[test]
fn every_golden_report_has_its_golden_bill_in_three_formats() {
    let dir = golden_dir().join("works");
    let mut failures = Vec::new();
    let rs = reports();
    assert!(rs.len() >= 15, "{} golden reports", rs.len());
    for (name, r) in &rs {
        let w = bill::bill(r);
        let json = serde_json::to_string_pretty(&w).unwrap() + "\n";
        compare(&dir.join(format!("{name}.json")), &json, &mut failures);
        compare(
            &dir.join(format!("{name}.csv")),
            &render::csv(&w),
            &mut failures,
        );
        compare(
            &dir.join(format!("{name}.md")),
            &render::markdown(&w),
            &mut failures,
        );
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

fn site(name: &str) -> lanready_schema::works::Works {
    let (_, r) = reports().into_iter().find(|(n, _)| n == name).unwrap();
    bill::bill(&r)
}

#[test]
fn a_member_short_of_poe_gets_power_with_its_supplies_and_options() {
    // stack3: member 2 (WS-C3750X-24P-L, two C3KX-PWR-1100WAC, one failed) is short.
    let w = site("poe-budget");
    let p = w
        .hardware
        .iter()
        .find(|h| h.item == "poe_power")
        .expect("a poe_power line");
    assert_eq!(p.member, Some(2));
    assert!(p.short_w.unwrap() > 0);
    assert!(p.supplies_present.iter().all(|s| s.member == Some(2)));
    assert!(
        p.supplies_present
            .iter()
            .any(|s| s.model.as_deref() == Some("C3KX-PWR-1100WAC"))
    );
    // Two bays, both fitted, and 1100 W is the family's largest: no option to offer.
    assert!(p.options.is_empty(), "{:?}", p.options);
    assert_eq!(p.quantity, None);
    assert!(
        w.hardware
            .iter()
            .any(|h| h.item == "failed_supply" && h.member == Some(2))
    );
    assert!(
        w.hardware.iter().any(|h| h.item == "stack_power"),
        "{:#?}",
        w.hardware
    );
}

#[test]
fn a_fixed_switch_without_poe_is_replaced_for_its_sockets() {
    let w = site("nopoe-unreachable");
    let h = w.hardware.iter().find(|h| h.item == "poe_switch").unwrap();
    assert_eq!((h.quantity, h.sockets), (Some(1), Some(24)));
    assert_eq!(w.totals.switches_to_replace, 1);
    // The unreachable switch is to verify, never a line of hardware: one entry saying what
    // to check by hand, not one per check it left unknown.
    let silent = &w
        .verify
        .iter()
        .find(|v| v.what.contains("did not answer"))
        .unwrap()
        .switch;
    let entries: Vec<_> = w.verify.iter().filter(|v| &v.switch == silent).collect();
    assert_eq!(entries.len(), 1, "{entries:#?}");
    assert_eq!(entries[0].check, "switch.reachable");
    for what in ["SNMP", "credentials", "PoE", "supplies", "configuration"] {
        assert!(
            entries[0].what.contains(what),
            "{what}: {}",
            entries[0].what
        );
    }
    assert_eq!(w.totals.verify, w.verify.len() as u32);
    assert_eq!(
        w.totals.verify, 5,
        "four on the switch that answered, one for the silent one"
    );
    assert!(w.hardware.iter().all(|h| h.switch == w.hardware[0].switch));
}

#[test]
fn a_single_supply_gets_a_second_in_its_free_bay_and_a_fixed_one_is_not_counted() {
    let w = site("edge9300");
    let h = w
        .hardware
        .iter()
        .find(|h| h.item == "second_supply")
        .unwrap();
    assert_eq!(h.quantity, Some(1));
    assert_eq!(h.options[0].model, "PWR-C1-715WAC");
    let w = site("avaya2960");
    let h = w
        .hardware
        .iter()
        .find(|h| h.item == "second_supply")
        .unwrap();
    assert_eq!(h.quantity, None, "a 2960-X supply is fixed");
    assert!(h.reason.contains("fixed"));
    assert_eq!(w.totals.supplies_to_buy, 0);
    assert_eq!(w.totals.hardware_unknown, 1);
}

#[test]
fn configuration_counts_lines_and_windows_by_port_role() {
    let w = site("voice-qos");
    assert!(
        w.hardware.iter().all(|h| h.item == "second_supply"),
        "configuration only: {:#?}",
        w.hardware
    );
    let c = &w.configuration[0];
    assert!(c.lines > 0 && !c.interfaces.is_empty());
    for i in &c.interfaces {
        if i.role == Some(lanready_schema::PortRole::User) {
            assert!(
                !i.window || c.window_reasons.iter().any(|r| r.contains(&i.interface)),
                "{i:?}"
            );
        } else {
            assert!(i.window, "{i:?}");
        }
    }
    // The sum of the parts is the whole.
    let parts: u32 = c.global.iter().map(|g| g.lines).sum::<u32>()
        + c.interfaces.iter().map(|i| i.lines).sum::<u32>();
    assert_eq!(parts, c.lines);
    assert_eq!(
        w.totals.lines,
        w.configuration.iter().map(|c| c.lines).sum::<u32>()
    );
}

#[test]
fn a_chassis_without_poe_line_cards_gets_cards_for_its_sockets() {
    // The chassis9400 scan as it would read with data-only line cards: no PSE, and the
    // check's no-PoE finding (the words `poe_budget::no_pse` writes).
    let (_, mut r) = reports()
        .into_iter()
        .find(|(n, _)| n == "chassis9400")
        .unwrap();
    let sw = r.switches[0].address.clone();
    r.switches[0].poe.clear();
    r.switches[0].poe_hardware.clear();
    let f = r
        .findings
        .iter_mut()
        .find(|f| f.check == "poe.budget" && f.switch == sw)
        .unwrap();
    f.status = lanready_schema::Status::Fail;
    f.message = "the switch has no PoE: no PSE in POWER-ETHERNET-MIB and no PoE hardware in ENTITY-MIB (C9407R), so no socket can power a phone".into();
    let w = bill::bill(&r);
    let h = w
        .hardware
        .iter()
        .find(|h| h.item == "poe_line_card")
        .expect("a line card line");
    assert_eq!(h.sockets, Some(140));
    assert_eq!(h.quantity, Some(3), "140 sockets on 48-port cards");
    assert_eq!(w.totals.line_cards_to_buy, 3);
    assert!(
        w.hardware.iter().all(|h| h.item != "poe_switch"),
        "a chassis is never replaced"
    );
}

/// The merged configuration's `interface range` blocks carry, for every interface, exactly
/// the lines the one-block-per-interface form gives it, on every golden report.
#[test]
fn interface_ranges_carry_each_interfaces_own_lines() {
    use std::collections::BTreeMap;
    fn blocks(text: &str) -> BTreeMap<String, Vec<String>> {
        let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut cur: Vec<String> = Vec::new();
        for l in text.lines() {
            if let Some(list) = l.strip_prefix("interface range ") {
                cur = lanready_schema::ports::range_ports(list).expect(l);
                assert!(list.split(',').count() <= lanready_schema::ports::RANGES_PER_COMMAND);
            } else if let Some(n) = l.strip_prefix("interface ") {
                cur = vec![n.to_string()];
            } else if l.starts_with(' ') {
                for c in &cur {
                    m.entry(c.clone()).or_default().push(l.to_string());
                }
            } else {
                cur.clear();
            }
        }
        m
    }
    let mut ranged = 0;
    for (name, report) in reports() {
        for sw in lanready_works::config::switches(&report) {
            let (Some(merged), Some(each)) = (
                lanready_works::config::switch_config(&report, sw),
                lanready_works::config::switch_config_by_interface(&report, sw),
            ) else {
                continue;
            };
            ranged += merged.matches("interface range ").count();
            assert_eq!(blocks(&merged), blocks(&each), "{name} {sw}");
        }
    }
    assert!(ranged > 10, "only {ranged} ranges over the golden reports");
}

#[test]
fn supplies_bought_for_power_are_the_second_supplies_and_never_overfill_the_bays() {
    // stackpower3850: three members, one PWR-C1-715WAC each in two bays, the power stack
    // 3146 W short: three PWR-C1-1100WAC fill the three free bays, and they are also each
    // member's second supply.
    let w = site("stackpower3850");
    let p = w.hardware.iter().find(|h| h.item == "poe_power").unwrap();
    assert_eq!(p.quantity, Some(3));
    assert!(p.reason.contains("members 1, 2 and 3"), "{}", p.reason);
    assert!(
        w.hardware.iter().all(|h| h.item != "second_supply"),
        "{:#?}",
        w.hardware
    );
    assert_eq!(w.totals.supplies_to_buy, 3, "three free bays");

    // Short by one supply's worth: it goes to member 1, and members 2 and 3 still get
    // their second supplies; still no more than the three free bays.
    let (_, mut r) = reports()
        .into_iter()
        .find(|(n, _)| n == "stackpower3850")
        .unwrap();
    r.switches[0].poe[0].short_w = Some(1000);
    let w = bill::bill(&r);
    let p = w.hardware.iter().find(|h| h.item == "poe_power").unwrap();
    assert_eq!(p.quantity, Some(1));
    assert!(p.reason.contains("member 1 and give each"), "{}", p.reason);
    let seconds: Vec<Option<u32>> = w
        .hardware
        .iter()
        .filter(|h| h.item == "second_supply")
        .map(|h| h.member)
        .collect();
    assert_eq!(seconds, vec![Some(2), Some(3)]);
    assert_eq!(w.totals.supplies_to_buy, 3);
}

#[test]
fn a_switch_to_replace_gets_no_second_supply_of_its_own() {
    let w = site("nopoe-unreachable");
    let h = w.hardware.iter().find(|h| h.item == "poe_switch").unwrap();
    assert!(h.reason.contains("two supplies"), "{}", h.reason);
    assert!(
        w.hardware
            .iter()
            .all(|l| l.item != "second_supply" || l.switch != h.switch),
        "{:#?}",
        w.hardware
    );
}

/// The first auto-QoS or trust line on a socket puts the switch in a window, its reason
/// naming the command and what the platform does with it; the port itself does not.
#[test]
fn auto_qos_and_trust_on_a_socket_put_the_switch_in_a_window() {
    // Classic IOS (avaya2960, a 2960-X): the report as it would read had the switch
    // exposed its port trust, with the fix `qos_trust` writes for Cisco phones on `ios`.
    let (_, mut r) = reports()
        .into_iter()
        .find(|(n, _)| n == "avaya2960")
        .unwrap();
    assert_eq!(r.switches[0].platform.as_ref().unwrap().family, "ios");
    let f = r
        .findings
        .iter_mut()
        .find(|f| f.check == "qos.trust")
        .unwrap();
    f.status = lanready_schema::Status::Fail;
    f.port = Some("Gi1/0/1".into());
    f.remediation = Some("interface Gi1/0/1\n auto qos voip cisco-phone".into());
    let mut second = f.clone();
    second.port = Some("Gi1/0/2".into());
    second.remediation = Some("interface Gi1/0/2\n auto qos voip cisco-phone".into());
    r.findings.push(second);
    let w = bill::bill(&r);
    let c = &w.configuration[0];
    assert!(c.window, "{c:#?}");
    let qos: Vec<&String> = c
        .window_reasons
        .iter()
        .filter(|r| r.contains("auto qos"))
        .collect();
    assert_eq!(qos.len(), 1, "once per switch: {:#?}", c.window_reasons);
    assert!(
        qos[0].contains("Gi1/0/1") && qos[0].contains("`mls qos`"),
        "{}",
        qos[0]
    );
    assert!(qos[0].contains("re-marks DSCP to 0"), "{}", qos[0]);
    assert!(
        c.interfaces.iter().all(|i| !i.window),
        "{:#?}",
        c.interfaces
    );
    assert_eq!(w.totals.windows, 1);

    // IOS-XE (stack9300: `auto qos voip trust` on sockets alone).
    let w = site("stack9300");
    let c = &w.configuration[0];
    assert!(c.window);
    assert_eq!(c.window_reasons.len(), 1, "{:#?}", c.window_reasons);
    assert!(
        c.window_reasons[0].contains("`auto qos voip trust`")
            && c.window_reasons[0].contains("IOS-XE")
            && c.window_reasons[0].contains("global class-maps and policy-maps"),
        "{}",
        c.window_reasons[0]
    );
}

/// A check is fixed by the configuration only when a line of its own fix is written: not
/// its `interface` head, not a comment, and not when the fix leaves a value to fill in.
#[test]
fn a_check_is_fixed_only_by_lines_the_configuration_writes() {
    // voice-qos Gi1/0/20: vlan.data's fix is a comment (`switchport access vlan <data
    // VLAN>`, the plan names none); the port's written lines are other checks' fixes.
    let w = site("voice-qos");
    let c = &w.configuration[0];
    let gi20 = c
        .interfaces
        .iter()
        .find(|i| i.interface == "Gi1/0/20")
        .unwrap();
    assert_eq!(gi20.checks, vec!["qos.egress"], "{gi20:?}");
    assert!(
        !c.checks.contains(&"vlan.data".to_string()),
        "{:?}",
        c.checks
    );
    // edge9300: port.errors' fix is advice alone (clean the fibre, replace the optic).
    let w = site("edge9300");
    assert!(
        !w.configuration[0]
            .checks
            .contains(&"port.errors".to_string()),
        "{:?}",
        w.configuration[0].checks
    );
    // poe-budget: the StackPower lines fix poe.budget; the failed supply's fix is advice.
    let w = site("poe-budget");
    assert_eq!(w.configuration[0].checks, vec!["poe.budget"]);
}

#[test]
fn the_configuration_of_a_switch_to_replace_is_for_its_replacement() {
    let w = site("nopoe-unreachable");
    let h = w.hardware.iter().find(|h| h.item == "poe_switch").unwrap();
    let c = w
        .configuration
        .iter()
        .find(|c| c.switch == h.switch)
        .unwrap();
    let r = c
        .replacement
        .as_deref()
        .expect("marked for the replacement");
    assert!(r.contains("for its replacement"), "{r}");
    assert!(render::markdown(&w).contains("**For the replacement:**"));
    assert!(render::csv(&w).contains("this configuration is for its replacement"));
    // Switches the bill does not replace are not marked.
    let w = site("voice-qos");
    assert!(w.configuration.iter().all(|c| c.replacement.is_none()));
}

#[test]
fn markdown_counts_in_words_and_places_a_standalone_switchs_lines_on_the_switch() {
    let md = render::markdown(&site("poe-budget"));
    assert!(
        md.contains("1 of 1 switch to touch; 1 power supply, ")
            && md.contains("1 stack to cable")
            && md.contains("on 1 switch, "),
        "{md}"
    );
    for (name, _) in reports() {
        let md = render::markdown(&site(&name));
        assert!(!md.contains("(s)") && !md.contains("(ies)"), "{name}: {md}");
    }
    // edge9300 is one C9300: its second supply is the switch's, not "member 1".
    let w = site("edge9300");
    let h = w
        .hardware
        .iter()
        .find(|h| h.item == "second_supply")
        .unwrap();
    assert_eq!(h.member, None);
    assert!(render::markdown(&w).contains("| second_supply | the switch |"));
}
