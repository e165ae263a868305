//! The SNMP conversation with one switch: sessions (v2c, v3), GETBULK walks of the poll
//! plan's column groups, timeouts, retries and session rebuilds. Returns a
//! [`lanready_mibs::Walk`]; decoding it is the mibs crate's job.
//!
//! - `session`: one snmp2 session at a time per switch, every request under a timeout, a new
//!   session (and SNMPv3 engine discovery) after each timeout, answers copied out at once.
//! - `walker`: the scalars in one GET; one probe (GETBULK non-repeaters) tells which groups
//!   the switch has; each present group's unfinished columns in one GETBULK, each column ending
//!   when it leaves its subtree, at endOfMibView, or at a non-increasing OID.
//! - `vlan`: BRIDGE-MIB again in each operational VLAN's context, one short attempt each.
//!
//! Lines in `Walk::problems` start with what they are about: `TABLE: `, `VLAN N TABLE: `,
//! `VLAN N context: `, `VLAN contexts: ` or `scalars: ` (the decoder matches `TABLE:`).
//! Secrets never reach a message or a log line.

use std::time::Duration;

use lanready_mibs::Walk;
use tracing::{Instrument, debug, info};

use lanready_schema::secret::Secret;

mod ber;
mod budget;
mod collected;
#[cfg(test)]
mod fake;
mod session;
mod sizing;
mod target;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
mod vlan;
mod walker;

pub use budget::{DEFAULT_SCAN_MEMORY_BYTES, Held, MAX_BYTES_PER_SWITCH, ScanBudget};

/// One switch to poll.
#[derive(Clone, Debug)]
pub struct Target {
    /// `host:port` (port 161 when omitted), IPv4 or IPv6 (`[::1]:161`).
    pub address: String,
    pub credentials: Credentials,
}

impl Target {
    /// An SNMPv2c target.
    pub fn v2c(address: &str, community: &str) -> Target {
        Target {
            address: address.to_string(),
            credentials: Credentials::V2c {
                community: Secret::new(community),
            },
        }
    }
}

#[derive(Clone, Debug)]
pub enum Credentials {
    V2c { community: Secret },
    V3(V3Credentials),
}

#[derive(Clone, Debug)]
pub struct V3Credentials {
    pub user: String,
    /// None for noAuthNoPriv.
    pub auth: Option<(AuthProto, Secret)>,
    /// None for noPriv; needs `auth`.
    pub privacy: Option<(PrivProto, Secret)>,
    /// The SNMPv3 context name (empty for the default context).
    pub context: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthProto {
    Md5,
    Sha,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrivProto {
    Des,
    Aes,
    Aes192,
    Aes256,
}

impl AuthProto {
    /// The names a plan or a flag may use, as they are written (case is ignored).
    pub const NAMES: &[&str] = &["md5", "sha", "sha224", "sha256", "sha384", "sha512"];
}

impl std::str::FromStr for AuthProto {
    type Err = String;

    /// `md5`, `sha` (or `sha1`), `sha224`, `sha256`, `sha384`, `sha512`, in any case.
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "md5" => AuthProto::Md5,
            "sha" | "sha1" => AuthProto::Sha,
            "sha224" => AuthProto::Sha224,
            "sha256" => AuthProto::Sha256,
            "sha384" => AuthProto::Sha384,
            "sha512" => AuthProto::Sha512,
            other => {
                return Err(format!(
                    "{other:?} is not one of {}",
                    AuthProto::NAMES.join(", ")
                ));
            }
        })
    }
}

impl PrivProto {
    /// The names a plan or a flag may use, as they are written (case is ignored).
    pub const NAMES: &[&str] = &["des", "aes", "aes192", "aes256"];
}

impl std::str::FromStr for PrivProto {
    type Err = String;

    /// `des`, `aes` (or `aes128`), `aes192`, `aes256`, in any case.
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "des" => PrivProto::Des,
            "aes" | "aes128" => PrivProto::Aes,
            "aes192" => PrivProto::Aes192,
            "aes256" => PrivProto::Aes256,
            other => {
                return Err(format!(
                    "{other:?} is not one of {}",
                    PrivProto::NAMES.join(", ")
                ));
            }
        })
    }
}

/// GETBULK max-repetitions unless a plan or flag says otherwise: as many rows as the answer
/// holds (64 varbinds, or an agent's message size).
pub const DEFAULT_MAX_REPETITIONS: u32 = 64;

/// How to talk to a switch.
#[derive(Clone, Debug)]
pub struct PollOptions {
    /// Per request.
    pub timeout: Duration,
    /// Resends after a timeout (each on a new session).
    pub retries: u32,
    /// GETBULK max-repetitions: at most this many rows per column per request (RFC 3416:
    /// per repeater), cut so one answer carries at most 64 values, or, from an agent known
    /// to trim its answers to its message size, as many as fill one. The default, 64, lets
    /// the answer size decide; a lower value spares a switch whose CPU a large GETBULK
    /// strains.
    pub max_repetitions: u32,
    /// Also read BRIDGE-MIB in each VLAN's context.
    pub vlan_contexts: bool,
    /// At most this many requests a second to this switch (None: one request in flight, the
    /// next sent as soon as the answer comes). For a switch whose CPU an operator guards.
    pub max_requests_per_second: Option<f64>,
}

impl Default for PollOptions {
    fn default() -> Self {
        PollOptions {
            timeout: Duration::from_secs(2),
            retries: 2,
            max_repetitions: DEFAULT_MAX_REPETITIONS,
            vlan_contexts: true,
            max_requests_per_second: None,
        }
    }
}

/// Why a switch could not be read: where, and what went wrong. Displays as
/// `address: failure`; a snapshot, which already names its switch, shows the failure alone.
/// Never carries a secret.
#[derive(Debug, thiserror::Error)]
#[error("{address}: {failure}")]
pub struct PollError {
    /// The target as it was given.
    pub address: String,
    pub failure: Failure,
}

/// `1 attempt`, `3 attempts`.
fn attempts_text(n: &u32) -> String {
    if *n == 1 {
        "1 attempt".into()
    } else {
        format!("{n} attempts")
    }
}

/// What went wrong, in words that need no address.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error(
        "no answer after {} of {timeout:?} each (switch down, unreachable, wrong port, wrong community, or an SNMPv3 context the switch does not serve)",
        attempts_text(.attempts)
    )]
    Timeout { attempts: u32, timeout: Duration },
    #[error("unreachable: {reason}")]
    Unreachable { reason: String },
    #[error("SNMPv3 authentication failed for user {user:?} (wrong user, auth key or privacy key)")]
    AuthFailure { user: String },
    #[error("{reason}")]
    Protocol { reason: String },
    #[error("invalid settings: {reason}")]
    Config { reason: String },
}

impl Failure {
    /// Nothing answered: a timeout, or nothing there to answer (a sweep skips these).
    pub fn is_unanswered(&self) -> bool {
        matches!(self, Failure::Timeout { .. } | Failure::Unreachable { .. })
    }

    /// The switch answered, but no other table will read better: wrong credentials or
    /// settings. A poll stops at these instead of naming the tables it did not read.
    pub fn ends_the_poll(&self) -> bool {
        matches!(self, Failure::AuthFailure { .. } | Failure::Config { .. })
    }
}

impl PollError {
    pub(crate) fn new(address: &str, failure: Failure) -> Self {
        PollError {
            address: address.to_string(),
            failure,
        }
    }
}

/// What a poll cost: requests sent (PDUs, including retries and SNMPv3 engine discovery),
/// answers received, varbinds read, timeouts, sessions built.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PollStats {
    pub requests: u64,
    pub responses: u64,
    pub varbinds: u64,
    pub timeouts: u64,
    pub sessions: u64,
    /// Wall time of the whole poll.
    pub elapsed: Duration,
}

impl PollStats {
    pub(crate) fn add(&mut self, o: &PollStats) {
        self.requests += o.requests;
        self.responses += o.responses;
        self.varbinds += o.varbinds;
        self.timeouts += o.timeouts;
        self.sessions += o.sessions;
    }
}

/// Polls one switch: the poll plan's scalars and groups, then (when asked) BRIDGE-MIB in each
/// VLAN context.
///
/// Fails only when the switch cannot be read at all (the first request). A switch that stops
/// answering mid-walk gives the walk read so far, with a `TABLE: not read: ...` problem for
/// each table it misses; a VLAN context that fails is a `VLAN N context: ...` problem.
pub async fn poll(target: &Target, opts: &PollOptions) -> Result<Walk, PollError> {
    poll_with_stats(target, opts).await.map(|(w, _)| w)
}

/// [`poll`], also saying how many requests it took.
pub async fn poll_with_stats(
    target: &Target,
    opts: &PollOptions,
) -> Result<(Walk, PollStats), PollError> {
    let mut held = ScanBudget::unshared().hold();
    let span = tracing::info_span!("poll", target = %target.address);
    run_poll(target, opts, &mut held).instrument(span).await
}

/// [`poll_with_stats`] as one of a scan's polls: what it reads is charged to the scan's
/// `budget` and held until the returned [`Held`] is dropped, which must not be before the
/// walk is. A poll that finds the scan's budget spent reads no more tables and names them.
pub async fn poll_in_scan(
    target: &Target,
    opts: &PollOptions,
    budget: &ScanBudget,
) -> Result<(Walk, PollStats, Held), PollError> {
    let mut held = budget.hold();
    let (walk, stats) = run_poll(target, opts, &mut held).await?;
    Ok((walk, stats, held))
}

/// The most values read from one switch (all tables together). A real access switch or
/// stack returns a few thousand to a few tens of thousands; beyond this the poll stops and
/// names the tables not read, so one hostile agent cannot exhaust the agent's memory.
pub const MAX_VALUES_PER_SWITCH: usize = 250_000;

async fn run_poll(
    target: &Target,
    opts: &PollOptions,
    held: &mut Held,
) -> Result<(Walk, PollStats), PollError> {
    let started = tokio::time::Instant::now();
    let address = target.address.as_str();
    target::validate(address, &target.credentials)?;
    if opts.timeout.is_zero() {
        return Err(PollError::new(
            address,
            Failure::Config {
                reason: "the timeout is zero".into(),
            },
        ));
    }
    let addr = target::resolve(address).await?;
    let login = target.credentials.clone();
    let mut client = session::Client::new(
        address,
        addr,
        login.clone(),
        opts.timeout,
        opts.retries.saturating_add(1),
    )
    .with_rate(opts.max_requests_per_second);
    let mut walk = Walk::default();
    let mut values = collected::Collected::with_capacity(1024);
    let max_repetitions = opts.max_repetitions.max(1);
    // The first request (the scalars) decides whether the switch answers at all.
    let mut stopped = false;
    let result = async {
        let mut sink = collected::Sink {
            values: &mut values,
            problems: &mut walk.problems,
            held: &mut *held,
        };
        walker::scalars(&mut client, lanready_mibs::poll::SCALARS, &mut sink).await?;
        let groups = lanready_mibs::poll::GROUPS;
        let probed = walker::probe(&mut client, groups).await;
        let present = |j: usize| probed[j];
        // The present few-row groups are walked together, where the first of them stands.
        let few: Vec<usize> = (0..groups.len())
            .filter(|&j| present(j) && lanready_mibs::poll::FEW_ROWS.contains(&groups[j].name))
            .collect();
        for (i, g) in groups.iter().enumerate() {
            if !present(i) || (few.contains(&i) && few.first() != Some(&i)) {
                continue;
            }
            let unit: Vec<usize> = if few.first() == Some(&i) {
                few.clone()
            } else {
                vec![i]
            };
            if let Some(why) = sink.held.spent() {
                for &j in &unit {
                    sink.problems
                        .push(format!("{}: not read: {why}", groups[j].name));
                }
                continue;
            }
            if sink.values.len() >= MAX_VALUES_PER_SWITCH {
                // A hostile or broken agent (endless tables everywhere) must not take the
                // agent's memory: stop reading this switch and say which tables were not read.
                for &j in &unit {
                    sink.problems.push(format!(
                        "{}: not read: the switch already returned {} values, the most lanready reads from one switch",
                        groups[j].name,
                        sink.values.len()
                    ));
                }
                continue;
            }
            let members: Vec<(&lanready_mibs::poll::Group, &str)> =
                unit.iter().map(|&j| (&groups[j], groups[j].name)).collect();
            match walker::groups(&mut client, &members, max_repetitions, &mut sink).await {
                Ok(_) => {}
                Err(e) if e.failure.ends_the_poll() => return Err(e),
                Err(e) => {
                    // The switch stopped answering mid-walk: keep what was read, and say
                    // which tables were not (each line names its table). Tables the probe
                    // found absent stay absent.
                    debug!(table = g.name, error = %e, "Walk stopped.");
                    for &j in &unit {
                        sink.problems
                            .push(format!("{}: not read: {}", groups[j].name, e.failure));
                    }
                    for (k, rest) in groups.iter().enumerate().skip(i + 1) {
                        if present(k) && !unit.contains(&k) {
                            sink.problems.push(format!(
                                "{}: not read: the walk stopped at {}",
                                rest.name, g.name
                            ));
                        }
                    }
                    stopped = true;
                    break;
                }
            }
        }
        Ok::<(), PollError>(())
    }
    .await;
    walk.values = collected::into_tree(values);
    let mut stats = client.stats;
    if let Err(e) = result {
        debug!(message = "Poll failed.", error = %e);
        return Err(e);
    }
    if opts.vlan_contexts && !stopped {
        let vstats = vlan::walk_contexts(&mut client, opts, &mut walk, held).await;
        stats.add(&vstats);
    }
    stats.elapsed = started.elapsed();
    info!(
        values = walk.values.len(),
        vlan_contexts = walk.vlan_contexts.len(),
        problems = walk.problems.len(),
        requests = stats.requests,
        timeouts = stats.timeouts,
        elapsed_ms = stats.elapsed.as_millis() as u64,
        "Polled."
    );
    Ok((walk, stats))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Callers poll many switches at once with `tokio::spawn`: the future must be `Send`.
    #[test]
    fn the_poll_future_can_be_spawned() {
        fn spawnable<F: std::future::Future + Send + 'static>(_: F) {}
        let t = Target {
            address: "127.0.0.1:1".into(),
            credentials: Credentials::V2c {
                community: Secret::new("public"),
            },
        };
        spawnable(async move { poll_with_stats(&t, &PollOptions::default()).await });
    }

    #[test]
    fn errors_say_where_and_never_the_secret() {
        let e = PollError::new("sw1:161", Failure::AuthFailure { user: "ops".into() });
        assert_eq!(e.to_string(), format!("sw1:161: {}", e.failure));
        assert_eq!(
            e.failure.to_string(),
            "SNMPv3 authentication failed for user \"ops\" (wrong user, auth key or privacy key)"
        );
        let t = Target {
            address: "sw1".into(),
            credentials: Credentials::V3(V3Credentials {
                user: "ops".into(),
                auth: Some((AuthProto::Sha, Secret::new("hunter2hunter2"))),
                privacy: Some((PrivProto::Aes, Secret::new("swordfish99"))),
                context: String::new(),
            }),
        };
        let dbg = format!("{t:?}");
        assert!(
            !dbg.contains("hunter2") && !dbg.contains("swordfish"),
            "{dbg}"
        );
    }
}
