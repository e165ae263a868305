//! Access security that decides whether a phone and the PC behind it both get on: 802.1X /
//! MAB (CISCO-AUTH-FRAMEWORK-MIB host mode, else IEEE8021-PAE-MIB port control), port
//! security (CISCO-PORT-SECURITY-MIB) and err-disable recovery (CISCO-ERR-DISABLE-MIB).

use std::collections::BTreeMap;

use lanready_schema::{ErrDisable, PortAuth, PortSecurity};

use super::mib_enum;
use super::table::{Problems, read};
use crate::{Oid, Value, Walk};

pub const CAF_PORT_CONFIG_ENTRY: &[u32] = &[1, 3, 6, 1, 4, 1, 9, 9, 656, 1, 2, 1, 1];
pub const DOT1X_AUTH_CONFIG_ENTRY: &[u32] = &[1, 0, 8802, 1, 1, 1, 1, 2, 1, 1];
pub const CPS_IF_CONFIG_ENTRY: &[u32] = &[1, 3, 6, 1, 4, 1, 9, 9, 315, 1, 2, 1, 1];
pub const ERR_DISABLE_FEATURE_ENTRY: &[u32] = &[1, 3, 6, 1, 4, 1, 9, 9, 548, 1, 2, 1, 1];
pub const ERR_DISABLE_RECOVERY_INTERVAL: &[u32] = &[1, 3, 6, 1, 4, 1, 9, 9, 548, 1, 1, 1, 0];

mib_enum! {
    /// cafPortAuthHostMode (CiscoAuthHostMode).
    HostMode {
        SingleHost = 1 => "singleHost",
        MultiHost = 2 => "multiHost",
        MultiAuth = 3 => "multiAuth",
        MultiDomain = 4 => "multiDomain",
    }
}

mib_enum! {
    /// cafPortAuthorizeControl / dot1xAuthAuthControlledPortControl.
    PortControl {
        ForceUnauthorized = 1 => "forceUnauthorized",
        Auto = 2 => "auto",
        ForceAuthorized = 3 => "forceAuthorized",
    }
}

mib_enum! {
    /// cpsIfViolationAction.
    ViolationAction {
        Shutdown = 1 => "shutdown",
        DropNotify = 2 => "dropNotify",
        Drop = 3 => "drop",
    }
}

mib_enum! {
    /// cpsIfPortSecurityStatus.
    SecureStatus {
        SecureUp = 1 => "secureup",
        SecureDown = 2 => "securedown",
        Shutdown = 3 => "shutdown",
    }
}

mib_enum! {
    /// CErrDisableFeatureID (the causes lanready looks at).
    ErrDisableCause {
        Udld = 1 => "udld",
        BpduGuard = 2 => "bpduGuard",
        ChannelMisconfig = 3 => "channelMisconfig",
        PagpFlap = 4 => "pagpFlap",
        DtpFlap = 5 => "dtpFlap",
        LinkFlap = 6 => "linkFlap",
        L2ptGuard = 7 => "l2ptGuard",
        Dot1xSecurityViolation = 8 => "dot1xSecurityViolation",
        PortSecurityViolation = 9 => "portSecurityViolation",
        GbicInvalid = 10 => "gbicInvalid",
        DhcpRateLimit = 11 => "dhcpRateLimit",
        UnicastFlood = 12 => "unicastFlood",
        Vmps = 13 => "vmps",
        StormControl = 14 => "stormControl",
        InlinePower = 15 => "inlinePower",
        ArpInspection = 16 => "arpInspection",
        PortLoopback = 17 => "portLoopback",
    }
}

/// 802.1X / MAB per ifIndex: CISCO-AUTH-FRAMEWORK-MIB where it has rows (host mode and
/// control), else IEEE8021-PAE-MIB's port control (dot1xPaePortNumber is the ifIndex on
/// Cisco).
pub fn auth(values: &BTreeMap<Oid, Value>, p: &mut Problems) -> BTreeMap<u32, PortAuth> {
    let caf = read::<u32>(values, "cafPortConfigTable", CAF_PORT_CONFIG_ENTRY, p);
    let mut out = BTreeMap::new();
    for (i, r) in caf.iter() {
        let Some(control) = r.int(5, p).map(PortControl::from_i64) else {
            continue;
        };
        out.insert(
            *i,
            PortAuth {
                control: control.name(),
                host_mode: r.int(3, p).map(|v| HostMode::from_i64(v).name()),
                source: "cafPortConfigTable".into(),
            },
        );
    }
    for (i, r) in read::<u32>(values, "dot1xAuthConfigTable", DOT1X_AUTH_CONFIG_ENTRY, p) {
        if out.contains_key(&i) {
            continue;
        }
        if let Some(control) = r.int(6, p).map(PortControl::from_i64) {
            out.insert(
                i,
                PortAuth {
                    control: control.name(),
                    host_mode: None,
                    source: "dot1xAuthConfigTable".into(),
                },
            );
        }
    }
    out
}

/// Port security per ifIndex.
pub fn port_security(
    values: &BTreeMap<Oid, Value>,
    p: &mut Problems,
) -> BTreeMap<u32, PortSecurity> {
    read::<u32>(values, "cpsIfConfigTable", CPS_IF_CONFIG_ENTRY, p)
        .into_iter()
        .filter_map(|(i, r)| {
            let enabled = r.truth(1, p)?;
            Some((
                i,
                PortSecurity {
                    enabled,
                    max_mac: r.uint(3, p),
                    violation: r.int(8, p).map(|v| ViolationAction::from_i64(v).name()),
                    status: r.int(2, p).map(|v| SecureStatus::from_i64(v).name()),
                },
            ))
        })
        .collect()
}

/// Err-disable recovery: the interval and, by cause, whether recovery is on.
pub fn errdisable(walk: &Walk, p: &mut Problems) -> ErrDisable {
    let interval_s = walk
        .get(ERR_DISABLE_RECOVERY_INTERVAL)
        .and_then(|v| match v.as_u32() {
            Some(s) => Some(s),
            None => {
                p.line(format!(
                    "cErrDisableRecoveryInterval: expected INTEGER, got {}",
                    v.type_name()
                ));
                None
            }
        });
    let recovery = read::<u32>(
        &walk.values,
        "cErrDisableFeatureTable",
        ERR_DISABLE_FEATURE_ENTRY,
        p,
    )
    .into_iter()
    .filter_map(|(cause, r)| {
        let on = r.truth(4, p)?;
        Some((ErrDisableCause::from_i64(i64::from(cause)).name(), on))
    })
    .collect();
    ErrDisable {
        interval_s,
        recovery,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_modes_port_security_and_recovery() {
        let w = Walk::from_snmprec(
            "1.0.8802.1.1.1.1.2.1.1.6.5|2|2\n1.0.8802.1.1.1.1.2.1.1.6.6|2|3\n\
             1.3.6.1.4.1.9.9.315.1.2.1.1.1.5|2|1\n1.3.6.1.4.1.9.9.315.1.2.1.1.3.5|2|1\n\
             1.3.6.1.4.1.9.9.315.1.2.1.1.8.5|2|1\n1.3.6.1.4.1.9.9.315.1.2.1.1.1.6|2|2\n\
             1.3.6.1.4.1.9.9.548.1.1.1.0|66|300\n1.3.6.1.4.1.9.9.548.1.2.1.1.4.9|2|2\n\
             1.3.6.1.4.1.9.9.548.1.2.1.1.4.2|2|1\n\
             1.3.6.1.4.1.9.9.656.1.2.1.1.3.5|2|1\n1.3.6.1.4.1.9.9.656.1.2.1.1.5.5|2|2\n",
        )
        .unwrap();
        let mut p = Problems::default();
        let a = auth(&w.values, &mut p);
        assert_eq!(a[&5].host_mode.as_deref(), Some("singleHost"));
        assert_eq!(a[&5].control, "auto");
        assert_eq!(a[&5].source, "cafPortConfigTable");
        assert_eq!(
            (a[&6].control.as_str(), a[&6].host_mode.clone()),
            ("forceAuthorized", None)
        );
        let s = port_security(&w.values, &mut p);
        assert!(s[&5].enabled);
        assert_eq!(
            (s[&5].max_mac, s[&5].violation.as_deref()),
            (Some(1), Some("shutdown"))
        );
        assert!(!s[&6].enabled);
        let e = errdisable(&w, &mut p);
        assert_eq!(e.interval_s, Some(300));
        assert_eq!(e.recovery.get("portSecurityViolation"), Some(&false));
        assert_eq!(e.recovery.get("bpduGuard"), Some(&true));
        assert!(p.into_lines().is_empty());
    }
}
