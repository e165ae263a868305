//! The plan's validation: from the TOML as written ([`super::raw`]) to the model the checks
//! read, with every error naming the file, the line and the reason, and every secret
//! resolved from the environment or its file here.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use toml::Spanned;

use super::*;

mod needs;

pub(super) struct Validator<'a> {
    pub(super) text: &'a str,
    pub(super) path: &'a Path,
}

impl Validator<'_> {
    pub(super) fn line(&self, span: &Range<usize>) -> usize {
        let end = span.start.min(self.text.len());
        self.text[..end].bytes().filter(|&b| b == b'\n').count() + 1
    }

    pub(super) fn err_at(&self, line: usize, reason: impl Into<String>) -> PlanError {
        PlanError::Invalid {
            path: self.path.to_path_buf(),
            line,
            reason: reason.into(),
        }
    }

    fn err<T>(&self, at: &Spanned<T>, reason: impl Into<String>) -> PlanError {
        self.err_at(self.line(&at.span()), reason)
    }

    pub(super) fn plan(&self, raw: RawPlan) -> Result<Plan, PlanError> {
        if raw.sites.is_empty() {
            return Err(self.err_at(1, "the plan has no [[sites]]"));
        }
        let concurrency = match &raw.concurrency {
            Some(c) if *c.get_ref() == 0 => {
                return Err(self.err(c, "concurrency must be at least 1"));
            }
            Some(c) => *c.get_ref() as usize,
            None => DEFAULT_CONCURRENCY,
        };
        let scan_memory_bytes = match &raw.scan_memory_mb {
            Some(m) if *m.get_ref() < MIN_SCAN_MEMORY_MB => {
                return Err(self.err(
                    m,
                    format!(
                        "scan_memory_mb must be at least {MIN_SCAN_MEMORY_MB} (one large stack reads a few MB)"
                    ),
                ));
            }
            Some(m) => (*m.get_ref() as usize) << 20,
            None => lanready_snmp::DEFAULT_SCAN_MEMORY_BYTES,
        };
        let mut sites: Vec<SitePlan> = Vec::new();
        for s in &raw.sites {
            let site = self.site(s.get_ref())?;
            if sites.iter().any(|x| x.name == site.name) {
                return Err(self.err(
                    &s.get_ref().name,
                    format!("site {:?} is named twice", site.name),
                ));
            }
            sites.push(site);
        }
        Ok(Plan {
            path: self.path.to_path_buf(),
            agent: raw.agent,
            concurrency,
            scan_memory_bytes,
            sites,
        })
    }

    fn site(&self, s: &RawSite) -> Result<SitePlan, PlanError> {
        let name = s.name.get_ref().trim().to_string();
        if name.is_empty() {
            return Err(self.err(&s.name, "a site needs a name"));
        }
        let voice_vlan = self.vlan(&s.voice_vlan, "voice_vlan")?;
        let data_vlan = s
            .data_vlan
            .as_ref()
            .map(|d| self.vlan(d, "data_vlan"))
            .transpose()?;
        if data_vlan == Some(voice_vlan) {
            let d = s.data_vlan.as_ref().expect("checked above");
            return Err(self.err(
                d,
                format!("data_vlan must differ from voice_vlan ({voice_vlan})"),
            ));
        }
        let site_snmp = s.snmp();
        if s.switches.get_ref().is_empty() {
            return Err(self.err(&s.switches, format!("site {name:?} has no switches")));
        }
        let mut switches: Vec<SwitchSpec> = Vec::new();
        for entry in s.switches.get_ref() {
            let sw = self.switch(entry, &site_snmp)?;
            if switches.iter().any(|x| x.target == sw.target) {
                return Err(self.err(
                    entry,
                    format!("switch {} is listed twice", sw.target.label()),
                ));
            }
            switches.push(sw);
        }
        let sweep_concurrency = match &s.sweep_concurrency {
            Some(c) if *c.get_ref() == 0 => {
                return Err(self.err(c, "sweep_concurrency must be at least 1"));
            }
            Some(c) => *c.get_ref() as usize,
            None => 32,
        };
        Ok(SitePlan {
            name,
            voice_vlan,
            data_vlan,
            switches,
            ports: self.ports(&s.ports)?,
            phones: self.phones(&s.phones)?,
            thresholds: self.thresholds(&s.thresholds)?,
            sweep_concurrency,
        })
    }

    fn vlan(&self, v: &Spanned<i64>, what: &str) -> Result<u16, PlanError> {
        match *v.get_ref() {
            n @ 1..=4094 => Ok(n as u16),
            n => Err(self.err(
                v,
                format!("{what} must be a VLAN id from 1 to 4094, not {n}"),
            )),
        }
    }

    fn switch(
        &self,
        entry: &Spanned<SwitchEntry>,
        site: &RawSnmp,
    ) -> Result<SwitchSpec, PlanError> {
        let line = self.line(&entry.span());
        let owned;
        let raw: &RawSwitch = match entry.get_ref() {
            SwitchEntry::Address(s) => {
                owned = RawSwitch {
                    address: Spanned::new(entry.span(), s.clone()),
                    port: None,
                    phones: None,
                    community: None,
                    community_env: None,
                    community_file: None,
                    v3: None,
                    timeout_ms: None,
                    retries: None,
                    max_repetitions: None,
                    vlan_contexts: None,
                    requests_per_second: None,
                };
                &owned
            }
            SwitchEntry::Table(t) => t,
        };
        let target = self.target(raw)?;
        let snmp = raw.snmp();
        let credentials = self.credentials(&snmp, site, line)?;
        let poll = self.poll_options(&snmp, site)?;
        Ok(SwitchSpec {
            target,
            credentials,
            poll,
            phones: raw.phones.as_ref().map(|p| *p.get_ref()),
            line,
        })
    }

    fn target(&self, raw: &RawSwitch) -> Result<TargetSpec, PlanError> {
        let a = raw.address.get_ref().trim();
        if a.is_empty() {
            return Err(self.err(&raw.address, "a switch address is empty"));
        }
        let port = match &raw.port {
            Some(p) => match u16::try_from(*p.get_ref()) {
                Ok(n) if n > 0 => Some(n),
                _ => return Err(self.err(p, format!("port must be 1-65535, not {}", p.get_ref()))),
            },
            None => None,
        };
        if a.contains('/') {
            let network: IpNetwork = a
                .parse()
                .map_err(|e| self.err(&raw.address, format!("{a:?} is not a CIDR subnet: {e}")))?;
            sweep::check_size(&network).map_err(|e| self.err(&raw.address, e))?;
            return Ok(TargetSpec::Subnet {
                network,
                port: port.unwrap_or(161),
            });
        }
        let address = match (split_port(a), port) {
            (Some(_), Some(_)) => {
                return Err(self.err(
                    &raw.address,
                    format!("{a:?} has a port, and `port` is set too"),
                ));
            }
            (Some((host, p)), None) => {
                let n: u16 = p.parse().ok().filter(|&n| n > 0).ok_or_else(|| {
                    self.err(&raw.address, format!("{a:?}: port {p:?} is not 1-65535"))
                })?;
                format_addr(host, n)
            }
            (None, p) => format_addr(
                a.trim_start_matches('[').trim_end_matches(']'),
                p.unwrap_or(161),
            ),
        };
        Ok(TargetSpec::Address(address))
    }

    fn credentials(
        &self,
        sw: &RawSnmp,
        site: &RawSnmp,
        line: usize,
    ) -> Result<Credentials, PlanError> {
        let sw_has = sw.community.is_some()
            || sw.community_env.is_some()
            || sw.community_file.is_some()
            || sw.v3.is_some();
        let from = if sw_has { sw } else { site };
        let community = self.secret(
            "community",
            from.community,
            from.community_env,
            from.community_file,
        )?;
        match (community, from.v3) {
            (Some(_), Some(v3)) => Err(self.err(v3, "set either a community (v2c) or v3, not both")),
            (Some(c), None) => Ok(Credentials::V2c { community: c }),
            (None, Some(v3)) => Ok(Credentials::V3(self.v3(v3)?)),
            (None, None) => Err(self.err_at(
                line,
                "no credentials: set community, community_env, community_file or v3 on the switch or its site",
            )),
        }
    }

    /// A secret from exactly one of: the value, an environment variable, a file.
    fn secret(
        &self,
        what: &str,
        value: Option<&Spanned<String>>,
        env: Option<&Spanned<String>>,
        file: Option<&Spanned<String>>,
    ) -> Result<Option<Secret>, PlanError> {
        let given = [value.is_some(), env.is_some(), file.is_some()];
        if given.iter().filter(|&&b| b).count() > 1 {
            let at = value.or(env).or(file).expect("one is set");
            return Err(self.err(
                at,
                format!("set only one of {what}, {what}_env and {what}_file"),
            ));
        }
        let secret = if let Some(v) = value {
            Some((v, v.get_ref().clone()))
        } else if let Some(e) = env {
            let name = e.get_ref();
            let val = std::env::var(name).map_err(|_| {
                self.err(
                    e,
                    format!("{what}_env: the environment variable {name} is not set"),
                )
            })?;
            Some((e, val))
        } else if let Some(f) = file {
            let p = self.relative(f.get_ref());
            let val = std::fs::read_to_string(&p).map_err(|err| {
                self.err(f, format!("{what}_file: reading {}: {err}", p.display()))
            })?;
            Some((f, val.trim_end_matches(['\n', '\r']).to_string()))
        } else {
            None
        };
        match secret {
            Some((at, s)) if s.is_empty() => Err(self.err(at, format!("{what} is empty"))),
            Some((_, s)) => Ok(Some(Secret::new(s))),
            None => Ok(None),
        }
    }

    fn relative(&self, p: &str) -> PathBuf {
        let p = Path::new(p);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.path.parent().unwrap_or(Path::new(".")).join(p)
        }
    }

    fn v3(&self, v3: &Spanned<RawV3>) -> Result<V3Credentials, PlanError> {
        let r = v3.get_ref();
        if r.user.get_ref().is_empty() {
            return Err(self.err(&r.user, "v3 user is empty"));
        }
        let auth_key = self.secret(
            "auth_key",
            r.auth_key.as_ref(),
            r.auth_key_env.as_ref(),
            r.auth_key_file.as_ref(),
        )?;
        let priv_key = self.secret(
            "priv_key",
            r.priv_key.as_ref(),
            r.priv_key_env.as_ref(),
            r.priv_key_file.as_ref(),
        )?;
        let auth =
            match (&r.auth_protocol, auth_key) {
                (Some(p), Some(k)) => Some((self.auth_proto(p)?, k)),
                (None, None) => None,
                (Some(p), None) => {
                    return Err(self.err(
                        p,
                        "auth_protocol needs auth_key, auth_key_env or auth_key_file",
                    ));
                }
                (None, Some(_)) => return Err(self.err(
                    v3,
                    "an auth key needs auth_protocol (md5, sha, sha224, sha256, sha384, sha512)",
                )),
            };
        let privacy = match (&r.priv_protocol, priv_key) {
            (Some(p), Some(k)) => Some((self.priv_proto(p)?, k)),
            (None, None) => None,
            (Some(p), None) => {
                return Err(self.err(
                    p,
                    "priv_protocol needs priv_key, priv_key_env or priv_key_file",
                ));
            }
            (None, Some(_)) => {
                return Err(self.err(
                    v3,
                    "a privacy key needs priv_protocol (des, aes, aes192, aes256)",
                ));
            }
        };
        if privacy.is_some() && auth.is_none() {
            return Err(self.err(v3, "privacy (authPriv) needs authentication too"));
        }
        // The same rule the poller applies (RFC 3414 keys from passwords of at least 8
        // characters), so `--check-config` refuses what `poll` would.
        for (what, key, at) in [
            (
                "auth",
                auth.as_ref().map(|(_, k)| k),
                r.auth_protocol.as_ref(),
            ),
            (
                "priv",
                privacy.as_ref().map(|(_, k)| k),
                r.priv_protocol.as_ref(),
            ),
        ] {
            if let (Some(k), Some(at)) = (key, at) {
                let n = k.expose().chars().count();
                if n < 8 {
                    return Err(self.err(
                        at,
                        format!("the {what} key has {n} characters; SNMPv3 keys need at least 8"),
                    ));
                }
            }
        }
        Ok(V3Credentials {
            user: r.user.get_ref().clone(),
            auth,
            privacy,
            context: r.context.clone(),
        })
    }

    fn auth_proto(&self, p: &Spanned<String>) -> Result<AuthProto, PlanError> {
        p.get_ref()
            .parse()
            .map_err(|why| self.err(p, format!("auth_protocol {why}")))
    }

    fn priv_proto(&self, p: &Spanned<String>) -> Result<PrivProto, PlanError> {
        p.get_ref()
            .parse()
            .map_err(|why| self.err(p, format!("priv_protocol {why}")))
    }

    fn poll_options(&self, sw: &RawSnmp, site: &RawSnmp) -> Result<PollOptions, PlanError> {
        let mut o = PollOptions::default();
        if let Some(t) = sw.timeout_ms.or(site.timeout_ms) {
            if !(1..=60_000).contains(t.get_ref()) {
                return Err(self.err(t, "timeout_ms must be 1-60000"));
            }
            o.timeout = Duration::from_millis(*t.get_ref());
        }
        if let Some(r) = sw.retries.or(site.retries) {
            if *r.get_ref() > 10 {
                return Err(self.err(r, "retries must be 0-10"));
            }
            o.retries = *r.get_ref();
        }
        if let Some(m) = sw.max_repetitions.or(site.max_repetitions) {
            if !(1..=100).contains(m.get_ref()) {
                return Err(self.err(m, "max_repetitions must be 1-100"));
            }
            o.max_repetitions = *m.get_ref();
        }
        if let Some(v) = sw.vlan_contexts.or(site.vlan_contexts) {
            o.vlan_contexts = v;
        }
        if let Some(r) = sw.requests_per_second.or(site.requests_per_second) {
            if !(0.1..=10_000.0).contains(r.get_ref()) {
                return Err(self.err(r, "requests_per_second must be 0.1-10000"));
            }
            o.max_requests_per_second = Some(*r.get_ref());
        }
        Ok(o)
    }
}

/// Splits `host:port` / `[v6]:port`; None when there is no port.
fn split_port(a: &str) -> Option<(&str, &str)> {
    if let Some(rest) = a.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        return after.strip_prefix(':').map(|p| (host, p));
    }
    match a.matches(':').count() {
        1 => a.split_once(':'),
        _ => None,
    }
}

fn format_addr(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}
