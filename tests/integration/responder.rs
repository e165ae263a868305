//! The fast responder answers as snmpsim does: full `snmpbulkwalk` outputs of real recordings
//! and the project's fixtures are identical, and edge-case requests (GET of a missing OID,
//! GETNEXT off the end, GETBULK capped at 64 varbinds, SNMPv1) get byte-identical datagrams.

use std::net::{SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use lanready_tests::responder::Responder;
use lanready_tests::{Snmpsim, corpus_dir, fixtures_dir};
use rasn::types::ObjectIdentifier;
use rasn_snmp::{v2, v2c};

/// The recordings both serve: the corpus's (when present) and every project fixture.
fn recordings() -> Vec<PathBuf> {
    let mut files = Vec::new();
    if let Some(c) = corpus_dir() {
        let r = c.join("recordings");
        for stem in ["ios_2960x", "iosxe_c9200l", "ios_stp-vlans", "ios_c3560"] {
            files.push(r.join(format!("{stem}.snmprec")));
        }
        // The per-VLAN contexts of ios_c3560 and ios_stp-vlans.
        let mut extra: Vec<PathBuf> = std::fs::read_dir(&r)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                    (n.starts_with("ios_c3560@") || n.starts_with("ios_stp-vlans@"))
                        && n.ends_with(".snmprec")
                })
            })
            .collect();
        extra.sort();
        files.extend(extra);
    }
    if let Ok(rd) = std::fs::read_dir(fixtures_dir()) {
        let mut own: Vec<PathBuf> = rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "snmprec"))
            .collect();
        own.sort();
        files.extend(own);
    }
    files
}

fn community(p: &std::path::Path) -> String {
    p.file_stem().unwrap().to_str().unwrap().to_string()
}

/// `snmpbulkwalk -v2c -On -Cr25` of everything under `.1`, as text.
fn bulkwalk(address: &str, community: &str) -> String {
    let out = Command::new("snmpbulkwalk")
        .env("MIBS", "")
        .args([
            "-v2c", "-c", community, "-On", "-Cr25", "-t", "5", "-r", "1",
        ])
        .arg(address)
        .arg(".1")
        .output()
        .expect("net-snmp's snmpbulkwalk (installed by .ci/setup)");
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    // Errors and warnings (such as "OID not increasing") belong to the comparison too.
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    text
}

#[test]
fn full_bulkwalks_match_snmpsim_on_the_corpus_and_fixtures() {
    let files = recordings();
    assert!(!files.is_empty(), "no recordings to compare");
    let sim = Snmpsim::start(&files);
    let fast = Responder::serve_files(&files).expect("the responder loads every recording");
    let mut compared = 0;
    for f in &files {
        let c = community(f);
        let want = bulkwalk(&sim.address(), &c);
        let got = bulkwalk(&fast.address(), &c);
        assert!(
            want.lines().count() >= 1 && !want.contains("Timeout"),
            "snmpsim did not walk {c}: {want}\nlog: {}",
            sim.log()
        );
        if want != got {
            let first = want
                .lines()
                .zip(got.lines())
                .find(|(a, b)| a != b)
                .map(|(a, b)| format!("snmpsim:   {a}\nresponder: {b}"))
                .unwrap_or_else(|| {
                    format!(
                        "lengths differ: {} vs {} lines",
                        want.lines().count(),
                        got.lines().count()
                    )
                });
            panic!("{c}: walks differ; first difference:\n{first}");
        }
        compared += want.lines().count();
    }
    assert!(compared > 1000, "compared only {compared} lines");
}

fn oid(arcs: &[u32]) -> ObjectIdentifier {
    ObjectIdentifier::new(arcs.to_vec()).unwrap()
}

fn vbs(oids: &[&[u32]]) -> Vec<v2::VarBind> {
    oids.iter()
        .map(|o| v2::VarBind {
            name: oid(o),
            value: v2::VarBindValue::Unspecified,
        })
        .collect()
}

fn message(version: i32, community: &str, pdu: v2::Pdus) -> Vec<u8> {
    rasn::ber::encode(&v2c::Message {
        version: version.into(),
        community: community.as_bytes().to_vec().into(),
        data: pdu,
    })
    .unwrap()
}

fn get(oids: &[&[u32]], request_id: i32) -> v2::Pdus {
    v2::Pdus::GetRequest(v2::GetRequest(v2::Pdu {
        request_id,
        error_status: 0,
        error_index: 0,
        variable_bindings: vbs(oids),
    }))
}

fn next(oids: &[&[u32]], request_id: i32) -> v2::Pdus {
    v2::Pdus::GetNextRequest(v2::GetNextRequest(v2::Pdu {
        request_id,
        error_status: 0,
        error_index: 0,
        variable_bindings: vbs(oids),
    }))
}

fn bulk(n: u32, m: u32, oids: &[&[u32]], request_id: i32) -> v2::Pdus {
    v2::Pdus::GetBulkRequest(v2::GetBulkRequest(v2::BulkPdu {
        request_id,
        non_repeaters: n,
        max_repetitions: m,
        variable_bindings: vbs(oids),
    }))
}

/// Sends `request` and returns the answer, or None after `wait`.
fn exchange(to: SocketAddr, request: &[u8], wait: Duration) -> Option<Vec<u8>> {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(wait)).unwrap();
    let mut buf = vec![0u8; 65_536];
    for _ in 0..3 {
        sock.send_to(request, to).unwrap();
        if let Ok((n, _)) = sock.recv_from(&mut buf) {
            return Some(buf[..n].to_vec());
        }
    }
    None
}

/// The varbinds of an answer, each as its BER bytes, with the status fields.
fn decode(answer: &[u8]) -> (u32, u32, Vec<Vec<u8>>) {
    let msg: v2c::Message<v2::Pdus> = rasn::ber::decode(answer).expect("a v1/v2c message");
    let v2::Pdus::Response(v2::Response(p)) = msg.data else {
        panic!("not a Response-PDU");
    };
    let vbs = p
        .variable_bindings
        .iter()
        .map(|vb| rasn::ber::encode(vb).unwrap())
        .collect();
    (p.error_status, p.error_index, vbs)
}

#[test]
fn edge_case_requests_get_the_same_datagrams_as_from_snmpsim() {
    let Some(corpus) = corpus_dir() else {
        // Without the corpus, the fixtures carry the comparison above; the edge cases here
        // need ios_2960x's Counter64 and its ifTable.
        return;
    };
    let files = vec![corpus.join("recordings/ios_2960x.snmprec")];
    let sim = Snmpsim::start(&files);
    let fast = Responder::serve_files(&files).unwrap();
    let sim_addr: SocketAddr = sim.address().parse().unwrap();
    let fast_addr: SocketAddr = fast.address().parse().unwrap();

    let sys_descr: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 1, 0];
    let missing: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 99, 0];
    let if_table_cols: Vec<Vec<u32>> = [2u32, 3, 5, 7, 8, 14, 20]
        .iter()
        .map(|c| vec![1, 3, 6, 1, 2, 1, 2, 2, 1, *c])
        .collect();
    let if_cols: Vec<&[u32]> = if_table_cols.iter().map(|c| c.as_slice()).collect();
    let many: Vec<Vec<u32>> = (1..=65u32)
        .map(|i| vec![1, 3, 6, 1, 2, 1, 2, 2, 1, 2, i])
        .collect();
    let many: Vec<&[u32]> = many.iter().map(|c| c.as_slice()).collect();
    let hc_in: &[u32] = &[1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6];
    let beyond: &[u32] = &[2, 999];
    let before: &[u32] = &[0, 0];

    let c = "ios_2960x";
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "v2c GET present and missing",
            message(1, c, get(&[sys_descr, missing], 11)),
        ),
        (
            "v1 GET missing: noSuchName",
            message(0, c, get(&[sys_descr, missing], 12)),
        ),
        (
            "v2c GETNEXT before the first OID",
            message(1, c, next(&[before], 13)),
        ),
        (
            "v2c GETNEXT off the end",
            message(1, c, next(&[beyond], 14)),
        ),
        ("v1 GETNEXT off the end", message(0, c, next(&[beyond], 15))),
        (
            "v2c GETNEXT into Counter64",
            message(1, c, next(&[hc_in], 16)),
        ),
        (
            "v1 GETNEXT skips Counter64",
            message(0, c, next(&[hc_in], 17)),
        ),
        (
            "GETBULK 7 columns, M=25 capped to 9",
            message(1, c, bulk(0, 25, &if_cols, 18)),
        ),
        (
            "GETBULK N=1 M=5",
            message(1, c, bulk(1, 5, &[sys_descr, hc_in], 19)),
        ),
        (
            "GETBULK past the end",
            message(1, c, bulk(0, 4, &[beyond], 20)),
        ),
        (
            "GETBULK M=0 with non-repeaters",
            message(1, c, bulk(2, 0, &[sys_descr, hc_in], 21)),
        ),
        (
            "GETBULK N beyond the varbinds",
            message(1, c, bulk(5, 3, &[sys_descr], 23)),
        ),
    ];
    for (what, request) in &cases {
        let want = exchange(sim_addr, request, Duration::from_secs(2))
            .unwrap_or_else(|| panic!("{what}: snmpsim did not answer"));
        let got = exchange(fast_addr, request, Duration::from_secs(2))
            .unwrap_or_else(|| panic!("{what}: the responder did not answer"));
        assert_eq!(decode(&got), decode(&want), "{what}: varbinds differ");
        // Whole datagrams too: both encode BER minimally, so they are the same bytes.
        assert_eq!(got, want, "{what}: datagrams differ");
    }

    // Requests both leave unanswered: a community neither knows, and a GETBULK whose 65
    // repeaters cut max-repetitions to 0 (pysnmp raises an error it never sends).
    let silent = [
        message(1, "no-such-device", get(&[sys_descr], 30)),
        message(1, c, bulk(0, 10, &many, 31)),
    ];
    for request in &silent {
        assert!(exchange(sim_addr, request, Duration::from_millis(300)).is_none());
        assert!(exchange(fast_addr, request, Duration::from_millis(300)).is_none());
    }

    // Every request above reached the responder's counter (each silent one three times).
    assert_eq!(fast.counts(0).requests, cases.len() as u64 + 6);
}
