//! The site plan: a TOML file naming each site's switches (addresses or subnets to sweep),
//! SNMP credentials, voice VLAN, user-facing ports, phones and thresholds. Loading validates
//! everything and resolves secrets, so a plan that loads can be scanned; every error names
//! the file, the line and the reason.

mod phones;
mod raw;
pub mod sweep;

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use globset::{Glob, GlobSet, GlobSetBuilder};
use ipnetwork::IpNetwork;
use toml::Spanned;

use lanready_schema::PortRole;
pub use phones::{CLASS_PSE_MW, MODELS, PhoneModel, VlanDiscovery, class_mw, find_model};

use crate::secret::Secret;
use crate::snmp::{AuthProto, Credentials, PollOptions, PrivProto, V3Credentials};
use raw::{
    RawPhones, RawPlan, RawPorts, RawSite, RawSnmp, RawSwitch, RawThresholds, RawV3, SwitchEntry,
};

/// Ports excluded when the plan names none. None: the management ports (`Gi0/0`, `Fa0`) are
/// recognised by their role, whatever the plan says.
pub const DEFAULT_EXCLUDE: &[&str] = &[];
/// Ports at or above this speed are uplinks, not user-facing (Te, Twe, Fo, Hu).
pub const DEFAULT_UPLINK_SPEED_MBPS: u64 = 10_000;
/// What a phone costs when the plan names no model, class or wattage: class 3 / 0 (15.4 W).
pub const DEFAULT_PHONE_MW: u32 = 15_400;

/// A plan file that could not be used: the file, the line (1-based) and why.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("reading the plan {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}: {reason}", path.display())]
    Invalid {
        path: PathBuf,
        line: usize,
        reason: String,
    },
}

/// Switches polled at once when the plan does not say. Each switch still has one request in
/// flight; 32 switches at once keep a 2-core agent within 1.2x of a fast responder's pace in
/// the estate benchmark, where 16 left it waiting on its own wake-ups (BENCHMARKS.md).
pub const DEFAULT_CONCURRENCY: usize = 32;

/// The smallest `scan_memory_mb` a plan may set.
pub const MIN_SCAN_MEMORY_MB: u32 = 16;

/// A validated plan.
#[derive(Debug)]
pub struct Plan {
    pub path: PathBuf,
    /// The agent's name in reports, when the plan sets one.
    pub agent: Option<String>,
    /// Switches polled at once.
    pub concurrency: usize,
    /// The most bytes of SNMP values the scan's polls hold at once, all switches together
    /// (`scan_memory_mb`); a poll that finds it spent reads no more tables.
    pub scan_memory_bytes: usize,
    pub sites: Vec<SitePlan>,
}

#[derive(Debug, Clone)]
pub struct SitePlan {
    pub name: String,
    pub voice_vlan: u16,
    /// The data VLAN user ports should be in, when the plan says.
    pub data_vlan: Option<u16>,
    pub switches: Vec<SwitchSpec>,
    pub ports: PortSelection,
    pub phones: Phones,
    pub thresholds: Thresholds,
    /// Hosts probed at once when sweeping a subnet.
    pub sweep_concurrency: usize,
}

/// One `switches` entry: a switch, or a subnet whose SNMP responders are switches.
#[derive(Debug, Clone)]
pub struct SwitchSpec {
    pub target: TargetSpec,
    pub credentials: Credentials,
    pub poll: PollOptions,
    /// Phones planned on this switch (each switch found, for a subnet), when the plan says.
    pub phones: Option<u32>,
    /// The line of the entry in the plan.
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetSpec {
    /// `host:port` (port 161 added when the plan gave none).
    Address(String),
    /// A subnet to sweep, and the UDP port to probe.
    Subnet { network: IpNetwork, port: u16 },
}

impl TargetSpec {
    /// The address or `subnet` as written in reports.
    pub fn label(&self) -> String {
        match self {
            TargetSpec::Address(a) => a.clone(),
            TargetSpec::Subnet { network, port } if *port == 161 => network.to_string(),
            TargetSpec::Subnet { network, port } => format!("{network} port {port}"),
        }
    }
}

/// Which ports are user-facing (sockets a phone may be plugged into).
#[derive(Debug, Clone)]
pub struct PortSelection {
    /// When non-empty, only ports whose names match one of these globs.
    pub include: Vec<String>,
    /// Ports whose names match one of these globs are never user-facing.
    pub exclude: Vec<String>,
    pub uplink_speed_mbps: u64,
    /// Roles the plan sets by port pattern, tried in the patterns' sorted order (a TOML table keeps no order): the first that matches wins.
    pub roles: Vec<(String, PortRole)>,
    include_set: GlobSet,
    exclude_set: GlobSet,
    role_sets: Vec<GlobSet>,
}

impl PortSelection {
    /// Builds a selection from glob patterns (`Gi1/0/*`, `Gi?/0/4[78]`).
    pub fn new(
        include: Vec<String>,
        exclude: Vec<String>,
        uplink_speed_mbps: u64,
    ) -> Result<Self, globset::Error> {
        let include_set = glob_set(&include)?;
        let exclude_set = glob_set(&exclude)?;
        Ok(PortSelection {
            include,
            exclude,
            uplink_speed_mbps,
            roles: Vec::new(),
            include_set,
            exclude_set,
            role_sets: Vec::new(),
        })
    }

    /// The same selection with role overrides (pattern, role), tried in order, the first that matches wins.
    pub fn with_roles(mut self, roles: Vec<(String, PortRole)>) -> Result<Self, globset::Error> {
        self.role_sets = roles
            .iter()
            .map(|(p, _)| glob_set(std::slice::from_ref(p)))
            .collect::<Result<_, _>>()?;
        self.roles = roles;
        Ok(self)
    }

    /// Whether the name passes the include and exclude patterns.
    pub fn selects(&self, name: &str) -> bool {
        (self.include.is_empty() || self.include_set.is_match(name))
            && !self.exclude_set.is_match(name)
    }

    /// What the plan says about a port, for the role classifier.
    pub fn say(&self, name: &str) -> lanready_mibs::decode::roles::PlanSay {
        use lanready_mibs::decode::roles::PlanSay;
        if let Some(k) = self.role_sets.iter().position(|g| g.is_match(name)) {
            let (pattern, role) = &self.roles[k];
            return PlanSay::Role(*role, pattern.clone());
        }
        if let Some(p) = self
            .exclude
            .iter()
            .find(|p| glob_set(std::slice::from_ref(p)).is_ok_and(|g| g.is_match(name)))
        {
            return PlanSay::Excluded(format!("exclude `{p}`"));
        }
        if !self.include.is_empty() {
            return match self
                .include
                .iter()
                .find(|p| glob_set(std::slice::from_ref(p)).is_ok_and(|g| g.is_match(name)))
            {
                Some(p) => PlanSay::Included(p.clone()),
                None => PlanSay::Excluded("not matched by any include pattern".into()),
            };
        }
        PlanSay::Nothing
    }
}

impl Default for PortSelection {
    fn default() -> Self {
        PortSelection::new(
            vec![],
            DEFAULT_EXCLUDE.iter().map(|s| s.to_string()).collect(),
            DEFAULT_UPLINK_SPEED_MBPS,
        )
        .expect("the default patterns are valid globs")
    }
}

fn glob_set(patterns: &[String]) -> Result<GlobSet, globset::Error> {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        b.add(Glob::new(p)?);
    }
    b.build()
}

/// The phones to budget for.
#[derive(Debug, Clone, PartialEq)]
pub struct Phones {
    /// What the switch budgets per phone, milliwatts: the most any planned phone needs
    /// (what every socket must be able to give).
    pub budget_mw: u32,
    /// Where the figure came from (`class 2`, `cisco-7965 (class 3)`, `9.6 W`).
    pub source: String,
    /// Phones for the whole site; None means one on every user-facing port.
    pub count: Option<u32>,
    /// False when phones are powered locally and PoE is not needed.
    pub poe: bool,
    /// The models planned (empty when the plan gave a class or watts).
    pub models: Vec<PlannedModel>,
}

/// One planned phone model.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedModel {
    pub model: &'static PhoneModel,
    /// How many of them, when the plan says.
    pub count: Option<u32>,
    /// Button modules on each.
    pub button_modules: u8,
}

impl Default for Phones {
    fn default() -> Self {
        Phones {
            budget_mw: DEFAULT_PHONE_MW,
            source: "default (class 3, 15.4 W)".into(),
            count: None,
            poe: true,
            models: Vec::new(),
        }
    }
}

impl Phones {
    /// What the phones need from a switch, for its checks.
    pub fn needs(&self) -> PhoneNeeds {
        let lldp_med = self
            .models
            .iter()
            .any(|m| m.model.discovery == VlanDiscovery::LldpMed);
        let counted: Vec<(u32, u32)> = self
            .models
            .iter()
            .filter_map(|m| m.count.map(|c| (c, m.model.budget_with(m.button_modules))))
            .collect();
        let total: u64 = counted.iter().map(|&(c, _)| u64::from(c)).sum();
        // With counts per model, an average phone; else every socket at the most.
        let average_mw = if total > 0 && counted.len() == self.models.len() {
            let mw: u64 = counted
                .iter()
                .map(|&(c, w)| u64::from(c) * u64::from(w))
                .sum();
            mw.div_ceil(total) as u32
        } else {
            self.budget_mw
        };
        PhoneNeeds {
            per_socket_mw: self.budget_mw,
            average_mw,
            lldp_med,
            cdp_only_models: !self.models.is_empty() && !lldp_med,
            voice_dscp: self.models.first().map_or(46, |m| m.model.voice_dscp),
            labels: self
                .models
                .iter()
                .map(|m| {
                    let class = m
                        .model
                        .class_with(m.button_modules)
                        .map(|c| format!("class {c}"))
                        .unwrap_or_else(|| {
                            format!("{} W", watts(m.model.budget_with(m.button_modules)))
                        });
                    let count = m.count.map(|c| format!(" x {c}")).unwrap_or_default();
                    let modules = match m.button_modules {
                        0 => String::new(),
                        n => format!(", {n} button module(s)"),
                    };
                    let how = match m.model.discovery {
                        VlanDiscovery::Cdp => "CDP",
                        VlanDiscovery::LldpMed => "LLDP-MED",
                    };
                    format!(
                        "{}{count} ({class}{modules}; learns its VLAN by {how})",
                        m.model.name
                    )
                })
                .collect(),
        }
    }
}

/// What the planned phones need of a switch.
#[derive(Debug, Clone, PartialEq)]
pub struct PhoneNeeds {
    /// What every socket must be able to give, milliwatts.
    pub per_socket_mw: u32,
    /// What a planned phone costs on average, milliwatts (the per-model mix when the plan
    /// counts models).
    pub average_mw: u32,
    /// A planned model learns its voice VLAN by LLDP-MED (Avaya): LLDP must run and CDP
    /// alone is not enough; QoS must trust the phone's own markings.
    pub lldp_med: bool,
    /// Every planned model is a CDP phone (Cisco).
    pub cdp_only_models: bool,
    /// The DSCP the phones mark voice with.
    pub voice_dscp: u8,
    /// The models in words, for findings.
    pub labels: Vec<String>,
}

impl Default for PhoneNeeds {
    fn default() -> Self {
        Phones::default().needs()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    /// Percent of each PSE's budget kept free after the planned phones.
    pub poe_headroom_pct: u8,
    /// Input, FCS and late-collision errors per day of uptime above which a port is flagged.
    pub max_errors_per_day: u64,
    /// Score at or above which a site with no failed warning is ready.
    pub ready_score: u8,
    /// Score below which a site is not ready even without a blocker.
    pub at_risk_score: u8,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            poe_headroom_pct: 10,
            max_errors_per_day: 100,
            ready_score: 90,
            at_risk_score: 60,
        }
    }
}

/// What the checks of one switch are evaluated against.
#[derive(Debug, Clone)]
pub struct SwitchPlan {
    /// The address polled.
    pub address: String,
    pub voice_vlan: u16,
    pub data_vlan: Option<u16>,
    pub ports: PortSelection,
    /// PSE power per phone, milliwatts (what every socket must be able to give).
    pub phone_budget_mw: u32,
    /// Phones planned on this switch; None means one on every user-facing port.
    pub phone_count: Option<u32>,
    /// False when phones are powered locally.
    pub poe_required: bool,
    pub thresholds: Thresholds,
    /// What the planned phone models need (discovery, markings, the average budget).
    pub phones: PhoneNeeds,
}

impl SitePlan {
    /// The plan one switch of this site is checked against. `phone_count` is the switch's
    /// share of the site's phones (see [`SitePlan::share_phones`]).
    pub fn switch_plan(&self, address: &str, phone_count: Option<u32>) -> SwitchPlan {
        SwitchPlan {
            address: address.to_string(),
            voice_vlan: self.voice_vlan,
            data_vlan: self.data_vlan,
            ports: self.ports.clone(),
            phone_budget_mw: self.phones.budget_mw,
            phone_count,
            poe_required: self.phones.poe,
            thresholds: self.thresholds.clone(),
            phones: self.phones.needs(),
        }
    }

    /// Shares the site's phone count among switches that have no count of their own, in
    /// proportion to their user-facing ports (largest remainder, ties to the earlier
    /// switch). `own` is each switch's own count, `ports` its user-facing ports. Without a
    /// site count, switches without their own get None (a phone on every user port).
    pub fn share_phones(&self, own: &[Option<u32>], ports: &[u32]) -> Vec<Option<u32>> {
        let Some(total) = self.phones.count else {
            return own.to_vec();
        };
        let fixed: u32 = own.iter().flatten().sum();
        let rest = total.saturating_sub(fixed);
        let open: Vec<usize> = (0..own.len()).filter(|&i| own[i].is_none()).collect();
        let mut out = own.to_vec();
        if open.is_empty() {
            return out;
        }
        let weights: Vec<u32> = open.iter().map(|&i| ports[i]).collect();
        for (&i, n) in open.iter().zip(share(rest, &weights)) {
            out[i] = Some(n);
        }
        out
    }
}

impl Plan {
    /// Reads and validates a plan file, resolving secrets from the environment and files.
    pub fn load(path: &Path) -> Result<Plan, PlanError> {
        let text = std::fs::read_to_string(path).map_err(|source| PlanError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Plan::parse(&text, path)
    }

    /// Validates a plan's text; `path` is only for messages (and relative secret files).
    pub fn parse(text: &str, path: &Path) -> Result<Plan, PlanError> {
        let v = Validator { text, path };
        let raw: RawPlan = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| v.line(&s)).unwrap_or(1);
            v.err_at(line, e.message().trim_end().to_string())
        })?;
        v.plan(raw)
    }

    /// The site with this name.
    pub fn site(&self, name: &str) -> Option<&SitePlan> {
        self.sites.iter().find(|s| s.name == name)
    }
}

struct Validator<'a> {
    text: &'a str,
    path: &'a Path,
}

impl Validator<'_> {
    fn line(&self, span: &Range<usize>) -> usize {
        let end = span.start.min(self.text.len());
        self.text[..end].bytes().filter(|&b| b == b'\n').count() + 1
    }

    fn err_at(&self, line: usize, reason: impl Into<String>) -> PlanError {
        PlanError::Invalid {
            path: self.path.to_path_buf(),
            line,
            reason: reason.into(),
        }
    }

    fn err<T>(&self, at: &Spanned<T>, reason: impl Into<String>) -> PlanError {
        self.err_at(self.line(&at.span()), reason)
    }

    fn plan(&self, raw: RawPlan) -> Result<Plan, PlanError> {
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
            None => crate::snmp::DEFAULT_SCAN_MEMORY_BYTES,
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
        Ok(match p.get_ref().to_ascii_lowercase().as_str() {
            "md5" => AuthProto::Md5,
            "sha" | "sha1" => AuthProto::Sha,
            "sha224" => AuthProto::Sha224,
            "sha256" => AuthProto::Sha256,
            "sha384" => AuthProto::Sha384,
            "sha512" => AuthProto::Sha512,
            other => {
                return Err(self.err(
                    p,
                    format!(
                        "auth_protocol {other:?} is not md5, sha, sha224, sha256, sha384 or sha512"
                    ),
                ));
            }
        })
    }

    fn priv_proto(&self, p: &Spanned<String>) -> Result<PrivProto, PlanError> {
        Ok(match p.get_ref().to_ascii_lowercase().as_str() {
            "des" => PrivProto::Des,
            "aes" | "aes128" => PrivProto::Aes,
            "aes192" => PrivProto::Aes192,
            "aes256" => PrivProto::Aes256,
            other => {
                return Err(self.err(
                    p,
                    format!("priv_protocol {other:?} is not des, aes, aes192 or aes256"),
                ));
            }
        })
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
        Ok(o)
    }

    fn ports(&self, p: &RawPorts) -> Result<PortSelection, PlanError> {
        let globs = |list: &Option<Vec<Spanned<String>>>,
                     default: &[&str]|
         -> Result<Vec<String>, PlanError> {
            match list {
                None => Ok(default.iter().map(|s| s.to_string()).collect()),
                Some(l) => l
                    .iter()
                    .map(|g| {
                        Glob::new(g.get_ref())
                            .map(|_| g.get_ref().clone())
                            .map_err(|e| {
                                self.err(
                                    g,
                                    format!("bad port pattern {:?}: {}", g.get_ref(), e.kind()),
                                )
                            })
                    })
                    .collect(),
            }
        };
        let uplink = match &p.uplink_speed_mbps {
            Some(s) if *s.get_ref() == 0 => {
                return Err(self.err(s, "uplink_speed_mbps must be above 0"));
            }
            Some(s) => *s.get_ref(),
            None => DEFAULT_UPLINK_SPEED_MBPS,
        };
        let mut roles = Vec::new();
        if let Some(map) = &p.roles {
            for (pattern, role) in map.get_ref() {
                Glob::new(pattern).map_err(|e| {
                    self.err(
                        map,
                        format!("bad port pattern {pattern:?} in roles: {}", e.kind()),
                    )
                })?;
                let r = PortRole::from_name(role.get_ref()).ok_or_else(|| {
                    let names: Vec<&str> = PortRole::ALL.iter().map(|r| r.name()).collect();
                    self.err(
                        role,
                        format!(
                            "role {:?} for {pattern:?} is not one of {}",
                            role.get_ref(),
                            names.join(", ")
                        ),
                    )
                })?;
                roles.push((pattern.clone(), r));
            }
        }
        PortSelection::new(
            globs(&p.include, &[])?,
            globs(&p.exclude, DEFAULT_EXCLUDE)?,
            uplink,
        )
        .and_then(|s| s.with_roles(roles))
        .map_err(|e| self.err_at(1, format!("port patterns: {e}")))
    }

    fn phones(&self, p: &RawPhones) -> Result<Phones, PlanError> {
        let named = [
            p.model.is_some(),
            p.class.is_some(),
            p.watts.is_some(),
            p.models.is_some(),
        ];
        if named.iter().filter(|&&b| b).count() > 1 {
            let line = [
                p.model.as_ref().map(|s| self.line(&s.span())),
                p.class.as_ref().map(|s| self.line(&s.span())),
                p.watts.as_ref().map(|s| self.line(&s.span())),
            ]
            .into_iter()
            .flatten()
            .next()
            .unwrap_or(1);
            return Err(self.err_at(line, "phones: set one of model, models, class or watts"));
        }
        let mut phones = Phones::default();
        let find = |m: &Spanned<String>| {
            find_model(m.get_ref()).ok_or_else(|| {
                let known: Vec<&str> = MODELS.iter().map(|m| m.name).collect();
                self.err(
                    m,
                    format!(
                        "unknown phone model {:?}; known: {}; or give class or watts",
                        m.get_ref(),
                        known.join(", ")
                    ),
                )
            })
        };
        let modules = |b: &Option<Spanned<u8>>| -> Result<u8, PlanError> {
            match b {
                Some(n) if *n.get_ref() > 3 => Err(self.err(
                    n,
                    format!("button_modules must be 0-3, not {}", n.get_ref()),
                )),
                Some(n) => Ok(*n.get_ref()),
                None => Ok(0),
            }
        };
        if let Some(m) = &p.model {
            let model = find(m)?;
            let b = modules(&p.button_modules)?;
            phones.budget_mw = model.budget_with(b);
            phones.source = describe(model, b);
            phones.models.push(PlannedModel {
                model,
                count: None,
                button_modules: b,
            });
        } else if let Some(b) = &p.button_modules {
            return Err(self.err(b, "button_modules needs a model"));
        }
        if let Some(list) = &p.models {
            if list.get_ref().is_empty() {
                return Err(self.err(list, "phones.models is empty"));
            }
            for entry in list.get_ref() {
                let e = entry.get_ref();
                let model = find(&e.model)?;
                let b = modules(&e.button_modules)?;
                phones.models.push(PlannedModel {
                    model,
                    count: e.count.as_ref().map(|c| *c.get_ref()),
                    button_modules: b,
                });
            }
            let counted = phones.models.iter().filter(|m| m.count.is_some()).count();
            if counted != 0 && counted != phones.models.len() {
                return Err(self.err(
                    list,
                    "phones.models: give every model a count, or none (then every socket is budgeted for the largest)",
                ));
            }
            if counted > 0 && p.count.is_some() {
                return Err(self.err(
                    list,
                    "phones.models has counts, so phones.count must not be set too",
                ));
            }
            let biggest = phones
                .models
                .iter()
                .max_by_key(|m| m.model.budget_with(m.button_modules))
                .expect("not empty");
            phones.budget_mw = biggest.model.budget_with(biggest.button_modules);
            phones.source = format!(
                "{} model(s), the largest {}",
                phones.models.len(),
                describe(biggest.model, biggest.button_modules)
            );
            if counted > 0 {
                phones.count = Some(phones.models.iter().filter_map(|m| m.count).sum());
            }
        }
        if let Some(c) = &p.class {
            let class = u8::try_from(*c.get_ref()).ok().filter(|&c| c <= 8);
            let class = class
                .ok_or_else(|| self.err(c, format!("class must be 0-8, not {}", c.get_ref())))?;
            phones.budget_mw = class_mw(class).expect("0-8");
            phones.source = format!("class {class}");
        }
        if let Some(w) = &p.watts {
            let v = *w.get_ref();
            if !(0.1..=100.0).contains(&v) {
                return Err(self.err(w, format!("watts must be between 0.1 and 100, not {v}")));
            }
            phones.budget_mw = (v * 1000.0).round() as u32;
            phones.source = format!("{} W", watts(phones.budget_mw));
        }
        if phones.count.is_none() {
            phones.count = p.count.as_ref().map(|c| *c.get_ref());
        }
        phones.poe = p.poe.unwrap_or(true);
        Ok(phones)
    }

    fn thresholds(&self, t: &RawThresholds) -> Result<Thresholds, PlanError> {
        let mut out = Thresholds::default();
        let pct = |v: &Spanned<i64>, what: &str, max: i64| -> Result<u8, PlanError> {
            match *v.get_ref() {
                n if (0..=max).contains(&n) => Ok(n as u8),
                n => Err(self.err(v, format!("{what} must be 0-{max}, not {n}"))),
            }
        };
        if let Some(h) = &t.poe_headroom_pct {
            out.poe_headroom_pct = pct(h, "poe_headroom_pct", 90)?;
        }
        if let Some(e) = &t.max_errors_per_day {
            out.max_errors_per_day = *e.get_ref();
        }
        if let Some(r) = &t.ready_score {
            out.ready_score = pct(r, "ready_score", 100)?;
        }
        if let Some(a) = &t.at_risk_score {
            out.at_risk_score = pct(a, "at_risk_score", 100)?;
        }
        if out.at_risk_score > out.ready_score {
            let at = t
                .at_risk_score
                .as_ref()
                .or(t.ready_score.as_ref())
                .expect("one was set");
            return Err(self.err(at, "at_risk_score must not be above ready_score"));
        }
        Ok(out)
    }
}

/// A model as the plan summary names it: `avaya-9641g (class 2)`.
fn describe(model: &PhoneModel, modules: u8) -> String {
    let extra = match modules {
        0 => String::new(),
        n => format!(", {n} button module(s)"),
    };
    match model.class_with(modules) {
        Some(c) => format!("{} (class {c}{extra})", model.name),
        None => format!(
            "{} ({} W{extra})",
            model.name,
            watts(model.budget_with(modules))
        ),
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

/// Shares `total` in proportion to `weights` (largest remainder; ties to the earlier).
pub fn share(total: u32, weights: &[u32]) -> Vec<u32> {
    let sum: u64 = weights.iter().map(|&w| u64::from(w)).sum();
    if weights.is_empty() {
        return vec![];
    }
    if sum == 0 {
        let mut out = vec![0; weights.len()];
        out[0] = total;
        return out;
    }
    let mut out = Vec::with_capacity(weights.len());
    let mut rems = Vec::with_capacity(weights.len());
    for (i, &w) in weights.iter().enumerate() {
        let num = u64::from(total) * u64::from(w);
        out.push(num.checked_div(sum).unwrap_or(0) as u32);
        rems.push((num.checked_rem(sum).unwrap_or(0), i));
    }
    let given: u32 = out.iter().sum();
    rems.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, i) in rems.into_iter().take((total - given) as usize) {
        out[i] += 1;
    }
    out
}

/// Milliwatts as watts for people (`15.4`, `30`).
pub fn watts(mw: u32) -> String {
    if mw.is_multiple_of(1000) {
        format!("{}", mw / 1000)
    } else {
        let s = format!("{:.3}", f64::from(mw) / 1000.0);
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

#[cfg(test)]
mod tests;
