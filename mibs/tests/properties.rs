//! Property tests of everything in mibs that reads outside input: the `.snmprec` reader, the
//! table index parsers, the bitmap and BITS helpers, and `decode::snapshot` on arbitrary
//! walks (random OIDs under the poll plan's columns, random value types). None may panic;
//! each keeps the promises its documentation makes. A fixed case count keeps the run to
//! seconds, so CI runs it on every push.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Mutex, OnceLock};

use lanready_mibs::decode::table::{DecodeError, OctetsIndex, parse_index};
use lanready_mibs::decode::{self, neighbours, vlans};
use lanready_mibs::poll::{GROUPS, PER_VLAN_GROUPS, SCALARS};
use lanready_mibs::{Oid, Value, Walk};
use lanready_schema::Snapshot;
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------

/// An arc: mostly small (so rows of different tables share indexes and the joins run),
/// sometimes anything.
fn arc() -> impl Strategy<Value = u32> {
    prop_oneof![6 => 0u32..6, 2 => 0u32..5000, 1 => any::<u32>()]
}

fn any_oid() -> impl Strategy<Value = Oid> {
    prop::collection::vec(arc(), 1..14).prop_map(Oid)
}

fn bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..24),
        // Printable text, the usual case.
        "[ -~]{0,24}".prop_map(String::into_bytes),
        // A BITS value as net-snmp renders it into a recording.
        "[0-9a-f]{2} [0-9a-f]{2} [0-9 ]{0,8}".prop_map(String::into_bytes),
    ]
}

fn any_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        prop_oneof![
            Just(0i64),
            Just(1),
            Just(2),
            Just(-1),
            any::<i64>(),
            -5i64..5000
        ]
        .prop_map(Value::Integer),
        bytes().prop_map(Value::OctetString),
        any_oid().prop_map(Value::ObjectId),
        any::<[u8; 4]>().prop_map(Value::IpAddress),
        any::<u32>().prop_map(Value::Counter32),
        prop_oneof![0u32..5000, any::<u32>()].prop_map(Value::Gauge32),
        any::<u32>().prop_map(Value::TimeTicks),
        bytes().prop_map(Value::Opaque),
        any::<u64>().prop_map(Value::Counter64),
        Just(Value::Null),
    ]
}

/// A varbind under one column of the poll plan: the column, then 0..5 index arcs (zero
/// arcs makes a cell with no row index, which decoders must refuse politely).
fn plan_varbind(
    groups: &'static [lanready_mibs::poll::Group],
) -> impl Strategy<Value = (Oid, Value)> {
    let columns: Vec<&'static [u32]> = groups
        .iter()
        .flat_map(|g| g.columns.iter().copied())
        .collect();
    (
        prop::sample::select(columns),
        prop::collection::vec(arc(), 0..5),
        any_value(),
    )
        .prop_map(|(col, idx, v)| (Oid::new(col).child(&idx), v))
}

fn scalar_varbind() -> impl Strategy<Value = (Oid, Value)> {
    (prop::sample::select(SCALARS.to_vec()), any_value()).prop_map(|(o, v)| (Oid::new(o), v))
}

/// A walk of what a confused or hostile switch might return: values of any type at OIDs
/// the decoders read, per-VLAN contexts, and problem lines.
fn plan_walk() -> impl Strategy<Value = Walk> {
    let main = prop::collection::vec(
        prop_oneof![8 => plan_varbind(GROUPS), 1 => scalar_varbind(), 1 => (any_oid(), any_value())],
        0..160,
    );
    let contexts = prop::collection::btree_map(
        prop_oneof![any::<u16>(), 1u16..12],
        prop::collection::vec(plan_varbind(PER_VLAN_GROUPS), 0..12),
        0..4,
    );
    let problems = prop::collection::vec(
        prop_oneof![
            "[ -~]{0,40}",
            prop::sample::select(GROUPS.iter().map(|g| g.name).collect::<Vec<_>>())
                .prop_map(|n| format!("{n}: the table never ended")),
        ],
        0..3,
    );
    (main, contexts, problems).prop_map(|(main, contexts, problems)| Walk {
        values: main.into_iter().collect(),
        vlan_contexts: contexts
            .into_iter()
            .map(|(vlan, vbs)| (vlan, vbs.into_iter().collect()))
            .collect(),
        problems,
    })
}

/// A fixture's walk and its clean snapshot, read once per test run.
fn decoded_fixture(name: &'static str) -> &'static (Walk, Snapshot) {
    static CACHE: OnceLock<Mutex<BTreeMap<&'static str, &'static (Walk, Snapshot)>>> =
        OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
    cache.entry(name).or_insert_with(|| {
        let walk = fixture(name);
        let snap = decode::snapshot(&walk, "sw");
        Box::leak(Box::new((walk, snap)))
    })
}

fn fixture(name: &str) -> Walk {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/snmprec")
        .join(format!("{name}.snmprec"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    Walk::from_snmprec(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

// ---------------------------------------------------------------------------------------
// .snmprec
// ---------------------------------------------------------------------------------------

/// One line of something that looks like `.snmprec`, right or wrong.
fn snmprec_line() -> impl Strategy<Value = String> {
    let oid = prop_oneof![
        any_oid().prop_map(|o| o.to_string()),
        "[0-9.]{0,12}",
        "[ -~]{0,8}",
        Just("1.3.6.99999999999".to_string()),
    ];
    let tag = prop::sample::select(vec![
        "2", "4", "4x", "5", "6", "64", "64x", "65", "66", "67", "68", "68x", "70", "", "x", "99",
        "2x", "70x", "65x",
    ]);
    let value = prop_oneof![
        "[ -~]{0,16}",
        "-?[0-9]{0,21}",
        "[0-9a-fA-F]{0,12}",
        "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}",
        "\\PC{0,8}",
    ];
    prop_oneof![
        8 => (oid, tag, value).prop_map(|(o, t, v)| format!("{o}|{t}|{v}")),
        1 => "\\PC{0,30}",
        1 => Just("# a comment".to_string()),
        1 => Just(String::new()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any text at all: a walk or an error naming a line that exists. Never a panic.
    #[test]
    fn snmprec_reader_never_panics_on_any_text(text in "\\PC{0,200}") {
        if let Err(e) = Walk::from_snmprec(&text) {
            prop_assert!(e.line >= 1 && e.line <= text.lines().count(), "{e} in {text:?}");
            prop_assert!(!e.reason.is_empty());
        }
    }

    /// Lines that look like `.snmprec`: every accepted line is in the walk (the last value
    /// of an OID wins); a refused file names its first bad line.
    #[test]
    fn snmprec_reader_accepts_good_lines_and_names_the_first_bad_one(
        lines in prop::collection::vec(snmprec_line(), 0..30)
    ) {
        let text = lines.join("\n");
        match Walk::from_snmprec(&text) {
            Ok(w) => {
                for l in &lines {
                    if l.trim().is_empty() || l.starts_with('#') {
                        continue;
                    }
                    let oid: Oid = l.split('|').next().unwrap().parse().unwrap();
                    prop_assert!(w.values.contains_key(&oid), "{oid} missing for {l:?}");
                }
            }
            Err(e) => {
                // Every line before the named one reads on its own.
                for l in &lines[..e.line - 1] {
                    prop_assert!(Walk::from_snmprec(l).is_ok(), "{l:?} before line {}", e.line);
                }
                prop_assert!(Walk::from_snmprec(&lines[e.line - 1]).is_err());
            }
        }
    }

    /// What `to_snmprec` writes reads back as the same walk (what `record` saves is what
    /// `scan --replay` and snmpsim serve).
    #[test]
    fn snmprec_round_trips_every_value(
        values in prop::collection::btree_map(any_oid(), any_value(), 0..60)
    ) {
        let walk = Walk { values, ..Walk::default() };
        let text = walk.to_snmprec();
        let again = Walk::from_snmprec(&text);
        prop_assert_eq!(again.as_ref().ok(), Some(&walk), "{}", text);
    }

    /// A bad line among good ones is reported at its own line number.
    #[test]
    fn a_bad_line_is_reported_where_it_is(
        values in prop::collection::btree_map(any_oid(), any_value(), 1..30),
        at in any::<prop::sample::Index>(),
        bad in prop::sample::select(vec![
            "1.3.6.1|2|twelve", "1.3.6.1|99|1", "1.3.x.1|2|1", "no bars at all",
            "1.3.6.1|65|4294967296", "1.3.6.1|64|1.2.3", "1.3.6.1|4x|abc", "|2|1",
        ]),
    ) {
        let walk = Walk { values, ..Walk::default() };
        let mut lines: Vec<String> = walk.to_snmprec().lines().map(str::to_string).collect();
        let k = at.index(lines.len() + 1);
        lines.insert(k, bad.to_string());
        let e = Walk::from_snmprec(&lines.join("\n")).expect_err("a bad line is refused");
        prop_assert_eq!(e.line, k + 1, "{}", e);
    }
}

// ---------------------------------------------------------------------------------------
// Index parsers and value helpers
// ---------------------------------------------------------------------------------------

fn octets_arcs(b: &[u8]) -> Vec<u32> {
    std::iter::once(b.len() as u32)
        .chain(b.iter().map(|&x| u32::from(x)))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// Arbitrary arcs, even `u32::MAX` as an octet-string length: an index or an error.
    #[test]
    fn index_parsers_never_panic(arcs in prop::collection::vec(arc(), 0..12)) {
        let _ = parse_index::<u32>(&arcs);
        let _ = parse_index::<u16>(&arcs);
        let _ = parse_index::<(u32, u32)>(&arcs);
        let _ = parse_index::<(u32, u32, u32)>(&arcs);
        let _ = parse_index::<(u16, u32)>(&arcs);
        let _ = parse_index::<OctetsIndex>(&arcs);
        let _ = parse_index::<(u32, OctetsIndex)>(&arcs);
        let _ = parse_index::<(OctetsIndex, u32)>(&arcs);
    }

    /// The integer parsers accept exactly the right number of arcs, in range.
    #[test]
    fn integer_indexes_take_exactly_their_arcs(arcs in prop::collection::vec(arc(), 0..5)) {
        match arcs.len() {
            1 => {
                prop_assert_eq!(parse_index::<u32>(&arcs), Ok(arcs[0]));
                prop_assert_eq!(parse_index::<u16>(&arcs).is_ok(), arcs[0] <= 0xffff);
            }
            0 => {
                let missing = matches!(parse_index::<u32>(&arcs), Err(DecodeError::MissingArc { .. }));
                prop_assert!(missing);
            }
            n => prop_assert_eq!(parse_index::<u32>(&arcs), Err(DecodeError::Trailing { extra: n - 1 })),
        }
        match arcs.len() {
            2 => prop_assert_eq!(parse_index::<(u32, u32)>(&arcs), Ok((arcs[0], arcs[1]))),
            3 => prop_assert_eq!(parse_index::<(u32, u32, u32)>(&arcs), Ok((arcs[0], arcs[1], arcs[2]))),
            _ => prop_assert!(parse_index::<(u32, u32)>(&arcs).is_err() || arcs.len() == 2),
        }
    }

    /// A length-prefixed octet string index round-trips, also inside a composite index,
    /// and a length that promises more arcs than remain is an error, not a panic.
    #[test]
    fn octet_string_indexes_round_trip(b in prop::collection::vec(any::<u8>(), 0..20), lead in arc(), cut in 1usize..4) {
        let arcs = octets_arcs(&b);
        prop_assert_eq!(parse_index::<OctetsIndex>(&arcs), Ok(OctetsIndex(b.clone())));
        let mut composite = vec![lead];
        composite.extend(&arcs);
        prop_assert_eq!(parse_index::<(u32, OctetsIndex)>(&composite), Ok((lead, OctetsIndex(b.clone()))));
        if arcs.len() > cut {
            let short = &arcs[..arcs.len() - cut];
            prop_assert!(parse_index::<OctetsIndex>(short).is_err());
        }
        let mut trailing = arcs.clone();
        trailing.push(7);
        prop_assert_eq!(parse_index::<OctetsIndex>(&trailing), Err(DecodeError::Trailing { extra: 1 }));
    }

    /// An octet-string index arc above 255 is refused.
    #[test]
    fn octet_string_index_bytes_must_be_bytes(b in prop::collection::vec(any::<u8>(), 1..10), at in any::<prop::sample::Index>(), big in 256u32..) {
        let mut arcs = octets_arcs(&b);
        let i = 1 + at.index(b.len());
        arcs[i] = big;
        let is_out_of_range = matches!(parse_index::<OctetsIndex>(&arcs), Err(DecodeError::OutOfRange { .. }));
        prop_assert!(is_out_of_range);
    }

    /// A Cisco VLAN bitmap (four of them cover 0..4095): exactly the set bits, in order,
    /// within the bitmap's range; `ranges` writes them back as a list of real VLANs.
    #[test]
    fn vlan_bitmaps_decode_to_the_set_bits(b in prop::collection::vec(any::<u8>(), 0..140), base in prop::sample::select(vec![0u16, 1024, 2048, 3072])) {
        let got: Vec<u16> = vlans::bitmap_vlans(&b, base).collect();
        let want: Vec<u16> = (0..b.len().min(128) * 8)
            .filter(|&bit| b[bit / 8] & (0x80 >> (bit % 8)) != 0)
            .map(|bit| base + bit as u16)
            .collect();
        prop_assert_eq!(&got, &want);
        let text = vlans::ranges(got.iter().copied());
        let mut back = Vec::new();
        for part in text.split(',').filter(|p| !p.is_empty()) {
            let (a, z) = part.split_once('-').unwrap_or((part, part));
            let (a, z): (u16, u16) = (a.parse().unwrap(), z.parse().unwrap());
            prop_assert!(a <= z);
            back.extend(a..=z);
        }
        let real: Vec<u16> = got.into_iter().filter(|v| (1..=4094).contains(v)).collect();
        prop_assert_eq!(back, real);
    }

    /// BITS helpers on any bytes (a real value, or net-snmp's text rendering): no panic, and
    /// capability names come from the MIB's list, each once.
    #[test]
    fn bits_helpers_never_panic(raw in bytes()) {
        let _ = neighbours::bits_octets(&raw);
        let (cdp, _phone) = neighbours::cdp_capabilities(&raw);
        let lldp = neighbours::lldp_capabilities(&raw);
        for names in [&cdp, &lldp] {
            let mut sorted = names.clone();
            sorted.sort();
            sorted.dedup();
            prop_assert_eq!(sorted.len(), names.len(), "{:?}", names);
        }
    }
}

// ---------------------------------------------------------------------------------------
// decode::snapshot
// ---------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any values at the OIDs the decoders read: a snapshot, never a panic. It names its
    /// target, keeps the poller's problem lines first, has a status for every table group,
    /// serialises, and is the same when decoded twice.
    #[test]
    fn snapshot_of_an_arbitrary_walk_never_panics(walk in plan_walk()) {
        let s = decode::snapshot(&walk, "127.0.0.1:16100");
        prop_assert_eq!(&s.target, "127.0.0.1:16100");
        prop_assert!(s.problems.starts_with(&walk.problems), "{:?}", s.problems);
        for g in GROUPS {
            prop_assert!(s.tables.contains_key(g.name), "no status for {}", g.name);
        }
        let json = serde_json::to_string(&s);
        prop_assert!(json.is_ok(), "{:?}", json.err());
        prop_assert_eq!(&decode::snapshot(&walk, "127.0.0.1:16100"), &s);
    }
}

/// Which values are interchangeable for a decoder: numbers with numbers, bytes with bytes.
fn kind(v: &Value) -> u8 {
    match v {
        Value::Integer(_)
        | Value::Counter32(_)
        | Value::Gauge32(_)
        | Value::TimeTicks(_)
        | Value::Counter64(_) => 0,
        Value::OctetString(_) | Value::Opaque(_) => 1,
        Value::ObjectId(_) => 2,
        Value::IpAddress(_) => 3,
        Value::Null => 4,
    }
}

/// The poll plan's columns and scalars, longest first (so a cell's column is its longest
/// prefix).
fn plan_prefixes() -> Vec<&'static [u32]> {
    let mut v: Vec<&'static [u32]> = GROUPS
        .iter()
        .flat_map(|g| g.columns.iter().copied())
        .chain(SCALARS.iter().copied())
        .collect();
    v.sort_by_key(|p| std::cmp::Reverse(p.len()));
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(160))]

    /// A switch that answers one cell of a real device's walk with a value of the wrong
    /// kind (text where a number belongs, a number where text belongs...): the snapshot is
    /// either unchanged or says so in `problems`. A wrong type never changes what the
    /// checks see without a word.
    #[test]
    fn a_wrong_type_in_a_real_walk_never_changes_the_snapshot_silently(
        device in prop::sample::select(vec!["access48", "stack3", "nopoe", "misconfigured"]),
        at in any::<prop::sample::Index>(),
        replacement in any_value(),
    ) {
        let (walk, before) = decoded_fixture(device);
        let prefixes = plan_prefixes();
        let cells: Vec<(&Oid, &Value)> = walk
            .values
            .iter()
            .filter(|(o, _)| prefixes.iter().any(|p| o.starts_with(p)))
            .collect();
        prop_assume!(!cells.is_empty());
        let (oid, old) = cells[at.index(cells.len())];
        // NULL is how an absent cell may be kept: dropping a value is not a wrong type.
        prop_assume!(kind(&replacement) != kind(old) && replacement != Value::Null);
        let mut bad = walk.clone();
        bad.values.insert(oid.clone(), replacement.clone());
        let after = decode::snapshot(&bad, "sw");
        prop_assert!(
            after == *before || after.problems != before.problems,
            "{device}: {oid} {old:?} -> {replacement:?} changed the snapshot without a problem line"
        );
    }
}

/// The four fixtures decode, and a walk with every cell's value replaced by each other
/// kind in turn still decodes (a switch whose agent is thoroughly broken).
#[test]
fn every_cell_of_a_real_walk_wrongly_typed_at_once_still_decodes() {
    let replacements = [
        Value::Integer(-7),
        Value::OctetString(vec![0xff, 0x00, b'|']),
        Value::ObjectId(Oid(vec![0])),
        Value::IpAddress([255; 4]),
        Value::Counter64(u64::MAX),
        Value::Null,
    ];
    for device in ["access48", "stack3", "nopoe", "misconfigured"] {
        let (walk, clean) = decoded_fixture(device);
        for r in &replacements {
            let mut bad = walk.clone();
            for v in bad.values.values_mut() {
                if kind(v) != kind(r) {
                    *v = r.clone();
                }
            }
            let s = decode::snapshot(&bad, "sw");
            if *r != Value::Null {
                assert!(
                    s.problems.len() > clean.problems.len(),
                    "{device}: every cell as {r:?} gave no more problems than the clean walk"
                );
            }
        }
    }
    // An empty walk is an empty snapshot with every table absent.
    let empty = decode::snapshot(&Walk::default(), "sw");
    assert!(empty.interfaces.is_empty());
    assert!(
        empty
            .tables
            .values()
            .all(|t| *t == lanready_schema::TableStatus::Absent)
    );
}
