//! `lanready-agent poll`: polls one switch and prints its snapshot as JSON or as text.
//! Also holds [`TargetArgs`], the switch and credential flags `record` shares.

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use lanready_schema::Snapshot;

use lanready_schema::secret::Secret;
use lanready_snmp::{
    AuthProto, Credentials, PollOptions, PollStats, PrivProto, Target, V3Credentials,
};

/// Environment variables that carry secrets (never plain arguments for v3 keys).
pub const ENV_COMMUNITY: &str = "LANREADY_COMMUNITY";
pub const ENV_AUTH_KEY: &str = "LANREADY_AUTH_KEY";
pub const ENV_PRIV_KEY: &str = "LANREADY_PRIV_KEY";

/// Which switch, how to log in, how patiently.
#[derive(Debug, Clone, clap::Args)]
pub struct TargetArgs {
    /// The switch: HOST or HOST:PORT (port 161 by default); IPv6 as [ADDR]:PORT.
    #[arg(long, value_name = "HOST[:PORT]")]
    pub target: String,
    /// A file holding the SNMPv2c community (first line); else $LANREADY_COMMUNITY, else
    /// `public`. Never a plain argument: the process list would show it.
    #[arg(long, value_name = "FILE")]
    pub community_file: Option<PathBuf>,
    /// SNMPv3 context name (SNMPv3 only).
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    /// SNMPv3 user: switches from v2c to v3.
    #[arg(long, value_name = "USER")]
    pub v3_user: Option<String>,
    /// SNMPv3 authentication protocol (md5, sha, sha224, sha256, sha384, sha512); its key
    /// comes from $LANREADY_AUTH_KEY or --auth-key-file.
    #[arg(long, value_name = "PROTO", value_parser = proto::<AuthProto>, requires = "v3_user")]
    pub auth_proto: Option<AuthProto>,
    /// SNMPv3 privacy protocol (des, aes, aes192, aes256); its key comes from
    /// $LANREADY_PRIV_KEY or --priv-key-file.
    #[arg(long, value_name = "PROTO", value_parser = proto::<PrivProto>, requires = "auth_proto")]
    pub priv_proto: Option<PrivProto>,
    /// A file holding the SNMPv3 authentication key (first line).
    #[arg(long, value_name = "FILE", requires = "auth_proto")]
    pub auth_key_file: Option<PathBuf>,
    /// A file holding the SNMPv3 privacy key (first line).
    #[arg(long, value_name = "FILE", requires = "priv_proto")]
    pub priv_key_file: Option<PathBuf>,
    /// Per request, in milliseconds.
    #[arg(long, value_name = "N", default_value_t = 2000)]
    pub timeout_ms: u64,
    /// Resends after a timeout.
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub retries: u32,
    /// GETBULK max-repetitions: at most N rows per column per request (default: as many as
    /// one answer holds).
    #[arg(long, value_name = "N", default_value_t = lanready_snmp::DEFAULT_MAX_REPETITIONS)]
    pub max_repetitions: u32,
    /// Do not read BRIDGE-MIB in each VLAN's context.
    #[arg(long)]
    pub no_vlan_contexts: bool,
    /// Send at most this many requests a second to the switch (default: each as soon as
    /// the previous is answered).
    #[arg(long, value_name = "N")]
    pub requests_per_second: Option<f64>,
}

impl TargetArgs {
    /// The validated target and options. Keys are read from the environment or files here.
    pub fn resolve(&self) -> anyhow::Result<(Target, PollOptions)> {
        let credentials = match &self.v3_user {
            None => {
                if self.context.is_some() {
                    anyhow::bail!("--context is an SNMPv3 setting: give --v3-user too");
                }
                let community = match (&self.community_file, std::env::var(ENV_COMMUNITY)) {
                    (Some(f), _) => first_line(f, "the SNMPv2c community file")?,
                    (None, Ok(v)) => Secret::new(v),
                    (None, Err(_)) => Secret::new("public"),
                };
                Credentials::V2c { community }
            }
            Some(user) => {
                let auth = match self.auth_proto {
                    None => None,
                    Some(p) => Some((
                        p,
                        key(
                            ENV_AUTH_KEY,
                            self.auth_key_file.as_deref(),
                            "authentication",
                        )?,
                    )),
                };
                let privacy = match self.priv_proto {
                    None => None,
                    Some(p) => Some((
                        p,
                        key(ENV_PRIV_KEY, self.priv_key_file.as_deref(), "privacy")?,
                    )),
                };
                Credentials::V3(V3Credentials {
                    user: user.clone(),
                    auth,
                    privacy,
                    context: self.context.clone().unwrap_or_default(),
                })
            }
        };
        if self.timeout_ms == 0 {
            anyhow::bail!("--timeout-ms must be at least 1");
        }
        let opts = PollOptions {
            timeout: Duration::from_millis(self.timeout_ms),
            retries: self.retries,
            max_repetitions: self.max_repetitions.max(1),
            vlan_contexts: !self.no_vlan_contexts,
            max_requests_per_second: self.requests_per_second,
        };
        Ok((
            Target {
                address: self.target.clone(),
                credentials,
            },
            opts,
        ))
    }
}

/// A secret file's first line.
/// A protocol flag's value, by the same names a plan uses.
fn proto<P: std::str::FromStr<Err = String>>(s: &str) -> Result<P, String> {
    s.parse()
}

fn first_line(f: &std::path::Path, what: &str) -> anyhow::Result<Secret> {
    let text =
        std::fs::read_to_string(f).with_context(|| format!("reading {what} {}", f.display()))?;
    Ok(Secret::new(
        text.lines().next().unwrap_or("").trim_end_matches('\r'),
    ))
}

/// A key from its file (when given) or its environment variable.
fn key(env: &str, file: Option<&std::path::Path>, what: &str) -> anyhow::Result<Secret> {
    if let Some(f) = file {
        return first_line(f, &format!("the SNMPv3 {what} key file"));
    }
    match std::env::var(env) {
        Ok(v) => Ok(Secret::new(v)),
        Err(_) => anyhow::bail!(
            "the SNMPv3 {what} key is missing: set {env} or give --{}-key-file",
            if what == "privacy" { "priv" } else { "auth" }
        ),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Json,
    Text,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Output: JSON (lanready.snapshot/v1) or a text summary for a person.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Polls and decodes: the snapshot and what the poll cost.
pub async fn snapshot(args: &TargetArgs) -> anyhow::Result<(Snapshot, PollStats)> {
    let (target, opts) = args.resolve()?;
    let (walk, stats) = lanready_snmp::poll_with_stats(&target, &opts).await?;
    Ok((
        lanready_mibs::decode::snapshot(&walk, &target.address),
        stats,
    ))
}

/// The snapshot as the chosen format prints it.
pub fn format_snapshot(s: &Snapshot, format: Format) -> anyhow::Result<String> {
    Ok(match format {
        Format::Json => {
            let mut t = serde_json::to_string_pretty(s).context("writing the snapshot as JSON")?;
            t.push('\n');
            t
        }
        Format::Text => crate::render::snapshot_text(s),
    })
}

pub async fn run(args: Args) -> anyhow::Result<u8> {
    let (snap, stats) = snapshot(&args.target).await?;
    tracing::info!(
        requests = stats.requests,
        varbinds = stats.varbinds,
        "Poll finished."
    );
    let text = format_snapshot(&snap, args.format)?;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(0),
        // A reader that stopped early (`| head`) is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(0),
        Err(e) => Err(e).context("writing the snapshot to stdout"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct T {
        #[command(flatten)]
        t: TargetArgs,
    }

    #[test]
    fn v3_flags_become_v3_credentials_with_keys_from_files() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let p = dir.path().join("p");
        std::fs::write(&a, "authsecret1\n").unwrap();
        std::fs::write(&p, "privsecret1").unwrap();
        let t = T::parse_from([
            "x",
            "--target",
            "127.0.0.1:1161",
            "--v3-user",
            "ops",
            "--auth-proto",
            "sha256",
            "--priv-proto",
            "aes256",
            "--auth-key-file",
            a.to_str().unwrap(),
            "--priv-key-file",
            p.to_str().unwrap(),
            "--context",
            "c1",
        ]);
        let (target, opts) = t.t.resolve().unwrap();
        let Credentials::V3(c) = target.credentials else {
            panic!("v3 expected")
        };
        assert_eq!(c.user, "ops");
        assert_eq!(c.context, "c1");
        let (ap, ak) = c.auth.unwrap();
        assert_eq!((ap, ak.expose()), (AuthProto::Sha256, "authsecret1"));
        let (pp, pk) = c.privacy.unwrap();
        assert_eq!((pp, pk.expose()), (PrivProto::Aes256, "privsecret1"));
        assert!(opts.vlan_contexts);
    }

    #[test]
    fn context_without_v3_user_is_refused() {
        let t = T::parse_from(["x", "--target", "h", "--context", "c"]);
        let e = t.t.resolve().unwrap_err().to_string();
        assert!(e.contains("--v3-user"), "{e}");
    }
}
