//! The harness itself: snmpsim starts on a free loopback port, answers, and stops on drop.

use std::net::UdpSocket;
use std::time::Duration;

use lanready_tests::{Snmpsim, corpus_dir};

#[test]
fn snmpsim_serves_a_recording_and_stops_on_drop() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("tiny.snmprec");
    std::fs::write(
        &f,
        "1.3.6.1.2.1.1.1.0|4|Tiny switch\n1.3.6.1.2.1.1.5.0|4|tiny-sw\n",
    )
    .unwrap();
    let sim = Snmpsim::start(std::slice::from_ref(&f));
    let port = sim.port();
    let out = std::process::Command::new("snmpget")
        .env("MIBS", "")
        .args(["-v2c", "-c", "tiny", "-On", "-t", "2", "-r", "1"])
        .arg(sim.address())
        .arg("1.3.6.1.2.1.1.5.0")
        .output()
        .expect("net-snmp's snmpget (installed by .ci/setup)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("tiny-sw"),
        "snmpget said: {text} / {}",
        String::from_utf8_lossy(&out.stderr)
    );
    drop(sim);
    // The port is free again once snmpsim is gone.
    std::thread::sleep(Duration::from_millis(100));
    UdpSocket::bind(("127.0.0.1", port)).expect("port released after drop");
}

#[test]
fn corpus_is_found_when_present() {
    if let Some(c) = corpus_dir() {
        assert!(c.join("recordings/ios_2960x.snmprec").is_file());
    }
}

#[test]
fn snmpsim_answers_snmpv3_authpriv_by_context() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("ctx1.snmprec");
    std::fs::write(&f, "1.3.6.1.2.1.1.5.0|4|v3-switch\n").unwrap();
    let user = lanready_tests::V3User::default();
    let sim = Snmpsim::start_v3(std::slice::from_ref(&f), &user);
    let out = std::process::Command::new("snmpget")
        .env("MIBS", "")
        .args(["-v3", "-l", "authPriv", "-u", &user.user, "-a", "SHA", "-A"])
        .arg(&user.auth_key)
        .args(["-x", "AES", "-X"])
        .arg(&user.priv_key)
        .args(["-n", "ctx1", "-On", "-t", "2", "-r", "1"])
        .arg(sim.address())
        .arg("1.3.6.1.2.1.1.5.0")
        .output()
        .expect("net-snmp's snmpget");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("v3-switch"),
        "snmpget said: {text} / {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
