//! The site plan's TOML as written, before validation: serde structs that reject unknown
//! keys and keep the spans of values that validation may complain about.

use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPlan {
    /// The agent's name in reports (default: the host name).
    pub agent: Option<String>,
    /// Switches polled at once (default 32).
    pub concurrency: Option<Spanned<u32>>,
    /// The most MB of SNMP values the scan's polls hold at once (default 512).
    pub scan_memory_mb: Option<Spanned<u32>>,
    #[serde(default)]
    pub sites: Vec<Spanned<RawSite>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSite {
    pub name: Spanned<String>,
    pub voice_vlan: Spanned<i64>,
    pub data_vlan: Option<Spanned<i64>>,
    /// Each entry is an address string or a table.
    pub switches: Spanned<Vec<Spanned<SwitchEntry>>>,
    pub community: Option<Spanned<String>>,
    pub community_env: Option<Spanned<String>>,
    pub community_file: Option<Spanned<String>>,
    pub v3: Option<Spanned<RawV3>>,
    pub timeout_ms: Option<Spanned<u64>>,
    pub retries: Option<Spanned<u32>>,
    pub max_repetitions: Option<Spanned<u32>>,
    pub vlan_contexts: Option<bool>,
    /// At most this many SNMP requests a second to each switch.
    pub requests_per_second: Option<Spanned<f64>>,
    /// Hosts probed at once when sweeping a subnet (default 32).
    pub sweep_concurrency: Option<Spanned<u32>>,
    #[serde(default)]
    pub ports: RawPorts,
    #[serde(default)]
    pub phones: RawPhones,
    #[serde(default)]
    pub thresholds: RawThresholds,
}

/// SNMP settings, at site level (defaults for its switches) or per switch; gathered from
/// the same keys in [`RawSite`] and [`RawSwitch`] (serde's `flatten` would lose the spans).
#[derive(Debug, Default)]
pub struct RawSnmp<'a> {
    pub community: Option<&'a Spanned<String>>,
    pub community_env: Option<&'a Spanned<String>>,
    pub community_file: Option<&'a Spanned<String>>,
    pub v3: Option<&'a Spanned<RawV3>>,
    pub timeout_ms: Option<&'a Spanned<u64>>,
    pub retries: Option<&'a Spanned<u32>>,
    pub max_repetitions: Option<&'a Spanned<u32>>,
    pub vlan_contexts: Option<bool>,
    pub requests_per_second: Option<&'a Spanned<f64>>,
}

macro_rules! snmp_of {
    ($t:ty) => {
        impl $t {
            pub fn snmp(&self) -> RawSnmp<'_> {
                RawSnmp {
                    community: self.community.as_ref(),
                    community_env: self.community_env.as_ref(),
                    community_file: self.community_file.as_ref(),
                    v3: self.v3.as_ref(),
                    timeout_ms: self.timeout_ms.as_ref(),
                    retries: self.retries.as_ref(),
                    max_repetitions: self.max_repetitions.as_ref(),
                    vlan_contexts: self.vlan_contexts,
                    requests_per_second: self.requests_per_second.as_ref(),
                }
            }
        }
    };
}
snmp_of!(RawSite);
snmp_of!(RawSwitch);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawV3 {
    pub user: Spanned<String>,
    pub auth_protocol: Option<Spanned<String>>,
    pub auth_key: Option<Spanned<String>>,
    pub auth_key_env: Option<Spanned<String>>,
    pub auth_key_file: Option<Spanned<String>>,
    pub priv_protocol: Option<Spanned<String>>,
    pub priv_key: Option<Spanned<String>>,
    pub priv_key_env: Option<Spanned<String>>,
    pub priv_key_file: Option<Spanned<String>>,
    #[serde(default)]
    pub context: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSwitch {
    pub address: Spanned<String>,
    /// The UDP port for a subnet entry (default 161).
    pub port: Option<Spanned<u32>>,
    /// Phones planned on this switch (overrides the site's count).
    pub phones: Option<Spanned<u32>>,
    pub community: Option<Spanned<String>>,
    pub community_env: Option<Spanned<String>>,
    pub community_file: Option<Spanned<String>>,
    pub v3: Option<Spanned<RawV3>>,
    pub timeout_ms: Option<Spanned<u64>>,
    pub retries: Option<Spanned<u32>>,
    pub max_repetitions: Option<Spanned<u32>>,
    pub vlan_contexts: Option<bool>,
    pub requests_per_second: Option<Spanned<f64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPorts {
    pub include: Option<Vec<Spanned<String>>>,
    pub exclude: Option<Vec<Spanned<String>>>,
    pub uplink_speed_mbps: Option<Spanned<u64>>,
    /// Port pattern -> role (`"Gi1/0/48" = "uplink"`), overriding what lanready reads.
    pub roles: Option<Spanned<std::collections::BTreeMap<String, Spanned<String>>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPhones {
    pub model: Option<Spanned<String>>,
    pub class: Option<Spanned<i64>>,
    pub watts: Option<Spanned<f64>>,
    pub count: Option<Spanned<u32>>,
    /// Button or expansion modules on each phone of `model`.
    pub button_modules: Option<Spanned<u8>>,
    /// Several models, each with its count.
    pub models: Option<Spanned<Vec<Spanned<RawPhoneModel>>>>,
    /// False when phones are powered locally (power bricks, injectors).
    pub poe: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPhoneModel {
    pub model: Spanned<String>,
    pub count: Option<Spanned<u32>>,
    pub button_modules: Option<Spanned<u8>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawThresholds {
    pub poe_headroom_pct: Option<Spanned<i64>>,
    pub max_errors_per_day: Option<Spanned<u64>>,
    pub ready_score: Option<Spanned<i64>>,
    pub at_risk_score: Option<Spanned<i64>>,
}

/// A `switches` entry: `"10.0.0.1"` or `{ address = "10.0.0.1", community = "..." }`. Read
/// with a visitor (not `untagged`) so a bad key in a table says which key, and where.
#[derive(Debug)]
pub enum SwitchEntry {
    Address(String),
    Table(Box<RawSwitch>),
}

impl<'de> Deserialize<'de> for SwitchEntry {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = SwitchEntry;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a switch address string or a table with `address`")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<SwitchEntry, E> {
                Ok(SwitchEntry::Address(s.to_string()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<SwitchEntry, A::Error> {
                RawSwitch::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(|s| SwitchEntry::Table(Box::new(s)))
            }
        }
        d.deserialize_any(V)
    }
}
