//! One SNMP conversation partner: builds snmp2 sessions (v2c, v3 with engine discovery),
//! sends one request at a time under a timeout, rebuilds the session after a timeout, resends
//! after `AuthUpdated`, and copies every answer out of snmp2's buffer into owned values.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Duration;

use lanready_mibs::Value;
use snmp2::AsyncSession;
use snmp2::v3::{self, KeyExtension};
use tokio::time::timeout;
use tracing::{debug, trace};

use super::ber::{own, to_snmp_oid};
use super::sizing::{self, Estimate, Path};
use super::{AuthProto, Credentials, Failure, PollError, PollStats, PrivProto, V3Credentials};
use lanready_schema::secret::Secret;

/// SNMP error-status tooBig.
pub(crate) const TOO_BIG: u32 = 1;

/// How many `AuthUpdated` answers in a row are resent before giving up.
const MAX_AUTH_UPDATES: u32 = 4;

/// A request the walker sends.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Request<'a> {
    /// GET of these OIDs.
    Get(&'a [Vec<u32>]),
    /// GETBULK with every OID a repeater (non-repeaters 0). `row_bytes` is the walker's
    /// estimate of one repetition's varbinds, in bytes: a retry after a silence asks for
    /// fewer rows, sized by it.
    Bulk {
        oids: &'a [Vec<u32>],
        max_repetitions: u32,
        row_bytes: usize,
    },
    /// GETBULK with every OID a non-repeater (max-repetitions 0): the next OID after each,
    /// as one GETNEXT of all of them would.
    Next(&'a [Vec<u32>]),
}

impl Request<'_> {
    fn oids(&self) -> &[Vec<u32>] {
        match self {
            Request::Get(o) => o,
            Request::Bulk { oids, .. } => oids,
            Request::Next(o) => o,
        }
    }
}

/// One varbind's value as received, owned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Item {
    Value(Value),
    EndOfMibView,
    NoSuchObject,
    NoSuchInstance,
    /// A value snmp2 decoded but lanready has no use for (BOOLEAN, a constructed type, an
    /// OID with an arc beyond 32 bits), by type name.
    Unsupported(&'static str),
}

/// An answer, owned. `varbinds` may be shorter than what was asked for when snmp2 could
/// not decode a varbind (its iterator stops there), or when the agent trimmed the answer to
/// its message size.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Response {
    pub error_status: u32,
    pub error_index: u32,
    pub varbinds: Vec<(Vec<u32>, Item)>,
    /// What the request that was answered asked for: a retry after a silence asks for less
    /// than the walker did (fewer rows of a GETBULK, the first OIDs of a `Next`).
    pub sent: Sent,
    /// The answer's size as sent, in bytes (its varbinds' encodings and the framing).
    pub bytes: usize,
    /// Each varbind's encoded size, in bytes, beside `varbinds`.
    pub sizes: Vec<u32>,
}

/// How much of a request was sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Sent {
    /// OIDs in the request.
    pub oids: usize,
    /// GETBULK max-repetitions (0 for GET and `Next`).
    pub max_repetitions: u32,
}

/// The login in VLAN contexts, and the SNMPv3 user for messages.
impl Credentials {
    /// The same login in one VLAN's context: `community@VLAN` (Cisco community-string
    /// indexing) or SNMPv3 context `vlan-VLAN`.
    pub(crate) fn for_vlan(&self, vlan: u16) -> Credentials {
        match self {
            Credentials::V2c { community } => Credentials::V2c {
                community: Secret::new(format!("{}@{vlan}", community.expose())),
            },
            Credentials::V3(creds) => Credentials::V3(V3Credentials {
                context: format!("vlan-{vlan}"),
                ..creds.clone()
            }),
        }
    }

    fn user(&self) -> Option<&str> {
        match self {
            Credentials::V2c { .. } => None,
            Credentials::V3(creds) => Some(&creds.user),
        }
    }

    /// The bytes of an answer's framing around its varbinds with this login.
    pub(crate) fn framing_bytes(&self) -> usize {
        match self {
            Credentials::V2c { community } => sizing::v2c_framing_bytes(community.expose()),
            Credentials::V3(c) => sizing::v3_framing_bytes(&c.user, &c.context),
        }
    }
}

/// A fresh request id for each session, so a late answer never matches a new request.
fn next_request_id() -> i32 {
    static NEXT: AtomicI32 = AtomicI32::new(0);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as i32 & 0x3fff_ffff)
        .unwrap_or(1);
    let _ = NEXT.compare_exchange(0, seed.max(1), Ordering::Relaxed, Ordering::Relaxed);
    NEXT.fetch_add(100_000, Ordering::Relaxed) & 0x3fff_ffff
}

/// Why a session could not be built.
enum OpenError {
    Socket(std::io::Error),
    Snmp(snmp2::Error),
}

/// Talks with one agent in one context: one request in flight, `attempts` tries of `timeout`
/// each, a new session after every timeout.
pub(crate) struct Client {
    /// The address as given, for messages.
    address: String,
    addr: SocketAddr,
    login: Credentials,
    timeout: Duration,
    attempts: u32,
    session: Option<AsyncSession>,
    /// For AES-192/256 with MD5/SHA-1: which key extension works (Reeder first).
    key_extension: Option<KeyExtension>,
    key_extension_switched: bool,
    pub(crate) stats: PollStats,
    /// What this switch's answers may be: learned here, shared with its VLAN contexts.
    pub(crate) path: Path,
    /// The least time between two requests sent (the plan's requests-per-second cap).
    spacing: Option<Duration>,
}

impl Client {
    pub(crate) fn new(
        address: &str,
        addr: SocketAddr,
        login: Credentials,
        timeout: Duration,
        attempts: u32,
    ) -> Client {
        let path = Path::new(login.framing_bytes());
        Client {
            address: address.to_string(),
            addr,
            login,
            timeout,
            attempts: attempts.max(1),
            session: None,
            key_extension: None,
            key_extension_switched: false,
            stats: PollStats::default(),
            path,
            spacing: None,
        }
    }

    /// A client for one VLAN's context of the same switch: its login indexed by the VLAN,
    /// the key extension that worked, the same requests-per-second cap, and what this client
    /// learned of the switch's answers (the same agent on the same path). Give its path back
    /// with [`Client::learn_from`].
    pub(crate) fn for_vlan(&self, vlan: u16, timeout: Duration, attempts: u32) -> Client {
        let mut c = Client::new(
            &self.address,
            self.addr,
            self.login.for_vlan(vlan),
            timeout,
            attempts,
        )
        .with_key_extension(self.key_extension);
        c.path = self.path.clone().with_framing(c.login.framing_bytes());
        c.spacing = self.spacing;
        c
    }

    /// Takes back what a VLAN context's client learned of the switch's answers.
    pub(crate) fn learn_from(&mut self, other: &Client) {
        self.path = other.path.clone().with_framing(self.login.framing_bytes());
    }

    /// Sends at most `per_second` requests a second (None: as fast as answers come).
    pub(crate) fn with_rate(mut self, per_second: Option<f64>) -> Client {
        self.spacing = per_second
            .filter(|r| r.is_finite() && *r > 0.0)
            .map(|r| Duration::from_secs_f64(1.0 / r));
        self
    }

    /// The estimated bytes of the varbinds `req` would bring, unscaled.
    fn estimate(req: &Request<'_>) -> usize {
        match req {
            Request::Get(oids) | Request::Next(oids) => oids
                .iter()
                .map(|o| sizing::guess_varbind_bytes(o))
                .sum::<usize>(),
            Request::Bulk {
                oids,
                max_repetitions,
                row_bytes,
            } => (*max_repetitions as usize) * (*row_bytes).max(oids.len()),
        }
    }

    /// The answer size, in bytes, `req` would bring.
    fn planned_bytes(&self, req: &Request<'_>) -> usize {
        self.path.planned(Self::kind(req), Self::estimate(req))
    }

    /// How `req`'s answer is estimated.
    fn kind(req: &Request<'_>) -> Estimate {
        match req {
            Request::Bulk { .. } => Estimate::Rows,
            Request::Get(_) | Request::Next(_) => Estimate::Guesses,
        }
    }

    /// `req` cut so that its answer should fit `bytes`: fewer rows of a GETBULK, the first
    /// OIDs of a `Next` (at least one row, one OID; never more than half of them, as a
    /// guess at where each OID's next lands is poor). A GET is sent whole.
    fn fit<'a>(&self, req: Request<'a>, bytes: usize) -> Request<'a> {
        let room = self.path.room(Self::kind(&req), bytes);
        match req {
            Request::Get(_) => req,
            Request::Bulk {
                oids,
                max_repetitions,
                row_bytes,
            } => Request::Bulk {
                oids,
                max_repetitions: u32::try_from(room / row_bytes.max(1))
                    .unwrap_or(u32::MAX)
                    .clamp(1, max_repetitions.max(1)),
                row_bytes,
            },
            Request::Next(oids) => {
                let k = sizing::oids_that_fit(oids.iter().map(Vec::as_slice), room);
                Request::Next(&oids[..k.min(oids.len() / 2).max(1)])
            }
        }
    }

    /// Waits until the plan's requests-per-second cap allows the next request.
    async fn pace(&mut self) {
        if let (Some(spacing), Some(last)) = (self.spacing, self.path.last_sent) {
            tokio::time::sleep_until(last + spacing).await;
        }
        self.path.last_sent = Some(tokio::time::Instant::now());
    }

    /// Starts with a key extension method known to work, so a VLAN context does not try the
    /// wrong one first.
    pub(crate) fn with_key_extension(mut self, k: Option<KeyExtension>) -> Client {
        self.key_extension = k;
        self
    }

    fn timeout_error(&self) -> PollError {
        self.error(Failure::Timeout {
            attempts: self.attempts,
            timeout: self.timeout,
        })
    }

    fn auth_failure(&self) -> PollError {
        self.error(Failure::AuthFailure {
            user: self.login.user().unwrap_or_default().to_string(),
        })
    }

    fn protocol(&self, reason: String) -> PollError {
        self.error(Failure::Protocol { reason })
    }

    fn error(&self, failure: Failure) -> PollError {
        PollError::new(&self.address, failure)
    }

    /// Maps an snmp2 error that retrying will not cure.
    fn fatal(&self, e: &snmp2::Error) -> PollError {
        use snmp2::Error as E;
        match e {
            E::Receive => self.error(Failure::Unreachable {
                reason: "nothing listens on that UDP port (the host refused the request with ICMP port unreachable)".into(),
            }),
            E::Send => self.error(Failure::Unreachable {
                reason: "the request could not be sent (no route to the host?)".into(),
            }),
            E::AuthFailure(_) | E::Crypto(_) => self.auth_failure(),
            E::AsnWrongType => match &self.login {
                // An SNMPv3 REPORT where a RESPONSE was due: the agent refused the request.
                Credentials::V3(creds) => self.protocol(format!(
                    "the switch answered with an SNMPv3 report instead of data (is context {:?} configured and allowed for user {:?}?)",
                    creds.context, creds.user
                )),
                Credentials::V2c { .. } => {
                    self.protocol("the switch answered with an unexpected PDU type".into())
                }
            },
            E::CommunityMismatch => {
                self.protocol("the answer carried a different community than the request".into())
            }
            other => self.protocol(format!("could not read the switch's answer: {other}")),
        }
    }

    /// Builds a session; for SNMPv3 runs engine discovery (one request).
    async fn open(&mut self) -> Result<AsyncSession, OpenError> {
        self.stats.sessions += 1;
        let id = next_request_id();
        match &self.login {
            Credentials::V2c { community } => {
                AsyncSession::new_v2c(self.addr, community.expose().as_bytes(), id)
                    .await
                    .map_err(OpenError::Socket)
            }
            Credentials::V3(creds) => {
                let security = security(creds, self.key_extension);
                let mut s = AsyncSession::new_v3(self.addr, id, security)
                    .await
                    .map_err(OpenError::Socket)?;
                self.stats.requests += 1;
                s.init().await.map_err(OpenError::Snmp)?;
                self.stats.responses += 1;
                Ok(s)
            }
        }
    }

    /// Sends `req` and returns the owned answer, retrying on timeouts with a new session.
    ///
    /// A retry after a silence asks for a smaller answer (the next step of
    /// [`sizing::STEPS`] below what went unanswered): a path that loses large answers is read
    /// on its retries, and a switch that answers nothing costs no more attempts. What each
    /// answer and silence says about the path is kept in [`Client::path`].
    pub(crate) async fn request(&mut self, req: Request<'_>) -> Result<Response, PollError> {
        let mut attempt = 0u32;
        let mut auth_updates = 0u32;
        let mut req = req;
        let mut planned = self.planned_bytes(&req);
        loop {
            if self.session.is_none() {
                match timeout(self.timeout, self.open()).await {
                    Err(_) => {
                        self.stats.timeouts += 1;
                        attempt += 1;
                        debug!(attempt, "No answer to SNMPv3 engine discovery.");
                        if attempt >= self.attempts {
                            return Err(self.timeout_error());
                        }
                        continue;
                    }
                    Ok(Err(OpenError::Socket(e))) => {
                        return Err(self.protocol(format!("opening a UDP socket: {e}")));
                    }
                    Ok(Err(OpenError::Snmp(e))) => return Err(self.fatal(&e)),
                    Ok(Ok(s)) => self.session = Some(s),
                }
            }
            self.pace().await;
            let Some(session) = self.session.as_mut() else {
                continue;
            };
            self.stats.requests += 1;
            trace!(?req, "Sending.");
            match timeout(self.timeout, exchange(session, req)).await {
                Err(_) => {
                    // The late answer would stay queued in this socket: start afresh.
                    self.session = None;
                    self.stats.timeouts += 1;
                    self.path.silent(Self::kind(&req), planned);
                    attempt += 1;
                    debug!(attempt, planned, "No answer; rebuilding the session.");
                    if attempt >= self.attempts {
                        return Err(self.timeout_error());
                    }
                    // A `Next`'s answer is a guess (where each OID's next lands, and what it
                    // holds): its retry asks for the smallest answer, then learns the scale.
                    let target = match req {
                        Request::Next(_) => sizing::MIN_ANSWER_BYTES,
                        _ => sizing::step_below(planned),
                    };
                    let smaller = self.fit(req, target);
                    let smaller_bytes = self.planned_bytes(&smaller);
                    if smaller_bytes < planned {
                        debug!(
                            from = planned,
                            to = smaller_bytes,
                            "Asking for a smaller answer."
                        );
                        (req, planned) = (smaller, smaller_bytes);
                    }
                }
                Ok(Ok(mut resp)) => {
                    self.stats.responses += 1;
                    self.stats.varbinds += resp.varbinds.len() as u64;
                    resp.bytes = self.path.framing_bytes()
                        + resp.sizes.iter().map(|&b| b as usize).sum::<usize>();
                    resp.sent = Sent {
                        oids: req.oids().len(),
                        max_repetitions: match req {
                            Request::Bulk {
                                max_repetitions, ..
                            } => max_repetitions,
                            _ => 0,
                        },
                    };
                    if resp.error_status == TOO_BIG {
                        self.path.too_big(Self::kind(&req), planned);
                    } else {
                        // Every varbind asked for: one per OID, or per OID and row.
                        let whole = resp.sent.oids * resp.sent.max_repetitions.max(1) as usize;
                        if resp.varbinds.len() == whole && resp.error_status == 0 {
                            self.path
                                .calibrate(Self::kind(&req), Self::estimate(&req), resp.bytes);
                        }
                        self.path.arrived(resp.bytes);
                    }
                    return Ok(resp);
                }
                Ok(Err(snmp2::Error::AuthUpdated)) => {
                    self.stats.responses += 1;
                    auth_updates += 1;
                    if auth_updates > MAX_AUTH_UPDATES {
                        return Err(self.protocol(
                            "the SNMPv3 engine kept changing its boots/time; giving up".into(),
                        ));
                    }
                }
                Ok(Err(snmp2::Error::RequestIdMismatch)) => {
                    self.stats.responses += 1;
                    self.session = None;
                    attempt += 1;
                    debug!(
                        attempt,
                        "An answer to an older request; rebuilding the session."
                    );
                    if attempt >= self.attempts {
                        return Err(self.protocol(
                            "the switch kept answering with the wrong request id".into(),
                        ));
                    }
                }
                Ok(Err(e @ (snmp2::Error::AuthFailure(_) | snmp2::Error::Crypto(_)))) => {
                    self.stats.responses += 1;
                    if self.try_other_key_extension().await? {
                        continue;
                    }
                    debug!(error = %e, "SNMPv3 authentication failed.");
                    return Err(self.auth_failure());
                }
                Ok(Err(e)) => return Err(self.fatal(&e)),
            }
        }
    }

    /// For AES-192/256 keys derived with MD5/SHA-1 there are two extension methods in use:
    /// after an authentication failure with Reeder (Cisco's), try Blumenthal once.
    async fn try_other_key_extension(&mut self) -> Result<bool, PollError> {
        let Credentials::V3(creds) = &self.login else {
            return Ok(false);
        };
        if self.key_extension_switched || !needs_key_extension(creds) {
            return Ok(false);
        }
        self.key_extension_switched = true;
        let Some(session) = self.session.as_mut() else {
            return Ok(false);
        };
        self.stats.requests += 1;
        match timeout(self.timeout, session.try_another_key_extension_method()).await {
            Ok(Ok(Some(method))) => {
                self.stats.responses += 1;
                debug!(?method, "Trying the other AES key extension method.");
                self.key_extension = Some(method);
                Ok(true)
            }
            Ok(Ok(None)) => Ok(false),
            Ok(Err(e)) => {
                self.stats.responses += 1;
                Err(self.fatal(&e))
            }
            Err(_) => {
                self.stats.timeouts += 1;
                self.session = None;
                self.key_extension =
                    Some(self.key_extension.unwrap_or(KeyExtension::Reeder).other());
                Ok(true)
            }
        }
    }
}

fn needs_key_extension(c: &V3Credentials) -> bool {
    match (&c.auth, &c.privacy) {
        (Some((a, _)), Some((p, _))) => cipher(*p).priv_key_needs_extension(&auth_protocol(*a)),
        _ => false,
    }
}

fn auth_protocol(p: AuthProto) -> v3::AuthProtocol {
    match p {
        AuthProto::Md5 => v3::AuthProtocol::Md5,
        AuthProto::Sha => v3::AuthProtocol::Sha1,
        AuthProto::Sha224 => v3::AuthProtocol::Sha224,
        AuthProto::Sha256 => v3::AuthProtocol::Sha256,
        AuthProto::Sha384 => v3::AuthProtocol::Sha384,
        AuthProto::Sha512 => v3::AuthProtocol::Sha512,
    }
}

fn cipher(p: PrivProto) -> v3::Cipher {
    match p {
        PrivProto::Des => v3::Cipher::Des,
        PrivProto::Aes => v3::Cipher::Aes128,
        PrivProto::Aes192 => v3::Cipher::Aes192,
        PrivProto::Aes256 => v3::Cipher::Aes256,
    }
}

/// snmp2's security settings for `c`. (Its `Debug` shows the keys: never log it.)
fn security(c: &V3Credentials, extension: Option<KeyExtension>) -> v3::Security {
    let auth_key = c.auth.as_ref().map(|(_, k)| k.expose()).unwrap_or("");
    let mut s =
        v3::Security::new(c.user.as_bytes(), auth_key.as_bytes()).with_context_name(&c.context);
    s = match (&c.auth, &c.privacy) {
        (None, _) => s.with_auth(v3::Auth::NoAuthNoPriv),
        (Some((a, _)), None) => s
            .with_auth_protocol(auth_protocol(*a))
            .with_auth(v3::Auth::AuthNoPriv),
        (Some((a, _)), Some((p, key))) => {
            s.with_auth_protocol(auth_protocol(*a))
                .with_auth(v3::Auth::AuthPriv {
                    cipher: cipher(*p),
                    privacy_password: key.expose().as_bytes().to_vec(),
                })
        }
    };
    if needs_key_extension(c) {
        s = s.with_key_extension_method(extension.unwrap_or(KeyExtension::Reeder));
    }
    s
}

/// One request and its answer, copied out of the session's buffer.
async fn exchange(session: &mut AsyncSession, req: Request<'_>) -> Result<Response, snmp2::Error> {
    let oids = req
        .oids()
        .iter()
        .map(|arcs| to_snmp_oid(arcs))
        .collect::<Result<Vec<_>, _>>()?;
    let refs: Vec<&snmp2::Oid<'_>> = oids.iter().collect();
    let pdu = match req {
        Request::Get(_) => session.get_many(&refs).await?,
        Request::Bulk {
            max_repetitions, ..
        } => session.getbulk(&refs, 0, max_repetitions).await?,
        Request::Next(o) => session.getbulk(&refs, o.len() as u32, 0).await?,
    };
    Ok(own(&pdu))
}

#[cfg(test)]
mod tests {
    use super::super::ber::*;
    use super::super::target::*;
    use super::*;

    fn v3(auth: Option<&str>, privacy: Option<&str>) -> Credentials {
        Credentials::V3(V3Credentials {
            user: "ops".into(),
            auth: auth.map(|k| (AuthProto::Sha, Secret::new(k))),
            privacy: privacy.map(|k| (PrivProto::Aes, Secret::new(k))),
            context: String::new(),
        })
    }

    /// OIDs are encoded as asn1-rs encodes them, and refused where it refuses them.
    #[test]
    fn ber_octets_agree_with_asn1_rs() {
        use rand::{Rng, SeedableRng};
        let reference = |arcs: &[u32]| -> Option<Vec<u8>> {
            let wide: Vec<u64> = arcs.iter().map(|&a| u64::from(a)).collect();
            snmp2::Oid::from(&wide).ok().map(|o| o.as_bytes().to_vec())
        };
        let mut cases: Vec<Vec<u32>> = vec![
            vec![],
            vec![0],
            vec![1],
            vec![1, 3],
            vec![1, 3, 6, 1, 2, 1, 2, 2, 1, 1, 10101],
            vec![
                1,
                3,
                6,
                1,
                4,
                1,
                9,
                9,
                402,
                1,
                2,
                1,
                11,
                1,
                48,
                0,
                127,
                128,
                u32::MAX,
            ],
            vec![2, 39, 16384],
            vec![6, 39, 1],
            vec![7, 1],
            vec![1, 40],
        ];
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        for _ in 0..20_000 {
            let n = rng.gen_range(0..12);
            cases.push(
                (0..n)
                    .map(|i| match (i, rng.gen_range(0..4)) {
                        (0, _) => rng.gen_range(0..8),
                        (1, _) => rng.gen_range(0..42),
                        (_, 0) => rng.r#gen(),
                        (_, 1) => rng.gen_range(0..1 << 21),
                        _ => rng.gen_range(0..200),
                    })
                    .collect(),
            );
        }
        for arcs in &cases {
            assert_eq!(ber_of_arcs(arcs), reference(arcs), "arcs {arcs:?}");
            if let Some(octets) = ber_of_arcs(arcs) {
                // (asn1-rs reads the single octet 0 back as one arc.)
                if arcs.len() >= 2 && arcs[0] <= 2 && octets != [0] {
                    assert_eq!(arcs_of_ber(&octets).as_deref(), Some(arcs.as_slice()));
                }
            }
        }
    }

    /// The arcs read from BER octets are the ones asn1-rs's iterator gives (then narrowed to
    /// 32 bits), for OIDs an agent sends and for random and hostile octets.
    #[test]
    fn ber_arcs_agree_with_asn1_rs() {
        use rand::{Rng, SeedableRng};
        let reference = |b: &[u8]| -> Option<Vec<u32>> {
            let oid = snmp2::Oid::new(std::borrow::Cow::Borrowed(b));
            oid.iter()?.map(|a| u32::try_from(a).ok()).collect()
        };
        let mut cases: Vec<Vec<u8>> = vec![
            vec![],
            vec![0],
            vec![0x2b],
            vec![
                0x2b,
                6,
                1,
                2,
                1,
                2,
                2,
                1,
                1,
                0x80 | (10101 / 128) as u8,
                (10101 % 128) as u8,
            ],
            vec![0x2b, 0x8f, 0xff, 0xff, 0xff, 0x7f],
            vec![0x2b, 0x90, 0x80, 0x80, 0x80, 0x00],
            vec![
                0x2b, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01,
            ],
            vec![0x2b, 6, 0x81],
            vec![0x88, 0x37, 3],
        ];
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for _ in 0..20_000 {
            let n = rng.gen_range(0..16);
            cases.push((0..n).map(|_| rng.r#gen::<u8>()).collect());
        }
        for b in &cases {
            assert_eq!(arcs_of_ber(b), reference(b), "octets {b:02x?}");
        }
    }

    #[test]
    fn settings_are_checked_before_anything_is_sent() {
        let check = |c: Credentials, expect: Option<&str>| {
            let r = validate("sw1:161", &c);
            match expect {
                None => assert!(r.is_ok(), "{r:?}"),
                Some(text) => {
                    let msg = r.expect_err("should be rejected").to_string();
                    assert!(msg.contains(text), "{msg:?} lacks {text:?}");
                    assert!(msg.starts_with("sw1:161: invalid settings"), "{msg}");
                }
            }
        };
        check(v3(Some("longenough"), Some("alsolongenough")), None);
        check(v3(None, None), None);
        check(v3(Some(""), None), Some("authentication key is empty"));
        check(v3(Some("short7!"), None), Some("7 characters"));
        check(
            v3(Some("longenough"), Some("")),
            Some("privacy key is empty"),
        );
        check(v3(None, Some("longenough")), Some("needs authentication"));
        check(
            Credentials::V2c {
                community: Secret::new(""),
            },
            Some("community is empty"),
        );
        // The rejected key never appears in the message.
        let msg = validate("sw1", &v3(Some("sEcr3t"), None))
            .unwrap_err()
            .to_string();
        assert!(!msg.contains("sEcr3t"), "{msg}");
    }

    #[tokio::test]
    async fn addresses_parse_with_default_port() {
        async fn ok(a: &str) -> Result<String, PollError> {
            resolve(a).await.map(|s| s.to_string())
        }
        assert_eq!(ok("127.0.0.1").await.unwrap(), "127.0.0.1:161");
        assert_eq!(ok("127.0.0.1:1161").await.unwrap(), "127.0.0.1:1161");
        assert_eq!(ok("::1").await.unwrap(), "[::1]:161");
        assert_eq!(ok("[::1]").await.unwrap(), "[::1]:161");
        assert_eq!(ok("[::1]:1161").await.unwrap(), "[::1]:1161");
        assert!(ok("localhost:1161").await.unwrap().ends_with(":1161"));
        for bad in [
            "",
            "127.0.0.1:0",
            "127.0.0.1:x",
            "sw1:70000",
            ":161",
            "[zz]",
        ] {
            assert!(
                matches!(
                    resolve(bad).await.map_err(|e| e.failure),
                    Err(Failure::Config { .. })
                ),
                "{bad:?} should be a settings error"
            );
        }
    }

    #[test]
    fn vlan_logins_index_the_community_or_the_context() {
        let l = Credentials::V2c {
            community: Secret::new("pub"),
        }
        .for_vlan(20);
        let Credentials::V2c { community } = l else {
            panic!("v2c")
        };
        assert_eq!(community.expose(), "pub@20");
        let Credentials::V3(c) = v3(Some("longenough"), None) else {
            unreachable!()
        };
        let Credentials::V3(creds) = Credentials::V3(c).for_vlan(7) else {
            panic!("v3")
        };
        assert_eq!(creds.context, "vlan-7");
    }

    #[test]
    fn aes256_with_sha1_needs_a_key_extension_and_sha256_does_not() {
        let mut c = V3Credentials {
            user: "u".into(),
            auth: Some((AuthProto::Sha, Secret::new("12345678"))),
            privacy: Some((PrivProto::Aes256, Secret::new("12345678"))),
            context: String::new(),
        };
        assert!(needs_key_extension(&c));
        c.auth = Some((AuthProto::Sha256, Secret::new("12345678")));
        assert!(!needs_key_extension(&c));
        c.privacy = Some((PrivProto::Aes, Secret::new("12345678")));
        c.auth = Some((AuthProto::Md5, Secret::new("12345678")));
        assert!(!needs_key_extension(&c));
    }
}
