//! Secrets never leave: the real `lanready-agent` binary is run with communities and SNMPv3
//! keys from the environment, from key files and from a site plan, at the most verbose log
//! level, succeeding and failing every way (wrong community, user, auth key, privacy key,
//! short key, unreachable switch, broken plan), and its stdout, stderr, `--help` texts,
//! reports and recordings are searched for each secret: as text, hex and byte list.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use lanready_schema::secret::Secret;
use lanready_snmp::{AuthProto, Credentials, PollOptions, PrivProto, Target, V3Credentials, poll};
use lanready_tests::{Snmpsim, V3User, binary, fixture_files, free_udp_port};

const COMMUNITY: &str = "c0mm-Secr3t-a41f";
const WRONG_COMMUNITY: &str = "wr0ng-c0mm-Secr3t-5e";
const AUTH_KEY: &str = "auth-Secr3t-77c2";
const PRIV_KEY: &str = "priv-Secr3t-19be";
const WRONG_AUTH_KEY: &str = "wr0ng-auth-Secr3t-0d";
const WRONG_PRIV_KEY: &str = "wr0ng-priv-Secr3t-e3";
/// Seven characters: refused before anything is sent.
const SHORT_KEY: &str = "Sh0rt!x";
const USER: &str = "lanready-ops";
/// The SNMPv3 context (a file name for snmpsim): not a secret.
const CONTEXT: &str = "site-ctx";

const ALL_SECRETS: &[&str] = &[
    COMMUNITY,
    WRONG_COMMUNITY,
    AUTH_KEY,
    PRIV_KEY,
    WRONG_AUTH_KEY,
    WRONG_PRIV_KEY,
    SHORT_KEY,
];

/// The ways a secret could be printed: as text, as hex, as a Rust byte list.
fn forms(secret: &str) -> Vec<String> {
    let hex: String = secret.bytes().map(|b| format!("{b:02x}")).collect();
    let list = format!("{:?}", secret.as_bytes());
    vec![
        secret.to_string(),
        hex,
        list.trim_matches(['[', ']']).to_string(),
    ]
}

/// Fails when any secret appears in `text`, saying which and where.
fn assert_clean(what: &str, text: &str) {
    for s in ALL_SECRETS {
        for f in forms(s) {
            assert!(
                !text.contains(&f),
                "{what} contains the secret {s:?} (as {f:?}):\n{text}"
            );
        }
    }
}

fn out_text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Runs the agent with a clean environment for its settings, then checks its output.
fn agent(what: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(binary("lanready-agent"));
    cmd.args(args)
        .env_remove("RUST_LOG")
        .env_remove("LANREADY_COMMUNITY")
        .env_remove("LANREADY_AUTH_KEY")
        .env_remove("LANREADY_PRIV_KEY");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let o = cmd.output().expect("running lanready-agent");
    let (stdout, stderr) = out_text(&o);
    assert_clean(&format!("{what}: stdout"), &stdout);
    assert_clean(&format!("{what}: stderr"), &stderr);
    o
}

/// snmpsim serving access48 under the secret community (with its per-VLAN files) and as
/// the SNMPv3 context `site-ctx`, to a v3 user with secret keys.
fn sim(dir: &Path) -> Snmpsim {
    let mut files: Vec<PathBuf> = Vec::new();
    for f in fixture_files(&["access48"]) {
        let name = f.file_name().unwrap().to_str().unwrap().to_string();
        for renamed in [
            name.replacen("access48", COMMUNITY, 1),
            name.replacen("access48", CONTEXT, 1),
        ] {
            let to = dir.join(renamed);
            std::fs::copy(&f, &to).unwrap();
            files.push(to);
        }
    }
    Snmpsim::start_v3(
        &files,
        &V3User {
            user: USER.into(),
            auth_proto: "SHA".into(),
            auth_key: AUTH_KEY.into(),
            priv_proto: "AES".into(),
            priv_key: PRIV_KEY.into(),
        },
    )
}

fn v3_args<'a>(target: &'a str, user: &'a str) -> Vec<&'a str> {
    vec![
        "-vvv",
        "poll",
        "--target",
        target,
        "--v3-user",
        user,
        "--auth-proto",
        "sha",
        "--priv-proto",
        "aes",
        "--context",
        CONTEXT,
        "--no-vlan-contexts",
        "--timeout-ms",
        "1500",
        "--retries",
        "0",
    ]
}

#[test]
fn poll_never_shows_a_community_or_key_in_output_logs_or_errors() {
    let dir = tempfile::tempdir().unwrap();
    let sim = sim(dir.path());
    let target = sim.address();

    // v2c, community from the environment, every log line on; VLAN contexts use
    // `community@VLAN`, which must not show either.
    for format in ["text", "json"] {
        let o = agent(
            &format!("v2c poll ({format})"),
            &["-vvv", "poll", "--target", &target, "--format", format],
            &[("LANREADY_COMMUNITY", COMMUNITY)],
        );
        let (stdout, stderr) = out_text(&o);
        assert!(o.status.success(), "{stderr}");
        assert!(stderr.contains("TRACE"), "trace logging was on: {stderr}");
        assert!(stdout.contains("Gi1/0/1"), "{stdout}");
    }
    // Dependencies' logs too.
    let o = agent(
        "v2c poll, RUST_LOG=trace",
        &["poll", "--target", &target, "--no-vlan-contexts"],
        &[("LANREADY_COMMUNITY", COMMUNITY), ("RUST_LOG", "trace")],
    );
    assert!(o.status.success(), "{}", out_text(&o).1);

    // A wrong community: a timeout, said plainly.
    let o = agent(
        "v2c wrong community",
        &[
            "-vvv",
            "poll",
            "--target",
            &target,
            "--timeout-ms",
            "300",
            "--retries",
            "0",
            "--no-vlan-contexts",
        ],
        &[("LANREADY_COMMUNITY", WRONG_COMMUNITY)],
    );
    let (_, stderr) = out_text(&o);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("wrong community"), "{stderr}");

    // Nothing listens there.
    let closed = format!("127.0.0.1:{}", free_udp_port());
    let o = agent(
        "v2c unreachable",
        &["-vvv", "poll", "--target", &closed, "--timeout-ms", "500"],
        &[("LANREADY_COMMUNITY", COMMUNITY)],
    );
    let (_, stderr) = out_text(&o);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&closed), "{stderr}");

    // SNMPv3 with keys from the environment, then from files.
    let o = agent(
        "v3 keys from env",
        &v3_args(&target, USER),
        &[
            ("LANREADY_AUTH_KEY", AUTH_KEY),
            ("LANREADY_PRIV_KEY", PRIV_KEY),
        ],
    );
    assert!(o.status.success(), "{}", out_text(&o).1);
    let auth_file = dir.path().join("auth.key");
    let priv_file = dir.path().join("priv.key");
    std::fs::write(&auth_file, format!("{AUTH_KEY}\n")).unwrap();
    std::fs::write(&priv_file, format!("{PRIV_KEY}\n")).unwrap();
    let (af, pf) = (auth_file.to_str().unwrap(), priv_file.to_str().unwrap());
    let mut args = v3_args(&target, USER);
    args.extend(["--auth-key-file", af, "--priv-key-file", pf]);
    let o = agent("v3 keys from files", &args, &[]);
    assert!(o.status.success(), "{}", out_text(&o).1);

    // Each wrong v3 setting: exit 2, a message that says authentication failed.
    let wrong_auth = dir.path().join("wrong-auth.key");
    let wrong_priv = dir.path().join("wrong-priv.key");
    std::fs::write(&wrong_auth, WRONG_AUTH_KEY).unwrap();
    std::fs::write(&wrong_priv, WRONG_PRIV_KEY).unwrap();
    let cases: [(&str, &str, &Path, &Path); 3] = [
        ("wrong user", "nosuchuser", &auth_file, &priv_file),
        ("wrong auth key", USER, &wrong_auth, &priv_file),
        ("wrong privacy key", USER, &auth_file, &wrong_priv),
    ];
    for (what, user, a, p) in cases {
        let mut args = v3_args(&target, user);
        args.extend([
            "--auth-key-file",
            a.to_str().unwrap(),
            "--priv-key-file",
            p.to_str().unwrap(),
        ]);
        let o = agent(what, &args, &[]);
        let (_, stderr) = out_text(&o);
        assert_eq!(o.status.code(), Some(2), "{what}: {stderr}");
        assert!(
            stderr.contains("authentication failed") || stderr.contains("refused"),
            "{what}: the error does not say what failed: {stderr}"
        );
        assert!(stderr.contains(user), "{what}: name the user: {stderr}");
    }
    // Wrong keys from the environment too.
    let o = agent(
        "wrong keys from env",
        &v3_args(&target, USER),
        &[
            ("LANREADY_AUTH_KEY", WRONG_AUTH_KEY),
            ("LANREADY_PRIV_KEY", WRONG_PRIV_KEY),
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", out_text(&o).1);

    // A key too short to use is refused before anything is sent, without echoing it.
    let o = agent(
        "short key",
        &v3_args(&target, USER),
        &[
            ("LANREADY_AUTH_KEY", SHORT_KEY),
            ("LANREADY_PRIV_KEY", PRIV_KEY),
        ],
    );
    let (_, stderr) = out_text(&o);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("at least 8"), "{stderr}");
}

#[test]
fn help_texts_never_show_secrets_from_the_environment() {
    let env = [
        ("LANREADY_COMMUNITY", COMMUNITY),
        ("LANREADY_AUTH_KEY", AUTH_KEY),
        ("LANREADY_PRIV_KEY", PRIV_KEY),
    ];
    let mut seen_community_flag = false;
    for sub in ["", "poll", "record", "scan", "gate", "run"] {
        for flag in ["--help", "-h"] {
            let args: Vec<&str> = [sub, flag].into_iter().filter(|a| !a.is_empty()).collect();
            let o = agent(&format!("{} {flag}", sub), &args, &env);
            let (stdout, stderr) = out_text(&o);
            assert!(o.status.success(), "{sub} {flag}: {stderr}");
            seen_community_flag |= stdout.contains("--community");
        }
    }
    assert!(
        seen_community_flag,
        "no help text showed --community at all"
    );
}

#[test]
fn record_files_hold_no_community() {
    let dir = tempfile::tempdir().unwrap();
    let sim = sim(dir.path());
    let out = dir.path().join("recorded.snmprec");
    let o = agent(
        "record",
        &[
            "-vvv",
            "record",
            "--target",
            &sim.address(),
            "--out",
            out.to_str().unwrap(),
        ],
        &[("LANREADY_COMMUNITY", COMMUNITY)],
    );
    assert!(o.status.success(), "{}", out_text(&o).1);
    let dir_listing: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("recorded"))
        .collect();
    assert!(!dir_listing.is_empty());
    for name in dir_listing {
        assert_clean(&format!("recorded file name {name}"), &name);
        let text = std::fs::read_to_string(dir.path().join(&name)).unwrap();
        assert_clean(&format!("recorded file {name}"), &text);
    }
}

#[test]
fn scan_reports_and_logs_hold_no_secret_from_a_plan() {
    let dir = tempfile::tempdir().unwrap();
    let sim = sim(dir.path());
    let port = sim.port();
    let closed = free_udp_port();
    let community_file = dir.path().join("community");
    let priv_file = dir.path().join("priv.key");
    std::fs::write(&community_file, format!("{COMMUNITY}\n")).unwrap();
    std::fs::write(&priv_file, format!("{PRIV_KEY}\n")).unwrap();
    let (cf, pf) = (community_file.display(), priv_file.display());
    let v3 = |auth: &str, privacy: &str| {
        format!(
            "v3 = {{ user = \"{USER}\", auth_protocol = \"sha\", {auth}, priv_protocol = \"aes\", {privacy}, context = \"{CONTEXT}\" }}"
        )
    };
    // One site per way of giving a secret (a site lists each switch once).
    let sites = [
        (
            "inline",
            format!(
                "{{ address = \"127.0.0.1:{port}\", community = \"{COMMUNITY}\" }},\n  \
                 {{ address = \"127.0.0.1:{closed}\", community = \"{COMMUNITY}\", timeout_ms = 300, retries = 0 }}"
            ),
        ),
        (
            "wrong",
            format!(
                "{{ address = \"127.0.0.1:{port}\", community = \"{WRONG_COMMUNITY}\", timeout_ms = 300, retries = 0 }}"
            ),
        ),
        (
            "env",
            format!(
                "{{ address = \"127.0.0.1:{port}\", community_env = \"LANREADY_TEST_SECRET_COMMUNITY\" }}"
            ),
        ),
        (
            "file",
            format!("{{ address = \"127.0.0.1:{port}\", community_file = \"{cf}\" }}"),
        ),
        (
            "v3",
            format!(
                "{{ address = \"127.0.0.1:{port}\", {} }}",
                v3(
                    "auth_key_env = \"LANREADY_TEST_SECRET_AUTH\"",
                    &format!("priv_key_file = \"{pf}\"")
                )
            ),
        ),
        (
            "v3wrong",
            format!(
                "{{ address = \"127.0.0.1:{port}\", timeout_ms = 1000, retries = 0, {} }}",
                v3(
                    &format!("auth_key = \"{WRONG_AUTH_KEY}\""),
                    &format!("priv_key = \"{WRONG_PRIV_KEY}\"")
                )
            ),
        ),
    ];
    let plan: String = sites
        .iter()
        .map(|(name, switches)| {
            format!(
                "[[sites]]\nname = \"{name}\"\nvoice_vlan = 110\ndata_vlan = 10\nvlan_contexts = false\nswitches = [\n  {switches},\n]\n\n"
            )
        })
        .collect();
    let plan_path = dir.path().join("site.toml");
    std::fs::write(&plan_path, plan).unwrap();
    let env = [
        ("LANREADY_TEST_SECRET_COMMUNITY", COMMUNITY),
        ("LANREADY_TEST_SECRET_AUTH", AUTH_KEY),
    ];
    let plan_arg = plan_path.to_str().unwrap();
    let o = agent(
        "scan --check-config",
        &["-vvv", "scan", "--plan", plan_arg, "--check-config"],
        &env,
    );
    assert!(o.status.success(), "{}", out_text(&o).1);
    for (site, _) in &sites {
        let report = dir.path().join(format!("{site}.json"));
        let o = agent(
            &format!("scan {site}"),
            &[
                "-vvv",
                "scan",
                "--plan",
                plan_arg,
                "--site",
                site,
                "--out",
                report.to_str().unwrap(),
            ],
            &env,
        );
        let (stdout, stderr) = out_text(&o);
        assert!(o.status.success(), "scan {site}: {stderr}");
        let text = std::fs::read_to_string(&report).unwrap();
        assert_clean(&format!("the {site} report"), &text);
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["schema"], "lanready.report/v1", "{site}");
        if *site == "inline" {
            // The same report to stdout.
            let o = agent(
                &format!("scan {site} to stdout"),
                &["scan", "--plan", plan_arg, "--site", site],
                &env,
            );
            assert!(o.status.success(), "{}", out_text(&o).1);
            assert!(out_text(&o).0.contains("lanready.report/v1"));
        }
        assert!(stdout.is_empty(), "the report went to --out: {stdout}");
        assert!(stderr.contains("DEBUG"), "debug logging was on: {stderr}");
    }
    // Each switch was read, or failed for the right reason, visibly.
    let report = |site: &str| -> serde_json::Value {
        let text = std::fs::read_to_string(dir.path().join(format!("{site}.json"))).unwrap();
        serde_json::from_str(&text).unwrap()
    };
    let switch = |site: &str, i: usize| report(site)["switches"][i].clone();
    for ok in ["inline", "env", "file", "v3"] {
        assert_eq!(switch(ok, 0)["reachable"], true, "{ok}: {}", switch(ok, 0));
        assert_eq!(switch(ok, 0)["user_ports"], 48, "{ok}: {}", switch(ok, 0));
    }
    let err = |site: &str, i: usize| switch(site, i)["error"].as_str().unwrap_or("").to_string();
    assert!(
        err("inline", 1).contains("unreachable"),
        "{}",
        err("inline", 1)
    );
    assert!(
        err("wrong", 0).contains("wrong community"),
        "{}",
        err("wrong", 0)
    );
    assert!(
        err("v3wrong", 0).contains("authentication failed"),
        "{}",
        err("v3wrong", 0)
    );

    // A broken plan: the error points at the line without quoting the secret on it.
    let broken = dir.path().join("broken.toml");
    std::fs::write(
        &broken,
        format!(
            "[[sites]]\nname = \"x\"\nvoice_vlan = 110\nswitches = [\n  {{ address = \"127.0.0.1\", community = \"{COMMUNITY}\", bogus = 1 }},\n]\n"
        ),
    )
    .unwrap();
    let o = agent(
        "broken plan",
        &[
            "-vvv",
            "scan",
            "--plan",
            broken.to_str().unwrap(),
            "--check-config",
        ],
        &[],
    );
    let (_, stderr) = out_text(&o);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("broken.toml:5"), "{stderr}");
}

/// The library's own types print no secret either, in `Debug` or in errors.
#[tokio::test]
async fn targets_and_poll_errors_print_no_secret() {
    let v2 = Target {
        address: format!("127.0.0.1:{}", free_udp_port()),
        credentials: Credentials::V2c {
            community: Secret::new(COMMUNITY),
        },
    };
    let v3 = Target {
        address: v2.address.clone(),
        credentials: Credentials::V3(V3Credentials {
            user: USER.into(),
            auth: Some((AuthProto::Sha, Secret::new(AUTH_KEY))),
            privacy: Some((PrivProto::Aes, Secret::new(PRIV_KEY))),
            context: CONTEXT.into(),
        }),
    };
    let short = Target {
        credentials: Credentials::V3(V3Credentials {
            user: USER.into(),
            auth: Some((AuthProto::Sha, Secret::new(SHORT_KEY))),
            privacy: None,
            context: String::new(),
        }),
        ..v2.clone()
    };
    let opts = PollOptions {
        timeout: std::time::Duration::from_millis(200),
        retries: 0,
        ..PollOptions::default()
    };
    for t in [&v2, &v3, &short] {
        assert_clean("a target's Debug", &format!("{t:?} {t:#?}"));
        let e = poll(t, &opts).await.expect_err("nothing listens there");
        assert_clean("a poll error", &format!("{e} {e:?} {e:#?}"));
    }
}

/// The search itself finds a secret in each form it looks for.
#[test]
fn the_secret_search_finds_text_hex_and_byte_lists() {
    for s in ALL_SECRETS {
        for f in forms(s) {
            let leaked = format!("some log line {f} more");
            let r = std::panic::catch_unwind(|| assert_clean("control", &leaked));
            assert!(r.is_err(), "{f:?} went unnoticed");
        }
    }
    assert_clean(
        "control",
        "nothing secret here: public, lanready-ops, site-ctx",
    );
}
