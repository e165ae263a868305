//! Real switches' conditions: answers capped at 1,500 bytes (IOS's `snmp-server
//! packetsize`), tooBig instead of trimming, a path that drops answers over 1,472 bytes (a
//! firewall dropping fragments), milliseconds of service time per answer (one request at a
//! time per switch), and a chassis with 180 VLANs' contexts. Each figure is a ratio against
//! a floor or a reference measured in the same run.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::*;

/// A v2c answer's framing around its varbinds for `community` (message, version,
/// community, PDU, request id, error status and index, the list's header), in bytes.
fn framing_bytes(community: &str) -> usize {
    4 + 3 + 2 + community.len() + 4 + 6 + 3 + 3 + 4
}

/// The fewest answers of at most `cap` bytes that carry what the poll plan needs from one
/// switch: one GET for the scalars, then per non-empty group its varbinds' encoded bytes
/// packed into answers of `cap` less the framing (and per VLAN context the same).
pub struct ByteFloor {
    pub requests: usize,
    pub bytes: usize,
    /// Per non-empty group: its name, varbinds, bytes and share of the floor.
    pub groups: Vec<(String, usize, usize, usize)>,
}

pub fn byte_floor(s: &Subject, data: &Dataset, cap: usize) -> ByteFloor {
    let mut requests = 1;
    let mut total = 0;
    let mut per = Vec::new();
    let mut add = |community: &str, groups: &[lanready_mibs::poll::Group]| {
        let Some(served) = data.served(community) else {
            return;
        };
        let room = cap - framing_bytes(community);
        for g in groups {
            let (n, bytes) = g
                .columns
                .iter()
                .map(|c| served.under(c))
                .fold((0, 0), |(n, b), (n2, b2)| (n + n2, b + b2));
            requests += bytes.div_ceil(room);
            total += bytes;
            if n > 0 {
                per.push((g.name.to_string(), n, bytes, bytes.div_ceil(room)));
            }
        }
    };
    add(&s.name, GROUPS);
    if s.vlan_contexts {
        for vlan in minimum::vlans(&s.walk) {
            add(&format!("{}@{vlan}", s.name), PER_VLAN_GROUPS);
        }
    }
    ByteFloor {
        requests,
        bytes: total,
        groups: per,
    }
}

/// One poll of `s` by the library against a responder with `opts`: the walk, the
/// responder's counts and the poll's own.
fn poll_once(
    s: &Subject,
    opts: &ResponderOptions,
) -> anyhow::Result<(
    Walk,
    lanready_tests::responder::Counts,
    lanready_snmp::PollStats,
)> {
    let responder = Responder::start(dataset(s)?, opts)?;
    let target = Target {
        address: responder.address(),
        credentials: Credentials::V2c {
            community: Secret::new(s.name.clone()),
        },
    };
    let popts = PollOptions {
        vlan_contexts: s.vlan_contexts,
        timeout: Duration::from_millis(500),
        ..PollOptions::default()
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (walk, stats) = rt
        .block_on(poll_with_stats(&target, &popts))
        .with_context(|| format!("polling {}", s.name))?;
    Ok((walk, responder.counts(0), stats))
}

/// Figures for one subject under a 1,500-byte cap and a fragment-dropping path.
pub struct CapFigures {
    pub name: String,
    pub floor: ByteFloor,
    /// Requests the agent sent with answers trimmed at 1,500 bytes.
    pub agent_trimmed: u64,
    /// The same with tooBig instead of trimming.
    pub agent_too_big: u64,
    /// net-snmp under the trimming cap (one `snmpget` and one `snmpbulkwalk` per column).
    pub netsnmp_trimmed: u64,
    /// Through a path dropping answers over 1,472 bytes: requests, answers lost, and
    /// whether the walk equals the clean one.
    pub dropped_requests: u64,
    pub dropped_lost: u64,
    pub dropped_equal: bool,
    pub clean_requests: u64,
}

fn measure_caps(s: &Subject) -> anyhow::Result<CapFigures> {
    eprintln!("[conditions] {}: caps", s.name);
    let data = dataset(s)?;
    let floor = byte_floor(s, &data, 1500);
    let (clean, clean_counts, _) = poll_once(s, &ResponderOptions::default())?;
    // IOS has no 64-varbind cap of snmpsim's: the answer's bytes are the limit.
    let trimmed_opts = ResponderOptions {
        max_message_size: 1500,
        max_varbinds: 100_000,
        ..ResponderOptions::default()
    };
    let (w, trimmed, _) = poll_once(s, &trimmed_opts)?;
    anyhow::ensure!(w == clean, "{}: the 1,500-byte poll differs", s.name);
    let (w, too_big, _) = poll_once(
        s,
        &ResponderOptions {
            too_big_bulk: true,
            ..trimmed_opts.clone()
        },
    )?;
    anyhow::ensure!(w == clean, "{}: the tooBig poll differs", s.name);
    let (w, dropped, _) = poll_once(
        s,
        &ResponderOptions {
            drop_over: Some(1472),
            ..ResponderOptions::default()
        },
    )?;
    let responder = Responder::start(dataset(s)?, &trimmed_opts)?;
    poller::netsnmp_walk(&responder.address(), s, 25)?;
    let netsnmp_trimmed = responder.counts(0).requests;
    Ok(CapFigures {
        name: s.name.clone(),
        floor,
        agent_trimmed: trimmed.requests,
        agent_too_big: too_big.requests,
        netsnmp_trimmed,
        dropped_requests: dropped.requests,
        dropped_lost: dropped.dropped,
        dropped_equal: w == clean,
        clean_requests: clean_counts.requests,
    })
}

/// A station's switches at a service time per answer.
pub struct StationFigures {
    pub switches: usize,
    pub service: Duration,
    /// `lanready-agent scan` of them all.
    pub wall: Duration,
    /// The busiest switch's time serving requests (its requests x the service time, as
    /// the responder's timer kept it).
    pub slowest_busy: Duration,
    pub slowest_requests: u64,
    pub total_requests: u64,
    pub agent_cpu: Cpu,
    /// `lanready-agent poll` of one of them alone.
    pub one_wall: Duration,
    pub one_requests: u64,
    pub one_busy: Duration,
}

impl StationFigures {
    pub fn critical_path(&self) -> Duration {
        self.slowest_busy
    }
}

fn station_plan(addresses: &[SocketAddr], community: &str) -> String {
    let mut t = String::from(
        "agent = \"lanready-bench\"\n\n[[sites]]\nname = \"station\"\n\
         voice_vlan = 110\ndata_vlan = 10\nswitches = [\n",
    );
    for a in addresses {
        t.push_str(&format!(
            "  {{ address = \"{a}\", community = \"{community}\" }},\n"
        ));
    }
    t.push_str("]\n");
    t
}

fn measure_station(
    s: &Subject,
    bin: &Path,
    switches: usize,
    service: Duration,
) -> anyhow::Result<StationFigures> {
    eprintln!(
        "[conditions] a station of {switches} {} at {service:?} an answer",
        s.name
    );
    let endpoints = (0..switches)
        .map(|_| Ok(("127.0.0.1:0".parse()?, dataset(s)?)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let responder = Responder::start_many(
        endpoints,
        &ResponderOptions {
            service_time: service,
            ..ResponderOptions::default()
        },
    )?;
    let dir = tempdir()?;
    let plan = dir.join("station.toml");
    std::fs::write(&plan, station_plan(responder.addresses(), &s.name))?;
    let mut wall = Duration::ZERO;
    let agent_cpu = child_cpu_of(|| {
        let mut cmd = Command::new(bin);
        cmd.env("RUST_LOG", "error")
            .arg("scan")
            .arg("--plan")
            .arg(&plan)
            .arg("--out")
            .arg(dir.join("report.json"));
        let t = Instant::now();
        run_checked(&mut cmd, "lanready-agent scan")?;
        wall = t.elapsed();
        Ok(())
    })?;
    let slowest = (0..switches)
        .map(|i| responder.counts(i))
        .max_by_key(|c| c.busy_us)
        .unwrap_or_default();
    let slowest_requests = slowest.requests;
    let slowest_busy = Duration::from_micros(slowest.busy_us);
    let total_requests = responder.total().requests;
    responder.reset_counts();
    let address = responder.addresses()[0].to_string();
    let t = Instant::now();
    let mut cmd = Command::new(bin);
    cmd.env("LANREADY_COMMUNITY", &s.name)
        .env("RUST_LOG", "error")
        .args(["poll", "--target", &address, "--format", "json"]);
    run_checked(&mut cmd, "lanready-agent poll")?;
    let one_wall = t.elapsed();
    let one_requests = responder.counts(0).requests;
    let one_busy = Duration::from_micros(responder.counts(0).busy_us);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(StationFigures {
        switches,
        service,
        wall,
        slowest_busy,
        slowest_requests,
        total_requests,
        agent_cpu,
        one_wall,
        one_requests,
        one_busy,
    })
}

/// VLANs of the chassis figure.
pub const CHASSIS_VLANS: u16 = 180;

/// `s` made a 6500-class chassis with `vlans` operational VLANs (2..), each context a copy
/// of the richest one `s` has.
fn chassis(s: &Subject, vlans: u16) -> anyhow::Result<Subject> {
    let mut walk = s.walk.clone();
    let model = walk
        .vlan_contexts
        .values()
        .max_by_key(|c| c.len())
        .cloned()
        .context("the subject has no VLAN context to copy")?;
    let state = |v: u16| {
        lanready_mibs::Oid(vec![
            1,
            3,
            6,
            1,
            4,
            1,
            9,
            9,
            46,
            1,
            3,
            1,
            1,
            2,
            1,
            u32::from(v),
        ])
    };
    walk.vlan_contexts.clear();
    for v in 2..2 + vlans {
        walk.values
            .insert(state(v), lanready_mibs::Value::Integer(1));
        walk.vlan_contexts.insert(v, model.clone());
    }
    Ok(Subject {
        name: format!("{}-{}vlans", s.name, vlans),
        files: Vec::new(),
        walk,
        vlan_contexts: true,
    })
}

pub struct ChassisFigures {
    pub name: String,
    pub vlans: usize,
    pub service: Duration,
    pub floor: usize,
    pub requests: u64,
    pub busy: Duration,
    pub wall: Duration,
    /// VLAN contexts the poll read (all of them, or the figure is void).
    pub contexts_read: usize,
}

fn measure_chassis(s: &Subject, service: Duration) -> anyhow::Result<ChassisFigures> {
    let c = chassis(s, CHASSIS_VLANS)?;
    eprintln!("[conditions] {} at {service:?} an answer", c.name);
    let floor = minimum::floor(
        &c.walk,
        lanready_snmp::DEFAULT_MAX_REPETITIONS as usize,
        DEFAULT_MAX_VARBINDS,
        true,
    )
    .requests;
    let t = Instant::now();
    let (walk, counts, _) = poll_once(
        &c,
        &ResponderOptions {
            service_time: service,
            ..ResponderOptions::default()
        },
    )?;
    let wall = t.elapsed();
    Ok(ChassisFigures {
        name: c.name,
        vlans: usize::from(CHASSIS_VLANS),
        service,
        floor,
        requests: counts.requests,
        busy: Duration::from_micros(counts.busy_us),
        wall,
        contexts_read: walk.vlan_contexts.len(),
    })
}

pub struct Conditions {
    pub caps: Vec<CapFigures>,
    pub station: Option<StationFigures>,
    pub chassis: Option<ChassisFigures>,
}

pub fn measure(subjects: &[Subject], bin: Option<&Path>) -> anyhow::Result<Conditions> {
    let caps = subjects
        .iter()
        .map(measure_caps)
        .collect::<anyhow::Result<Vec<_>>>()?;
    let (station, chassis) = match bin {
        Some(bin) => (
            Some(measure_station(
                &subjects[0],
                bin,
                30,
                Duration::from_millis(20),
            )?),
            Some(measure_chassis(&subjects[0], Duration::from_millis(5))?),
        ),
        None => (
            None,
            Some(measure_chassis(&subjects[0], Duration::from_millis(5))?),
        ),
    };
    Ok(Conditions {
        caps,
        station,
        chassis,
    })
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

fn ratio(a: f64, b: f64) -> String {
    format!("{:.2}x", a / b)
}

fn verdict(ok: bool) -> &'static str {
    if ok { "**met**" } else { "**missed**" }
}

/// The section, between its markers.
pub fn render(c: &Conditions) -> String {
    let mut t = String::from(
        "<!-- conditions:begin -->\n## 5. Real switches' conditions\n\n\
         Written by `cargo run --release -p lanready-bench -- conditions`. The responder \
         answers as in section 1, with switch-like limits added one at a time.\n\n\
         ### Answers capped at 1,500 bytes\n\n\
         Byte floor: one GET for the scalars plus, per non-empty table group, the encoded \
         bytes of its varbinds packed into answers of 1,500 bytes less the framing (no \
         request counted for a table's end or for learning which groups are empty). \
         Trimmed: the responder drops trailing varbinds to fit (RFC 3416 4.2.3, as IOS \
         does); tooBig: it answers tooBig instead. net-snmp: one `snmpget` and one \
         `snmpbulkwalk -Cr25` per column, trimmed. Target: trimmed <= 1.10x the floor.\n\n\
         | switch | needed bytes | byte floor | agent, trimmed | agent / floor | target | agent, tooBig | net-snmp, trimmed | agent / net-snmp |\n\
         |---|---|---|---|---|---|---|---|---|\n",
    );
    for f in &c.caps {
        let r = f.agent_trimmed as f64 / f.floor.requests as f64;
        t.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            f.name,
            f.floor.bytes,
            f.floor.requests,
            f.agent_trimmed,
            ratio(f.agent_trimmed as f64, f.floor.requests as f64),
            verdict(r <= 1.10),
            f.agent_too_big,
            f.netsnmp_trimmed,
            ratio(f.agent_trimmed as f64, f.netsnmp_trimmed as f64),
        ));
    }
    t.push_str(
        "\n### A path that drops answers over 1,472 bytes\n\n\
         A firewall that drops fragmented UDP: answers larger than one Ethernet frame never \
         arrive (the responder counts them). Timeout 500 ms, 2 retries. Target: the walk \
         equals the clean one, at most 3 answers lost.\n\n\
         | switch | clean requests | requests | answers lost | walk equals the clean one | target |\n\
         |---|---|---|---|---|---|\n",
    );
    for f in &c.caps {
        t.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            f.name,
            f.clean_requests,
            f.dropped_requests,
            f.dropped_lost,
            if f.dropped_equal { "yes" } else { "**no**" },
            verdict(f.dropped_equal && f.dropped_lost <= 3),
        ));
    }
    if let Some(st) = &c.station {
        let crit = st.critical_path();
        let one_floor = st.one_busy;
        t.push_str(&format!(
            "\n### A station at {svc} an answer\n\n\
             {n} `access48` switches, each an endpoint answering one request at a time after \
             {svc}, scanned by `lanready-agent scan` (poll, decode, checks, report; process \
             start included). Critical path: the busiest switch's time serving (its requests \
             x {svc}, as the responder's timer kept it: tokio sleeps round up to the next \
             millisecond, {per:.2} ms a request here). One switch alone: `lanready-agent poll \
             --format json` against its own requests' service time. Targets: the station \
             within 1.1x, one switch within 1.2x.\n\n\
             | figure | value | floor | ratio | target |\n|---|---|---|---|---|\n\
             | station wall time | {wall} | {crit} ({slow} requests) | {r1} | {v1} |\n\
             | requests, all switches | {total} | | | |\n\
             | agent CPU (user+sys) | {cpu:.1} ms ({cpu_share:.1}% of the wall time) | | | |\n\
             | one switch, `lanready-agent poll` | {one} | {onef} ({onen} requests) | {r2} | {v2} |\n",
            svc = ms(st.service),
            per = st.slowest_busy.as_secs_f64() * 1000.0 / st.slowest_requests.max(1) as f64,
            n = st.switches,
            wall = ms(st.wall),
            crit = ms(crit),
            slow = st.slowest_requests,
            r1 = ratio(st.wall.as_secs_f64(), crit.as_secs_f64()),
            v1 = verdict(st.wall.as_secs_f64() <= crit.as_secs_f64() * 1.1),
            total = st.total_requests,
            cpu = st.agent_cpu.total_us() as f64 / 1000.0,
            cpu_share = st.agent_cpu.total_us() as f64 / 10.0 / st.wall.as_secs_f64() / 1000.0,
            one = ms(st.one_wall),
            onef = ms(one_floor),
            onen = st.one_requests,
            r2 = ratio(st.one_wall.as_secs_f64(), one_floor.as_secs_f64()),
            v2 = verdict(st.one_wall.as_secs_f64() <= one_floor.as_secs_f64() * 1.2),
        ));
    }
    if let Some(ch) = &c.chassis {
        // The floor's requests at the service time the responder's timer gave.
        let wall_floor = ch.busy.mul_f64(ch.floor as f64 / ch.requests.max(1) as f64);
        t.push_str(&format!(
            "\n### A chassis with {v} VLANs at {svc} an answer\n\n\
             `{name}`: the 48-port fixture with {v} operational VLANs, each context serving \
             the fixture's largest per-VLAN bridge tables, answering one request at a time \
             after {svc}; `lanready-agent poll`. Floor: section 1's (64 varbinds an answer, \
             max-repetitions 64, the poll's default), every context included; wall floor: the floor x the service time as \
             the responder's timer kept it.\n\n\
             | figure | value | floor | ratio |\n|---|---|---|---|\n\
             | requests | {req} | {floor} | {r1} |\n\
             | wall time | {wall} | {wf} | {r2} |\n\
             | VLAN contexts read | {read} of {v} | | |\n",
            v = ch.vlans,
            svc = ms(ch.service),
            name = ch.name,
            req = ch.requests,
            floor = ch.floor,
            r1 = ratio(ch.requests as f64, ch.floor as f64),
            wall = ms(ch.wall),
            wf = ms(wall_floor),
            r2 = ratio(ch.wall.as_secs_f64(), wall_floor.as_secs_f64()),
            read = ch.contexts_read,
        ));
    }
    t.push_str(ANALYSIS);
    t.push_str("\n<!-- conditions:end -->");
    t
}

/// What dominates each figure, kept by hand beside the code that measures it.
const ANALYSIS: &str = "
### What dominates

- **1,500-byte cap, trimmed.** The group probe's answer comes trimmed too; a table's first
  short answer of the same size, with a row of every column read, settles that the agent
  trims (otherwise one single-varbind request tells trimming from a value snmp2 cannot
  decode). After that the poller asks for more rows than fit and takes each trimmed answer
  as it comes. What is left over the floor is the group probe (3 requests when trimmed),
  the rows past the end of a sparse group's empty columns in its first answer, and a table's
  last answer when its data ends near an answer's edge.
- **tooBig instead of trimming** costs about 2x the floor. A tooBig to a request planned no
  larger than answers that had arrived used to set the limit at that (short) estimate, and
  ENTITY-MIB went on one row a request; now the limit stays above what arrived and the
  estimates are scaled up. What remains is a table's first request, planned from guesses,
  meeting tooBig and halving. IOS trims rather than answering GETBULK with tooBig.
- **A path dropping fragments.** The losses are the group probe's first request (its answer
  size is a guess until one arrives) and a table's last answer whose rows past the end were
  larger than the table's own (ifStackTable running into ENTITY-MIB's descriptions,
  vtpVlanTable into the trunk bitmaps). After the first loss every answer is planned under
  1,472 bytes, hence the extra requests; the walk equals the clean one.
- **Service time.** With 20 ms an answer the station's wall time is its busiest switch's
  service time plus the agent's start, decode, checks and report; the agent's CPU is under a
  tenth of the wall time. One request in flight per switch, so nothing beats the critical
  path without pipelining, which a switch's single SNMP process would serialise anyway.
- **180 VLAN contexts** are read one after another, each in as few requests as its tables
  need (the per-VLAN bridge tables fit one or two answers), at the floor.
";
