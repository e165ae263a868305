//! The SNMP poller against snmpsim over loopback UDP: v2c walks match net-snmp's, SNMPv3
//! works and fails clearly, unreachable and silent ports, unsorted data, record and replay,
//! and the `poll`/`record` commands of the real binary (no secret in their output).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use lanready_mibs::{Oid, Walk};
use lanready_schema::secret::Secret;
use lanready_snmp::{
    AuthProto, Credentials, Failure, PollOptions, PrivProto, Target, V3Credentials, poll,
    poll_with_stats,
};
use lanready_tests::{Snmpsim, binary, corpus_dir, fixture_files, free_udp_port, snmpsim_bin};

fn opts(vlan_contexts: bool) -> PollOptions {
    PollOptions {
        timeout: Duration::from_secs(3),
        retries: 1,
        max_repetitions: 25,
        vlan_contexts,
        max_requests_per_second: None,
    }
}

fn corpus_file(name: &str) -> PathBuf {
    let dir = corpus_dir().expect("the shared corpus (../shared/corpus) is needed by this test");
    dir.join("recordings").join(name)
}

/// The OIDs under `prefix` that net-snmp's snmpbulkwalk finds.
fn snmpbulkwalk(address: &str, community: &str, prefix: &[u32]) -> BTreeSet<Oid> {
    let root = Oid::new(prefix).to_string();
    let out = Command::new("snmpbulkwalk")
        .env("MIBS", "")
        .args([
            "-v2c", "-c", community, "-On", "-Cr25", "-t", "5", "-r", "1",
        ])
        .arg(address)
        .arg(&root)
        .output()
        .expect("net-snmp's snmpbulkwalk (installed by .ci/setup)");
    assert!(
        out.status.success(),
        "snmpbulkwalk {root}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with(".1.") && l.contains(" = "))
        .filter(|l| !l.contains("No Such") && !l.contains("No more variables"))
        .filter_map(|l| l.split(" = ").next()?.parse::<Oid>().ok())
        .filter(|o| o.starts_with(prefix))
        .collect()
}

fn under(walk: &Walk, prefix: &[u32]) -> BTreeSet<Oid> {
    walk.subtree(prefix)
        .map(|(idx, _)| Oid::new(prefix).child(idx))
        .collect()
}

#[tokio::test]
async fn v2c_walk_of_a_recording_matches_net_snmp_and_unsorted_data_is_a_problem() {
    let dir = tempfile::tempdir().unwrap();
    let unsorted = dir.path().join("unsorted.snmprec");
    std::fs::write(
        &unsorted,
        "1.3.6.1.2.1.1.5.0|4|unsorted\n\
         1.3.6.1.2.1.2.2.1.2.1|4|Gi1\n\
         1.3.6.1.2.1.2.2.1.2.3|4|Gi3\n\
         1.3.6.1.2.1.2.2.1.2.2|4|Gi2\n\
         1.3.6.1.2.1.2.2.1.2.4|4|Gi4\n\
         1.3.6.1.2.1.2.2.1.3.1|2|6\n\
         1.3.6.1.2.1.2.2.1.3.2|2|6\n",
    )
    .unwrap();
    let sim = Snmpsim::start(&[corpus_file("ios_2960x.snmprec"), unsorted]);
    let addr = sim.address();

    let (walk, stats) = poll_with_stats(&Target::v2c(&addr, "ios_2960x"), &opts(true))
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", sim.log()));
    assert!(walk.problems.is_empty(), "{:?}", walk.problems);
    let mut compared = 0;
    for name in [
        "ifTable",
        "ifXTable",
        "entPhysicalTable",
        "cpeExtPsePortTable",
        "pethMainPseTable",
        "vmMembershipTable",
        "vlanTrunkPortTable",
    ] {
        let g = lanready_mibs::poll::GROUPS
            .iter()
            .find(|g| g.name == name)
            .unwrap();
        for col in g.columns {
            let want = snmpbulkwalk(&addr, "ios_2960x", col);
            let got = under(&walk, col);
            assert_eq!(got, want, "{name} column {}", Oid::new(col));
            compared += got.len();
        }
    }
    assert!(compared > 1500, "only {compared} varbinds compared");
    // Every varbind read was kept (the scalars' noSuchObject aside).
    assert!(stats.varbinds as usize >= walk.values.len());
    assert!(stats.requests < 400, "{stats:?}");
    eprintln!(
        "ios_2960x: {} requests, {} varbinds received, {} values kept",
        stats.requests,
        stats.varbinds,
        walk.values.len()
    );

    // An unsorted file makes snmpsim go backwards: a problem, and the walk ends.
    let started = Instant::now();
    let (walk, stats) = poll_with_stats(&Target::v2c(&addr, "unsorted"), &opts(false))
        .await
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(walk.problems.len(), 1, "{:?}", walk.problems);
    assert!(
        walk.problems[0].starts_with("ifTable: ") && walk.problems[0].contains("must increase"),
        "{:?}",
        walk.problems
    );
    assert!(walk.get(&[1, 3, 6, 1, 2, 1, 2, 2, 1, 2, 3]).is_some());
    assert!(walk.get(&[1, 3, 6, 1, 2, 1, 2, 2, 1, 3, 2]).is_some());
    assert!(stats.requests < 60, "{stats:?}");
}

#[tokio::test]
async fn a_closed_port_is_unreachable_and_a_silent_one_times_out() {
    let port = free_udp_port();
    let err = poll(
        &Target::v2c(&format!("127.0.0.1:{port}"), "public"),
        &opts(false),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err.failure, Failure::Unreachable { .. }),
        "{err:?}"
    );

    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let address = silent.local_addr().unwrap().to_string();
    let o = PollOptions {
        timeout: Duration::from_millis(300),
        retries: 2,
        ..opts(false)
    };
    let started = Instant::now();
    let err = poll(&Target::v2c(&address, "public"), &o)
        .await
        .unwrap_err();
    let took = started.elapsed();
    assert!(
        matches!(err.failure, Failure::Timeout { attempts: 3, .. }),
        "{err:?}"
    );
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(5),
        "{took:?}"
    );
    // Three requests reached the socket, one per attempt.
    silent.set_nonblocking(true).unwrap();
    let mut buf = [0u8; 2048];
    let mut n = 0;
    while silent.recv_from(&mut buf).is_ok() {
        n += 1;
    }
    assert_eq!(n, 3);
    assert!(err.to_string().contains("community"), "{err}");
}

/// snmpsim serving SNMPv3 for several users at once (each with its own protocols), with
/// the options in the order snmpsim needs: engine id, data, users, then the endpoint.
struct V3Sim {
    child: Child,
    port: u16,
    _data: tempfile::TempDir,
}

impl Drop for V3Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct User {
    name: &'static str,
    auth: &'static str,
    auth_key: &'static str,
    privacy: &'static str,
    priv_key: &'static str,
}

const USERS: &[User] = &[
    User {
        name: "shaaes",
        auth: "SHA",
        auth_key: "authkey-sha-1",
        privacy: "AES",
        priv_key: "privkey-aes-1",
    },
    User {
        name: "reeder",
        auth: "SHA",
        auth_key: "authkey-sha-2",
        privacy: "AES256",
        priv_key: "privkey-aes256",
    },
    User {
        name: "blumenthal",
        auth: "SHA",
        auth_key: "authkey-sha-3",
        privacy: "AES256BLMT",
        priv_key: "privkey-blmt-3",
    },
    User {
        name: "md5des",
        auth: "MD5",
        auth_key: "authkey-md5-4",
        privacy: "DES",
        priv_key: "privkey-des-4",
    },
    User {
        name: "sha512",
        auth: "SHA512",
        auth_key: "authkey-sha512",
        privacy: "AES192",
        priv_key: "privkey-aes192",
    },
    User {
        name: "authonly",
        auth: "SHA256",
        auth_key: "authkey-sha256",
        privacy: "NONE",
        priv_key: "",
    },
];

impl V3Sim {
    fn start(files: &[(PathBuf, String)]) -> V3Sim {
        let data = tempfile::tempdir().unwrap();
        for (src, name) in files {
            std::fs::copy(src, data.path().join(name)).unwrap();
        }
        let port = free_udp_port();
        let mut cmd = Command::new(snmpsim_bin());
        cmd.env("SNMPSIM_ALLOW_ROOT", "true")
            .arg(format!(
                "--cache-dir={}",
                data.path().join("cache").display()
            ))
            .arg(format!(
                "--logging-method=file:{}",
                data.path().join("log").display()
            ))
            .arg(format!("--v3-engine-id={}", lanready_tests::V3_ENGINE_ID))
            .arg(format!("--data-dir={}", data.path().display()));
        for u in USERS {
            cmd.arg(format!("--v3-user={}", u.name))
                .arg(format!("--v3-auth-proto={}", u.auth))
                .arg(format!("--v3-auth-key={}", u.auth_key));
            if u.privacy != "NONE" {
                cmd.arg(format!("--v3-priv-proto={}", u.privacy))
                    .arg(format!("--v3-priv-key={}", u.priv_key));
            }
        }
        cmd.arg(format!("--agent-udpv4-endpoint=127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = cmd.spawn().expect("starting snmpsim");
        let sim = V3Sim {
            child,
            port,
            _data: data,
        };
        let started = Instant::now();
        loop {
            let out = Command::new("snmpget")
                .env("MIBS", "")
                .args(["-v3", "-l", "authPriv", "-u", "shaaes", "-a", "SHA"])
                .args(["-A", "authkey-sha-1", "-x", "AES", "-X", "privkey-aes-1"])
                .args(["-n", &files[0].1.replace(".snmprec", "")])
                .args(["-t", "0.5", "-r", "0"])
                .arg(sim.address())
                .arg("1.3.6.1.2.1.1.5.0")
                .output()
                .unwrap();
            if out.status.success() {
                return sim;
            }
            assert!(
                started.elapsed() < Duration::from_secs(90),
                "snmpsim (v3) did not start: {}",
                std::fs::read_to_string(sim._data.path().join("log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(300));
        }
    }

    fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

fn user(name: &str) -> &'static User {
    USERS.iter().find(|u| u.name == name).unwrap()
}

fn v3(address: &str, u: &User, context: &str) -> Target {
    let auth = match u.auth {
        "MD5" => AuthProto::Md5,
        "SHA" => AuthProto::Sha,
        "SHA256" => AuthProto::Sha256,
        "SHA512" => AuthProto::Sha512,
        other => panic!("{other}"),
    };
    let privacy = match u.privacy {
        "NONE" => None,
        "DES" => Some(PrivProto::Des),
        "AES" => Some(PrivProto::Aes),
        "AES192" => Some(PrivProto::Aes192),
        "AES256" | "AES256BLMT" => Some(PrivProto::Aes256),
        other => panic!("{other}"),
    };
    Target {
        address: address.to_string(),
        credentials: Credentials::V3(V3Credentials {
            user: u.name.to_string(),
            auth: Some((auth, Secret::new(u.auth_key))),
            privacy: privacy.map(|p| (p, Secret::new(u.priv_key))),
            context: context.to_string(),
        }),
    }
}

fn with_keys(t: &Target, auth_key: &str, priv_key: &str, user: &str) -> Target {
    let mut t = t.clone();
    if let Credentials::V3(c) = &mut t.credentials {
        c.user = user.to_string();
        if let Some((_, k)) = &mut c.auth {
            *k = Secret::new(auth_key);
        }
        if let Some((_, k)) = &mut c.privacy {
            *k = Secret::new(priv_key);
        }
    }
    t
}

#[tokio::test]
async fn snmpv3_reads_the_same_walk_as_v2c_and_fails_clearly_on_wrong_credentials() {
    // access48 in its default context, and its VLAN contexts as SNMPv3 names them.
    let fx = lanready_tests::fixtures_dir();
    let mut files = vec![(fx.join("access48.snmprec"), "access48.snmprec".to_string())];
    for vlan in [10, 99, 110] {
        files.push((
            fx.join(format!("access48@{vlan}.snmprec")),
            format!("access48@{vlan}.snmprec"),
        ));
        files.push((
            fx.join(format!("access48@{vlan}.snmprec")),
            format!("vlan-{vlan}.snmprec"),
        ));
    }
    let sim = V3Sim::start(&files);
    let addr = sim.address();

    let reference = poll(&Target::v2c(&addr, "access48"), &opts(true))
        .await
        .unwrap();
    assert_eq!(
        reference.vlan_contexts.keys().copied().collect::<Vec<_>>(),
        vec![10, 99, 110]
    );
    assert!(reference.values.len() > 3000);

    let good = v3(&addr, user("shaaes"), "access48");
    let (walk, stats) = poll_with_stats(&good, &opts(true)).await.unwrap();
    assert_same_walk(&walk, &reference, "SHA/AES over v3 against v2c");
    // Engine discovery is one request per session: the main one and one per VLAN.
    assert!(stats.sessions == 4, "{stats:?}");

    // AES-256 keys from SHA-1 the Blumenthal way: Reeder fails once, the other method works,
    // and the VLAN contexts start with the method that worked (no extra failures there).
    let (blmt, blmt_stats) =
        poll_with_stats(&v3(&addr, user("blumenthal"), "access48"), &opts(true))
            .await
            .unwrap();
    assert_same_walk(&blmt, &reference, "SHA/AES-256 (Blumenthal) against v2c");
    assert_eq!(
        blmt_stats.requests,
        stats.requests + 2,
        "one refused request and one new engine discovery: {blmt_stats:?} vs {stats:?}"
    );

    for name in ["reeder", "blumenthal", "md5des", "sha512", "authonly"] {
        let w = poll(&v3(&addr, user(name), "access48"), &opts(false))
            .await
            .unwrap_or_else(|e| panic!("user {name}: {e}"));
        let mut no_vlans = reference.clone();
        no_vlans.vlan_contexts.clear();
        assert_same_walk(&w, &no_vlans, name);
    }

    let u = user("shaaes");
    for (what, t) in [
        (
            "auth key",
            with_keys(&good, "wrong-auth-key", u.priv_key, u.name),
        ),
        (
            "priv key",
            with_keys(&good, u.auth_key, "wrong-priv-key", u.name),
        ),
        (
            "user",
            with_keys(&good, u.auth_key, u.priv_key, "nosuchuser"),
        ),
    ] {
        let started = Instant::now();
        let err = poll(&t, &opts(false)).await.unwrap_err();
        assert!(
            matches!(err.failure, Failure::AuthFailure { .. }),
            "wrong {what}: {err:?}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "wrong {what}: slow"
        );
        let msg = err.to_string();
        assert!(msg.contains("authentication failed"), "{msg}");
        for secret in [u.auth_key, u.priv_key, "wrong-auth-key", "wrong-priv-key"] {
            assert!(!msg.contains(secret), "{msg}");
        }
    }
    // A wrong key with AES-256 from SHA-1 fails too, after trying both key extensions.
    let r = v3(&addr, user("reeder"), "access48");
    let err = poll(
        &with_keys(&r, "authkey-sha-2", "not-the-key", "reeder"),
        &opts(false),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err.failure, Failure::AuthFailure { .. }),
        "{err:?}"
    );

    // The binary: keys from the environment, never in its output, even at trace level.
    let out = shaaes_poll(&addr)
        .arg("-vvv")
        .env("LANREADY_AUTH_KEY", u.auth_key)
        .env("LANREADY_PRIV_KEY", u.priv_key)
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("Walked table"), "trace logging was on");
    for secret in [u.auth_key, u.priv_key] {
        assert!(!stdout.contains(secret) && !stderr.contains(secret));
    }
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["schema"], "lanready.snapshot/v1");

    let out = shaaes_poll(&addr)
        .env("LANREADY_AUTH_KEY", "a-wrong-auth-key")
        .env("LANREADY_PRIV_KEY", u.priv_key)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("authentication failed for user \"shaaes\""),
        "{stderr}"
    );
    assert!(!stderr.contains("a-wrong-auth-key") && !stderr.contains(u.priv_key));
}

/// `lanready-agent poll` of `addr` as SNMPv3 user shaaes (SHA, AES) in context access48; the
/// keys come from the environment the caller sets.
fn shaaes_poll(addr: &str) -> Command {
    let mut c = Command::new(binary("lanready-agent"));
    c.args(["poll", "--target", addr, "--format", "json"])
        .args(["--v3-user", "shaaes", "--auth-proto", "sha"])
        .args(["--priv-proto", "aes", "--context", "access48"])
        .arg("--no-vlan-contexts");
    c
}

#[tokio::test]
async fn record_then_replay_gives_the_identical_walk() {
    let sim = Snmpsim::start(&fixture_files(&["access48"]));
    let original = poll(&Target::v2c(&sim.address(), "access48"), &opts(true))
        .await
        .unwrap();
    assert_eq!(original.vlan_contexts.len(), 3);

    // Recorded by the binary's `record` command.
    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("replayed.snmprec");
    let out = Command::new(binary("lanready-agent"))
        .args(["record", "--target", &sim.address(), "--out"])
        .arg(&out_file)
        .env("LANREADY_COMMUNITY", "access48")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let names: Vec<String> = files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "replayed.snmprec",
            "replayed@10.snmprec",
            "replayed@110.snmprec",
            "replayed@99.snmprec"
        ]
    );
    drop(sim);

    let replay = Snmpsim::start(&files);
    let again = poll(&Target::v2c(&replay.address(), "replayed"), &opts(true))
        .await
        .unwrap();
    assert_same_walk(&again, &original, "replayed recording");
}

/// Asserts two walks are equal, printing only where they differ.
fn assert_same_walk(got: &Walk, want: &Walk, what: &str) {
    fn diff(
        got: &BTreeMap<Oid, lanready_mibs::Value>,
        want: &BTreeMap<Oid, lanready_mibs::Value>,
    ) -> Vec<String> {
        let mut out = Vec::new();
        for (k, v) in want {
            match got.get(k) {
                None => out.push(format!("missing {k} = {v:?}")),
                Some(g) if g != v => out.push(format!("{k}: got {g:?}, want {v:?}")),
                Some(_) => {}
            }
        }
        for (k, v) in got {
            if !want.contains_key(k) {
                out.push(format!("extra {k} = {v:?}"));
            }
        }
        out
    }
    let mut d = diff(&got.values, &want.values);
    let vlans: BTreeSet<u16> = got
        .vlan_contexts
        .keys()
        .chain(want.vlan_contexts.keys())
        .copied()
        .collect();
    let empty = BTreeMap::new();
    for v in vlans {
        for line in diff(
            got.vlan_contexts.get(&v).unwrap_or(&empty),
            want.vlan_contexts.get(&v).unwrap_or(&empty),
        ) {
            d.push(format!("VLAN {v}: {line}"));
        }
    }
    if got.problems != want.problems {
        d.push(format!(
            "problems: got {:?}, want {:?}",
            got.problems, want.problems
        ));
    }
    d.truncate(20);
    assert!(d.is_empty(), "{what}: walks differ:\n{}", d.join("\n"));
}

fn read_all(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_default()
}

#[test]
fn poll_command_prints_json_and_text_and_never_the_community() {
    let dir = tempfile::tempdir().unwrap();
    let secret_name = "S3cretCommunity-x7";
    let file = dir.path().join(format!("{secret_name}.snmprec"));
    std::fs::copy(
        lanready_tests::fixtures_dir().join("access48.snmprec"),
        &file,
    )
    .unwrap();
    let sim = Snmpsim::start(std::slice::from_ref(&file));
    let bin = binary("lanready-agent");

    for format in ["json", "text"] {
        let out = Command::new(&bin)
            .args([
                "-vvv",
                "poll",
                "--target",
                &sim.address(),
                "--format",
                format,
            ])
            .env("LANREADY_COMMUNITY", secret_name)
            .env_remove("RUST_LOG")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        assert!(!stdout.contains(secret_name), "community in stdout");
        assert!(!stderr.contains(secret_name), "community in the log");
        assert!(stderr.contains("Walked table"), "trace logging was on");
        if format == "json" {
            let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
            assert_eq!(json["schema"], "lanready.snapshot/v1");
            assert_eq!(json["target"], sim.address());
        } else {
            assert!(
                stdout.starts_with(&format!("Switch {}", sim.address())),
                "{stdout}"
            );
        }
    }

    // --help shows neither the environment's community nor a key.
    let out = Command::new(&bin)
        .args(["poll", "--help"])
        .env("LANREADY_COMMUNITY", secret_name)
        .env("LANREADY_AUTH_KEY", "auth-key-in-env")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("--community-file"), "{help}");
    assert!(
        !help.contains(secret_name) && !help.contains("auth-key-in-env"),
        "{help}"
    );

    // A wrong community: exit 2 after the attempts, with a message saying it may be the
    // community, and never the community itself.
    let out = Command::new(&bin)
        .args(["poll", "--target", &sim.address(), "--timeout-ms", "300"])
        .args(["--retries", "1"])
        .env("LANREADY_COMMUNITY", "Wr0ngCommunity-y9")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no answer after 2 attempts"), "{stderr}");
    assert!(stderr.contains("community"), "{stderr}");
    assert!(!stderr.contains("Wr0ngCommunity-y9"), "{stderr}");

    // A community is never a plain argument (the process list would show it): the old flag
    // is refused; a community file is read.
    let out = Command::new(&bin)
        .args([
            "poll",
            "--target",
            &sim.address(),
            "--community",
            "access48",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("unexpected argument '--community'"),
        "{out:?}"
    );
    let community_file = file.with_extension("community");
    std::fs::write(&community_file, "Wr0ngCommunity-y9\n").unwrap();
    let out = Command::new(&bin)
        .args(["poll", "--target", &sim.address(), "--timeout-ms", "300"])
        .args(["--retries", "0", "--community-file"])
        .arg(&community_file)
        .env("LANREADY_COMMUNITY", "access48")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "the file wins over the environment"
    );

    // A closed port: exit 2, "unreachable".
    let port = free_udp_port();
    let out = Command::new(&bin)
        .args(["poll", "--target", &format!("127.0.0.1:{port}")])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("unreachable"), "{stderr}");
    let _ = read_all(&file);
}

/// The per-VLAN contexts of a recording with community-indexed files (the corpus c3560).
#[tokio::test]
async fn vlan_contexts_of_a_real_recording() {
    let rec = corpus_dir()
        .expect("the shared corpus is needed by this test")
        .join("recordings");
    let mut files = vec![rec.join("ios_c3560.snmprec")];
    files.push(rec.join("ios_c3560@2.snmprec"));
    let sim = Snmpsim::start(&files);
    let walk = poll(&Target::v2c(&sim.address(), "ios_c3560"), &opts(true))
        .await
        .unwrap();
    // vtpVlanState says VLANs 1 and 2 are operational; VLAN 1 is the default context.
    let want: BTreeMap<Oid, lanready_mibs::Value> =
        Walk::from_snmprec(&std::fs::read_to_string(&files[1]).unwrap())
            .unwrap()
            .values
            .into_iter()
            .filter(|(o, _)| o.starts_with(&[1, 3, 6, 1, 2, 1, 17, 1, 4, 1, 2]))
            .collect();
    assert!(!want.is_empty());
    assert_eq!(
        walk.vlan_contexts.keys().copied().collect::<Vec<_>>(),
        vec![2]
    );
    assert_eq!(walk.vlan_contexts[&2], want);
}

/// A 6500-class chassis with 180 operational VLANs (the 48-port fixture, each VLAN's
/// context serving its VLAN 10 bridge table): every context is read, each in the one
/// answer its 49 rows (and the end of the column) take at 64 varbinds an answer.
#[tokio::test]
async fn a_chassis_with_180_vlans_reads_every_context_in_one_request_each() {
    use lanready_tests::responder::{Dataset, Responder, ResponderOptions, read_snmprec};
    let dir = lanready_tests::fixtures_dir();
    let mut walk = read_snmprec(&dir.join("access48.snmprec")).unwrap();
    let model = read_snmprec(&dir.join("access48@10.snmprec"))
        .unwrap()
        .values;
    // What a context is read for: the per-VLAN columns of dot1dBasePortTable.
    let bridge: BTreeMap<Oid, lanready_mibs::Value> = model
        .iter()
        .filter(|(o, _)| {
            lanready_mibs::poll::PER_VLAN_GROUPS
                .iter()
                .flat_map(|g| g.columns.iter())
                .any(|c| o.0.starts_with(c))
        })
        .map(|(o, v)| (o.clone(), v.clone()))
        .collect();
    assert!(
        bridge.len() >= 48,
        "VLAN 10's bridge table has {} values",
        bridge.len()
    );
    walk.vlan_contexts.clear();
    let vtp_state = |v: u32| Oid(vec![1, 3, 6, 1, 4, 1, 9, 9, 46, 1, 3, 1, 1, 2, 1, v]);
    for v in 2..182u16 {
        walk.values
            .insert(vtp_state(u32::from(v)), lanready_mibs::Value::Integer(1));
        walk.vlan_contexts.insert(v, model.clone());
    }
    let mut data = Dataset::default();
    data.insert("chassis", &walk).unwrap();
    let responder = Responder::start(data, &ResponderOptions::default()).unwrap();
    let target = Target::v2c(&responder.address(), "chassis");
    let o = PollOptions::default();
    let (main, main_stats) = poll_with_stats(
        &target,
        &PollOptions {
            vlan_contexts: false,
            ..o.clone()
        },
    )
    .await
    .unwrap();
    assert!(main.vlan_contexts.is_empty());
    let (read, stats) = poll_with_stats(&target, &o).await.unwrap();
    assert!(read.problems.is_empty(), "{:?}", read.problems);
    assert_eq!(read.vlan_contexts.len(), 180);
    assert!(read.vlan_contexts.values().all(|c| *c == bridge));
    let per_context = (stats.requests - main_stats.requests) as f64 / 180.0;
    assert!(
        per_context <= 1.0,
        "{per_context:.2} requests a context ({stats:?}, main walk {main_stats:?})"
    );
}
