//! The site plan: a TOML file naming each site's switches (addresses or subnets to sweep),
//! SNMP credentials, voice VLAN, user-facing ports, phones and thresholds. Loading validates
//! everything and resolves secrets, so a plan that loads can be scanned; every error names
//! the file, the line and the reason.

mod phones;
mod raw;
pub mod sweep;
mod validate;

use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use ipnetwork::IpNetwork;

use lanready_schema::PortRole;
pub use phones::{CLASS_PSE_MW, MODELS, PhoneModel, VlanDiscovery, class_mw, find_model};

use lanready_schema::secret::Secret;
use lanready_snmp::{AuthProto, Credentials, PollOptions, PrivProto, V3Credentials};
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
    /// The OS error is in the message and not a `source`, so an error chain (`{:#}`) says it
    /// once.
    #[error("reading the plan {}: {error}", path.display())]
    Read {
        path: PathBuf,
        error: std::io::Error,
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
        let text = std::fs::read_to_string(path).map_err(|error| PlanError::Read {
            path: path.to_path_buf(),
            error,
        })?;
        Plan::parse(&text, path)
    }

    /// Validates a plan's text; `path` is only for messages (and relative secret files).
    pub fn parse(text: &str, path: &Path) -> Result<Plan, PlanError> {
        let v = validate::Validator { text, path };
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
