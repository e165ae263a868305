//! Tests of plan loading: the issue's minimal plan, defaults, and errors with their lines.

use super::*;
use std::time::Duration;

fn parse(text: &str) -> Result<Plan, PlanError> {
    Plan::parse(text, Path::new("site.toml"))
}

/// Asserts that the plan is refused at `line` with a reason containing `needle`.
fn check_err(text: &str, line: usize, needle: &str) {
    let err = parse(text).expect_err("the plan should be refused");
    let msg = err.to_string();
    assert!(
        msg.starts_with(&format!("site.toml:{line}: ")),
        "expected line {line}, got: {msg}"
    );
    assert!(msg.contains(needle), "expected {needle:?} in: {msg}");
}

const MINIMAL: &str = r#"
[[sites]]
name = "hitchin"
voice_vlan = 110
switches = [
  { address = "127.0.0.1:16100", community = "hitchin-sw1" },
  { address = "127.0.1.0/29", community_env = "LANREADY_TEST_HITCHIN_COMMUNITY" },  # a subnet to sweep
]
"#;

#[test]
fn the_minimal_plan_loads() {
    // Setting a variable needs `unsafe` in edition 2024 (forbidden here), so the subnet's
    // community comes from PATH, which every environment has.
    let plan = parse(&MINIMAL.replace("LANREADY_TEST_HITCHIN_COMMUNITY", "PATH")).unwrap();
    let site = &plan.sites[0];
    assert_eq!(site.name, "hitchin");
    assert_eq!(site.voice_vlan, 110);
    assert_eq!(site.switches.len(), 2);
    assert_eq!(
        site.switches[0].target,
        TargetSpec::Address("127.0.0.1:16100".into())
    );
    assert_eq!(site.switches[0].line, 6);
    match &site.switches[0].credentials {
        Credentials::V2c { community } => assert_eq!(community.expose(), "hitchin-sw1"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        site.switches[1].target,
        TargetSpec::Subnet {
            network: "127.0.1.0/29".parse().unwrap(),
            port: 161
        }
    );
    match &site.switches[1].credentials {
        Credentials::V2c { community } => {
            assert_eq!(community.expose(), std::env::var("PATH").unwrap())
        }
        other => panic!("{other:?}"),
    }
    // Defaults.
    assert_eq!(plan.scan_memory_bytes, 512 << 20);
    assert_eq!(site.phones, Phones::default());
    assert_eq!(site.thresholds, Thresholds::default());
    // The management ports are recognised by their role, not excluded by default.
    assert!(site.ports.exclude.is_empty());
    assert!(site.ports.selects("Gi1/0/1"));
    assert!(site.ports.selects("Gi0/0"));
    // The secret is not in the plan's debug output.
    assert!(!format!("{plan:?}").contains("hitchin-sw1"));
}

#[test]
fn a_missing_env_var_is_an_error_at_its_line() {
    let text = r#"
[[sites]]
name = "x"
voice_vlan = 110
switches = [
  { address = "127.0.0.1", community_env = "LANREADY_TEST_SURELY_UNSET_VAR" },
]
"#;
    check_err(text, 6, "LANREADY_TEST_SURELY_UNSET_VAR is not set");
}

#[test]
fn unknown_keys_and_bad_values_say_where() {
    check_err(
        "[[sites]]\nname = \"x\"\nvoice_vlan = 110\nswitches = [\"127.0.0.1\"]\ncommunity = \"c\"\nvoice_vlna = 3\n",
        6,
        "unknown field `voice_vlna`",
    );
    check_err(
        "[[sites]]\nname = \"x\"\nvoice_vlan = 4095\nswitches = [\"127.0.0.1\"]\ncommunity = \"c\"\n",
        3,
        "voice_vlan must be a VLAN id from 1 to 4094, not 4095",
    );
    check_err(
        "[[sites]]\nname = \"x\"\nvoice_vlan = 110\ncommunity = \"c\"\nswitches = [\n  \"127.0.0.1\",\n  { address = \"127.0.0.2\", comunity = \"typo\" },\n]\n",
        7,
        "unknown field `comunity`",
    );
    check_err(
        "[[sites]]\nname = \"x\"\nvoice_vlan = 110\ncommunity = \"c\"\nswitches = [\"10.0.0.0/33\"]\n",
        5,
        "is not a CIDR subnet",
    );
    check_err(
        "[[sites]]\nname = \"x\"\nvoice_vlan = 110\ncommunity = \"c\"\nswitches = [\"10.0.0.0/8\"]\n",
        5,
        "too many addresses",
    );
    check_err(
        "[[sites]]\nname = \"x\"\nvoice_vlan = 110\nswitches = [\"127.0.0.1\"]\n",
        4,
        "no credentials",
    );
    check_err(
        "[[sites]]\nname = \"x\"\nvoice_vlan = 110\ncommunity = \"c\"\nswitches = [\"127.0.0.1\"]\n[sites.phones]\nmodel = \"nokia-3310\"\n",
        7,
        "unknown phone model \"nokia-3310\"",
    );
    check_err(
        "[[sites]]\nname = \"x\"\nvoice_vlan = 110\ncommunity = \"c\"\nswitches = [\"127.0.0.1\"]\n[sites.phones]\nclass = 9\n",
        7,
        "class must be 0-8",
    );
    check_err(
        "[[sites]]\nname = \"x\"\nvoice_vlan = 110\ncommunity = \"c\"\nswitches = [42]\n",
        5,
        "a switch address string or a table",
    );
    check_err(
        "[[sites]]\nname = \"x\"\nvoice_vlan = 110\ncommunity = \"c\"\ncommunity_env = \"Y\"\nswitches = [\"127.0.0.1\"]\n",
        4,
        "set only one of community, community_env and community_file",
    );
    check_err(
        "[[sites]]\nname = \"x\"\nvoice_vlan = 110\ncommunity = \"c\"\nswitches = [\"127.0.0.1\", \"127.0.0.1:161\"]\n",
        5,
        "listed twice",
    );
    check_err(
        "[[sites]]\nname = \"x\"\nvoice_vlan = 110\ncommunity = \"c\"\nswitches = [\"127.0.0.1\"]\n[sites.ports]\nexclude = [\"Gi[1\"]\n",
        7,
        "bad port pattern",
    );
    check_err(
        "[[sites]]\nname = \"x\"\nvoice_vlan = 110\ncommunity = \"c\"\nrequests_per_second = 0\nswitches = [\"127.0.0.1\"]\n",
        5,
        "requests_per_second must be 0.1-10000",
    );
    check_err("agent = \"a\"\n", 1, "no [[sites]]");
    check_err(
        "scan_memory_mb = 8\n[[sites]]\nname = \"x\"\nvoice_vlan = 110\ncommunity = \"c\"\nswitches = [\"127.0.0.1\"]\n",
        1,
        "scan_memory_mb must be at least 16",
    );
}

#[test]
fn a_bad_v3_block_names_the_problem() {
    check_err(
        "[[sites]]\nname = \"x\"\nvoice_vlan = 110\nswitches = [\"127.0.0.1\"]\nv3 = { user = \"u\", auth_protocol = \"sha\", auth_key = \"k1k1k1k1\", priv_protocol = \"rot13\", priv_key = \"k2k2k2k2\" }\n",
        5,
        "priv_protocol \"rot13\"",
    );
    check_err(
        "[[sites]]\nname = \"x\"\nvoice_vlan = 110\nswitches = [\"127.0.0.1\"]\n[sites.v3]\nuser = \"u\"\npriv_protocol = \"aes\"\npriv_key = \"k2k2k2k2\"\n",
        5,
        "needs authentication",
    );
    // A key the poller would refuse is refused here too, at its protocol's line.
    check_err(
        "[[sites]]\nname = \"x\"\nvoice_vlan = 110\nswitches = [\"127.0.0.1\"]\n[sites.v3]\nuser = \"u\"\nauth_protocol = \"sha\"\nauth_key = \"short\"\n",
        7,
        "the auth key has 5 characters; SNMPv3 keys need at least 8",
    );
}

#[test]
fn v3_and_secret_files_and_per_switch_settings() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("auth.key"), "auth-secret-1\n").unwrap();
    let text = r#"
agent = "lab-agent"
concurrency = 4
[[sites]]
name = "lab"
voice_vlan = 110
data_vlan = 10
timeout_ms = 500
retries = 1
requests_per_second = 25
switches = [
  "127.0.0.1:1161",
  { address = "::1", community = "six", requests_per_second = 2.5 },
  { address = "127.0.0.0/30", port = 1162, phones = 12 },
]
[sites.v3]
user = "lanready"
auth_protocol = "SHA256"
auth_key_file = "auth.key"
priv_protocol = "aes256"
priv_key = "priv-secret-2"
[sites.ports]
include = ["Gi*"]
exclude = ["Gi1/0/48"]
uplink_speed_mbps = 2500
[sites.phones]
model = "CP-7965"
count = 40
[sites.thresholds]
poe_headroom_pct = 20
"#;
    let path = dir.path().join("site.toml");
    let plan = Plan::parse(text, &path).unwrap();
    assert_eq!(plan.agent.as_deref(), Some("lab-agent"));
    assert_eq!(plan.concurrency, 4);
    let site = &plan.sites[0];
    assert_eq!(site.data_vlan, Some(10));
    let s0 = &site.switches[0];
    assert_eq!(s0.poll.timeout, Duration::from_millis(500));
    assert_eq!(s0.poll.retries, 1);
    assert_eq!(s0.poll.max_requests_per_second, Some(25.0));
    assert_eq!(site.switches[1].poll.max_requests_per_second, Some(2.5));
    match &s0.credentials {
        Credentials::V3(v3) => {
            assert_eq!(v3.user, "lanready");
            let (a, k) = v3.auth.as_ref().unwrap();
            assert_eq!((*a, k.expose()), (AuthProto::Sha256, "auth-secret-1"));
            let (p, k) = v3.privacy.as_ref().unwrap();
            assert_eq!((*p, k.expose()), (PrivProto::Aes256, "priv-secret-2"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        site.switches[1].target,
        TargetSpec::Address("[::1]:161".into())
    );
    assert!(matches!(
        site.switches[1].credentials,
        Credentials::V2c { .. }
    ));
    assert_eq!(
        site.switches[2].target,
        TargetSpec::Subnet {
            network: "127.0.0.0/30".parse().unwrap(),
            port: 1162
        }
    );
    assert_eq!(site.switches[2].phones, Some(12));
    assert_eq!(site.phones.budget_mw, 15_400);
    assert_eq!(site.phones.source, "cisco-7965 (class 3)");
    assert_eq!(site.phones.count, Some(40));
    assert_eq!(site.thresholds.poe_headroom_pct, 20);
    assert!(site.ports.selects("Gi1/0/1"));
    assert!(!site.ports.selects("Gi1/0/48"));
    assert!(!site.ports.selects("Te1/1/1"));
    assert_eq!(site.ports.uplink_speed_mbps, 2500);
    let dbg = format!("{plan:?}");
    assert!(!dbg.contains("auth-secret-1") && !dbg.contains("priv-secret-2"));
}

#[test]
fn phones_are_shared_by_user_ports() {
    let mut site = parse(
        "[[sites]]\nname = \"x\"\nvoice_vlan = 110\ncommunity = \"c\"\nswitches = [\"127.0.0.1\"]\n",
    )
    .unwrap()
    .sites
    .remove(0);
    // No site count: each switch keeps its own, else a phone on every user port.
    assert_eq!(
        site.share_phones(&[None, Some(5)], &[48, 24]),
        vec![None, Some(5)]
    );
    site.phones.count = Some(100);
    // 10 fixed; 90 shared 48:24:24 -> 45, 22.5, 22.5 -> 45, 23, 22 (ties to the earlier).
    assert_eq!(
        site.share_phones(&[None, None, Some(10), None], &[48, 24, 8, 24]),
        vec![Some(45), Some(23), Some(10), Some(22)]
    );
    // More fixed than the site count: the rest get none.
    assert_eq!(
        site.share_phones(&[Some(120), None], &[48, 48]),
        vec![Some(120), Some(0)]
    );
}

#[test]
fn watts_print_for_people() {
    assert_eq!(watts(15_400), "15.4");
    assert_eq!(watts(30_000), "30");
    assert_eq!(watts(9_600), "9.6");
    assert_eq!(watts(1_234), "1.234");
}

#[test]
fn shares_by_largest_remainder() {
    assert_eq!(share(10, &[1, 1, 1]), vec![4, 3, 3]);
    assert_eq!(share(48, &[48]), vec![48]);
    assert_eq!(share(5, &[0, 0]), vec![5, 0]);
    assert_eq!(share(7, &[24, 48]), vec![2, 5]);
}
